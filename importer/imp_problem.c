/* imp_problem.c: one import_problems row and one warning per problem (imp_problem.h).
 * Must never stop the import for a problem: only a failed row write is an error.
 */
#include <stdio.h>

#include "imp_problem.h"

/* The warning as the user reads it. */
static void imp_problem_print(const imp_problem_t *pr)
{
    if (pr->file)
        fprintf(stderr, "mtdb: warning: %s: offset %llu: %s (%llu bytes, %llu events skipped)\n",
                pr->file, (unsigned long long)pr->offset, pr->message,
                (unsigned long long)pr->bytes, (unsigned long long)pr->events);
    else if (pr->pid)
        fprintf(stderr, "mtdb: warning: process %lld (pid %u): %s\n", (long long)pr->process_id,
                pr->pid, pr->message);
    else
        fprintf(stderr, "mtdb: warning: process %lld: %s (%llu events lost)\n",
                (long long)pr->process_id, pr->message, (unsigned long long)pr->events);
}

int imp_problem_add(imp_run_t *run, const imp_problem_t *pr)
{
    imp_value_t row[9] = {imp_v_null(),
                          imp_v_text(pr->file),
                          pr->file ? imp_v_int((int64_t)pr->offset) : imp_v_null(),
                          imp_v_text(pr->kind),
                          imp_v_id(pr->process_id),
                          imp_v_id(pr->thread),
                          imp_v_int((int64_t)pr->bytes),
                          imp_v_int((int64_t)pr->events),
                          imp_v_text(pr->message)};
    int rc = imp_db_put(run->db, IMP_T_PROBLEM, row);
    if (rc)
        return rc;
    run->warnings++;
    if (!run->opt->quiet)
        imp_problem_print(pr);
    return 0;
}
