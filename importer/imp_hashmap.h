/* imp_hashmap.h: an open-addressing hash map from non-zero uint64 keys to uint64 values.
 *
 * Used for live blocks by address, frames by (module, offset), threads by number and
 * function sets. Entries are never removed (callers mark values instead), so probing
 * needs no tombstones. Grows at 1/2 load; never shrinks.
 */
#ifndef IMP_HASHMAP_H
#define IMP_HASHMAP_H

#include <stdint.h>

typedef struct imp_hashmap {
    uint64_t *keys; /* 0 = empty slot */
    uint64_t *vals;
    uint64_t mask; /* capacity - 1 */
    uint64_t count;
} imp_hashmap_t;

void imp_hashmap_init(imp_hashmap_t *m);
void imp_hashmap_free(imp_hashmap_t *m);

/* Returns the value slot of key, or NULL when absent. key must not be 0. */
uint64_t *imp_hashmap_find(const imp_hashmap_t *m, uint64_t key);

/* Returns the value slot of key, inserting it with value 0 when absent (*added = 1).
 * NULL when out of memory. The slot is valid until the next insertion. */
uint64_t *imp_hashmap_upsert(imp_hashmap_t *m, uint64_t key, int *added);

static inline uint64_t imp_hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

#endif
