/* imp_hashmap.c: the open-addressing hash map of imp_hashmap.h (linear probing).
 * Must never remove entries: lookups stop at the first empty slot.
 */
#include <stdlib.h>

#include "imp_array.h"
#include "imp_hashmap.h"

void imp_hashmap_init(imp_hashmap_t *m)
{
    m->keys = m->vals = NULL;
    m->mask = 0;
    m->count = 0;
}

void imp_hashmap_free(imp_hashmap_t *m)
{
    free(m->keys);
    free(m->vals);
    imp_hashmap_init(m);
}

uint64_t *imp_hashmap_find(const imp_hashmap_t *m, uint64_t key)
{
    if (!m->keys)
        return NULL;
    for (uint64_t i = imp_hash64(key) & m->mask;; i = (i + 1) & m->mask) {
        if (m->keys[i] == key)
            return &m->vals[i];
        if (m->keys[i] == 0)
            return NULL;
    }
}

static int imp_hashmap_grow(imp_hashmap_t *m)
{
    uint64_t cap = m->keys ? (m->mask + 1) * 2 : 1024;
    uint64_t *keys = imp_calloc_big(cap, sizeof *keys),
             *vals = imp_realloc_big(NULL, 0, cap * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (uint64_t i = 0; m->keys && i <= m->mask; i++) {
        if (!m->keys[i])
            continue;
        uint64_t j = imp_hash64(m->keys[i]) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys, m->vals = vals, m->mask = cap - 1;
    return 0;
}

uint64_t *imp_hashmap_upsert(imp_hashmap_t *m, uint64_t key, int *added)
{
    if ((!m->keys || (m->count + 1) * 2 > m->mask + 1) && imp_hashmap_grow(m))
        return NULL;
    uint64_t i = imp_hash64(key) & m->mask;
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & m->mask;
    *added = !m->keys[i];
    if (*added) {
        m->keys[i] = key;
        m->vals[i] = 0;
        m->count++;
    }
    return &m->vals[i];
}

uint64_t *imp_hashmap_probe(imp_hashmap_t *m, uint64_t h, imp_hashmap_same_fn same, const void *ctx,
                            const void *want, int *added)
{
    for (uint64_t key = h | 1;; key = imp_hash64(key) | 1) {
        uint64_t *slot = imp_hashmap_upsert(m, key, added);
        if (!slot || *added || same(ctx, *slot, want))
            return slot;
    }
}
