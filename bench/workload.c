/* workload.c: the benchmark's allocation workload, run bare and under each recorder.
 *
 * N threads each make --ops allocations at call depth --depth (non-inlined recursion,
 * no tail calls), with a size mix of mostly small, some medium and few large blocks,
 * and keep a window of live blocks; --cross percent of them are freed by the next
 * thread. It prints its own counts; it must behave the same with or without a recorder.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_error.h"
#include "bench_queue.h"
#include "bench_status.h"

#define WL_WINDOW 256     /* live blocks per thread */
#define WL_BATCH 32       /* blocks handed over per lock */
#define WL_DRAIN_EVERY 64 /* operations between looks at the inbox */

typedef struct wl_options {
    unsigned threads;
    unsigned depth;
    unsigned long ops;
    unsigned cross_pct;
    uint64_t seed;
} wl_options_t;

typedef struct wl_thread {
    _Alignas(64) unsigned id;
    uint64_t rng;
    void *window[WL_WINDOW];
    bench_chain_t outbox;
    bench_queue_t inbox;
    struct wl_thread *next; /* the thread our cross blocks go to */
    const wl_options_t *opt;
    pthread_barrier_t *barrier;
    bench_rss_t *peak; /* resident memory while every thread is alive and done */
    unsigned long allocs, frees, cross_frees;
} wl_thread_t;

/* ---- allocating at depth ----------------------------------------------------------- */

static __attribute__((noinline)) void *alloc_at(unsigned depth, size_t size)
{
    volatile unsigned level = depth;
    void *p = level <= 1 ? malloc(size) : alloc_at(level - 1, size);
    level = 0; /* work after the call: neither call is a tail call */
    return p;
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* 85% small (16..256), 13% medium (512..8192), 2% large (16 KiB..64 KiB). */
static size_t pick_size(uint64_t *rng)
{
    uint64_t r = next_random(rng);
    unsigned class = (unsigned)(r % 1000);
    r >>= 10;
    if (class < 850)
        return 16 + r % 241;
    if (class < 980)
        return 512 + r % 7681;
    return 16384 + r % 49153;
}

/* ---- one thread --------------------------------------------------------------------- */

static void free_chain(wl_thread_t *t, bench_chain_t c)
{
    for (void *p = c.head; p;) {
        void *next = bench_chain_next(p);
        free(p);
        t->frees++;
        t->cross_frees++;
        p = next;
    }
}

static void release_block(wl_thread_t *t, void *p)
{
    if (next_random(&t->rng) % 100 >= t->opt->cross_pct) {
        free(p);
        t->frees++;
        return;
    }
    bench_chain_push(&t->outbox, p);
    if (t->outbox.count >= WL_BATCH)
        bench_queue_give(&t->next->inbox, &t->outbox);
}

static void run_ops(wl_thread_t *t)
{
    for (unsigned long i = 0; i < t->opt->ops; i++) {
        void **slot = &t->window[i % WL_WINDOW];
        if (*slot)
            release_block(t, *slot);
        size_t size = pick_size(&t->rng);
        char *p = alloc_at(t->opt->depth, size);
        if (!p)
            abort();
        p[size - 1] = (char)i;
        *slot = p;
        t->allocs++;
        if (i % WL_DRAIN_EVERY == WL_DRAIN_EVERY - 1)
            free_chain(t, bench_queue_take(&t->inbox));
    }
}

static void *thread_main(void *arg)
{
    wl_thread_t *t = arg;
    pthread_barrier_wait(t->barrier);
    run_ops(t);
    bench_queue_give(&t->next->inbox, &t->outbox);
    if (pthread_barrier_wait(t->barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
        bench_read_rss(t->peak); /* every thread is alive, every hand-over done */
    pthread_barrier_wait(t->barrier);
    free_chain(t, bench_queue_take(&t->inbox));
    for (unsigned i = 0; i < WL_WINDOW; i++) {
        if (t->window[i]) {
            free(t->window[i]);
            t->frees++;
        }
    }
    return NULL;
}

/* ---- the run ------------------------------------------------------------------------ */

static void init_threads(wl_thread_t *ts, const wl_options_t *opt, pthread_barrier_t *b,
                         bench_rss_t *peak)
{
    for (unsigned i = 0; i < opt->threads; i++) {
        wl_thread_t *t = &ts[i];
        memset(t, 0, sizeof *t);
        t->id = i;
        t->rng = opt->seed * 0x9E3779B97F4A7C15ull + i + 1;
        t->next = &ts[(i + 1) % opt->threads];
        t->opt = opt;
        t->barrier = b;
        t->peak = peak;
        bench_queue_init(&t->inbox);
    }
}

static int start_and_join(wl_thread_t *ts, unsigned n)
{
    pthread_t ids[n];
    for (unsigned i = 0; i < n; i++)
        if (pthread_create(&ids[i], NULL, thread_main, &ts[i]) != 0)
            return BENCH_ETHREAD;
    for (unsigned i = 0; i < n; i++)
        pthread_join(ids[i], NULL);
    return BENCH_OK;
}

static int report_counts(const wl_thread_t *ts, const wl_options_t *opt, const bench_rss_t *peak)
{
    unsigned long allocs = 0, frees = 0, cross = 0;
    for (unsigned i = 0; i < opt->threads; i++) {
        allocs += ts[i].allocs;
        frees += ts[i].frees;
        cross += ts[i].cross_frees;
    }
    printf("workload: threads=%u depth=%u ops=%lu cross=%u allocs=%lu frees=%lu "
           "cross_frees=%lu events=%lu\n",
           opt->threads, opt->depth, opt->ops, opt->cross_pct, allocs, frees, cross,
           allocs + frees);
    printf("workload: peak rss_kb=%lu rss_anon_kb=%lu rss_file_kb=%lu rss_shmem_kb=%lu\n",
           peak->total_kb, peak->anon_kb, peak->file_kb, peak->shmem_kb);
    return allocs == frees ? BENCH_OK : BENCH_ECOUNT;
}

static int run_workload(const wl_options_t *opt)
{
    wl_thread_t *ts;
    if (posix_memalign((void **)&ts, 64, opt->threads * sizeof *ts) != 0)
        return BENCH_ENOMEM;
    pthread_barrier_t barrier;
    bench_rss_t peak = {0};
    pthread_barrier_init(&barrier, NULL, opt->threads);
    init_threads(ts, opt, &barrier, &peak);
    int rc = start_and_join(ts, opt->threads);
    if (rc == BENCH_OK)
        rc = report_counts(ts, opt, &peak);
    for (unsigned i = 0; i < opt->threads; i++)
        bench_queue_destroy(&ts[i].inbox);
    pthread_barrier_destroy(&barrier);
    free(ts);
    return rc;
}

/* ---- command line ------------------------------------------------------------------- */

static const char usage[] =
    "usage: bench_workload [--threads N] [--depth D] [--ops N] [--cross PCT] [--seed S]\n"
    "  N threads each make N allocations at call depth D; PCT%% of blocks are freed by\n"
    "  another thread. Defaults: --threads 1 --depth 5 --ops 100000 --cross 25 --seed 1\n";

static int parse_number(const char *text, unsigned long long max, unsigned long long *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || v > max)
        return BENCH_EUSAGE;
    *out = v;
    return BENCH_OK;
}

static int parse_option(int c, const char *arg, wl_options_t *opt)
{
    unsigned long long v;
    int rc = parse_number(arg, c == 'c' ? 100 : 1ull << 40, &v);
    if (rc != BENCH_OK)
        return rc;
    switch (c) {
    case 't':
        opt->threads = (unsigned)v;
        return v >= 1 && v <= 4096 ? BENCH_OK : BENCH_EUSAGE;
    case 'd':
        opt->depth = (unsigned)v;
        return v >= 1 && v <= 10000 ? BENCH_OK : BENCH_EUSAGE;
    case 'o':
        opt->ops = (unsigned long)v;
        return BENCH_OK;
    case 'c':
        opt->cross_pct = (unsigned)v;
        return BENCH_OK;
    case 's':
        opt->seed = v;
        return BENCH_OK;
    }
    return BENCH_EUSAGE;
}

static int parse_options(int argc, char **argv, wl_options_t *opt)
{
    static const struct option longs[] = {
        {"threads", required_argument, NULL, 't'}, {"depth", required_argument, NULL, 'd'},
        {"ops", required_argument, NULL, 'o'},     {"cross", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'},    {NULL, 0, NULL, 0}};
    *opt = (wl_options_t){1, 5, 100000, 25, 1};
    int c;
    while ((c = getopt_long(argc, argv, "t:d:o:c:s:", longs, NULL)) != -1)
        if (c == '?' || parse_option(c, optarg, opt) != BENCH_OK)
            return BENCH_EUSAGE;
    return optind == argc ? BENCH_OK : BENCH_EUSAGE;
}

int main(int argc, char **argv)
{
    wl_options_t opt;
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (parse_options(argc, argv, &opt) != BENCH_OK) {
        fputs(usage, stderr);
        return 2;
    }
    int rc = run_workload(&opt);
    if (rc != BENCH_OK)
        fprintf(stderr, "bench_workload: error: %s\n", bench_strerror(rc));
    return rc == BENCH_OK ? 0 : 1;
}
