/* imp_problem.h: problems found while importing (imp_problem.c): each is one
 * import_problems row, one warning counted in the run, and one line for the user.
 */
#ifndef IMP_PROBLEM_H
#define IMP_PROBLEM_H

#include "imp_types.h"

typedef struct imp_problem {
    const char *kind;    /* import_problems.kind: "bad_block", "lost_free", ... */
    const char *message; /* what happened, one sentence without a trailing period */
    int64_t process_id;  /* 0: none */
    const char *file;    /* NULL: about a whole process, offset is then ignored */
    uint64_t offset;     /* of the record or damage in file */
    uint32_t thread;     /* thread number in the trace, 0: none */
    uint64_t bytes;      /* bytes skipped */
    uint64_t events;     /* events lost */
    uint32_t pid;        /* non-zero: a finding about the program itself, named by pid */
} imp_problem_t;

/* Writes the row and counts the warning. Returns 0 or the code of the failed row write. */
int imp_problem_add(imp_run_t *run, const imp_problem_t *problem);

#endif
