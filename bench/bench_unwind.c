/* bench_unwind.c: what one bare stack capture costs, for comparison with the recorder.
 *
 * A thread descends --depth non-inlined frames, then times unw_backtrace (libunwind's
 * lock-free walker, the recorder's default) and a plain frame-pointer walk, in rounds,
 * and prints the median ns per call. Thread CPU time, not wall time: time spent waiting
 * for a shared core does not count. Never allocates inside the timed loops.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_error.h"

#define UW_ROUNDS 7
#define UW_MAX_FRAMES 80 /* what the recorder asks for at its default depth: 64 + 16 */

typedef struct uw_options {
    unsigned depth;
    unsigned long iterations;
} uw_options_t;

typedef struct uw_result {
    double unw_ns, fp_ns;
    int unw_frames, fp_frames;
} uw_result_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uintptr_t stack_lo, stack_hi; /* the timing thread's stack: frames must lie in it */

static void find_stack_bounds(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    stack_lo = (uintptr_t)addr;
    stack_hi = stack_lo + size;
}

/* The recorder's frame-pointer walk (rec_fp_walk in recorder/rec_stack.c, the same rules):
 * stops at a record outside the stack, misaligned, not above the one before, or with a
 * return address in the first page. Compares against hi - 16, never fp + 16, which wraps
 * for the garbage rbp of code built without frame pointers. */
static __attribute__((noinline)) int walk_frame_pointers(void **out, int max)
{
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    int n = 0;
    while (n < max && !(fp & 7) && fp >= stack_lo && fp < stack_hi && stack_hi - fp >= 16) {
        const uintptr_t *record = (const uintptr_t *)fp;
        if (record[1] < 4096)
            break;
        out[n++] = (void *)record[1];
        if (record[0] <= fp)
            break;
        fp = record[0];
    }
    return n;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median ns per call of `walker` over UW_ROUNDS rounds; *frames gets its frame count. */
static double time_walker(int (*walker)(void **, int), unsigned long iterations, int *frames)
{
    void *buf[UW_MAX_FRAMES];
    double rounds[UW_ROUNDS];
    *frames = walker(buf, UW_MAX_FRAMES); /* warm caches, as a running recorder has */
    for (int r = 0; r < UW_ROUNDS; r++) {
        uint64_t start = now_ns();
        for (unsigned long i = 0; i < iterations; i++)
            walker(buf, UW_MAX_FRAMES);
        rounds[r] = (double)(now_ns() - start) / (double)iterations;
    }
    qsort(rounds, UW_ROUNDS, sizeof rounds[0], compare_double);
    return rounds[UW_ROUNDS / 2];
}

static __attribute__((noinline)) void descend(unsigned depth, const uw_options_t *opt,
                                              uw_result_t *res)
{
    volatile unsigned level = depth;
    if (level > 1) {
        descend(level - 1, opt, res);
    } else {
        res->unw_ns = time_walker(unw_backtrace, opt->iterations, &res->unw_frames);
        res->fp_ns = time_walker(walk_frame_pointers, opt->iterations, &res->fp_frames);
    }
    level = 0; /* work after the call: not a tail call */
}

typedef struct uw_job {
    const uw_options_t *opt;
    uw_result_t res;
} uw_job_t;

static void *thread_main(void *arg)
{
    uw_job_t *job = arg;
    find_stack_bounds();
    descend(job->opt->depth, job->opt, &job->res);
    return NULL;
}

static int parse_options(int argc, char **argv, uw_options_t *opt)
{
    *opt = (uw_options_t){30, 200000};
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            return BENCH_EUSAGE;
        char *end;
        unsigned long v = strtoul(argv[i + 1], &end, 10);
        if (*end || v == 0)
            return BENCH_EUSAGE;
        if (strcmp(argv[i], "--depth") == 0 && v <= 10000)
            opt->depth = (unsigned)v;
        else if (strcmp(argv[i], "--iterations") == 0)
            opt->iterations = v;
        else
            return BENCH_EUSAGE;
    }
    return BENCH_OK;
}

int main(int argc, char **argv)
{
    uw_job_t job;
    uw_options_t opt;
    if (parse_options(argc, argv, &opt) != BENCH_OK) {
        fputs("usage: bench_unwind [--depth D] [--iterations N]\n", stderr);
        return 2;
    }
    job.opt = &opt;
    pthread_t id;
    if (pthread_create(&id, NULL, thread_main, &job) != 0) {
        fprintf(stderr, "bench_unwind: error: %s\n", bench_strerror(BENCH_ETHREAD));
        return 1;
    }
    pthread_join(id, NULL);
    printf("unwind: depth=%u unw_backtrace_ns=%.1f unw_frames=%d fp_walk_ns=%.1f fp_frames=%d\n",
           opt.depth, job.res.unw_ns, job.res.unw_frames, job.res.fp_ns, job.res.fp_frames);
    return 0;
}
