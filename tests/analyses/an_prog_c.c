/* an_prog_c.c: the C program of the analysis tests: known patterns, each from a named
 * function, asserted row by row in expected/c/ (test_analyses.c). Two records leak from
 * leak_records; grow_buffer makes 3 realloc chains of 11 blocks; make_job/finish_job are
 * a producer -> consumer pair (thread names "producer" and "consumer") with a hold of at
 * least 500 us; cache_add grows all run long; burst_tiny makes 3000 tiny temporaries at
 * once; the stdio buffer of the final printf is the runtime's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JOBS 100
#define STEPS 100

static char *ring[JOBS];
static int produced, consumed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static char *cache[STEPS];

__attribute__((noinline)) static void leak_records(void)
{
    for (int i = 0; i < 2; i++) {
        char *p = malloc(200);
        memset(p, i, 200);
        __asm__ volatile("" ::"r"(p) : "memory");
    }
}

__attribute__((noinline)) static void grow_buffer(void)
{
    size_t size = 16;
    char *p = malloc(size);
    for (int i = 0; i < 10; i++) {
        size *= 2;
        p = realloc(p, size);
        memset(p, i, size);
    }
    free(p);
}

__attribute__((noinline)) static char *make_job(int i)
{
    char *job = malloc(32);
    job[0] = (char)i;
    return job;
}

__attribute__((noinline)) static void finish_job(char *job)
{
    usleep(500);
    free(job);
}

static void *producer(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "producer");
    for (int i = 0; i < JOBS; i++) {
        char *job = make_job(i);
        pthread_mutex_lock(&mu);
        ring[produced++] = job;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
        usleep(1000); /* paced: a job lives about its hold, never most of the run */
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "consumer");
    for (int i = 0; i < JOBS; i++) {
        pthread_mutex_lock(&mu);
        while (consumed == produced)
            pthread_cond_wait(&cv, &mu);
        char *job = ring[consumed++];
        pthread_mutex_unlock(&mu);
        finish_job(job);
    }
    return NULL;
}

__attribute__((noinline)) static void cache_add(int i)
{
    cache[i] = malloc(64);
    cache[i][0] = (char)i;
}

__attribute__((noinline)) static void burst_tiny(void)
{
    for (int i = 0; i < 3000; i++) {
        char *p = malloc(16);
        __asm__ volatile("" ::"r"(p) : "memory");
        free(p);
    }
}

int main(void)
{
    leak_records();
    for (int i = 0; i < 3; i++)
        grow_buffer();
    pthread_t tp, tc;
    pthread_create(&tc, NULL, consumer, NULL);
    pthread_create(&tp, NULL, producer, NULL);
    for (int i = 0; i < STEPS; i++) {
        cache_add(i);
        if (i == STEPS / 2)
            burst_tiny();
        usleep(1000);
    }
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    printf("cache %d jobs %d\n", cache[STEPS - 1][0], consumed);
    return 0; /* the cache stays live: a leak that grew all run long */
}
