/* test_rec_features.c: signal handlers that allocate, dlopen, C++ operators, the
 * sampling presets, pause/resume and marks: each counted exactly against its victim.
 */
#include "rt_fixture.h"

static const tt_image_t *run_one(rt_case_t *c)
{
    rt_go(c);
    rt_assert_clean_exit(c);
    rt_assert_undamaged(c);
    rt_assert_images(c, 1);
    return &c->tally.images[0];
}

START_TEST(test_recorder_signal_handler_allocations_counted)
{
    static const char *const argv[] = {RT_VICTIM_SIGNAL, "200000", NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    c.opts.mark_lo = 1000, c.opts.mark_hi = 1002; /* the victim's two sizes */
    const tt_image_t *im = run_one(&c);
    ck_assert_int_gt(rt_value(&c, "handler.allocs"), 1);
    ck_assert_msg(im->sizes[0].allocs == (uint64_t)rt_value(&c, "handler.allocs"),
                  "handler blocks: trace %llu, victim %lld (reentrant %llu, queue full %llu)",
                  (unsigned long long)im->sizes[0].allocs, rt_value(&c, "handler.allocs"),
                  (unsigned long long)im->counters[MTDB_COUNTER_REENTRANT],
                  (unsigned long long)im->counters[MTDB_COUNTER_DROPPED_REENTRY_FULL]);
    ck_assert_uint_eq(im->sizes[0].frees, im->sizes[0].allocs);
    ck_assert_uint_eq(im->sizes[1].allocs, (uint64_t)rt_value(&c, "main.allocs"));
    ck_assert_uint_eq(im->sizes[1].frees, im->sizes[1].allocs);
    ck_assert_uint_eq(im->live_marked, 0);
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_DROPPED_REENTRY_FULL], 0);
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR], 0);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_dlopen_module_recorded)
{
    static const char *const argv[] = {RT_VICTIM_DLOPEN, RT_PLUGIN, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    c.opts.module_needle = RT_PLUGIN_NAME;
    const tt_image_t *im = run_one(&c);
    ck_assert_int_eq(im->needle_in_proc, 0); /* not loaded at start-up */
    ck_assert_int_ge(im->needle_in_stream, 1);
    ck_assert_uint_eq(im->sizes[700].allocs, (uint64_t)rt_value(&c, "plugin.allocs"));
    ck_assert_uint_eq(im->sizes[700].live, (uint64_t)rt_value(&c, "plugin.live"));
    ck_assert_uint_eq(tt_marked_allocs(im),
                      (uint64_t)(rt_value(&c, "plugin.allocs") + rt_value(&c, "main.allocs")));
    ck_assert_uint_eq(im->sizes[700].with_stack, im->sizes[700].allocs);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_cxx_new_delete_counted)
{
    static const char *const argv[] = {RT_VICTIM_CXX, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    const tt_image_t *im = run_one(&c);
    ck_assert_uint_eq(im->alloc_by_func[MTDB_FUNC_MALLOC], (uint64_t)rt_value(&c, "malloc"));
    /* libstdc++ 12 on glibc: aligned new is aligned_alloc */
    ck_assert_uint_eq(im->alloc_by_func[MTDB_FUNC_ALIGNED_ALLOC],
                      (uint64_t)rt_value(&c, "aligned"));
    ck_assert_uint_eq(tt_marked_allocs(im),
                      (uint64_t)(rt_value(&c, "malloc") + rt_value(&c, "aligned")));
    ck_assert_int_eq(rt_value(&c, "nothrow_failed"), 2);
    ck_assert_uint_eq(im->fail_by_func[MTDB_FUNC_MALLOC], 2);
    ck_assert_uint_eq(im->free_by_func[MTDB_FREE_FUNC_FREE], (uint64_t)rt_value(&c, "frees"));
    ck_assert_uint_eq(im->live_marked, 0);
    rt_teardown(&c);
}
END_TEST

static const tt_image_t *run_sites(rt_case_t *c, const char *preset)
{
    static const char *const argv[] = {RT_VICTIM_SITES, NULL};
    static char preset_env[64];
    snprintf(preset_env, sizeof preset_env, "MTDB_PRESET=%s", preset);
    rt_setup(c, argv);
    rt_env(c, preset_env);
    rt_env(c, "MTDB_SAMPLE_LARGE=41500"); /* site B's size and up always get a stack */
    rt_env(c, "MTDB_SAMPLE_FIRST=8");
    rt_env(c, "MTDB_SAMPLE_EVERY=64");
    return run_one(c);
}

/* Sampled-out allocations keep their call site as a one-frame stack: every record has
 * a stack and weight 1, and the full stacks skipped are counted. */
START_TEST(test_recorder_fast_preset_exact_with_weights)
{
    rt_case_t c;
    const tt_image_t *im = run_sites(&c, "fast");
    const tt_size_stat_t *a = &im->sizes[100], *b = &im->sizes[600];
    ck_assert_uint_eq(a->allocs, (uint64_t)rt_value(&c, "site_a.allocs")); /* all recorded */
    ck_assert_uint_eq(a->frees, a->allocs);
    ck_assert_uint_eq(a->with_stack, a->allocs); /* full or the site's frame */
    ck_assert_uint_eq(a->weight_stacked, a->allocs);
    ck_assert_uint_eq(a->weight_all, a->allocs); /* no row stands for others */
    /* first 8, then 1 in 64 get a full stack: 968 - (8 + 15) only their site */
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_STACKS_SAMPLED_OUT], 968 - (8 + 15));
    ck_assert_uint_eq(b->allocs, (uint64_t)rt_value(&c, "site_b.allocs"));
    ck_assert_uint_eq(b->with_stack, b->allocs); /* large: never sampled out */
    ck_assert_uint_eq(b->weight_stacked, b->allocs);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_leaks_preset_stacks_on_frees)
{
    rt_case_t c;
    const tt_image_t *im = run_sites(&c, "leaks");
    for (int k = 100; k <= 600; k += 500) {
        const tt_size_stat_t *s = &im->sizes[k];
        ck_assert_uint_gt(s->allocs, 0);
        ck_assert_uint_eq(s->with_stack, s->allocs);
        ck_assert_uint_eq(s->frees, s->allocs);
        ck_assert_uint_eq(s->frees_with_stack, s->frees);
    }
    ck_assert_uint_eq(im->sizes[100].allocs, (uint64_t)rt_value(&c, "site_a.allocs"));
    rt_teardown(&c);
}
END_TEST

static const tt_image_t *run_paused(rt_case_t *c)
{
    static const char *const argv[] = {RT_VICTIM_PAUSE, NULL};
    rt_setup(c, argv);
    rt_env(c, "MTDB_START=paused");
    return run_one(c);
}

START_TEST(test_recorder_paused_allocs_not_recorded)
{
    rt_case_t c;
    const tt_image_t *im = run_paused(&c);
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "resumed.allocs"));
    for (int k = 0; k < 5; k++)
        ck_assert_uint_eq(im->sizes[k].allocs, 0);
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_PAUSED_ALLOCS],
                      (uint64_t)rt_value(&c, "paused.allocs"));
    ck_assert_uint_eq(im->states[MTDB_STATE_RESUMED], 1);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_paused_frees_recorded)
{
    rt_case_t c;
    const tt_image_t *im = run_paused(&c);
    const tt_mark_t *a = tt_find_mark(im, "paused-frees-begin", MTDB_MARK_POINT);
    const tt_mark_t *b = tt_find_mark(im, "paused-frees-end", MTDB_MARK_POINT);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(b->frees - a->frees, (uint64_t)rt_value(&c, "paused.frees_while_paused"));
    ck_assert_uint_eq(b->allocs - a->allocs, 0);
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(&c, "resumed.allocs"));
    ck_assert_uint_ge(im->unmatched_frees, 5); /* the blocks made while paused */
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_marks_have_labels)
{
    rt_case_t c;
    const tt_image_t *im = run_paused(&c);
    const tt_mark_t *begin = tt_find_mark(im, "work", MTDB_MARK_PHASE_BEGIN);
    const tt_mark_t *end = tt_find_mark(im, "work", MTDB_MARK_PHASE_END);
    ck_assert_ptr_nonnull(begin);
    ck_assert_ptr_nonnull(end);
    ck_assert_uint_eq(end->allocs - begin->allocs, (uint64_t)rt_value(&c, "resumed.allocs"));
    /* the program's four, and the recorder's own when main returned (exit began) */
    ck_assert_uint_eq(im->nmarks, 5);
    ck_assert_ptr_nonnull(tt_find_mark(im, "mtdb:exit", MTDB_MARK_POINT));
    rt_teardown(&c);
}
END_TEST

/* MTDB_PAUSE_SIGNAL: the first signal pauses, the second resumes; frees are recorded
 * throughout, so only the blocks made while paused are missing. */
START_TEST(test_recorder_pause_signal_toggles)
{
    rt_case_t c;
    static const char *const argv[] = {RT_VICTIM_PAUSE_SIGNAL, NULL};
    rt_setup(&c, argv);
    rt_env(&c, "MTDB_PAUSE_SIGNAL=12"); /* SIGUSR2 */
    const tt_image_t *im = run_one(&c);
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "recorded.allocs"));
    for (int k = 300; k < 304; k++)
        ck_assert_uint_eq(im->sizes[k].allocs, 0);
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_PAUSED_ALLOCS],
                      (uint64_t)rt_value(&c, "paused.allocs"));
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(&c, "recorded.allocs"));
    ck_assert_uint_eq(im->unmatched_frees, (uint64_t)rt_value(&c, "paused.allocs"));
    ck_assert_uint_eq(im->states[MTDB_STATE_PAUSED], 1);
    ck_assert_uint_eq(im->states[MTDB_STATE_RESUMED], 1);
    rt_teardown(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder_features");
    RT_ADD(s, test_recorder_signal_handler_allocations_counted, 60);
    RT_ADD(s, test_recorder_dlopen_module_recorded, 60);
    RT_ADD(s, test_recorder_cxx_new_delete_counted, 60);
    RT_ADD(s, test_recorder_fast_preset_exact_with_weights, 60);
    RT_ADD(s, test_recorder_leaks_preset_stacks_on_frees, 60);
    RT_ADD(s, test_recorder_paused_allocs_not_recorded, 60);
    RT_ADD(s, test_recorder_paused_frees_recorded, 60);
    RT_ADD(s, test_recorder_marks_have_labels, 60);
    RT_ADD(s, test_recorder_pause_signal_toggles, 60);
    return rt_main(s);
}
