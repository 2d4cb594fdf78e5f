/* test_rec_stack_cache.c: the cached stack walker returns unw_backtrace's stacks.
 *
 * Under MTDB_STACK_CACHE=verify every walk is made twice, by the cached walker and by a
 * full unw_backtrace from the same frame, and every stack the cache names without
 * hashing is checked against the one unw_backtrace's frames name; any difference is
 * counted in unwind_mismatch (and told on stderr). Victims change their stacks every
 * way a program can: recursion through several call sites, alloca, longjmp, signal
 * handlers on the thread's stack and on an alternate one, a timer whose handler
 * allocates wherever it interrupts the thread, coroutines on a mapping or on the
 * thread's own stack, C++ exceptions through frames that allocate and free. (Below a
 * signal frame the reference is libgcc's unwinder: rec_stack.c says why.)
 * Each case also reconciles the victim's own counts exactly, and checks that the cache
 * was really used and that what it must not follow was left to unw_backtrace. And a
 * plugin unloaded and replaced at the same addresses by another with other unwind rules
 * (where libunwind 1.6's own cache goes stale) gets its real stacks, checked by name in
 * the imported database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_fixture.h"

static uint64_t counter(const tt_image_t *im, int id)
{
    return im->counters[id];
}

/* Runs argv with MTDB_STACK_CACHE=verify (and preset, when given); asserts a clean,
 * exact run without a single mismatch. */
static void run_verified(rt_case_t *c, const char *const *argv, const char *preset)
{
    rt_setup(c, argv);
    rt_env(c, "MTDB_STACK_CACHE=verify");
    if (preset)
        rt_env(c, preset);
    rt_go(c);
    rt_assert_clean_exit(c); /* a mismatch is also told on stderr */
    rt_assert_undamaged(c);
    rt_assert_images(c, 1);
    const tt_image_t *im = &c->tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(c, "allocs"));
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(c, "frees"));
    ck_assert_uint_eq(im->live_marked, 0);
    ck_assert_msg(counter(im, MTDB_COUNTER_UNWIND_MISMATCH) == 0,
                  "%llu walks differed from unw_backtrace",
                  (unsigned long long)counter(im, MTDB_COUNTER_UNWIND_MISMATCH));
}

START_TEST(test_stack_cache_c_stacks_match_unw_backtrace)
{
    static const char *const argv[] = {RT_VICTIM_UNWIND, "20000", NULL};
    rt_case_t c;
    run_verified(&c, argv, NULL);
    const tt_image_t *im = &c.tally.images[0];
    uint64_t allocs = (uint64_t)rt_value(&c, "allocs");
    ck_assert_uint_gt(allocs, 500000);
    /* most walks took their outer frames from the walk before */
    ck_assert_uint_gt(counter(im, MTDB_COUNTER_UNWIND_REUSED), allocs / 2);
    /* handlers allocated, and the timer's interrupted the threads at random points */
    ck_assert_int_gt(rt_value(&c, "in_handlers"), 1000);
    ck_assert_int_gt(rt_value(&c, "timer_allocs"), 200);
    /* handlers ran on the alternate signal stack (walked by the cache: the signal
     * victim's case below says so exactly), and every allocation on the mapped
     * coroutine stack went to unw_backtrace */
    ck_assert_int_gt(rt_value(&c, "on_alt_stack"), 1000);
    uint64_t on_mapping = (uint64_t)rt_value(&c, "on_mapping");
    ck_assert_uint_gt(on_mapping, 1000);
    ck_assert_uint_ge(counter(im, MTDB_COUNTER_UNWIND_FALLBACK), on_mapping);
    rt_teardown(&c);
}
END_TEST

/* The leaks preset walks on frees too: destructors run by the unwinder. */
START_TEST(test_stack_cache_cxx_exceptions_match_unw_backtrace)
{
    static const char *const argv[] = {RT_VICTIM_UNWIND_CXX, "10000", NULL};
    rt_case_t c;
    run_verified(&c, argv, "MTDB_PRESET=leaks");
    const tt_image_t *im = &c.tally.images[0];
    uint64_t allocs = (uint64_t)rt_value(&c, "allocs");
    ck_assert_uint_gt(allocs, 400000);
    ck_assert_uint_gt(counter(im, MTDB_COUNTER_UNWIND_REUSED), allocs);
    rt_teardown(&c);
}
END_TEST

/* Imports the case's trace into db (the case's scratch directory). */
static void import_trace(rt_case_t *c, char *db, size_t len)
{
    snprintf(db, len, "%s/t.db", c->scratch);
    const char *import[] = {RT_MTDB, "import", "-q", "-o", db, c->trace, NULL};
    tt_spec_t spec = {.argv = import, .timeout_ms = 60000};
    tt_result_t res;
    ck_assert_int_eq(tt_run(&spec, c->scratch, &res), 0);
    ck_assert_msg(res.exited && res.exit_code == 0, "import: %s", res.err);
    tt_result_free(&res);
}

/* A timer's handler allocates every 50 us while main allocates: every walk from the
 * handler crosses the signal frame, which the cached walker steps itself (none is left
 * to libunwind, whose unw_step path would cost 50-75 us a walk there), wherever the
 * signal landed: main's loop, the recorder, glibc, a PLT entry. The leaks preset walks
 * frees too. Not under verify: its reference walk from each handler costs about the
 * timer's period, and main would hardly run on a loaded machine (test_stack_cache_c_...
 * verifies walks from handlers that interrupt anywhere, with a timer that waits for its
 * handler). Here the stacks are checked in the database instead. */
static void run_signal_victim(const char *where)
{
    const char *const argv[] = {RT_VICTIM_SIGNAL, "200000", where, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    rt_env(&c, "MTDB_PRESET=leaks");
    c.opts.mark_lo = 1000, c.opts.mark_hi = 1002; /* the victim's two sizes */
    rt_go(&c);
    rt_assert_clean_exit(&c);
    rt_assert_undamaged(&c);
    rt_assert_images(&c, 1);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_int_gt(rt_value(&c, "handler.allocs"), 100);
    ck_assert_uint_eq(im->sizes[0].allocs, (uint64_t)rt_value(&c, "handler.allocs"));
    ck_assert_uint_eq(im->sizes[1].allocs, (uint64_t)rt_value(&c, "main.allocs"));
    ck_assert_uint_eq(counter(im, MTDB_COUNTER_UNWIND_FALLBACK), 0);
    ck_assert_uint_gt(counter(im, MTDB_COUNTER_UNWIND_REUSED), 0);
    /* in the database, every stack from the handler has the signal frame right above
     * it, named as debuggers name it (the only frame so named), and goes on through
     * the interrupted code to main */
    char db[4300], got[256];
    import_trace(&c, db, sizeof db);
    rt_query(RT_SQLITE3, db,
             "SELECT count(*) > 0, count(*) = sum(EXISTS (SELECT 1 FROM stack_frames f"
             " JOIN symbols y ON y.frame_id = f.frame_id WHERE f.stack_id = s.stack_id"
             " AND f.position = 1 AND y.function = '<signal handler called>')"
             " AND EXISTS (SELECT 1 FROM stack_frames f JOIN symbols y"
             " ON y.frame_id = f.frame_id WHERE f.stack_id = s.stack_id AND f.position > 1"
             " AND y.function = 'main')),"
             " (SELECT count(*) FROM symbols WHERE function = '<signal handler called>')"
             " FROM stacks s WHERE EXISTS (SELECT 1 FROM stack_frames f JOIN symbols y"
             " ON y.frame_id = f.frame_id WHERE f.stack_id = s.stack_id AND f.position = 0"
             " AND y.function = 'on_alarm');",
             got, sizeof got);
    ck_assert_str_eq(got, "1|1|1");
    rt_teardown(&c);
}

START_TEST(test_stack_cache_follows_signal_frames)
{
    run_signal_victim("ownstack");
}
END_TEST

/* The same handler on an alternate signal stack: walked there up to the signal frame,
 * then on the thread's own stack. */
START_TEST(test_stack_cache_follows_signal_frames_from_alternate_stack)
{
    run_signal_victim("altstack");
}
END_TEST

/* Optimized code without frame pointers: rbp holds data, which the walk must take from
 * the unwind rules alone. */
START_TEST(test_stack_cache_nofp_code_matches_unw_backtrace)
{
    static const char *const argv[] = {RT_VICTIM_NOFP, NULL};
    rt_case_t c;
    run_verified(&c, argv, NULL);
    ck_assert_int_eq(rt_value(&c, "allocs"), 64 * 26);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_stack_cache_plugin_replaced_at_same_address)
{
    static const char *const argv[] = {RT_VICTIM_RELOAD, RT_PLUGIN_FRAME_SMALL,
                                       RT_PLUGIN_FRAME_LARGE, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    rt_go(&c);
    rt_assert_clean_exit(&c);
    rt_assert_undamaged(&c);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "allocs"));
    /* the hostile case happened: loads landed where the other plugin had been */
    ck_assert_int_gt(rt_value(&c, "same_place"), rt_value(&c, "allocs") / 50 / 2);
    char db[4300], got[256];
    import_trace(&c, db, sizeof db);
    /* every plugin allocation's stack goes through the plugin's frames up to main */
    rt_query(RT_SQLITE3, db,
             "SELECT count(*), sum((SELECT count(*) FROM stack_frames f JOIN symbols y"
             " ON y.frame_id = f.frame_id AND y.function IN ('framed', 'plugin_frames', 'main')"
             " WHERE f.stack_id = a.stack_id) = 3)"
             " FROM allocations a WHERE a.size_bytes BETWEEN 41800 AND 41803;",
             got, sizeof got);
    char want[64];
    snprintf(want, sizeof want, "%lld|%lld", rt_value(&c, "allocs"), rt_value(&c, "allocs"));
    ck_assert_msg(!strcmp(got, want), "allocations, with whole stacks: %s (expected %s)", got,
                  want);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_stack_cache_off_walks_every_frame)
{
    static const char *const argv[] = {RT_VICTIM_UNWIND, "2000", NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    rt_env(&c, "MTDB_STACK_CACHE=off");
    rt_go(&c);
    rt_assert_clean_exit(&c);
    rt_assert_undamaged(&c);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "allocs"));
    ck_assert_uint_eq(counter(im, MTDB_COUNTER_UNWIND_REUSED), 0);
    ck_assert_uint_eq(counter(im, MTDB_COUNTER_UNWIND_FALLBACK), 0);
    ck_assert_uint_eq(counter(im, MTDB_COUNTER_UNWIND_RULES_READ), 0);
    rt_teardown(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder stack cache");
    RT_ADD(s, test_stack_cache_c_stacks_match_unw_backtrace, 240);
    RT_ADD(s, test_stack_cache_cxx_exceptions_match_unw_backtrace, 240);
    RT_ADD(s, test_stack_cache_follows_signal_frames, 120);
    RT_ADD(s, test_stack_cache_follows_signal_frames_from_alternate_stack, 120);
    RT_ADD(s, test_stack_cache_nofp_code_matches_unw_backtrace, 60);
    RT_ADD(s, test_stack_cache_off_walks_every_frame, 60);
    RT_ADD(s, test_stack_cache_plugin_replaced_at_same_address, 120);
    return rt_main(s);
}
