/* test_rec_engine.c: the recorder's engine driven in-process, read back with the reader.
 *
 * Events go in through the same functions the hooks call (with made-up addresses), and
 * must come out of the trace files exactly: order, sizes, addresses, functions, thread
 * numbers, sequence numbers, block checksums. Runs under ASan/UBSan (MTDB_SANITIZE).
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tst_scratch.h"
#include "rec_internal.h"
#include "trace_reader.h"

static char scratch[512], out_dir[600];

static void start_engine(const char *preset, const char *block_kb)
{
    ck_assert_int_eq(tst_scratch_make(scratch, sizeof scratch, "unit"), 0);
    snprintf(out_dir, sizeof out_dir, "%s/out", scratch);
    setenv("MTDB_OUTPUT", out_dir, 1);
    setenv("MTDB_PRESET", preset, 1);
    setenv("MTDB_BLOCK_KB", block_kb, 1);
    setenv("MTDB_CHUNK_MB", "1", 1);
    rec_init();
    ck_assert(rec_ready());
}

/* ---- reading a directory back ------------------------------------------------------ */

typedef struct ev {
    uint8_t type, sub;
    uint32_t thread;
    uint64_t seq, addr, old_addr, size, stack, weight, ts;
} ev_t;

typedef struct tally {
    ev_t *evs;
    size_t n, cap;
    unsigned files, diags, gaps, thread_last_blocks;
    uint64_t events_lost;
    uint64_t dropped_write_error; /* from the last COUNTERS per thread, summed */
    uint64_t counters_last[1024][MTDB_COUNTER_COUNT];
} tally_t;

static void on_diag(void *ctx, const mtdb_diag_t *d)
{
    tally_t *t = ctx;
    if (d->kind == MTDB_DIAG_EVENT_GAP) {
        t->gaps++;
        t->events_lost += d->events_lost;
    } else {
        fprintf(stderr, "unexpected diagnostic: %s\n", d->message);
        t->diags++;
    }
}

static void read_file(tally_t *t, const char *path)
{
    mtdb_reader_t *r;
    char msg[256];
    ck_assert_msg(mtdb_reader_open(path, &r, msg, sizeof msg) == 0, "%s", msg);
    mtdb_reader_set_diag(r, on_diag, t);
    mtdb_record_t rec;
    int rc;
    uint64_t last_block = UINT64_MAX;
    while ((rc = mtdb_reader_next(r, &rec)) == 1) {
        if ((rec.block_flags & MTDB_BLOCK_THREAD_LAST) && rec.block_offset != last_block) {
            t->thread_last_blocks++;
            last_block = rec.block_offset;
        }
        if (rec.type == MTDB_REC_COUNTERS && rec.thread < 1024) /* cumulative: keep the most */
            for (int i = 0; i < MTDB_COUNTER_COUNT; i++)
                if (rec.counters[i] > t->counters_last[rec.thread][i])
                    t->counters_last[rec.thread][i] = rec.counters[i];
        if (rec.type < MTDB_REC_ALLOC || rec.type > MTDB_REC_FAIL)
            continue;
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 4096;
            t->evs = realloc(t->evs, t->cap * sizeof *t->evs);
        }
        t->evs[t->n++] = (ev_t){rec.type, rec.sub, rec.thread, rec.seq, rec.addr, rec.old_addr,
                                rec.size, rec.stack_id, rec.weight, rec.ts_ns};
    }
    ck_assert_int_eq(rc, 0);
    mtdb_reader_close(r);
    t->files++;
}

static void read_dir(tally_t *t)
{
    memset(t, 0, sizeof *t);
    DIR *d = opendir(out_dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", out_dir, de->d_name);
        read_file(t, path);
    }
    closedir(d);
    for (uint32_t th = 0; th < 1024; th++)
        t->dropped_write_error += t->counters_last[th][MTDB_COUNTER_DROPPED_WRITE_ERROR];
}

/* Events of one thread number, in stream order. */
static size_t events_of(const tally_t *t, uint32_t thread, const ev_t **out, ev_t *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n && k < cap; i++)
        if (t->evs[i].thread == thread)
            buf[k++] = t->evs[i];
    *out = buf;
    return k;
}

/* ---- a deterministic event script ---------------------------------------------------- */

static uint64_t addr_of(unsigned worker, unsigned i) { return 0x100000000ull * (worker + 1) + 16ull * i; }
static uint64_t size_of(unsigned i) { return (i * 7919u) % 100000u + 1; }

/* Per i: malloc, then every 3rd a calloc fail, every 5th a realloc, then a free. */
static void run_script(unsigned worker, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        rec_on_alloc(MTDB_FUNC_MALLOC, (void *)addr_of(worker, i), size_of(i), 0x1234);
        if (i % 3 == 0)
            rec_on_fail(MTDB_FUNC_CALLOC, (size_t)-1);
        uint64_t a = addr_of(worker, i);
        if (i % 5 == 0) {
            uint64_t before = rec_now_ns();
            rec_on_realloc(MTDB_FUNC_REALLOC, (void *)a, (void *)(a + 8), size_of(i) * 2, before,
                           0x5678);
            a += 8;
        }
        rec_on_free(MTDB_FREE_FUNC_FREE, (void *)a, 0);
    }
}

static size_t script_events(unsigned n)
{
    size_t k = 0;
    for (unsigned i = 0; i < n; i++)
        k += 2 + (i % 3 == 0) + (i % 5 == 0);
    return k;
}

static void check_script(const ev_t *e, size_t count, unsigned worker, unsigned n)
{
    ck_assert_uint_eq(count, script_events(n));
    size_t k = 0;
    uint64_t last_ts = 0;
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq(e[k].type, MTDB_REC_ALLOC);
        ck_assert_uint_eq(e[k].sub, MTDB_FUNC_MALLOC);
        ck_assert_uint_eq(e[k].addr, addr_of(worker, i));
        ck_assert_uint_eq(e[k].size, size_of(i));
        ck_assert_uint_ge(e[k].ts, last_ts);
        last_ts = e[k].ts;
        ck_assert_uint_eq(e[k].seq, k);
        k++;
        if (i % 3 == 0) {
            ck_assert_uint_eq(e[k].type, MTDB_REC_FAIL);
            ck_assert_uint_eq(e[k].sub, MTDB_FUNC_CALLOC);
            ck_assert_uint_eq(e[k].size, (uint64_t)(size_t)-1);
            k++;
        }
        uint64_t a = addr_of(worker, i);
        if (i % 5 == 0) {
            ck_assert_uint_eq(e[k].type, MTDB_REC_REALLOC);
            ck_assert_uint_eq(e[k].old_addr, a);
            ck_assert_uint_eq(e[k].addr, a + 8);
            ck_assert_uint_eq(e[k].size, size_of(i) * 2);
            a += 8;
            k++;
        }
        ck_assert_uint_eq(e[k].type, MTDB_REC_FREE);
        ck_assert_uint_eq(e[k].addr, a);
        ck_assert_uint_eq(e[k].seq, k);
        k++;
    }
}

/* ---- tests ------------------------------------------------------------------------- */

START_TEST(test_rec_engine_one_thread_exact)
{
    start_engine("precise", "1"); /* 1 KiB blocks: many blocks and chunks */
    run_script(0, 20000);
    rec_thread_exit_handler();
    tally_t t;
    read_dir(&t);
    ck_assert_uint_eq(t.diags, 0);
    ck_assert_uint_eq(t.gaps, 0);
    ck_assert_uint_eq(t.files, 2); /* the process file and one stream */
    static ev_t buf[200000];
    const ev_t *e;
    size_t n = events_of(&t, 1, &e, buf, 200000);
    check_script(e, n, 0, 20000);
    ck_assert_uint_eq(t.counters_last[1][MTDB_COUNTER_EVENTS], script_events(20000));
    ck_assert_uint_eq(t.counters_last[1][MTDB_COUNTER_DROPPED_WRITE_ERROR], 0);
    free(t.evs);
}
END_TEST

static void *worker_main(void *arg)
{
    run_script((unsigned)(uintptr_t)arg, 3000);
    return NULL; /* the thread-exit destructor writes the THREAD_LAST block */
}

START_TEST(test_rec_engine_threads_recycle_streams)
{
    /* The frame-pointer walker here: libunwind's own thread-exit destructor is not
     * instrumented and trips ThreadSanitizer; the walker under test is ours. */
    setenv("MTDB_UNWIND", "fp", 1);
    start_engine("precise", "4");
    rec_on_alloc(MTDB_FUNC_MALLOC, (void *)0x10, 1, 0); /* attach the main thread first */
    const unsigned batches = 16, per_batch = 4;
    for (unsigned b = 0; b < batches; b++) {
        pthread_t th[4];
        for (unsigned k = 0; k < per_batch; k++)
            pthread_create(&th[k], NULL, worker_main, (void *)(uintptr_t)(b * per_batch + k));
        for (unsigned k = 0; k < per_batch; k++)
            pthread_join(th[k], NULL);
    }
    tally_t t;
    read_dir(&t);
    ck_assert_uint_eq(t.diags, 0);
    ck_assert_uint_eq(t.gaps, 0);
    /* 64 threads ran, at most 4 at a time: files = process + main + <= 4 streams. */
    ck_assert_uint_le(t.files, 1 + 1 + per_batch);
    ck_assert_uint_eq(t.thread_last_blocks, batches * per_batch);
    /* Thread numbers 2..65 are the workers; each one's events are its script, exactly.
     * Which worker got which number depends on scheduling: match by address. */
    static ev_t buf[50000];
    unsigned seen[64] = {0};
    for (uint32_t th = 2; th < 2 + batches * per_batch; th++) {
        const ev_t *e;
        size_t n = events_of(&t, th, &e, buf, 50000);
        ck_assert_uint_gt(n, 0);
        unsigned worker = (unsigned)(e[0].addr / 0x100000000ull) - 1;
        ck_assert_uint_lt(worker, 64);
        seen[worker]++;
        check_script(e, n, worker, 3000);
    }
    for (unsigned w = 0; w < 64; w++)
        ck_assert_uint_eq(seen[w], 1);
    free(t.evs);
}
END_TEST

START_TEST(test_rec_engine_file_size_limit_counts_drops)
{
    struct rlimit lim = {256 * 1024, 256 * 1024};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    start_engine("precise", "4");
    const unsigned n = 60000; /* far more than 256 KiB of records */
    run_script(0, n);
    rec_thread_exit_handler();
    tally_t t;
    read_dir(&t);
    ck_assert_uint_eq(t.diags, 0);
    uint64_t dropped = t.counters_last[1][MTDB_COUNTER_DROPPED_WRITE_ERROR];
    ck_assert_uint_gt(dropped, 0);
    /* Nothing lost silently: decoded + dropped = made; the gap says the same. */
    ck_assert_uint_eq(t.n + dropped, script_events(n));
    ck_assert_uint_eq(t.events_lost, dropped);
    free(t.evs);
}
END_TEST

START_TEST(test_rec_engine_reentered_events_are_kept)
{
    start_engine("precise", "32");
    rec_on_alloc(MTDB_FUNC_MALLOC, (void *)0x1000, 10, 0);
    rec_thread_t *t = rec_tls;
    ck_assert_int_eq(t->mode, REC_ACTIVE);
    /* As if the unwinder or a signal handler called malloc while we were busy. */
    t->depth = 1;
    rec_on_alloc(MTDB_FUNC_MALLOC, (void *)0x2000, 20, 0);
    rec_on_free(MTDB_FREE_FUNC_FREE, (void *)0x2000, 0);
    /* Left, but not yet written: a signal came after the outer call had left, before it
     * could write the queue. The handler's next allocation, of the same block, must come
     * after the queued allocation and free of it, or the block reads as allocated twice. */
    t->depth = 0;
    ck_assert_uint_eq(t->pending_n, 2);
    rec_on_alloc(MTDB_FUNC_MALLOC, (void *)0x2000, 20, 0); /* writes the queue first */
    ck_assert_uint_eq(t->pending_n, 0);
    rec_on_free(MTDB_FREE_FUNC_FREE, (void *)0x1000, 0);
    rec_thread_exit_handler();
    tally_t ta;
    read_dir(&ta);
    ck_assert_uint_eq(ta.diags, 0);
    ck_assert_uint_eq(ta.n, 5);
    ck_assert_uint_eq(ta.evs[1].addr, 0x2000); /* the queue, then the new allocation */
    ck_assert_uint_eq(ta.evs[1].type, MTDB_REC_ALLOC);
    ck_assert_uint_eq(ta.evs[1].stack, 0);
    ck_assert_uint_eq(ta.evs[2].addr, 0x2000);
    ck_assert_uint_eq(ta.evs[2].type, MTDB_REC_FREE);
    ck_assert_uint_eq(ta.evs[3].addr, 0x2000);
    ck_assert_uint_eq(ta.evs[3].type, MTDB_REC_ALLOC);
    ck_assert_uint_ne(ta.evs[3].stack, 0);
    ck_assert_uint_eq(ta.evs[4].addr, 0x1000);
    ck_assert_uint_eq(ta.evs[4].type, MTDB_REC_FREE);
    ck_assert_uint_eq(ta.counters_last[1][MTDB_COUNTER_REENTRANT], 2);
    free(ta.evs);
}
END_TEST

START_TEST(test_rec_engine_fast_preset_weights_sum)
{
    setenv("MTDB_SAMPLE_FIRST", "4", 1);
    setenv("MTDB_SAMPLE_EVERY", "10", 1);
    setenv("MTDB_SAMPLE_LARGE", "1000", 1);
    start_engine("fast", "32");
    const unsigned n = 1004; /* 4 always sampled, then 1000 more: 100 sampled */
    for (unsigned i = 0; i < n; i++)
        rec_on_alloc(MTDB_FUNC_MALLOC, (void *)(uintptr_t)(0x1000 + 16 * i), 8, 0x42);
    rec_on_alloc(MTDB_FUNC_MALLOC, (void *)0x900000, 5000, 0x42); /* large: always */
    rec_thread_exit_handler();
    tally_t t;
    read_dir(&t);
    ck_assert_uint_eq(t.n, n + 1);
    /* Every record has a stack and weight 1: the full one (4 first, then 1 in 10) or the
     * one-frame stack of its site, defined once. */
    uint32_t full = t.evs[0].stack, site = 0;
    uint64_t weight_sum = 0, with_full = 0, with_site = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_ne(t.evs[i].stack, 0);
        weight_sum += t.evs[i].weight;
        if (t.evs[i].stack == full) {
            with_full++;
            continue;
        }
        if (!site)
            site = t.evs[i].stack;
        ck_assert_uint_eq(t.evs[i].stack, site);
        with_site++;
    }
    ck_assert_uint_eq(with_full, 4 + 100);
    ck_assert_uint_eq(with_site, n - (4 + 100));
    ck_assert_uint_eq(weight_sum, n);
    ck_assert_uint_ne(t.evs[n].stack, 0);
    ck_assert_uint_eq(t.evs[n].weight, 1);
    free(t.evs);
}
END_TEST

/* The recorder keeps no file open once a case has read its trace back. */
static void remove_scratch(void)
{
    if (scratch[0])
        ck_assert_msg(tst_scratch_remove(scratch) == 0, "cannot remove %s", scratch);
}

int main(void)
{
    Suite *s = suite_create("recorder_engine");
    TCase *tc = tcase_create("engine");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, remove_scratch);
    tcase_add_test(tc, test_rec_engine_one_thread_exact);
    tcase_add_test(tc, test_rec_engine_threads_recycle_streams);
    tcase_add_test(tc, test_rec_engine_file_size_limit_counts_drops);
    tcase_add_test(tc, test_rec_engine_reentered_events_are_kept);
    tcase_add_test(tc, test_rec_engine_fast_preset_weights_sum);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    return tst_run_runner(sr, NULL);
}
