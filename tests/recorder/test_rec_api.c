/* test_rec_api.c: every heap entry point and its edge cases, counted exactly.
 *
 * victim_api calls one group of functions (successes, failures, realloc's special
 * cases, free(NULL)) and reports what happened; the trace must say the same, function
 * by function, and free must leave errno alone.
 */
#include "rt_fixture.h"

static const char *const func_names[10] = {
    "",         "malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
    "memalign", "valloc", "pvalloc"};

static void run_group(rt_case_t *c, const char *group)
{
    static const char *argv[3] = {RT_VICTIM_API, NULL, NULL};
    argv[1] = group;
    rt_setup(c, argv);
    rt_go(c);
    rt_assert_clean_exit(c);
    rt_assert_undamaged(c);
    rt_assert_images(c, 1);
}

static void expect(rt_case_t *c, const char *key, uint64_t traced)
{
    long long said = rt_value(c, key);
    ck_assert_msg(traced == (uint64_t)said, "%s: the victim says %lld, the trace %llu", key, said,
                  (unsigned long long)traced);
}

/* Every per-function number of the trace equals the victim's. */
static void expect_all_counts(rt_case_t *c)
{
    const tt_image_t *im = &c->tally.images[0];
    char key[64];
    for (int f = 1; f <= 9; f++) {
        snprintf(key, sizeof key, "alloc.%d.%s", f, func_names[f]);
        expect(c, key, im->alloc_by_func[f]);
        snprintf(key, sizeof key, "fail.%d.%s", f, func_names[f]);
        expect(c, key, im->fail_by_func[f]);
        snprintf(key, sizeof key, "realloc.%d.%s", f, func_names[f]);
        expect(c, key, im->realloc_by_func[f]);
    }
    expect(c, "free.free", im->free_by_func[MTDB_FREE_FUNC_FREE]);
    expect(c, "free.realloc", im->free_by_func[MTDB_FREE_FUNC_REALLOC]);
    expect(c, "free.reallocarray", im->free_by_func[MTDB_FREE_FUNC_REALLOCARRAY]);
    expect(c, "moved", im->realloc_moved);
    expect(c, "live", im->live_marked);
    expect(c, "zero_mallocs", im->zero_mallocs);
}

START_TEST(test_recorder_malloc_calloc_counted)
{
    rt_case_t c;
    run_group(&c, "plain");
    expect_all_counts(&c);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(im->alloc_by_func[MTDB_FUNC_MALLOC], 13); /* 10 + 3 kept */
    ck_assert_uint_eq(im->alloc_by_func[MTDB_FUNC_CALLOC], 5);
    ck_assert_uint_eq(im->fail_by_func[MTDB_FUNC_CALLOC], 2);
    ck_assert_uint_eq(im->fail_sizes[MTDB_FUNC_CALLOC], SIZE_MAX); /* n * size overflowed */
    ck_assert_uint_eq(im->fail_by_func[MTDB_FUNC_MALLOC], 2);
    ck_assert_uint_eq(im->fail_sizes[MTDB_FUNC_MALLOC], SIZE_MAX - 4096);
    ck_assert_uint_eq(im->zero_mallocs, 3);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_realloc_semantics)
{
    rt_case_t c;
    run_group(&c, "realloc");
    expect_all_counts(&c);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(im->alloc_by_func[MTDB_FUNC_REALLOC], 1);   /* realloc(NULL, n) */
    ck_assert_uint_eq(im->realloc_by_func[MTDB_FUNC_REALLOC], 2); /* grow, shrink */
    ck_assert_uint_ge(im->realloc_moved, 1);
    ck_assert_uint_eq(im->fail_by_func[MTDB_FUNC_REALLOC], 1); /* the old block stayed */
    ck_assert_uint_eq(im->fail_sizes[MTDB_FUNC_REALLOC], SIZE_MAX - 4096);
    ck_assert_uint_eq(im->free_by_func[MTDB_FREE_FUNC_REALLOC], 1); /* realloc(p, 0) */
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_reallocarray_semantics)
{
    rt_case_t c;
    run_group(&c, "reallocarray");
    expect_all_counts(&c);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(im->alloc_by_func[MTDB_FUNC_REALLOCARRAY], 1);
    ck_assert_uint_eq(im->realloc_by_func[MTDB_FUNC_REALLOCARRAY], 1);
    ck_assert_uint_eq(im->fail_by_func[MTDB_FUNC_REALLOCARRAY], 1);
    ck_assert_uint_eq(im->fail_sizes[MTDB_FUNC_REALLOCARRAY], SIZE_MAX); /* overflowed */
    ck_assert_uint_eq(im->free_by_func[MTDB_FREE_FUNC_REALLOCARRAY], 1);
    /* reallocarray is one call: nothing may show up as a realloc as well */
    ck_assert_uint_eq(im->alloc_by_func[MTDB_FUNC_REALLOC], 0);
    ck_assert_uint_eq(im->realloc_by_func[MTDB_FUNC_REALLOC], 0);
    ck_assert_uint_eq(im->free_by_func[MTDB_FREE_FUNC_REALLOC], 0);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_aligned_entry_points)
{
    rt_case_t c;
    run_group(&c, "aligned");
    expect_all_counts(&c);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_int_eq(rt_value(&c, "posix_memalign.einval"), 2);
    ck_assert_int_eq(rt_value(&c, "posix_memalign.enomem"), 2);
    ck_assert_uint_eq(im->alloc_by_func[MTDB_FUNC_POSIX_MEMALIGN], 3);
    ck_assert_uint_eq(im->fail_by_func[MTDB_FUNC_POSIX_MEMALIGN], 4);
    for (int f = MTDB_FUNC_ALIGNED_ALLOC; f <= MTDB_FUNC_PVALLOC; f++)
        ck_assert_uint_eq(im->alloc_by_func[f], 2);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_free_null_no_event)
{
    rt_case_t c;
    run_group(&c, "edge");
    const tt_image_t *im = &c.tally.images[0];
    const tt_mark_t *a = tt_find_mark(im, "free-null-begin", MTDB_MARK_POINT);
    const tt_mark_t *b = tt_find_mark(im, "free-null-end", MTDB_MARK_POINT);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(a->thread, b->thread);
    ck_assert_uint_eq(b->frees - a->frees, 0);
    ck_assert_uint_eq(b->allocs - a->allocs, 0);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_free_preserves_errno)
{
    rt_case_t c;
    run_group(&c, "edge");
    expect_all_counts(&c);
    ck_assert_int_eq(rt_value(&c, "errno_after_free"), 1234);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_process_file_matches_pid)
{
    rt_case_t c;
    run_group(&c, "edge");
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(im->pid, (uint64_t)rt_value(&c, "pid"));
    ck_assert_uint_eq(im->pid, (uint64_t)c.res.pid);
    ck_assert_int_eq(im->exit_records, 1);
    ck_assert_uint_eq(im->exit_how, MTDB_EXIT_ATEXIT);
    ck_assert_int_eq(im->stream_files, 1);
    ck_assert_int_eq(im->threads[1].thread_records, 1);
    ck_assert_uint_eq(im->threads[1].tid, (uint64_t)c.res.pid);
    ck_assert_uint_eq(im->threads[1].flags & MTDB_THREAD_MAIN, MTDB_THREAD_MAIN);
    rt_teardown(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder_api");
    RT_ADD(s, test_recorder_malloc_calloc_counted, 60);
    RT_ADD(s, test_recorder_realloc_semantics, 60);
    RT_ADD(s, test_recorder_reallocarray_semantics, 60);
    RT_ADD(s, test_recorder_aligned_entry_points, 60);
    RT_ADD(s, test_recorder_free_null_no_event, 60);
    RT_ADD(s, test_recorder_free_preserves_errno, 60);
    RT_ADD(s, test_recorder_process_file_matches_pid, 60);
    return rt_main(s);
}
