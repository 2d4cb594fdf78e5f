/* rec_table.c: the per-thread hash table behind stack ids and sampling sites.
 *
 * Open addressing over mmap'd slots; each entry carries the generation it was written
 * in, so clearing the table for the next thread is one increment. Owned by one thread:
 * no atomics, no locks, no malloc.
 */
#include <string.h>

#include "rec_internal.h"

int rec_table_init(rec_table_t *tb, uint32_t capacity)
{
    tb->slots = rec_map((size_t)capacity * sizeof *tb->slots);
    if (!tb->slots)
        return -1;
    tb->mask = capacity - 1;
    tb->count = 0;
    tb->gen = 1;
    return 0;
}

void rec_table_free(rec_table_t *tb)
{
    rec_unmap(tb->slots, ((size_t)tb->mask + 1) * sizeof *tb->slots);
    tb->slots = NULL;
}

void rec_table_clear(rec_table_t *tb)
{
    if (++tb->gen == 0 && tb->slots) { /* wrapped: old entries could pass for live ones */
        memset(tb->slots, 0, ((size_t)tb->mask + 1) * sizeof *tb->slots);
        tb->gen = 1;
    }
    tb->count = 0;
}

struct rec_table_entry *rec_table_find(rec_table_t *tb, uint64_t key, int *found)
{
    uint32_t i = (uint32_t)rec_mix64(key) & tb->mask;
    for (;;) {
        struct rec_table_entry *e = &tb->slots[i];
        if (e->gen != tb->gen) {
            *found = 0;
            return e;
        }
        if (e->key == key) {
            *found = 1;
            return e;
        }
        i = (i + 1) & tb->mask;
    }
}

int rec_table_grow(rec_table_t *tb)
{
    rec_table_t bigger;
    if (rec_table_init(&bigger, (tb->mask + 1) * 2) < 0)
        return -1;
    for (uint32_t i = 0; i <= tb->mask; i++) {
        struct rec_table_entry *e = &tb->slots[i];
        if (e->gen != tb->gen)
            continue;
        int found;
        struct rec_table_entry *d = rec_table_find(&bigger, e->key, &found);
        *d = *e;
        d->gen = bigger.gen;
        bigger.count++;
    }
    rec_table_free(tb);
    *tb = bigger;
    return 0;
}

/* Makes room for one insertion. The table stays at most half full; doubling maps the new
 * slots before the old ones go, so it grows only while old plus new fit in max_bytes.
 * A table that may not grow is cleared instead: forgetting costs a rewrite of what
 * comes again, never memory the host did not budget. */
int rec_table_room(rec_table_t *tb, uint64_t max_bytes)
{
    if (!tb->slots && rec_table_init(tb, 1024) < 0)
        return -1;
    if (rec_table_fits_one(tb))
        return 0;
    uint64_t slots = (uint64_t)tb->mask + 1;
    if (slots * 3 * sizeof *tb->slots > max_bytes || slots * 2 > UINT32_MAX) {
        rec_table_clear(tb);
        return 1;
    }
    if (rec_table_grow(tb) < 0)
        return (tb->count + 1) * 8 > (tb->mask + 1) * 7 ? -1 : 0;
    return 0;
}
