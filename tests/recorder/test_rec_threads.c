/* test_rec_threads.c: 128 threads handing blocks to each other, and 10,000 short-lived
 * threads, counted exactly; the lock build must agree with the lock-free one.
 *
 * Per-thread totals are matched through the kernel tid each victim thread reports and
 * the tid in its THREAD record.
 */
#include "rt_fixture.h"

#define PRODUCERS 64
#define CONSUMERS 64
#define PER_PRODUCER 200
#define CHURN_THREADS 10000
#define CHURN_BATCH 50

static void run_queue(rt_case_t *c, const char *preload)
{
    static const char *const argv[] = {RT_VICTIM_THREADS, "queue", "64", "64", "200", NULL};
    rt_setup(c, argv);
    c->spec.preload = preload;
    rt_go(c);
    rt_assert_clean_exit(c);
    rt_assert_undamaged(c);
    rt_assert_images(c, 1);
}

static void expect_queue_totals(rt_case_t *c)
{
    const tt_image_t *im = &c->tally.images[0];
    ck_assert_int_eq(rt_value(c, "allocs"), PRODUCERS * PER_PRODUCER);
    ck_assert_uint_eq(im->alloc_by_func[MTDB_FUNC_MALLOC], (uint64_t)rt_value(c, "allocs"));
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(c, "allocs"));
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(c, "frees"));
    ck_assert_uint_eq(im->cross_thread_frees, (uint64_t)rt_value(c, "cross_frees"));
    ck_assert_uint_eq(im->live_marked, 0);
    for (int p = 0; p < PRODUCERS; p++) { /* each size is one producer's */
        ck_assert_uint_eq(im->sizes[p].allocs, PER_PRODUCER);
        ck_assert_uint_eq(im->sizes[p].frees, PER_PRODUCER);
    }
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR], 0);
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_DROPPED_REENTRY_FULL], 0);
}

/* Every victim thread's numbers are its THREAD's numbers; every one that made a heap call
 * is there (a consumer that found the queue empty every time made none, and has none). */
static void expect_per_thread(rt_case_t *c)
{
    tt_image_t *im = &c->tally.images[0];
    int matched = 0;
    char key[96];
    for (uint32_t n = 1; n < im->nthreads; n++) {
        tt_thread_t *th = &im->threads[n];
        if (!th->thread_records)
            continue;
        snprintf(key, sizeof key, "thread.%llu.allocs", (unsigned long long)th->tid);
        long long allocs = tt_value(&c->res, key);
        if (allocs == TT_MISSING) { /* main: makes no marked block */
            ck_assert_uint_eq(th->marked_allocs, 0);
            continue;
        }
        snprintf(key, sizeof key, "thread.%llu.frees", (unsigned long long)th->tid);
        ck_assert_uint_eq(th->marked_allocs, (uint64_t)allocs);
        ck_assert_uint_eq(th->marked_frees, (uint64_t)rt_value(c, key));
        matched++;
    }
    ck_assert_int_eq(matched, rt_value(c, "busy_threads"));
    ck_assert_int_ge(matched, PRODUCERS + 1);
    ck_assert_int_eq(rt_value(c, "threads"), PRODUCERS + CONSUMERS);
}

START_TEST(test_recorder_threads_cross_frees_exact)
{
    rt_case_t c;
    run_queue(&c, RT_MTREC);
    expect_queue_totals(&c);
    ck_assert_uint_gt(c.tally.images[0].cross_thread_frees, 0);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_threads_per_thread_totals)
{
    rt_case_t c;
    run_queue(&c, RT_MTREC);
    expect_per_thread(&c);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_lock_build_same_counts)
{
#ifdef RT_MTREC_LOCK
    rt_case_t c;
    run_queue(&c, RT_MTREC_LOCK);
    expect_queue_totals(&c);
    expect_per_thread(&c);
    rt_teardown(&c);
#endif
}
END_TEST

/* A thread with a cancellation pending makes its first heap calls: the recorder creates
 * its files then, with no cancellation point on the way, so the thread goes on past
 * malloc as it does unrecorded, and every block is in the trace. */
START_TEST(test_recorder_cancel_pending_not_acted_on_in_malloc)
{
    rt_case_t c;
    static const char *const argv[] = {RT_VICTIM_THREADS, "cancel", NULL};
    rt_setup(&c, argv);
    rt_go(&c);
    rt_assert_clean_exit(&c);
    rt_assert_undamaged(&c);
    rt_assert_images(&c, 1);
    ck_assert_int_eq(rt_value(&c, "reached"), 2);
    ck_assert_int_eq(rt_value(&c, "cancelled"), 1);
    tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), 101);
    ck_assert_uint_eq(tt_marked_frees(im), 101);
    rt_teardown(&c);
}
END_TEST

/* Stack of a heap call: a thread's malloc/free pairs touch at most 2 KiB more of its
 * stack recorded than bare (a coroutine's or a small thread's stack has little to
 * spare). The walk's frames live in the thread's state, not on the stack; on the
 * stack they were 2.2 KiB of the 3.6 KiB more. */
START_TEST(test_recorder_heap_call_stack_use_bounded)
{
    static const char *const argv[] = {RT_VICTIM_THREADS, "stack", "1000", NULL};
    rt_case_t bare, recorded;
    rt_setup(&bare, argv);
    bare.spec.preload = NULL; /* no trace to decode: run only */
    ck_assert_int_eq(tt_run(&bare.spec, bare.scratch, &bare.res), 0);
    rt_assert_clean_exit(&bare);
    long long bare_bytes = rt_value(&bare, "stack.steady");
    rt_teardown(&bare);
    rt_setup(&recorded, argv);
    rt_go(&recorded);
    rt_assert_clean_exit(&recorded);
    rt_assert_images(&recorded, 1);
    ck_assert_uint_eq(tt_marked_allocs(&recorded.tally.images[0]), 1001);
    long long recorded_bytes = rt_value(&recorded, "stack.steady");
    ck_assert_msg(recorded_bytes - bare_bytes <= 2048, "%lld bytes of stack recorded, %lld bare",
                  recorded_bytes, bare_bytes);
    rt_teardown(&recorded);
}
END_TEST

static void run_churn(rt_case_t *c)
{
    static const char *const argv[] = {RT_VICTIM_THREADS, "churn", "10000", "50", NULL};
    rt_setup(c, argv);
    c->spec.timeout_ms = 100000;
    rt_go(c);
    rt_assert_clean_exit(c);
    rt_assert_undamaged(c);
    rt_assert_images(c, 1);
}

START_TEST(test_recorder_thread_churn_exact)
{
    rt_case_t c;
    run_churn(&c);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_int_eq(rt_value(&c, "threads"), CHURN_THREADS);
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "allocs"));
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(&c, "frees"));
    ck_assert_uint_eq(im->cross_thread_frees, (uint64_t)rt_value(&c, "cross_frees"));
    ck_assert_uint_eq(im->live_marked, 0);
    uint32_t threads = 0;
    for (uint32_t n = 1; n < im->nthreads; n++)
        threads += im->threads[n].thread_records == 1 && im->threads[n].marked_allocs == 2;
    ck_assert_uint_eq(threads, CHURN_THREADS);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_thread_churn_files_bounded)
{
    rt_case_t c;
    run_churn(&c);
    int files = tt_count_files(c.trace, ".trace");
    /* at most main plus one batch write at once: streams are recycled, not per thread */
    ck_assert_msg(files >= 2 && files <= CHURN_BATCH + 1, "%d stream files", files);
    ck_assert_int_eq(tt_count_files(c.trace, ".proc"), 1);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_thread_churn_holds_no_fds)
{
    rt_case_t c;
    run_churn(&c);
    ck_assert_int_eq(rt_value(&c, "fds_after"), rt_value(&c, "fds_before"));
    ck_assert_int_eq(rt_value(&c, "trace_fds_before"), 0);
    ck_assert_int_eq(rt_value(&c, "trace_fds_max"), 0); /* none after any batch */
    ck_assert_int_eq(rt_value(&c, "trace_fds_after"), 0);
    /* stdin, stdout, stderr: libunwind's validation pipe is never opened */
    ck_assert_int_eq(rt_value(&c, "fds_before"), 3);
    rt_teardown(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder_threads");
    RT_ADD(s, test_recorder_threads_cross_frees_exact, 60);
    RT_ADD(s, test_recorder_threads_per_thread_totals, 60);
    RT_ADD(s, test_recorder_cancel_pending_not_acted_on_in_malloc, 60);
    RT_ADD(s, test_recorder_heap_call_stack_use_bounded, 60);
#ifdef RT_MTREC_LOCK
    RT_ADD(s, test_recorder_lock_build_same_counts, 60);
#else
    RT_ADD_SKIP(s, test_recorder_lock_build_same_counts, 60, "built without MTDB_GLOBAL_LOCK");
#endif
    RT_ADD(s, test_recorder_thread_churn_exact, 110);
    RT_ADD(s, test_recorder_thread_churn_files_bounded, 110);
    RT_ADD(s, test_recorder_thread_churn_holds_no_fds, 110);
    return rt_main(s);
}
