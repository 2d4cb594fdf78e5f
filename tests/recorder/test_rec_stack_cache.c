/* test_rec_stack_cache.c: the cached stack walker returns unw_backtrace's stacks.
 *
 * Under MTDB_STACK_CACHE=verify every walk is made twice, by the cached walker and by a
 * full unw_backtrace from the same frame, and every stack the cache names without
 * hashing is checked against the one unw_backtrace's frames name; any difference is
 * counted in unwind_mismatch (and told on stderr). Victims change their stacks every
 * way a program can: recursion through several call sites, alloca, longjmp, signal
 * handlers on the thread's stack and on an alternate one, coroutines on a mapping or
 * on the thread's own stack, C++ exceptions through frames that allocate and free.
 * Each case also reconciles the victim's own counts exactly, and checks that the cache
 * was really used and that what it must not follow was left to unw_backtrace.
 */
#include <stdio.h>
#include <stdlib.h>

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
    /* every allocation below a signal frame went to unw_backtrace */
    uint64_t unfollowed = (uint64_t)rt_value(&c, "unfollowed");
    ck_assert_uint_gt(unfollowed, 1000);
    ck_assert_uint_ge(counter(im, MTDB_COUNTER_UNWIND_FALLBACK), unfollowed);
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
    RT_ADD(s, test_stack_cache_nofp_code_matches_unw_backtrace, 60);
    RT_ADD(s, test_stack_cache_off_walks_every_frame, 60);
    return rt_main(s);
}
