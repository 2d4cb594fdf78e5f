/* mtdb_example.c: the bundled example, a small program with the heap habits mtdb explains.
 *
 * Producer threads malloc work items that consumer threads free (cross-thread frees), a
 * cache grows by realloc, a calloc'd table counts results, and leak_session_tokens()
 * leaks on purpose. Every count is fixed, so a recording can be checked against the
 * totals printed at the end. Phases "setup" and "jobs" are marked through recorder/mtrec.h
 * (no-ops without the recorder). Must stay deterministic: no timing-dependent allocation.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtrec.h"

#define EX_PRODUCERS 2
#define EX_CONSUMERS 2
#define EX_ITEMS_PER_PRODUCER 500
#define EX_QUEUE_SLOTS 64
#define EX_CACHE_FIRST 16
#define EX_CACHE_LAST 1024
#define EX_TOKENS 3
#define EX_TOKEN_BYTES 100
#define EX_TABLE_ENTRIES 256

typedef struct ex_item {
    uint32_t producer, serial;
    uint32_t payload_bytes;
    unsigned char payload[];
} ex_item_t;

/* A bounded queue in static memory: the queue itself never allocates. */
typedef struct ex_queue {
    ex_item_t *slots[EX_QUEUE_SLOTS];
    size_t head, tail, count;
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
} ex_queue_t;

static ex_queue_t ex_queue = {.lock = PTHREAD_MUTEX_INITIALIZER,
                              .not_empty = PTHREAD_COND_INITIALIZER,
                              .not_full = PTHREAD_COND_INITIALIZER};
static uint64_t *ex_table; /* calloc'd: a half per consumer, so no two threads share a slot */

static void push_item(ex_item_t *item)
{
    pthread_mutex_lock(&ex_queue.lock);
    while (ex_queue.count == EX_QUEUE_SLOTS)
        pthread_cond_wait(&ex_queue.not_full, &ex_queue.lock);
    ex_queue.slots[ex_queue.tail] = item;
    ex_queue.tail = (ex_queue.tail + 1) % EX_QUEUE_SLOTS;
    ex_queue.count++;
    pthread_cond_signal(&ex_queue.not_empty);
    pthread_mutex_unlock(&ex_queue.lock);
}

/* NULL means "no more work". */
static ex_item_t *pop_item(void)
{
    pthread_mutex_lock(&ex_queue.lock);
    while (ex_queue.count == 0)
        pthread_cond_wait(&ex_queue.not_empty, &ex_queue.lock);
    ex_item_t *item = ex_queue.slots[ex_queue.head];
    ex_queue.head = (ex_queue.head + 1) % EX_QUEUE_SLOTS;
    ex_queue.count--;
    pthread_cond_signal(&ex_queue.not_full);
    pthread_mutex_unlock(&ex_queue.lock);
    return item;
}

/* Item sizes cycle through 64, 96, 128 and 160 bytes of payload. */
static __attribute__((noinline)) ex_item_t *make_work_item(uint32_t producer, uint32_t serial)
{
    uint32_t bytes = 64 + (serial % 4) * 32;
    ex_item_t *item = malloc(sizeof *item + bytes);
    if (!item)
        abort();
    item->producer = producer;
    item->serial = serial;
    item->payload_bytes = bytes;
    memset(item->payload, (int)(serial & 0xFF), bytes);
    return item;
}

static void *run_producer(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    char name[16];
    snprintf(name, sizeof name, "producer-%u", id);
    pthread_setname_np(pthread_self(), name);
    for (uint32_t i = 0; i < EX_ITEMS_PER_PRODUCER; i++)
        push_item(make_work_item(id, i));
    return NULL;
}

static __attribute__((noinline)) void consume_work_item(unsigned consumer, ex_item_t *item)
{
    size_t half = EX_TABLE_ENTRIES / EX_CONSUMERS;
    ex_table[(consumer - 1) * half + item->serial % half] += item->payload[0] + 1u;
    free(item);
}

static void *run_consumer(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    char name[16];
    snprintf(name, sizeof name, "consumer-%u", id);
    pthread_setname_np(pthread_self(), name);
    for (ex_item_t *item; (item = pop_item()) != NULL;)
        consume_work_item(id, item);
    return NULL;
}

/* Grows from 16 to 1024 entries by doubling: 6 reallocs after the first malloc. Returns
 * how many reallocs it made. */
static __attribute__((noinline)) int grow_cache(void)
{
    size_t capacity = EX_CACHE_FIRST;
    int reallocs = 0;
    uint32_t *cache = malloc(capacity * sizeof *cache);
    if (!cache)
        abort();
    for (size_t used = 0; used < EX_CACHE_LAST; used++) {
        if (used == capacity) {
            capacity *= 2;
            uint32_t *grown = realloc(cache, capacity * sizeof *cache);
            if (!grown)
                abort();
            cache = grown, reallocs++;
        }
        cache[used] = (uint32_t)(used * 2654435761u);
    }
    free(cache);
    return reallocs;
}

static void *run_cache(void *arg)
{
    pthread_setname_np(pthread_self(), "cache");
    *(int *)arg = grow_cache();
    return NULL;
}

/* The deliberate leak: tokens that nobody frees. */
static __attribute__((noinline)) void leak_session_tokens(void)
{
    static volatile void *sink;
    for (int i = 0; i < EX_TOKENS; i++) {
        char *token = malloc(EX_TOKEN_BYTES);
        if (!token)
            abort();
        snprintf(token, EX_TOKEN_BYTES, "session-token-%d", i);
        sink = token;
    }
    (void)sink;
}

static void start_threads(pthread_t *producers, pthread_t *consumers, pthread_t *cache,
                          int *reallocs)
{
    for (uintptr_t i = 0; i < EX_CONSUMERS; i++)
        pthread_create(&consumers[i], NULL, run_consumer, (void *)(i + 1));
    for (uintptr_t i = 0; i < EX_PRODUCERS; i++)
        pthread_create(&producers[i], NULL, run_producer, (void *)(i + 1));
    pthread_create(cache, NULL, run_cache, reallocs);
}

static void join_threads(pthread_t *producers, pthread_t *consumers, pthread_t cache)
{
    for (int i = 0; i < EX_PRODUCERS; i++)
        pthread_join(producers[i], NULL);
    for (int i = 0; i < EX_CONSUMERS; i++)
        push_item(NULL); /* one stop signal per consumer */
    for (int i = 0; i < EX_CONSUMERS; i++)
        pthread_join(consumers[i], NULL);
    pthread_join(cache, NULL);
}

static void print_totals(int reallocs)
{
    int items = EX_PRODUCERS * EX_ITEMS_PER_PRODUCER;
    printf("mtdb-example: work items: %d malloc'd by %d producers, freed by %d consumers\n", items,
           EX_PRODUCERS, EX_CONSUMERS);
    printf("mtdb-example: cache: 1 malloc of %d entries, %d reallocs up to %d, 1 free\n",
           EX_CACHE_FIRST, reallocs, EX_CACHE_LAST);
    printf("mtdb-example: table: 1 calloc of %d x %zu bytes, 1 free\n", EX_TABLE_ENTRIES,
           sizeof *ex_table);
    printf("mtdb-example: leaked on purpose: %d blocks of %d bytes in leak_session_tokens\n",
           EX_TOKENS, EX_TOKEN_BYTES);
}

int main(void)
{
    pthread_t producers[EX_PRODUCERS], consumers[EX_CONSUMERS], cache;
    int reallocs = 0;
    pthread_setname_np(pthread_self(), "example-main");
    mtrec_phase_begin("setup");
    ex_table = calloc(EX_TABLE_ENTRIES, sizeof *ex_table);
    if (!ex_table)
        return 1;
    leak_session_tokens();
    mtrec_phase_end("setup");
    mtrec_phase_begin("jobs");
    start_threads(producers, consumers, &cache, &reallocs);
    join_threads(producers, consumers, cache);
    mtrec_phase_end("jobs");
    print_totals(reallocs);
    free(ex_table);
    return 0;
}
