/* victim_only.c: a program whose every heap call is its own, so the trace must hold
 * exactly the calls it counts: nothing the recorder or its libraries did for themselves.
 *
 * Usage: victim_only [THREADS]. The main thread makes 50 malloc/free pairs from a
 * recursive function; each of THREADS threads (one after another) makes 50 more. It
 * reports its own calls as heap_calls (the C library's allocations for a new thread,
 * its TLS vector, are the program's too but not counted here). No stdio.
 */
#include <pthread.h>
#include <stdlib.h>

#include "victim_common.h"

#define PAIRS 50

static long calls;

__attribute__((noinline)) static long pairs(int depth, int n)
{
    if (depth > 0) {
        long got = pairs(depth - 1, n);
        __asm__ volatile("" ::: "memory");
        return got;
    }
    for (int i = 0; i < n; i++) {
        void *p = malloc(VC_MARK(i));
        vc_touch(p);
        free(p);
    }
    return 2L * n;
}

static void *worker(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&calls, pairs(8, PAIRS), __ATOMIC_RELAXED);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 0;
    calls += pairs(8, PAIRS);
    for (int t = 0; t < threads; t++) {
        pthread_t th;
        if (pthread_create(&th, NULL, worker, NULL) != 0 || pthread_join(th, NULL) != 0)
            return 3;
    }
    vc_put("heap_calls", calls);
    return 0;
}
