/* real_util.h: helpers of the real-program tests: `mtdb record`, `mtdb import` and
 * sqlite3 run as a user runs them, through the recorder tests' runner (tt_run). Each
 * failure message names the scratch directory (kept when a case fails). Tests only.
 */
#ifndef REAL_UTIL_H
#define REAL_UTIL_H

#include "rt_fixture.h"

/* Runs argv (a NULL-terminated list, argv[0] a path) untraced; res is filled. */
void rl_run(const char *scratch, const char *const *argv, tt_result_t *res);
/* `mtdb import -o scratch/trace.db scratch/trace`: its exit code; stderr in *err_out
 * (owned by the caller) when err_out is not NULL. */
int rl_import(const rt_case_t *c, char **err_out);
/* Output of sqlite3 for sql on scratch/trace.db, trailing newline removed (owned). */
char *rl_query(const rt_case_t *c, const char *sql);

#define ck_assert_query(c, sql, expected)                                                          \
    do {                                                                                           \
        char *got_ = rl_query(c, sql);                                                             \
        ck_assert_msg(strcmp(got_, expected) == 0, "%s\n  gave: %s\n  expected: %s", sql, got_,    \
                      expected);                                                                   \
        free(got_);                                                                                \
    } while (0)

#endif
