/* e2e_prog.c: a threaded program that counts its own heap calls, for the end-to-end
 * tests (test_import_e2e.c runs it under the recorder and compares SQL with its counts).
 * Test blocks have sizes libc never asks for itself (3000..3063 and 5000+thread), so
 * the SQL can tell them from libc's own. Hands a quarter of its blocks to the next
 * thread, which frees them (cross-thread frees). Prints "key value" lines on stdout.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_THREADS 16
#define INBOX 64
#define LEAKS 5

typedef struct inbox {
    pthread_mutex_t lock;
    void *items[INBOX];
    int n;
} inbox_t;

static inbox_t inboxes[MAX_THREADS];
static int nthreads, iterations;
static atomic_long blocks, frees, cross, leaked_bytes;

static void drain(inbox_t *box)
{
    pthread_mutex_lock(&box->lock);
    for (int i = 0; i < box->n; i++) {
        free(box->items[i]);
        atomic_fetch_add(&frees, 1);
        atomic_fetch_add(&cross, 1);
    }
    box->n = 0;
    pthread_mutex_unlock(&box->lock);
}

/* Gives p to thread `to`; returns 0 when its inbox is full. */
static int hand_over(int to, void *p)
{
    inbox_t *box = &inboxes[to];
    pthread_mutex_lock(&box->lock);
    int ok = box->n < INBOX;
    if (ok)
        box->items[box->n++] = p;
    pthread_mutex_unlock(&box->lock);
    return ok;
}

static void *worker(void *arg)
{
    int self = (int)(long)arg;
    for (int i = 0; i < iterations; i++) {
        void *p = malloc(3000 + i % 64);
        atomic_fetch_add(&blocks, 1);
        if (i % 4 == 0 && nthreads > 1 && hand_over((self + 1) % nthreads, p))
            p = NULL;
        if (p) {
            free(p);
            atomic_fetch_add(&frees, 1);
        }
        if (i % 16 == 0)
            drain(&inboxes[self]);
    }
    for (int k = 0; k < LEAKS; k++) {
        void *volatile leak = malloc(5000 + self);
        (void)leak;
        atomic_fetch_add(&blocks, 1);
        atomic_fetch_add(&leaked_bytes, 5000 + self);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    nthreads = argc > 1 ? atoi(argv[1]) : 4;
    iterations = argc > 2 ? atoi(argv[2]) : 10000;
    if (nthreads < 1 || nthreads > MAX_THREADS)
        return 2;
    pthread_t th[MAX_THREADS];
    for (int t = 0; t < nthreads; t++)
        pthread_mutex_init(&inboxes[t].lock, NULL);
    for (int t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, worker, (void *)(long)t);
    for (int t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < nthreads; t++)
        drain(&inboxes[t]); /* main frees what is left: cross-thread too */
    printf("blocks %ld\nfrees %ld\nleaked %d\nleaked_bytes %ld\ncross %ld\n", (long)blocks,
           (long)frees, nthreads * LEAKS, (long)leaked_bytes, (long)cross);
    return 0;
}
