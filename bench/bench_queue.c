/* bench_queue.c: mutex-protected intrusive lists of heap blocks between workload
 * threads. Must never allocate: the blocks themselves carry the links.
 */
#include "bench_queue.h"

void bench_chain_push(bench_chain_t *c, void *block)
{
    *(void **)block = c->head;
    if (!c->head)
        c->tail = block;
    c->head = block;
    c->count++;
}

void bench_queue_init(bench_queue_t *q)
{
    pthread_mutex_init(&q->lock, NULL);
    q->chain = (bench_chain_t){NULL, NULL, 0};
}

void bench_queue_destroy(bench_queue_t *q)
{
    pthread_mutex_destroy(&q->lock);
}

void bench_queue_give(bench_queue_t *q, bench_chain_t *c)
{
    if (!c->head)
        return;
    pthread_mutex_lock(&q->lock);
    *(void **)c->tail = q->chain.head;
    if (!q->chain.head)
        q->chain.tail = c->tail;
    q->chain.head = c->head;
    q->chain.count += c->count;
    pthread_mutex_unlock(&q->lock);
    *c = (bench_chain_t){NULL, NULL, 0};
}

bench_chain_t bench_queue_take(bench_queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    bench_chain_t c = q->chain;
    q->chain = (bench_chain_t){NULL, NULL, 0};
    pthread_mutex_unlock(&q->lock);
    return c;
}
