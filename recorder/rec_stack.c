/* rec_stack.c: capturing call stacks and interning them per thread.
 *
 * libunwind's unw_backtrace is the only lock-free walker it has (an unw_step loop takes
 * a global lock and two sigprocmask calls per frame); the frame-pointer walker is the
 * cheap option for programs built with frame pointers. Each distinct stack is written
 * once per thread (a STACK record) and later events name it by id: the table is the
 * thread's own, so no lock is ever held while unwinding.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "rec_internal.h"

/* ---- open-addressing table with generations: clearing is O(1) ------------------------ */

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
    tb->gen++;
    tb->count = 0;
}

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

struct rec_table_entry *rec_table_find(rec_table_t *tb, uint64_t key, int *found)
{
    uint32_t i = (uint32_t)mix64(key) & tb->mask;
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

/* Makes room for one insertion; returns 0 when the table may take it. */
static int table_room(rec_table_t *tb)
{
    if (!tb->slots && rec_table_init(tb, 1024) < 0)
        return -1;
    if ((tb->count + 1) * 2 > tb->mask + 1 && rec_table_grow(tb) < 0)
        return (tb->count + 1) * 8 > (tb->mask + 1) * 7 ? -1 : 0;
    return 0;
}

/* ---- walking the stack ------------------------------------------------------------ */

static int walk_frame_pointers(const rec_thread_t *t, void **out, int max)
{
    uintptr_t *fp = __builtin_frame_address(0);
    int n = 0;
    while (n < max) {
        uintptr_t at = (uintptr_t)fp;
        if (at < t->stack_lo || at + 16 > t->stack_hi || (at & 7))
            break;
        uintptr_t ret = fp[1];
        uintptr_t *next = (uintptr_t *)fp[0];
        if (!ret)
            break;
        out[n++] = (void *)ret;
        if (next <= fp)
            break;
        fp = next;
    }
    return n;
}

static REC_NOINLINE int walk(const rec_thread_t *t, void **out, int max)
{
    if (rec_proc.settings.unwind_fp)
        return walk_frame_pointers(t, out, max);
    return unw_backtrace(out, max);
}

void rec_stack_prime(void)
{
    void *frames[8];
    unw_backtrace(frames, 8);
}

const char *rec_unwinder_name(void)
{
#define REC_STR2(x) #x
#define REC_STR(x) REC_STR2(x)
    return rec_proc.settings.unwind_fp
               ? "frame-pointers"
               : "libunwind " REC_STR(UNW_VERSION_MAJOR) "." REC_STR(UNW_VERSION_MINOR) "." REC_STR(
                     UNW_VERSION_EXTRA) " unw_backtrace";
}

static uint64_t hash_frames(void *const *frames, int n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++)
        h = mix64(h ^ (uintptr_t)frames[i]) * 0x9E3779B97F4A7C15ull;
    return h ? h : 1;
}

static uint32_t define_stack(rec_thread_t *t, struct rec_table_entry *e, uint64_t key,
                             void *const *frames, int n)
{
    rec_modules_check(t); /* a new stack may be the first sign of a dlopen */
    uint8_t rec[MTDB_MAX_STACK_RECORD(REC_MAX_DEPTH)];
    uint8_t *end = mtdb_enc_stack(rec, (const uintptr_t *)frames, (unsigned)n);
    if (rec_append_meta(t, rec, (uint32_t)(end - rec)) != 0)
        return 0;
    uint32_t id = ++t->next_stack;
    int found;
    e = rec_table_find(&t->stacks, key, &found); /* the table may have been regrown */
    e->key = key;
    e->gen = t->stacks.gen;
    e->value = id;
    t->stacks.count++;
    t->counters[MTDB_COUNTER_STACKS]++;
    return id;
}

uint32_t rec_stack_capture(rec_thread_t *t)
{
    void *frames[REC_MAX_DEPTH + 16];
    int depth = rec_proc.settings.depth;
    int n = walk(t, frames, depth + 16);
    int skip = 0;
    while (skip < n && (uintptr_t)frames[skip] >= rec_proc.self_lo &&
           (uintptr_t)frames[skip] < rec_proc.self_hi)
        skip++;
    n -= skip;
    if (n > depth) {
        n = depth;
        t->counters[MTDB_COUNTER_STACKS_TRUNCATED]++;
    }
    if (n <= 0)
        return 0;
    uint64_t key = hash_frames(frames + skip, n);
    if (table_room(&t->stacks) < 0)
        return 0;
    int found;
    struct rec_table_entry *e = rec_table_find(&t->stacks, key, &found);
    if (REC_LIKELY(found))
        return e->value;
    return define_stack(t, e, key, frames + skip, n);
}

/* Fast preset: allocations of each call site get a full stack for the first N, then
 * one in every M; that record carries the weight of the ones skipped since. */
uint32_t rec_sample_stack(rec_thread_t *t, uintptr_t site, uint64_t *weight)
{
    if (table_room(&t->sites) < 0)
        return rec_stack_capture(t);
    int found;
    struct rec_table_entry *e = rec_table_find(&t->sites, site, &found);
    if (!found) {
        e->key = site, e->gen = t->sites.gen, e->value = 0, e->extra = 0;
        t->sites.count++;
    }
    uint64_t seen = ++e->extra;
    if (seen <= rec_proc.settings.sample_first)
        return rec_stack_capture(t);
    e->value++; /* allocations since the last sampled one */
    if ((seen - rec_proc.settings.sample_first) % rec_proc.settings.sample_every) {
        t->counters[MTDB_COUNTER_STACKS_SAMPLED_OUT]++;
        return 0;
    }
    *weight = e->value;
    e->value = 0;
    return rec_stack_capture(t);
}
