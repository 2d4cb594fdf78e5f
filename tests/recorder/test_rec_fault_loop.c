/* test_rec_fault_loop.c: a write failure at every one of the recorder's writes in turn.
 *
 * Under libmtrec-fault.so, MTDB_TEST_FAIL_AT=N fails the Nth trace write (create,
 * reserve, map, write, rename) with ENOSPC. For N = 1, 2, 3, ... until a run completes
 * without a fault: the host finishes with its own output and status, recorded plus
 * dropped events are every event it made, every thread is in the trace, and `mtdb
 * import` reports each lost event once and invents no unmatched, double or lost free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rt_fixture.h"
#include "trace_reader.h"

#define THREADS 4
#define PAIRS "20000"
#define LIBC_SLACK 64
#define MAX_FAULTS 400

static void check_trace(rt_case_t *c, int n)
{
    rt_decode(c);
    const tt_tally_t *t = &c->tally;
    ck_assert_msg(t->diag_total == t->diags[MTDB_DIAG_EVENT_GAP], "N=%d: %s", n, t->first_diag);
    rt_assert_images(c, 1);
    const tt_image_t *im = &t->images[0];
    for (uint32_t k = 1; k <= THREADS + 1; k++) {
        const tt_thread_t *th = k < im->nthreads ? &im->threads[k] : NULL;
        ck_assert_msg(th && (th->thread_records || th->counters[MTDB_COUNTER_EVENTS] ||
                             th->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR]),
                      "N=%d: thread %u left no trace", n, k);
    }
    uint64_t made = 2ull * THREADS * (uint64_t)atol(PAIRS);
    uint64_t recorded = im->sizes[0].allocs + im->sizes[0].frees;
    uint64_t dropped = im->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR];
    ck_assert_msg(recorded + dropped >= made && recorded + dropped <= made + LIBC_SLACK,
                  "N=%d: made %llu, recorded %llu, dropped %llu", n, (unsigned long long)made,
                  (unsigned long long)recorded, (unsigned long long)dropped);
}

static void check_import(rt_case_t *c, int n)
{
    char db[4300], got[512];
    snprintf(db, sizeof db, "%s/t.db", c->scratch);
    const char *argv[] = {RT_MTDB, "import", "-q", "-o", db, c->trace, NULL};
    tt_spec_t spec = {.argv = argv, .timeout_ms = 60000};
    tt_result_t res;
    ck_assert_int_eq(tt_run(&spec, c->scratch, &res), 0);
    int dropped = c->tally.images[0].counters[MTDB_COUNTER_DROPPED_WRITE_ERROR] > 0;
    ck_assert_msg(res.exited && res.exit_code == (dropped ? 3 : 0), "N=%d: import exit %d: %s", n,
                  res.exit_code, res.err);
    tt_result_free(&res);
    rt_query(RT_SQLITE3, db,
             "SELECT threads, dropped_events = skipped_events, unmatched_frees, double_frees, "
             "(SELECT count(*) FROM import_problems WHERE kind NOT IN "
             "('event_gap', 'not_recorded', 'partner_lost')) FROM summary;",
             got, sizeof got);
    char want[64];
    snprintf(want, sizeof want, "%d|1|0|0|0", THREADS + 1);
    ck_assert_msg(!strcmp(got, want), "N=%d: summary %s, expected %s", n, got, want);
}

/* Runs the victim with the Nth write failing; returns whether a fault was injected. */
static int run_with_fault(int n)
{
    static const char *const argv[] = {RT_VICTIM_LOSSES, "threads", "4", PAIRS, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    c.spec.preload = RT_MTREC_FAULT;
    char env[32];
    snprintf(env, sizeof env, "MTDB_TEST_FAIL_AT=%d", n);
    rt_env(&c, env);
    ck_assert_int_eq(tt_run(&c.spec, c.scratch, &c.res), 0);
    ck_assert_msg(c.res.exited && c.res.exit_code == 0, "N=%d: exit %d signal %d; stderr: %s", n,
                  c.res.exit_code, c.res.signal, c.res.err);
    ck_assert_int_eq(rt_value(&c, "threads"), THREADS);
    ck_assert_int_eq(rt_value(&c, "allocs"), THREADS * atol(PAIRS));
    int injected = strstr(c.res.err, "injected a write failure") != NULL;
    if (strstr(c.res.err, "cannot record: ")) { /* the process file itself: nothing written */
        ck_assert_msg(strstr(c.res.err, "No space left on device"), "N=%d: %s", n, c.res.err);
        ck_assert_int_le(tt_count_files(c.trace, ".proc"), 0);
        ck_assert_int_le(tt_count_files(c.trace, ".trace"), 0);
    } else {
        check_trace(&c, n);
        check_import(&c, n);
    }
    rt_teardown(&c);
    return injected;
}

START_TEST(test_recorder_write_failure_at_every_call)
{
    int n = 1;
    while (n <= MAX_FAULTS && run_with_fault(n))
        n++;
    ck_assert_msg(n > 10 && n <= MAX_FAULTS, "the loop ended after %d runs", n);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder_fault_loop");
    RT_ADD(s, test_recorder_write_failure_at_every_call, 300);
    return rt_main(s);
}
