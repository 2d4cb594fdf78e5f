/* real_util.c: `mtdb import` and sqlite3 queries for the real-program tests.
 *
 * Everything runs as a child with a deadline (tt_run); the database lives in the case's
 * scratch directory and goes with it. Tests only.
 */
#include "real_util.h"

#include <stdlib.h>
#include <string.h>

void rl_run(const char *scratch, const char *const *argv, tt_result_t *res)
{
    tt_spec_t spec;
    memset(&spec, 0, sizeof spec);
    spec.argv = argv;
    spec.timeout_ms = 120000;
    memset(res, 0, sizeof *res);
    ck_assert_int_eq(tt_run(&spec, scratch, res), 0);
    ck_assert_msg(!res->timed_out, "%s hung; stderr: %s", argv[0], res->err);
}

int rl_import(const rt_case_t *c, char **err_out)
{
    char db[4300];
    snprintf(db, sizeof db, "%s/trace.db", c->scratch);
    const char *argv[] = {RT_MTDB, "import", "-f", "-o", db, c->trace, NULL};
    tt_result_t res;
    rl_run(c->scratch, argv, &res);
    int code = res.exited ? res.exit_code : 128 + res.signal;
    if (err_out)
        *err_out = strdup(res.err);
    tt_result_free(&res);
    return code;
}

char *rl_query(const rt_case_t *c, const char *sql)
{
    char db[4300];
    snprintf(db, sizeof db, "%s/trace.db", c->scratch);
    const char *argv[] = {"/usr/bin/sqlite3", "-batch", db, sql, NULL};
    tt_result_t res;
    rl_run(c->scratch, argv, &res);
    ck_assert_msg(res.exited && res.exit_code == 0, "sqlite3 %s: %s", sql, res.err);
    char *out = strdup(res.out);
    size_t n = strlen(out);
    if (n && out[n - 1] == '\n')
        out[n - 1] = 0;
    tt_result_free(&res);
    return out;
}
