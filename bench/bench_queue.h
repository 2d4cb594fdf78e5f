/* bench_queue.h: the workload's hand-over of heap blocks from one thread to another.
 *
 * Intrusive: a block's first 8 bytes hold the link, so handing over never allocates
 * and the recorder sees only the workload's own malloc and free calls. One mutex per
 * queue, taken once per batch: the same locking whether or not a recorder is loaded.
 */
#ifndef BENCH_QUEUE_H
#define BENCH_QUEUE_H

#include <pthread.h>
#include <stddef.h>

typedef struct bench_chain {
    void *head; /* blocks linked through their first word */
    void *tail;
    size_t count;
} bench_chain_t;

typedef struct bench_queue {
    pthread_mutex_t lock;
    bench_chain_t chain;
} bench_queue_t;

void bench_chain_push(bench_chain_t *c, void *block);
void bench_queue_init(bench_queue_t *q);
void bench_queue_destroy(bench_queue_t *q);
/* Moves every block of *c to the queue (one lock) and leaves *c empty. */
void bench_queue_give(bench_queue_t *q, bench_chain_t *c);
/* Takes every block of the queue (one lock); returns them as a chain. */
bench_chain_t bench_queue_take(bench_queue_t *q);
/* The block after `block` in its chain, or NULL. */
static inline void *bench_chain_next(const void *block)
{
    return *(void *const *)block;
}

#endif
