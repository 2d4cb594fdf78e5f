/* victim_threads.c: many threads, blocks handed between them.
 *
 *   queue P C N   P producers allocate N blocks each (size VC_MARK(producer)), free every
 *                 4th themselves and hand the rest to C consumers through a queue.
 *   churn T B     T short-lived threads, B at a time: each allocates two blocks, frees one
 *                 and leaves the other to main; counts its open descriptors around it all.
 *   cancel        a thread that another has asked to cancel (deferred) makes its first
 *                 heap calls before it reaches a cancellation point: 1 block of VC_MARK(0)
 *                 and 100 of VC_MARK(1), all freed, then usleep, where it ends. malloc is
 *                 not a cancellation point, so it reaches step 2 ("reached 2").
 *   stack N       a thread on a stack of its own, painted, makes a first heap call, then
 *                 N malloc/free pairs of VC_MARK(2): "stack.steady" is how many bytes of
 *                 its stack those pairs touched (the first call's are not counted).
 * Reports per thread (by kernel tid) and in total. The queue is a static ring: the only
 * heap calls are the marked ones and whatever the C library makes on its own.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>

#include "victim_common.h"

#define RING 1024

static void *ring[RING];
static unsigned head, tail;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int per_producer;
static long total_allocs, total_own_frees, total_cross_frees;
static long busy_threads; /* threads that made a heap call: only those have a THREAD record */

static void push(void *p)
{
    pthread_mutex_lock(&lock);
    while (tail - head == RING)
        pthread_cond_wait(&not_full, &lock);
    ring[tail++ % RING] = p;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&lock);
}

static void *pop(void)
{
    pthread_mutex_lock(&lock);
    while (tail == head)
        pthread_cond_wait(&not_empty, &lock);
    void *p = ring[head++ % RING];
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&lock);
    return p;
}

static void report(long tid, long allocs, long frees)
{
    vc_put2("thread", tid, "allocs", allocs);
    vc_put2("thread", tid, "frees", frees);
}

static void *producer(void *arg)
{
    long index = (long)(intptr_t)arg, frees = 0;
    for (int i = 0; i < per_producer; i++) {
        void *p = malloc(VC_MARK(index));
        vc_touch(p);
        if (i % 4 == 3)
            free(p), frees++;
        else
            push(p);
    }
    report(vc_gettid(), per_producer, frees);
    __atomic_add_fetch(&busy_threads, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&total_allocs, per_producer, __ATOMIC_RELAXED);
    __atomic_add_fetch(&total_own_frees, frees, __ATOMIC_RELAXED);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    long frees = 0;
    void *p;
    while ((p = pop()) != NULL)
        free(p), frees++;
    report(vc_gettid(), 0, frees);
    if (frees) /* under load another consumer may have taken every block */
        __atomic_add_fetch(&busy_threads, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&total_cross_frees, frees, __ATOMIC_RELAXED);
    return NULL;
}

static int run_queue(int producers, int consumers)
{
    pthread_t *pt = calloc((size_t)(producers + consumers), sizeof *pt);
    for (long i = 0; i < producers; i++)
        pthread_create(&pt[i], NULL, producer, (void *)(intptr_t)i);
    for (int i = 0; i < consumers; i++)
        pthread_create(&pt[producers + i], NULL, consumer, NULL);
    for (int i = 0; i < producers; i++)
        pthread_join(pt[i], NULL);
    for (int i = 0; i < consumers; i++)
        push(NULL);
    for (int i = 0; i < consumers; i++)
        pthread_join(pt[producers + i], NULL);
    free(pt);
    vc_put("threads", producers + consumers);
    vc_put("busy_threads", busy_threads);
    vc_put("allocs", total_allocs);
    vc_put("frees", total_own_frees + total_cross_frees);
    vc_put("cross_frees", total_cross_frees);
    return 0;
}

/* ---- churn ---------------------------------------------------------------------------- */

static void *left[4096];
static int trace_fds_max;

/* Open descriptors (not counting the one used to look); *trace gets those that name
 * a trace file. */
static int count_fds(int *trace)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    *trace = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        char path[300], target[512];
        snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        target[len > 0 ? len : 0] = 0;
        size_t tl = strlen(target);
        *trace += (tl > 6 && !strcmp(target + tl - 6, ".trace")) ||
                  (tl > 5 && !strcmp(target + tl - 5, ".proc"));
        n++;
    }
    if (d)
        closedir(d);
    return n - 1;
}

static void *short_lived(void *arg)
{
    void *p = malloc(VC_MARK(1)), *q = malloc(VC_MARK(2));
    vc_touch(p), vc_touch(q);
    free(p);
    left[(intptr_t)arg] = q;
    return NULL;
}

static int run_churn(int threads, int batch)
{
    pthread_t pt[4096];
    if (batch > 4096)
        return 2;
    int trace;
    vc_put("fds_before", count_fds(&trace));
    vc_put("trace_fds_before", trace);
    long made = 0, main_frees = 0;
    while (made < threads) {
        int n = threads - made < batch ? (int)(threads - made) : batch;
        for (long i = 0; i < n; i++)
            if (pthread_create(&pt[i], NULL, short_lived, (void *)(intptr_t)i) != 0)
                return 3;
        for (int i = 0; i < n; i++)
            pthread_join(pt[i], NULL);
        for (int i = 0; i < n; i++)
            free(left[i]), main_frees++;
        made += n;
        count_fds(&trace); /* between batches: every stream is idle */
        trace_fds_max = trace > trace_fds_max ? trace : trace_fds_max;
    }
    vc_put("fds_after", count_fds(&trace));
    vc_put("trace_fds_after", trace);
    vc_put("trace_fds_max", trace_fds_max);
    vc_put("threads", made);
    vc_put("allocs", 2 * made);
    vc_put("frees", made + main_frees);
    vc_put("cross_frees", main_frees);
    return 0;
}

static volatile int cancel_go, cancel_reached;

static void *cancelled_thread(void *arg)
{
    while (!cancel_go) /* no cancellation point while the request comes */
        ;
    void *p = malloc(VC_MARK(0)); /* this thread's first heap call */
    vc_touch(p);
    cancel_reached = 1;
    free(p);
    for (int i = 0; i < 100; i++) {
        p = malloc(VC_MARK(1));
        vc_touch(p);
        free(p);
    }
    cancel_reached = 2;
    usleep(1000); /* a cancellation point: the thread ends here */
    cancel_reached = 3;
    return arg;
}

static int run_cancel(void)
{
    pthread_t t;
    void *result;
    if (pthread_create(&t, NULL, cancelled_thread, NULL) != 0)
        return 3;
    pthread_cancel(t);
    cancel_go = 1;
    pthread_join(t, &result);
    vc_put("reached", cancel_reached);
    vc_put("cancelled", result == PTHREAD_CANCELED);
    return 0;
}

#define PAINTED_STACK (1u << 20)
#define PAINT 0xA5

static unsigned char *painted;
static int stack_pairs;
static size_t stack_steady;

/* Paints the stack below the caller's frame (and a margin): what was touched before
 * is forgotten. */
static void __attribute__((noinline)) repaint_below(void)
{
    volatile char here;
    memset(painted, PAINT, (size_t)((const unsigned char *)&here - painted) - 512);
}

static void *stack_thread(void *arg)
{
    void *p = malloc(VC_MARK(2)); /* the thread's first heap call: its setup is not counted */
    vc_touch(p);
    free(p);
    repaint_below();
    for (int i = 0; i < stack_pairs; i++) {
        p = malloc(VC_MARK(2));
        vc_touch(p);
        free(p);
    }
    size_t untouched = 0;
    while (untouched < PAINTED_STACK && painted[untouched] == PAINT)
        untouched++;
    stack_steady = PAINTED_STACK - untouched;
    return arg;
}

static int run_stack(int pairs)
{
    stack_pairs = pairs;
    painted = aligned_alloc(4096, PAINTED_STACK);
    if (!painted)
        return 3;
    memset(painted, PAINT, PAINTED_STACK);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, painted, PAINTED_STACK);
    if (pthread_create(&t, &attr, stack_thread, NULL) != 0)
        return 3;
    pthread_join(t, NULL);
    vc_put("stack.steady", (long long)stack_steady);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "cancel"))
        return run_cancel();
    if (argc == 3 && !strcmp(argv[1], "stack"))
        return run_stack(atoi(argv[2]));
    if (argc == 5 && !strcmp(argv[1], "queue")) {
        per_producer = atoi(argv[4]);
        return run_queue(atoi(argv[2]), atoi(argv[3]));
    }
    if (argc == 4 && !strcmp(argv[1], "churn"))
        return run_churn(atoi(argv[2]), atoi(argv[3]));
    return 2;
}
