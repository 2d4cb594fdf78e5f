/* victim_exits.c: the ways threads and processes end.
 *
 *   detached      8 detached threads allocate and end on their own; main returns
 *   thread_exit   8 threads end through pthread_exit from a nested call; joined
 *   exit_thread   4 workers loop on malloc/free while another thread calls exit(9)
 *   return        main allocates, keeps 2 blocks, returns 7
 *   exit          the same, then exit(5)
 *   _exit         the same, then _exit(3)
 *   quick_exit    the same, then quick_exit(6); its at_quick_exit handler allocates
 *                 one more block of VC_MARK(1) and keeps it
 * Worker i uses size VC_MARK(100 + i); finite threads use VC_MARK(i).
 */
#include <pthread.h>
#include <stdlib.h>

#include "victim_common.h"

#define EACH 25

static int finished;

static void allocate_some(size_t size, int keep)
{
    void *p[EACH];
    for (int k = 0; k < EACH; k++)
        p[k] = malloc(size), vc_touch(p[k]);
    for (int k = keep; k < EACH; k++)
        free(p[k]);
}

static void *detached(void *arg)
{
    allocate_some(VC_MARK((intptr_t)arg), 1);
    vc_put2("thread", vc_gettid(), "allocs", EACH);
    __atomic_add_fetch(&finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void allocate_at_quick_exit(void)
{
    vc_touch(malloc(VC_MARK(1)));
}

static void __attribute__((noinline)) leave_now(void)
{
    pthread_exit(NULL);
}

static void *exiting(void *arg)
{
    allocate_some(VC_MARK((intptr_t)arg), 1);
    vc_put2("thread", vc_gettid(), "allocs", EACH);
    leave_now();
    return (void *)1;
}

static void *worker(void *arg)
{
    for (;;) {
        void *p = malloc(VC_MARK(100 + (intptr_t)arg));
        vc_touch(p);
        free(p);
    }
    return NULL;
}

static void *exiter(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < 4) /* every worker has begun */
        sched_yield();
    allocate_some(VC_MARK(0), EACH); /* all 25 stay */
    vc_put("exiter.allocs", EACH);
    exit(9);
}

static void *worker_start(void *arg)
{
    free(malloc(VC_MARK(100 + (intptr_t)arg))); /* one whole round before exit may come */
    __atomic_add_fetch(&finished, 1, __ATOMIC_RELEASE);
    return worker(arg);
}

static int start_threads(void *(*fn)(void *), int n, int detach, pthread_t *pt)
{
    for (long i = 0; i < n; i++) {
        if (pthread_create(&pt[i], NULL, fn, (void *)(intptr_t)i) != 0)
            return -1;
        if (detach)
            pthread_detach(pt[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    pthread_t pt[8];
    vc_put("pid", getpid());
    if (!strcmp(mode, "detached")) {
        start_threads(detached, 8, 1, pt);
        while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < 8)
            sched_yield();
        return 0;
    }
    if (!strcmp(mode, "thread_exit")) {
        start_threads(exiting, 8, 0, pt);
        for (int i = 0; i < 8; i++)
            pthread_join(pt[i], NULL);
        return 0;
    }
    if (!strcmp(mode, "exit_thread")) {
        start_threads(worker_start, 4, 1, pt);
        start_threads(exiter, 1, 0, pt + 4);
        pthread_join(pt[4], NULL);
        return 4; /* never: exit(9) ends the process first */
    }
    allocate_some(VC_MARK(0), 2);
    vc_put("main.allocs", EACH);
    if (!strcmp(mode, "_exit"))
        _exit(3);
    if (!strcmp(mode, "quick_exit")) {
        at_quick_exit(allocate_at_quick_exit);
        quick_exit(6);
    }
    if (!strcmp(mode, "exit"))
        exit(5);
    return 7;
}
