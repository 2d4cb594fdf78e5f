/* rt_fixture.c: set-up, run, decode and the common assertions of the recorder cases.
 *
 * Every failure message names the scratch directory (tst_scratch.h), which is removed
 * unless MTDB_TEST_KEEP=1 keeps it so its trace can be looked at with `mtdb dump`. Tests
 * only.
 */
#include "rt_fixture.h"
#include "tst_scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_setup(rt_case_t *c, const char *const *argv)
{
    memset(c, 0, sizeof *c);
    ck_assert_int_eq(tt_scratch(c->scratch, sizeof c->scratch), 0);
    snprintf(c->trace, sizeof c->trace, "%s/trace", c->scratch);
    c->spec.argv = argv;
    c->spec.preload = RT_MTREC;
    c->spec.trace_dir = c->trace;
    c->spec.timeout_ms = 60000;
    c->opts.mark_lo = VC_MARK_LO;
    c->opts.mark_hi = VC_MARK_HI;
    rt_matrix_env(c);
}

/* A case's own setting replaces one of the same name (the matrix's, say). */
void rt_env(rt_case_t *c, const char *assignment)
{
    size_t name_len = strcspn(assignment, "=") + 1;
    for (int i = 0; i < c->env_n; i++)
        if (strncmp(c->spec.env[i], assignment, name_len) == 0) {
            c->spec.env[i] = assignment;
            return;
        }
    ck_assert_int_lt(c->env_n, TT_ENV_MAX - 1);
    c->spec.env[c->env_n++] = assignment;
}

/* The unwinder and preset of a matrix run (ctest sets RT_UNWIND and RT_PRESET). */
void rt_matrix_env(rt_case_t *c)
{
    static char unwind[64], preset[64];
    const char *u = getenv("RT_UNWIND"), *p = getenv("RT_PRESET");
    if (u && *u) {
        snprintf(unwind, sizeof unwind, "MTDB_UNWIND=%s", u);
        rt_env(c, unwind);
    }
    if (p && *p) {
        snprintf(preset, sizeof preset, "MTDB_PRESET=%s", p);
        rt_env(c, preset);
    }
}

void rt_decode(rt_case_t *c)
{
    tt_tally_free(&c->tally);
    ck_assert_msg(tt_decode_dir(c->trace, &c->opts, &c->tally) == 0, "%s", c->tally.first_error);
}

void rt_go(rt_case_t *c)
{
    ck_assert_int_eq(tt_run(&c->spec, c->scratch, &c->res), 0);
    ck_assert_msg(!c->res.timed_out, "%s hung (killed after %d ms); stderr: %s", c->spec.argv[0],
                  c->spec.timeout_ms, c->res.err);
    rt_decode(c);
}

/* The recorder times 65 clock reads at start-up and warns when they average over 200 ns:
 * one preemption on a busy machine is enough. That line says nothing about the case. */
static const char clock_advisory[] = "mtdb: warning: the monotonic clock is slow on this "
                                     "machine (a system call?): expect more overhead per event\n";

int rt_stderr_is_empty(const tt_result_t *res)
{
    return res->err_len == 0 || strcmp(res->err, clock_advisory) == 0;
}

void rt_assert_clean_exit(const rt_case_t *c)
{
    ck_assert_msg(c->res.exited && c->res.exit_code == 0,
                  "%s: exited %d code %d signal %d; stderr: %s", c->spec.argv[0], c->res.exited,
                  c->res.exit_code, c->res.signal, c->res.err);
    ck_assert_msg(rt_stderr_is_empty(&c->res), "unexpected stderr: %s", c->res.err);
}

void rt_assert_undamaged(const rt_case_t *c)
{
    const tt_tally_t *t = &c->tally;
    ck_assert_msg(t->diag_total == 0, "%llu reader diagnostics in %s, first: %s",
                  (unsigned long long)t->diag_total, c->trace, t->first_diag);
    ck_assert_msg(t->unreadable_files == 0, "unreadable: %s", t->first_error);
    ck_assert_msg(t->first_error[0] == 0, "reader error: %s", t->first_error);
    ck_assert_int_eq(t->misnamed_files, 0);
    ck_assert_int_eq(t->foreign_files, 0);
}

void rt_assert_images(const rt_case_t *c, size_t n)
{
    ck_assert_uint_eq(c->tally.nimages, n);
    for (size_t i = 0; i < n; i++) {
        const tt_image_t *im = &c->tally.images[i];
        ck_assert_msg(im->proc_files == 1, "pid %u: %d process files", im->pid, im->proc_files);
        ck_assert_int_eq(im->process_records, 1);
        ck_assert_int_eq(im->duplicate_threads, 0);
        ck_assert_msg(im->lost_frees == 0,
                      "pid %u: %llu allocations at an address still live (a free missing, "
                      "or one call recorded twice)",
                      im->pid, (unsigned long long)im->lost_frees);
    }
}

long long rt_value(const rt_case_t *c, const char *key)
{
    long long v = tt_value(&c->res, key);
    ck_assert_msg(v != TT_MISSING, "victim did not report %s; stdout: %.400s", key, c->res.out);
    return v;
}

void rt_query(const char *shell, const char *db, const char *sql, char *out, size_t len)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "%s -batch '%s' \"%s\" 2>&1", shell, db, sql);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    out[0] = 0;
    if (!fgets(out, (int)len, f))
        out[0] = 0;
    pclose(f);
    out[strcspn(out, "\n")] = 0;
}

void rt_teardown(rt_case_t *c)
{
    tt_tally_free(&c->tally);
    tt_result_free(&c->res);
    if (c->scratch[0])
        tt_remove_tree(c->scratch);
}

static const char *skipped_name, *skipped_why;

void rt_add_case(Suite *s, const char *name, const TTest *fn, int timeout_s, const char *skip)
{
    const char *only = getenv("CK_RUN_CASE");
    if (skip) {
        printf("skipped: %s: %s\n", name, skip);
        if (only && !strcmp(only, name))
            skipped_name = name, skipped_why = skip;
        return;
    }
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, timeout_s);
    tcase_add_test(tc, fn);
    suite_add_tcase(s, tc);
}

int rt_main(Suite *s)
{
    if (skipped_name)
        return 77; /* the runner that would own s is never made */
    int ran = 0; /* CK_RUN_CASE in the environment picks one case */
    int status = tst_run_runner(srunner_create(s), &ran);
    if (ran == 0)
        fprintf(stderr, "no test case named %s\n", getenv("CK_RUN_CASE"));
    return status != EXIT_SUCCESS || ran == 0 ? 1 : 0;
}
