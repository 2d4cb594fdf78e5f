/* rt_fixture.h: the common shape of a recorder end-to-end case.
 *
 * A case gets a scratch directory, runs one victim under the recorder with the trace
 * going to scratch/trace, decodes it with trace_tally, and asserts (Check) that the
 * run ended as intended and the trace is undamaged. Paths of the built programs come
 * from the build as RT_* definitions. Tests only.
 */
#ifndef RT_FIXTURE_H
#define RT_FIXTURE_H

#include <check.h>

#include "trace_tally.h"
#include "tt_run.h"
#include "victim_common.h"

typedef struct rt_case {
    char scratch[4096];
    char trace[4200];
    tt_spec_t spec;
    tt_result_t res;
    tt_tally_t tally;
    tt_opts_t opts;
    int env_n;
} rt_case_t;

/* Scratch dir, trace dir, argv (NULL-terminated), preload libmtrec.so, and the matrix's
 * unwinder and preset. */
void rt_setup(rt_case_t *c, const char *const *argv);
/* Adds "NAME=value" to the victim's environment, replacing an earlier NAME. */
void rt_env(rt_case_t *c, const char *assignment);
/* MTDB_UNWIND and MTDB_PRESET from RT_UNWIND and RT_PRESET, when set (rt_setup calls it). */
void rt_matrix_env(rt_case_t *c);
/* Runs the victim (asserting it did not hang) and decodes the trace directory. */
void rt_go(rt_case_t *c);
/* Decodes the trace directory again (after a run started by the case itself). */
void rt_decode(rt_case_t *c);
/* Nothing on stderr but, at most, the recorder's timing-dependent slow-clock advisory. */
int rt_stderr_is_empty(const tt_result_t *res);
/* Exit status 0, nothing on stderr. */
void rt_assert_clean_exit(const rt_case_t *c);
/* No reader diagnostics, every file readable and named after its header. */
void rt_assert_undamaged(const rt_case_t *c);
/* Exactly n images, each with one process file and one PROCESS record, no thread
 * number used twice. */
void rt_assert_images(const rt_case_t *c, size_t n);
/* The victim's output value for key (fails the case when missing). */
long long rt_value(const rt_case_t *c, const char *key);
/* The first line of `shell -batch db sql` (the sqlite3 shell), without its newline. */
void rt_query(const char *shell, const char *db, const char *sql, char *out, size_t len);
void rt_teardown(rt_case_t *c);

/* Adds test fn to s in a test case of its own, named like it (CK_RUN_CASE picks it). */
#define RT_ADD(s, fn, timeout_s) rt_add_case(s, #fn, fn, timeout_s, NULL)
/* skip: why the case cannot run here (it then exits 77 when picked), or NULL. */
#define RT_ADD_SKIP(s, fn, timeout_s, skip) rt_add_case(s, #fn, fn, timeout_s, skip)
void rt_add_case(Suite *s, const char *name, const TTest *fn, int timeout_s, const char *skip);
/* Runs the case named by CK_RUN_CASE (or all); fails when no case ran; exits 77 for a
 * picked case that cannot run here. */
int rt_main(Suite *s);

#endif
