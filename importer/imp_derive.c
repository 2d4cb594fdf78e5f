/* imp_derive.c: the per-block totals the analyses read (stack_totals and, through
 * imp_site_keys.c, site_totals; peak_stacks, site_steps, site_histograms, bursts,
 * thread_pairs, cross_stacks), in one pass over the blocks.
 *
 * The same rows as sql/56-derive-blocks.sql, which stays the reference a user re-runs
 * after changing analysis_params: there every GROUP BY and window is a sort of all the
 * blocks (minutes at 10 M blocks); here they are hash groups, sorting only lifetimes.
 * Runs after 55-derive.sql (stack_sites, process_info). Also fills timeline_fine
 * (imp_timeline.c: its events gathered and sorted on a thread of their own, started by
 * the import as soon as the spool is complete). Never reads the trace.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imp_array.h"
#include "imp_db.h"
#include "imp_derive.h"
#include "imp_error.h"
#include "imp_hashmap.h"
#include "imp_radix.h"
#include "imp_site_keys.h"
#include "imp_timeline.h"

#define IMP_NULL INT64_MIN

/* A hash group table: key of 4 integers -> nv integers (zeroed when created). Keys
 * (a, b, 0, 0) with b in 1..ndirect may also be found through direct[b - 1] (index + 1,
 * 0 none): the first a seen with that b is kept there, the others hashed. With millions
 * of stacks each in one process, a stack's group is then an array slot, not a probe at
 * a random place of a table that does not fit in any cache. */
typedef struct imp_groups {
    imp_hashmap_t map; /* hash -> index + 1 */
    int64_t *keys, *vals;
    uint64_t n, cap;
    int nv;
    int64_t *direct, ndirect;
} imp_groups_t;

/* Room for cap groups. 0 or IMP_ENOMEM. */
static int imp_groups_reserve(imp_groups_t *g, uint64_t cap)
{
    int64_t *keys = imp_realloc_big(g->keys, g->cap * 4 * sizeof *keys, cap * 4 * sizeof *keys);
    if (keys)
        g->keys = keys;
    int64_t *vals =
        keys ? imp_realloc_big(g->vals, g->cap * g->nv * sizeof *vals, cap * g->nv * sizeof *vals)
             : NULL;
    if (!vals)
        return IMP_ENOMEM;
    g->vals = vals, g->cap = cap;
    return 0;
}

static int64_t imp_group_new(imp_groups_t *g, int64_t a, int64_t b, int64_t c, int64_t d)
{
    if (g->n == g->cap && imp_groups_reserve(g, g->cap ? g->cap * 2 : 1024))
        return -1;
    int64_t *k = g->keys + 4 * g->n;
    k[0] = a, k[1] = b, k[2] = c, k[3] = d;
    memset(g->vals + g->n * g->nv, 0, g->nv * sizeof *g->vals);
    return (int64_t)g->n++;
}

static int64_t imp_group(imp_groups_t *g, int64_t a, int64_t b, int64_t c, int64_t d)
{
    if (g->direct && c == 0 && d == 0 && b > 0 && b <= g->ndirect) {
        int64_t *slot = &g->direct[b - 1];
        if (!*slot) {
            int64_t gi = imp_group_new(g, a, b, c, d);
            *slot = gi + 1;
            return gi;
        }
        if (g->keys[4 * (*slot - 1)] == a)
            return *slot - 1;
    }
    uint64_t h = imp_hash64((uint64_t)a * 0x9E3779B97F4A7C15ULL ^ imp_hash64((uint64_t)b)) ^
                 imp_hash64((uint64_t)c * 31 + (uint64_t)d * 0x100000001b3ULL);
    for (uint64_t key = h | 1;; key = imp_hash64(key) | 1) {
        int added;
        uint64_t *slot = imp_hashmap_upsert(&g->map, key, &added);
        if (!slot)
            return -1;
        if (!added) {
            int64_t *k = g->keys + 4 * (*slot - 1);
            if (k[0] == a && k[1] == b && k[2] == c && k[3] == d)
                return (int64_t)(*slot - 1);
            continue;
        }
        int64_t gi = imp_group_new(g, a, b, c, d);
        *slot = (uint64_t)gi + 1; /* 0 when out of memory: the import fails anyway */
        return gi;
    }
}

/* Lets groups of (a, stack, 0, 0) be found by stack through an array of n slots, and
 * reserves room for a group per stack: doubling would copy hundreds of megabytes of sums
 * into fresh memory at millions of stacks. A reserve no block fills is never touched. */
static int imp_groups_direct(imp_groups_t *g, int64_t n)
{
    g->direct = imp_calloc_big((size_t)n + 1, sizeof *g->direct);
    g->ndirect = g->direct ? n : 0;
    if (!g->direct)
        return IMP_ENOMEM;
    return g->cap > (uint64_t)n ? 0 : imp_groups_reserve(g, (uint64_t)n + 1);
}

static void imp_groups_free(imp_groups_t *g)
{
    imp_hashmap_free(&g->map);
    free(g->direct);
    free(g->keys), free(g->vals);
}

/* Per process: the facts of process_info and process_stats the totals need. */
typedef struct imp_dproc {
    int64_t t0, until, len, exit_begin, peak_ns, long_ns, end;
    int known;
} imp_dproc_t;

/* Lifetimes of one thread_pairs group. */
typedef struct imp_lives {
    int64_t *ns;
    uint64_t n, cap;
    int64_t process_id, bytes;
} imp_lives_t;

enum {
    T_ROWS,
    T_BLOCKS,
    T_BYTES,
    T_MIN,
    T_MAX,
    T_LIVE,
    T_LIVE_BYTES,
    T_FIRST_LIVE,
    T_LAST_LIVE,
    T_EXIT,
    T_EXIT_BYTES,
    T_LONG,
    T_FIRST_LONG,
    T_LAST_LONG,
    T_WASTE,
    T_TEMP,
    T_TEMP_BYTES,
    T_CROSS,
    T_LIFE,
    T_FIRST,
    T_LAST,
    T_COUNT
};

/* How site_totals sums each column: 0 summed, -1 the lowest, +1 the highest. */
static const int imp_total_kinds[T_COUNT] = {
    [T_MIN] = -1,        [T_MAX] = 1,       [T_FIRST_LIVE] = -1, [T_LAST_LIVE] = 1,
    [T_FIRST_LONG] = -1, [T_LAST_LONG] = 1, [T_FIRST] = -1,      [T_LAST] = 1};

typedef struct imp_derive {
    imp_db_t *db;
    imp_dproc_t *procs;
    int64_t nprocs;
    int64_t temp_ns, small, steps, burst_ns, burst_factor_micro, min_blocks;
    imp_site_keys_t sites;
    int64_t *site_rep; /* stack_id -> the lowest stack_id of the same site and location */
    const char **rep_site, **rep_loc; /* stack_id -> its site and location, for reps */
    int64_t nstacks;
    int64_t nostack_rep; /* the rep of ('(no stack)', no location): blocks without a stack */
    imp_groups_t totals, peak, windows, pairs, site_pairs, cross;
    imp_groups_t site_hist, site_steps; /* keyed by (process, rep or 0, bucket or step) */
    imp_lives_t *lives, *site_lives;
    uint64_t nlives, capl, nsite_lives, capsl;
    imp_timeline_t *timeline; /* the import's, or own when there is no spool */
    imp_timeline_t own;       /* no spool: each block adds its events as it is read */
} imp_derive_t;

static int64_t imp_min_n(int64_t cur, int64_t v)
{
    return cur == IMP_NULL || v < cur ? v : cur;
}

static int64_t imp_max_n(int64_t cur, int64_t v)
{
    return cur == IMP_NULL || v > cur ? v : cur;
}

static int imp_lives_add(imp_lives_t **arr, uint64_t *n, uint64_t *cap, int64_t index,
                         int64_t process_id, int64_t ns, int64_t size)
{
    while ((uint64_t)index >= *cap) {
        uint64_t c = *cap ? *cap * 2 : 256;
        imp_lives_t *a = realloc(*arr, c * sizeof *a);
        if (!a)
            return IMP_ENOMEM;
        memset(a + *cap, 0, (c - *cap) * sizeof *a);
        *arr = a, *cap = c;
    }
    if ((uint64_t)index >= *n)
        *n = (uint64_t)index + 1;
    imp_lives_t *l = &(*arr)[index];
    if (l->n == l->cap) {
        uint64_t c = l->cap ? l->cap * 2 : 16;
        int64_t *ns_arr = realloc(l->ns, c * sizeof *ns_arr);
        if (!ns_arr)
            return IMP_ENOMEM;
        l->ns = ns_arr, l->cap = c;
    }
    l->ns[l->n++] = ns;
    l->process_id = process_id;
    l->bytes += size;
    return 0;
}

static int imp_load_params(void *ctx, const imp_value_t *c, int n)
{
    imp_derive_t *d = ctx;
    (void)n;
    d->temp_ns = c[0].i, d->small = c[1].i, d->steps = c[2].i, d->burst_ns = c[3].i;
    d->burst_factor_micro = c[4].i, d->min_blocks = c[5].i;
    return 0;
}

static const char imp_params_sql[] =
    "SELECT CAST((SELECT value FROM analysis_params WHERE name = 'temporary_us') * 1000"
    "            AS INTEGER),"
    " (SELECT value FROM analysis_params WHERE name = 'small_bytes'),"
    " (SELECT value FROM analysis_params WHERE name = 'growth_steps'),"
    " (SELECT value FROM analysis_params WHERE name = 'burst_ms') * 1000000,"
    " CAST((SELECT value FROM analysis_params WHERE name = 'burst_factor') * 1000000"
    "      AS INTEGER),"
    " (SELECT value FROM analysis_params WHERE name = 'min_blocks')";

/* long_ns is the ceiling of the run times long_lived_share: an integer lifetime reaches
 * the REAL threshold of 56-derive-blocks.sql exactly when it reaches its ceiling. */
static const char imp_procs_sql[] =
    "SELECT pi.process_id, pi.t0_ns, coalesce(pi.exit_begin_ns, pi.end_ns),"
    " pi.exit_begin_ns, s.peak_ns,"
    " CAST(x AS INTEGER) + (x > CAST(x AS INTEGER)), pi.end_ns"
    " FROM (SELECT *, max(end_ns - t0_ns, 1) * (SELECT value FROM analysis_params"
    "       WHERE name = 'long_lived_share') AS x FROM process_info) pi"
    " LEFT JOIN process_stats s ON s.process_id = pi.process_id";

static int64_t imp_opt(const imp_value_t *v)
{
    return v->type == IMP_V_INT ? v->i : IMP_NULL;
}

static int imp_load_proc(void *ctx, const imp_value_t *c, int n)
{
    imp_derive_t *d = ctx;
    (void)n;
    int64_t id = c[0].i;
    if (id < 1 || id > d->nprocs)
        return 0;
    imp_dproc_t *p = &d->procs[id - 1];
    p->t0 = imp_opt(&c[1]), p->until = imp_opt(&c[2]), p->exit_begin = imp_opt(&c[3]);
    p->peak_ns = imp_opt(&c[4]), p->long_ns = imp_opt(&c[5]), p->end = imp_opt(&c[6]);
    p->known = p->t0 != IMP_NULL && p->until != IMP_NULL && p->end != IMP_NULL;
    p->len = p->known ? (p->until - p->t0 > 1 ? p->until - p->t0 : 1) : 1;
    return 0;
}

/* Each stack's representative (the lowest stack id of its site and location, whatever
 * the class: imp_site_keys.c), and the representatives' site and location. */
static void imp_load_reps(imp_derive_t *d)
{
    const imp_site_keys_t *k = &d->sites;
    for (int64_t id = 1; id <= d->nstacks; id++) {
        uint32_t ki = k->stack_site[id - 1];
        const imp_site_key_t *e = ki ? &k->keys[ki - 1] : NULL;
        d->site_rep[id - 1] = e ? e->rep : 0;
        if (e && e->rep == id)
            d->rep_site[id - 1] = e->site, d->rep_loc[id - 1] = e->location;
    }
    for (uint32_t i = 0; i < k->nkeys; i++)
        if (k->keys[i].rep && !k->keys[i].location && !strcmp(k->keys[i].site, "(no stack)"))
            d->nostack_rep = k->keys[i].rep;
}

/* One block into every group it belongs to. */
typedef struct imp_block {
    int64_t process_id, thread_id, stack_id, size, weight, alloc_ns, free_ns, free_thread;
    int64_t free_stack;
} imp_block_t;

static int imp_add_totals(imp_derive_t *d, const imp_dproc_t *p, const imp_block_t *b)
{
    int64_t gi = imp_group(&d->totals, b->process_id, b->stack_id, 0, 0);
    if (gi < 0)
        return IMP_ENOMEM;
    int64_t *v = d->totals.vals + gi * T_COUNT;
    int live = b->free_ns == IMP_NULL;
    int64_t life = live ? 0 : b->free_ns - b->alloc_ns, w = b->weight, sz = b->size;
    if (v[T_ROWS] == 0)
        v[T_MIN] = v[T_MAX] = v[T_FIRST_LIVE] = v[T_LAST_LIVE] = v[T_FIRST_LONG] = v[T_LAST_LONG] =
            v[T_FIRST] = v[T_LAST] = IMP_NULL;
    v[T_ROWS]++, v[T_BLOCKS] += w, v[T_BYTES] += sz * w;
    v[T_MIN] = imp_min_n(v[T_MIN], sz), v[T_MAX] = imp_max_n(v[T_MAX], sz);
    if (live) {
        v[T_LIVE]++, v[T_LIVE_BYTES] += sz;
        v[T_FIRST_LIVE] = imp_min_n(v[T_FIRST_LIVE], b->alloc_ns);
        v[T_LAST_LIVE] = imp_max_n(v[T_LAST_LIVE], b->alloc_ns);
    }
    int exit_freed = !live && p->exit_begin != IMP_NULL && b->free_ns >= p->exit_begin &&
                     b->alloc_ns < p->exit_begin;
    if (exit_freed)
        v[T_EXIT]++, v[T_EXIT_BYTES] += sz;
    int at_exit = !live && p->exit_begin != IMP_NULL && b->free_ns >= p->exit_begin;
    if (sz <= d->small && (live || at_exit || (p->long_ns != IMP_NULL && life >= p->long_ns))) {
        v[T_LONG]++;
        v[T_FIRST_LONG] = imp_min_n(v[T_FIRST_LONG], b->alloc_ns);
        v[T_LAST_LONG] = imp_max_n(v[T_LAST_LONG], b->alloc_ns);
    }
    int64_t chunk = (sz + 8 + 15) / 16 * 16;
    v[T_WASTE] += ((chunk > 32 ? chunk : 32) - sz) * w;
    if (!live && b->free_thread == b->thread_id && life <= d->temp_ns)
        v[T_TEMP] += w, v[T_TEMP_BYTES] += sz * w;
    if (!live && b->free_thread != b->thread_id)
        v[T_CROSS] += w;
    if (!live)
        v[T_LIFE] += life * w;
    v[T_FIRST] = imp_min_n(v[T_FIRST], b->alloc_ns);
    v[T_LAST] = imp_max_n(v[T_LAST], b->alloc_ns);
    return 0;
}

static int imp_add_to(imp_groups_t *g, int64_t a, int64_t b2, int64_t c, int64_t x, int64_t y)
{
    int64_t gi = imp_group(g, a, b2, c, 0);
    if (gi < 0)
        return IMP_ENOMEM;
    g->vals[gi * 2] += x, g->vals[gi * 2 + 1] += y;
    return 0;
}

static int64_t imp_step(const imp_derive_t *d, const imp_dproc_t *p, int64_t ts)
{
    int64_t s = (int64_t)((double)(ts - p->t0) * 1.0 * (double)d->steps / (double)p->len);
    if (s > d->steps - 1)
        s = d->steps - 1;
    return s < 0 ? 0 : s;
}

/* The site group of a stack: its rep, or for no stack (or a stack without a site row)
 * the rep of ('(no stack)', no location), as the SQL's coalesce and LEFT JOIN make it. */
static int64_t imp_site_of(const imp_derive_t *d, int64_t stack_id)
{
    int64_t r = stack_id > 0 && stack_id <= d->nstacks ? d->site_rep[stack_id - 1] : 0;
    return r ? r : d->nostack_rep;
}

static int imp_add_shapes(imp_derive_t *d, const imp_dproc_t *p, const imp_block_t *b)
{
    int64_t w = b->weight, sz = b->size, pid = b->process_id, sid = b->stack_id;
    int64_t site = imp_site_of(d, sid);
    int rc = 0;
    if (p->peak_ns != IMP_NULL && b->alloc_ns <= p->peak_ns &&
        (b->free_ns == IMP_NULL || b->free_ns > p->peak_ns))
        rc = imp_add_to(&d->peak, pid, sid, 0, 1, sz);
    if (!rc && b->free_ns != IMP_NULL) {
        int64_t life = b->free_ns - b->alloc_ns;
        int64_t bucket = life < 1000 ? -1 : (int64_t)log2((double)life / 1000.0);
        rc = imp_add_to(&d->site_hist, pid, site, 2 * 100 + bucket, w, sz * w);
    }
    if (!rc)
        rc = imp_add_to(&d->site_hist, pid, site, 1 * 100 + (sz ? (int64_t)log2((double)sz) : -1),
                        w, sz * w);
    if (!rc && p->known && b->alloc_ns < p->until)
        rc = imp_add_to(&d->site_steps, pid, site, imp_step(d, p, b->alloc_ns), sz, 1);
    if (!rc && p->known && b->free_ns != IMP_NULL && b->free_ns < p->until)
        rc = imp_add_to(&d->site_steps, pid, site, imp_step(d, p, b->free_ns), -sz, -1);
    if (!rc && d->burst_ns > 0)
        rc = imp_add_to(&d->windows, pid, b->thread_id, b->alloc_ns / d->burst_ns, w, sz * w);
    return rc;
}

static int imp_add_pairs(imp_derive_t *d, const imp_block_t *b)
{
    if (b->free_ns == IMP_NULL)
        return 0;
    int64_t life = b->free_ns - b->alloc_ns;
    int64_t gi = imp_group(&d->pairs, b->process_id, b->thread_id, b->free_thread, 0);
    if (gi < 0 || imp_lives_add(&d->lives, &d->nlives, &d->capl, gi, b->process_id, life, b->size))
        return IMP_ENOMEM;
    if (b->free_thread == b->thread_id)
        return 0;
    int64_t ci = imp_group(&d->cross, b->thread_id, b->free_thread, b->stack_id, 0);
    if (ci < 0)
        return IMP_ENOMEM;
    int64_t *cv = d->cross.vals + ci * 4;
    cv[0] = b->process_id, cv[1]++, cv[2] += b->size, cv[3] += life;
    int64_t ar = b->stack_id > 0 && b->stack_id <= d->nstacks ? d->site_rep[b->stack_id - 1] : 0;
    int64_t fr =
        b->free_stack > 0 && b->free_stack <= d->nstacks ? d->site_rep[b->free_stack - 1] : 0;
    gi = imp_group(&d->site_pairs, b->thread_id, b->free_thread, ar, fr);
    if (gi < 0 ||
        imp_lives_add(&d->site_lives, &d->nsite_lives, &d->capsl, gi, b->process_id, life, b->size))
        return IMP_ENOMEM;
    return 0;
}

static int imp_add_block(imp_derive_t *d, const imp_block_t *b)
{
    if (b->process_id < 1 || b->process_id > d->nprocs)
        return 0;
    const imp_dproc_t *p = &d->procs[b->process_id - 1];
    int rc = imp_add_totals(d, p, b);
    if (!rc)
        rc = imp_add_shapes(d, p, b);
    if (!rc)
        rc = imp_add_pairs(d, b);
    if (!rc && d->timeline == &d->own)
        rc = imp_timeline_add_block(d->timeline, b->thread_id, b->size, b->alloc_ns,
                                    b->free_ns == IMP_NULL ? -1 : b->free_ns);
    return rc;
}

/* A row of the allocations table read back. */
static int imp_add_block_row(void *ctx, const imp_value_t *c, int n)
{
    (void)n;
    imp_block_t b = {c[0].i,         c[1].i,         c[2].type == IMP_V_INT ? c[2].i : 0,
                     c[3].i,         c[4].i,         c[5].i,
                     imp_opt(&c[6]), imp_opt(&c[7]), c[8].type == IMP_V_INT ? c[8].i : 0};
    return imp_add_block(ctx, &b);
}

/* Every block, from the spool when it maps (the same values as the rows; the timeline's
 * events are then gathered beside, from the spool too), else from the allocations table
 * (the events too). */
static int imp_add_blocks(imp_derive_t *d, imp_spool_t *spool, imp_timeline_t *timeline)
{
    d->timeline = timeline && imp_spool_map(spool) == 0 ? timeline : &d->own;
    if (d->timeline == &d->own)
        return imp_db_scan(d->db,
                           "SELECT process_id, thread_id, stack_id, size_bytes, weight, alloc_ns,"
                           " free_ns, free_thread_id, free_stack_id FROM allocations",
                           imp_add_block_row, d);
    int rc = 0;
    for (uint64_t i = 0; !rc && i < spool->count; i++) {
        const imp_spool_block_t *s = &spool->map[i];
        imp_block_t b = {s->process_id,
                         s->thread_id,
                         s->stack_id,
                         (int64_t)s->size,
                         (int64_t)s->weight,
                         (int64_t)s->alloc_ns,
                         s->ended ? (int64_t)s->free_ns : IMP_NULL,
                         s->free_thread_id ? (int64_t)s->free_thread_id : IMP_NULL,
                         s->free_stack_id};
        rc = imp_add_block(d, &b);
    }
    return rc;
}

static imp_value_t imp_v_opt(int64_t v)
{
    return v == IMP_NULL ? imp_v_null() : imp_v_int(v);
}

/* Under sampling the rows without a stack are already counted in the weights of the
 * sampled rows: their group keeps only what no weight accounts for (as in SQL). */
static void imp_fix_unstacked(imp_derive_t *d, int64_t *extra)
{
    for (uint64_t i = 0; i < d->totals.n; i++) {
        int64_t *k = d->totals.keys + 4 * i, *v = d->totals.vals + i * T_COUNT;
        if (k[1])
            extra[k[0] - 1] += v[T_BLOCKS] - v[T_ROWS];
    }
    for (uint64_t i = 0; i < d->totals.n; i++) {
        int64_t *k = d->totals.keys + 4 * i, *v = d->totals.vals + i * T_COUNT;
        int64_t x = extra[k[0] - 1];
        if (k[1] || x <= 0)
            continue;
        int64_t keep = v[T_ROWS] - x > 0 ? v[T_ROWS] - x : 0;
        v[T_BLOCKS] = keep;
        v[T_BYTES] = v[T_ROWS] > 0 ? v[T_BYTES] * keep / v[T_ROWS] : 0;
        v[T_TEMP] = v[T_ROWS] > 0 ? v[T_TEMP] * keep / v[T_ROWS] : 0;
        v[T_CROSS] = v[T_ROWS] > 0 ? v[T_CROSS] * keep / v[T_ROWS] : 0;
    }
}

static int imp_write_totals(imp_derive_t *d)
{
    static const char upd[] =
        "UPDATE process_info SET sampled = ?, unstacked_rows = ? WHERE process_id = ?";
    int64_t *extra = calloc((size_t)d->nprocs + 1, sizeof *extra);
    int64_t *sampled = calloc((size_t)d->nprocs + 1, sizeof *sampled);
    int64_t *unstacked = calloc((size_t)d->nprocs + 1, sizeof *unstacked);
    imp_db_rows_t *rows = imp_db_rows_open(d->db, "stack_totals", 2 + T_COUNT, 0);
    int rc = extra && sampled && unstacked && rows ? 0 : IMP_ENOMEM;
    if (!rc)
        imp_fix_unstacked(d, extra);
    for (uint64_t i = 0; !rc && i < d->totals.n; i++) {
        int64_t *k = d->totals.keys + 4 * i, *v = d->totals.vals + i * T_COUNT;
        imp_value_t row[2 + T_COUNT] = {imp_v_int(k[0]), imp_v_id(k[1])};
        for (int c = 0; c < T_COUNT; c++)
            row[2 + c] = imp_v_opt(v[c]);
        rc = imp_db_rows_add(rows, row);
        if (k[1] && v[T_BLOCKS] > v[T_ROWS])
            sampled[k[0] - 1] = 1;
        if (!k[1])
            unstacked[k[0] - 1] += v[T_ROWS];
    }
    rc = imp_db_rows_close(rows, rc);
    for (int64_t p = 0; !rc && p < d->nprocs; p++) {
        imp_value_t row[3] = {imp_v_int(sampled[p]), imp_v_int(unstacked[p]), imp_v_int(p + 1)};
        rc = imp_db_run(d->db, upd, row, 3);
    }
    free(extra), free(sampled), free(unstacked);
    return rc;
}

/* peak_stacks: (process, stack or NULL, blocks, bytes). */
static int imp_write_peak(imp_derive_t *d)
{
    imp_db_rows_t *rows = imp_db_rows_open(d->db, "peak_stacks", 4, 0);
    int rc = rows ? 0 : IMP_ENOMEM;
    for (uint64_t i = 0; !rc && i < d->peak.n; i++) {
        int64_t *k = d->peak.keys + 4 * i, *v = d->peak.vals + 2 * i;
        imp_value_t row[4] = {imp_v_int(k[0]), imp_v_id(k[1]), imp_v_int(v[0]), imp_v_int(v[1])};
        rc = imp_db_rows_add(rows, row);
    }
    return imp_db_rows_close(rows, rc);
}

/* site_steps (histograms 0) or site_histograms rows from their groups. */
static int imp_write_site_groups(imp_derive_t *d, const imp_groups_t *g, int histograms)
{
    static const char steps[] = "INSERT INTO site_steps VALUES(?,?,?,?,?,?)";
    static const char hists[] = "INSERT INTO site_histograms VALUES(?,?,?,?,?,?,?)";
    int rc = 0;
    for (uint64_t i = 0; !rc && i < g->n; i++) {
        int64_t *k = g->keys + 4 * i, *v = g->vals + 2 * i;
        const char *site = k[1] ? d->rep_site[k[1] - 1] : NULL,
                   *loc = k[1] ? d->rep_loc[k[1] - 1] : NULL;
        imp_value_t row[7] = {imp_v_int(k[0]), imp_v_text(site ? site : "(no stack)"),
                              imp_v_text(loc)};
        if (histograms) {
            int lifetime = k[2] >= 150;
            row[3] = imp_v_text(lifetime ? "lifetime" : "size");
            row[4] = imp_v_int(k[2] - (lifetime ? 200 : 100));
            row[5] = imp_v_int(v[0]), row[6] = imp_v_int(v[1]);
            rc = imp_db_run(d->db, hists, row, 7);
        } else {
            row[3] = imp_v_int(k[2]), row[4] = imp_v_int(v[0]), row[5] = imp_v_int(v[1]);
            rc = imp_db_run(d->db, steps, row, 6);
        }
    }
    return rc;
}

/* Windows per thread: the median count per active window, then the bursts. */
static int imp_write_bursts(imp_derive_t *d)
{
    static const char sql[] = "INSERT INTO bursts VALUES(?,?,?,?,?,?)";
    imp_groups_t per_thread = {.nv = 2};
    imp_lives_t *counts = NULL;
    uint64_t ncounts = 0, cap = 0;
    int rc = 0;
    for (uint64_t i = 0; !rc && i < d->windows.n; i++) {
        int64_t *k = d->windows.keys + 4 * i;
        int64_t ti = imp_group(&per_thread, k[1], 0, 0, 0);
        rc = ti < 0 ? IMP_ENOMEM
                    : imp_lives_add(&counts, &ncounts, &cap, ti, k[0], d->windows.vals[2 * i], 0);
    }
    for (uint64_t i = 0; !rc && i < ncounts; i++)
        rc = imp_radix_sort_i64(counts[i].ns, counts[i].n);
    for (uint64_t i = 0; !rc && i < d->windows.n; i++) {
        int64_t *k = d->windows.keys + 4 * i, *v = d->windows.vals + 2 * i;
        const imp_lives_t *c = &counts[imp_group(&per_thread, k[1], 0, 0, 0)];
        int64_t median = c->ns[(c->n + 1) / 2 - 1];
        if (v[0] < d->min_blocks || (double)v[0] < (double)d->burst_factor_micro / 1e6 * median)
            continue;
        imp_value_t row[6] = {imp_v_int(k[0]), imp_v_int(k[1]), imp_v_int(k[2] * d->burst_ns),
                              imp_v_int(v[0]), imp_v_int(v[1]), imp_v_int(median)};
        rc = imp_db_run(d->db, sql, row, 6);
    }
    for (uint64_t i = 0; i < ncounts; i++)
        free(counts[i].ns);
    free(counts);
    imp_groups_free(&per_thread);
    return rc;
}

/* "site (file:line)" of a rep (the location's file name only), "(no stack)" for 0;
 * malloc'd, NULL when out of memory. */
static char *imp_site_label(const imp_derive_t *d, int64_t rep)
{
    const char *site = rep ? d->rep_site[rep - 1] : NULL, *loc = rep ? d->rep_loc[rep - 1] : NULL;
    const char *base = loc ? strrchr(loc, '/') : NULL;
    base = base ? base + 1 : loc;
    size_t len = (site ? strlen(site) : 10) + (base ? strlen(base) + 3 : 0) + 1;
    char *label = malloc(len);
    if (label && base)
        snprintf(label, len, "%s (%s)", site ? site : "(no stack)", base);
    else if (label)
        snprintf(label, len, "%s", site ? site : "(no stack)");
    return label;
}

static int imp_write_lives(imp_derive_t *d, imp_groups_t *g, imp_lives_t *lives, uint64_t n,
                           int sites)
{
    static const char sql[] = "INSERT INTO thread_pairs VALUES(?,?,?,?,?,?,?,?,?,?,?)";
    int rc = 0;
    for (uint64_t i = 0; !rc && i < g->n && i < n; i++) {
        int64_t *k = g->keys + 4 * i;
        imp_lives_t *l = &lives[i];
        if ((rc = imp_radix_sort_i64(l->ns, l->n)))
            break;
        int64_t t = sites ? k[0] : k[1], ft = sites ? k[1] : k[2];
        char *as = sites ? imp_site_label(d, k[2]) : NULL;
        char *fs = sites && k[3] ? imp_site_label(d, k[3]) : NULL;
        if ((sites && !as) || (sites && k[3] && !fs)) {
            free(as), free(fs);
            return IMP_ENOMEM;
        }
        imp_value_t row[11] = {imp_v_text(sites ? "sites" : "threads"),
                               imp_v_int(l->process_id),
                               imp_v_int(t),
                               imp_v_int(ft),
                               imp_v_text(as),
                               imp_v_text(fs),
                               imp_v_int((int64_t)l->n),
                               imp_v_int(l->bytes),
                               imp_v_int(l->ns[(l->n + 1) / 2 - 1]),
                               imp_v_int(l->ns[(9 * l->n + 9) / 10 - 1]),
                               imp_v_int(l->ns[l->n - 1])};
        rc = imp_db_run(d->db, sql, row, 11);
        free(as), free(fs);
    }
    return rc;
}

/* A thread's process, into the array of the threads (the timeline's), by thread id. */
typedef struct imp_thread_map {
    int64_t *process, nthreads;
} imp_thread_map_t;

static int imp_load_thread(void *ctx, const imp_value_t *c, int n)
{
    imp_thread_map_t *m = ctx;
    (void)n;
    if (c[0].i >= 0 && c[0].i <= m->nthreads)
        m->process[c[0].i] = c[1].i;
    return 0;
}

/* timeline_fine, once the events are sorted: the processes' steps and the threads'
 * processes come from the database. */
static int imp_write_timeline(imp_derive_t *d)
{
    imp_thread_map_t m = {NULL, 0};
    int rc = imp_db_scan_int(d->db, "SELECT max(thread_id) FROM threads", &m.nthreads);
    if (m.nthreads > (1 << IMP_TIMELINE_THREAD_BITS) - 1)
        m.nthreads = (1 << IMP_TIMELINE_THREAD_BITS) - 1;
    imp_tl_proc_t *procs = calloc((size_t)d->nprocs + 1, sizeof *procs);
    if (!rc && (!procs || !(m.process = calloc((size_t)m.nthreads + 1, sizeof *m.process))))
        rc = IMP_ENOMEM;
    if (!rc)
        rc = imp_db_scan(d->db, "SELECT thread_id, process_id FROM threads", imp_load_thread, &m);
    for (int64_t p = 0; !rc && p < d->nprocs; p++)
        procs[p] = (imp_tl_proc_t){d->procs[p].t0, d->procs[p].end, d->procs[p].known};
    if (!rc)
        rc = imp_timeline_write(d->timeline, d->db, procs, d->nprocs, m.process, m.nthreads);
    free(procs), free(m.process);
    return rc;
}

static void imp_derive_free(imp_derive_t *d)
{
    imp_timeline_free(&d->own);
    free(d->rep_site), free(d->rep_loc), free(d->site_rep), free(d->procs);
    imp_site_keys_free(&d->sites);
    for (uint64_t i = 0; i < d->nlives; i++)
        free(d->lives[i].ns);
    for (uint64_t i = 0; i < d->nsite_lives; i++)
        free(d->site_lives[i].ns);
    free(d->lives), free(d->site_lives);
    imp_groups_free(&d->totals), imp_groups_free(&d->peak), imp_groups_free(&d->windows);
    imp_groups_free(&d->pairs);
    imp_groups_free(&d->site_pairs), imp_groups_free(&d->cross);
    imp_groups_free(&d->site_hist), imp_groups_free(&d->site_steps);
}

static int imp_write_cross(imp_derive_t *d)
{
    static const char sql[] = "INSERT INTO cross_stacks VALUES(?,?,?,?,?,?,?)";
    int rc = 0;
    for (uint64_t i = 0; !rc && i < d->cross.n; i++) {
        int64_t *k = d->cross.keys + 4 * i, *v = d->cross.vals + 4 * i;
        imp_value_t row[7] = {imp_v_int(v[0]), imp_v_int(k[0]), imp_v_int(k[1]), imp_v_id(k[2]),
                              imp_v_int(v[1]), imp_v_int(v[2]), imp_v_int(v[3])};
        rc = imp_db_run(d->db, sql, row, 7);
    }
    return rc;
}

static int imp_derive_load(imp_derive_t *d)
{
    int rc = imp_db_scan_int(d->db, "SELECT max(process_id) FROM process_info", &d->nprocs);
    if (!rc)
        rc = imp_db_scan_int(d->db, "SELECT max(stack_id) FROM stacks", &d->nstacks);
    if (rc)
        return rc;
    d->procs = calloc((size_t)d->nprocs + 1, sizeof *d->procs);
    d->site_rep = imp_calloc_big((size_t)d->nstacks + 1, sizeof *d->site_rep);
    d->rep_site = imp_calloc_big((size_t)d->nstacks + 1, sizeof *d->rep_site);
    d->rep_loc = imp_calloc_big((size_t)d->nstacks + 1, sizeof *d->rep_loc);
    if (!d->procs || !d->site_rep || !d->rep_site || !d->rep_loc)
        return IMP_ENOMEM;
    rc = imp_db_scan(d->db, imp_params_sql, imp_load_params, d);
    if (!rc)
        rc = imp_db_scan(d->db, imp_procs_sql, imp_load_proc, d);
    if (!rc)
        rc = imp_groups_direct(&d->totals, d->nstacks);
    if (!rc)
        rc = imp_groups_direct(&d->peak, d->nstacks);
    if (!rc && d->sites.nstacks != d->nstacks)
        rc = IMP_EDB; /* imp_stack_sites wrote a row per stack of the store: never */
    if (!rc)
        imp_load_reps(d);
    return rc;
}

int imp_derive_blocks(imp_db_t *db, imp_spool_t *spool, imp_timeline_t *timeline,
                      imp_site_keys_t *sites)
{
    imp_derive_t d;
    memset(&d, 0, sizeof d);
    d.db = db;
    d.sites = *sites;
    memset(sites, 0, sizeof *sites);
    d.totals.nv = T_COUNT;
    d.peak.nv = d.windows.nv = d.site_hist.nv = d.site_steps.nv = 2;
    d.pairs.nv = d.site_pairs.nv = 1;
    d.cross.nv = 4;
    int rc = imp_derive_load(&d);
    if (!rc)
        rc = imp_add_blocks(&d, spool, timeline);
    if (!rc)
        rc = imp_write_totals(&d);
    if (!rc)
        rc = imp_site_totals_write(db, &d.sites, d.totals.keys, d.totals.vals, d.totals.n, T_COUNT,
                                   imp_total_kinds, IMP_NULL);
    if (!rc)
        rc = imp_site_top_stacks_write(
            db, &d.sites, d.totals.keys, d.totals.vals, d.totals.n, T_COUNT,
            (const int[4]){T_BYTES, T_BLOCKS, T_LIVE_BYTES, T_EXIT_BYTES});
    if (!rc)
        rc = imp_write_peak(&d);
    if (!rc)
        rc = imp_write_site_groups(&d, &d.site_steps, 0);
    if (!rc)
        rc = imp_write_site_groups(&d, &d.site_hist, 1);
    if (!rc)
        rc = imp_write_bursts(&d);
    if (!rc)
        rc = imp_write_lives(&d, &d.pairs, d.lives, d.nlives, 0);
    if (!rc)
        rc = imp_write_lives(&d, &d.site_pairs, d.site_lives, d.nsite_lives, 1);
    if (!rc)
        rc = imp_write_cross(&d);
    if (!rc)
        rc = imp_write_timeline(&d);
    imp_derive_free(&d);
    return rc;
}
