/* imp_hashmap.h: an open-addressing hash map from non-zero uint64 keys to uint64 values.
 *
 * Used for live blocks by address, frames by (module, offset), threads by number and
 * function sets, and through imp_hashmap_probe for texts and rows by their hashes.
 * Entries are never removed (callers mark values instead), so probing needs no
 * tombstones. Grows at 1/2 load; never shrinks.
 */
#ifndef IMP_HASHMAP_H
#define IMP_HASHMAP_H

#include <stddef.h>
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

/* For maps whose keys are hashes of something larger (texts, rows): the value slot of
 * the entry whose hash is h and whose value same(ctx, value, want) takes for want,
 * probing past other entries with that hash (the next key is a rehash), or the new slot
 * for it (*added, value 0; the caller stores a non-zero value before the next probe).
 * NULL when out of memory. */
typedef int (*imp_hashmap_same_fn)(const void *ctx, uint64_t value, const void *want);
uint64_t *imp_hashmap_probe(imp_hashmap_t *m, uint64_t h, imp_hashmap_same_fn same, const void *ctx,
                            const void *want, int *added);

/* FNV-1a of the len bytes at data, going on from h (IMP_FNV_OFFSET for the first). */
#define IMP_FNV_OFFSET 0xcbf29ce484222325ULL
static inline uint64_t imp_hash_bytes(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static inline uint64_t imp_hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

#endif
