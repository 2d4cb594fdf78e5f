/* victim_load.c: steady churn for a soak under the recorder.
 *
 *   soak S W   for S seconds, W workers each keep 64 live blocks of size VC_MARK(worker)
 *              and replace one every few microseconds (about 10 per ms), while main
 *              starts a short-lived thread every 5 ms that makes and frees two blocks of
 *              VC_MARK(200); everything is freed at the end. Reports per worker and in
 *              total ("worker.K.allocs", "allocs", "frees", "churn_threads").
 * Counts its own calls; reports with write(2) only.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "victim_common.h"

#define LIVE 64
#define MAX_WORKERS 32

static volatile int stop;
static long worker_allocs[MAX_WORKERS];

static void nap_us(long us)
{
    struct timespec t = {0, us * 1000};
    nanosleep(&t, NULL);
}

static void *worker(void *arg)
{
    intptr_t k = (intptr_t)arg;
    void *live[LIVE] = {0};
    long allocs = 0;
    unsigned seed = (unsigned)k * 2654435761u;
    while (!stop) {
        for (int burst = 0; burst < 10; burst++) {
            seed = seed * 1103515245u + 12345u;
            unsigned slot = (seed >> 16) % LIVE;
            free(live[slot]);
            live[slot] = malloc(VC_MARK(k));
            vc_touch(live[slot]);
            allocs++;
        }
        nap_us(1000);
    }
    for (int i = 0; i < LIVE; i++)
        free(live[i]);
    worker_allocs[k] = allocs;
    return NULL;
}

static void *short_lived(void *arg)
{
    (void)arg;
    void *p = malloc(VC_MARK(200)), *q = malloc(VC_MARK(200));
    vc_touch(p), vc_touch(q);
    free(p), free(q);
    return NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static int run_soak(double seconds, int workers)
{
    pthread_t pt[MAX_WORKERS];
    if (workers < 1 || workers > MAX_WORKERS)
        return 2;
    for (intptr_t k = 0; k < workers; k++)
        pthread_create(&pt[k], NULL, worker, (void *)k);
    long churn = 0;
    for (double end = now_s() + seconds; now_s() < end; churn++) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, NULL) != 0)
            return 3;
        pthread_join(t, NULL);
        nap_us(5000);
    }
    stop = 1;
    long allocs = 2 * churn;
    for (int k = 0; k < workers; k++) {
        pthread_join(pt[k], NULL);
        vc_put2("worker", k, "allocs", worker_allocs[k]);
        allocs += worker_allocs[k];
    }
    vc_put("churn_threads", churn);
    vc_put("allocs", allocs);
    vc_put("frees", allocs);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "soak"))
        return run_soak(atof(argv[2]), atoi(argv[3]));
    return 2;
}
