/* imp_site_keys.c: stacks to sites, and site_totals summed in C (imp_site_keys.h).
 *
 * The rows are those of sql/56-derive-blocks.sql's site_totals, which stays the reference a
 * user re-runs (tests/analyses/test_analyses.c compares the two): the same groups, the
 * lowest module and path by their bytes, NULLs left out of the lowest and highest, and
 * the rows written in the GROUP BY's order.
 */
#include <stdlib.h>
#include <string.h>

#include "imp_array.h"
#include "imp_error.h"
#include "imp_site_keys.h"

static const char imp_no_stack[] = "(no stack)";

static int sk_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Orders as SQLite's BINARY collation does, NULL first. */
static int sk_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return !a ? (b ? -1 : 0) : 1;
    return strcmp(a, b);
}

static uint64_t sk_hash_text(uint64_t h, const char *s)
{
    uint8_t mark = s ? 1 : 2; /* NULL and "" hash apart */
    h = imp_hash_bytes(h, &mark, 1);
    return s ? imp_hash_bytes(h, s, strlen(s)) : h;
}

static char *sk_dup(const char *s, int *oom)
{
    char *d = s ? strdup(s) : NULL;
    *oom |= s && !d;
    return d;
}

typedef struct sk_want {
    int with_class;
    const char *cls, *site, *loc;
} sk_want_t;

static int sk_same_key(const void *ctx, uint64_t key_number, const void *want)
{
    const imp_site_key_t *e = &((const imp_site_keys_t *)ctx)->keys[key_number - 1];
    const sk_want_t *w = want;
    return (!w->with_class || sk_same(e->class_name, w->cls)) && sk_same(e->site, w->site) &&
           sk_same(e->location, w->loc);
}

/* The slot of the entry of map whose text matches, or the new slot for it (*added).
 * NULL when out of memory. */
static uint64_t *sk_slot(imp_site_keys_t *k, imp_hashmap_t *map, int with_class, const char *cls,
                         const char *site, const char *loc, int *added)
{
    uint64_t h = sk_hash_text(sk_hash_text(sk_hash_text(IMP_FNV_OFFSET, cls), site), loc);
    sk_want_t want = {with_class, cls, site, loc};
    return imp_hashmap_probe(map, h, sk_same_key, k, &want, added);
}

/* The index + 1 of key (cls, site, loc), made when new (rep 0, no module nor path). */
static uint32_t sk_intern(imp_site_keys_t *k, const char *cls, const char *site, const char *loc)
{
    int added;
    uint64_t *slot = sk_slot(k, &k->by_key, 1, cls, site, loc, &added);
    if (!slot)
        return 0;
    if (!added)
        return (uint32_t)*slot;
    if (k->nkeys == k->capkeys) {
        uint32_t cap = k->capkeys ? k->capkeys * 2 : 64;
        imp_site_key_t *keys = realloc(k->keys, cap * sizeof *keys);
        if (!keys)
            return 0;
        k->keys = keys, k->capkeys = cap;
    }
    imp_site_key_t *e = &k->keys[k->nkeys];
    int oom = 0;
    *e = (imp_site_key_t){sk_dup(cls, &oom), sk_dup(site, &oom), sk_dup(loc, &oom), 0};
    *slot = ++k->nkeys; /* a half-made key is freed with the others */
    return oom ? 0 : k->nkeys;
}

int imp_site_keys_add(imp_site_keys_t *k, int64_t id, const char *cls, const char *site,
                      const char *loc, const char *module, const char *path)
{
    if (id < 1 || id > k->nstacks)
        return 0;
    site = site ? site : imp_no_stack;
    uint32_t ki = sk_intern(k, cls, site, loc);
    if (!ki)
        return IMP_ENOMEM;
    imp_site_key_t *e = &k->keys[ki - 1];
    if (!e->rep) {
        int added;
        uint64_t *rep = sk_slot(k, &k->by_rep, 0, NULL, site, loc, &added);
        if (!rep)
            return IMP_ENOMEM;
        if (added)
            *rep = ki; /* the first stack of this (site, location): the lowest id */
        e = &k->keys[ki - 1];
        e->rep = added ? id : k->keys[*rep - 1].rep;
    }
    int64_t module_text = imp_texts_intern(&k->texts, module);
    int64_t path_text = imp_texts_intern(&k->texts, path);
    if (module_text < 0 || path_text < 0)
        return IMP_ENOMEM;
    k->stack_site[id - 1] = ki;
    k->stack_module[id - 1] = (uint32_t)module_text, k->stack_path[id - 1] = (uint32_t)path_text;
    return 0;
}

void imp_site_keys_copy(imp_site_keys_t *k, int64_t id, int64_t from)
{
    if (id < 1 || id > k->nstacks || from < 1 || from > k->nstacks)
        return;
    k->stack_site[id - 1] = k->stack_site[from - 1];
    k->stack_module[id - 1] = k->stack_module[from - 1];
    k->stack_path[id - 1] = k->stack_path[from - 1];
}

int imp_site_keys_init(imp_site_keys_t *k, int64_t nstacks)
{
    memset(k, 0, sizeof *k);
    imp_hashmap_init(&k->by_key), imp_hashmap_init(&k->by_rep);
    imp_texts_init(&k->texts);
    k->nstacks = nstacks;
    k->stack_site = imp_calloc_big((size_t)nstacks + 1, sizeof *k->stack_site);
    k->stack_module = imp_calloc_big((size_t)nstacks + 1, sizeof *k->stack_module);
    k->stack_path = imp_calloc_big((size_t)nstacks + 1, sizeof *k->stack_path);
    return k->stack_site && k->stack_module && k->stack_path ? 0 : IMP_ENOMEM;
}

void imp_site_keys_free(imp_site_keys_t *k)
{
    for (uint32_t i = 0; i < k->nkeys; i++) {
        imp_site_key_t *e = &k->keys[i];
        free(e->class_name), free(e->site), free(e->location);
    }
    free(k->keys), free(k->stack_site), free(k->stack_module), free(k->stack_path);
    imp_hashmap_free(&k->by_key), imp_hashmap_free(&k->by_rep);
    imp_texts_free(&k->texts);
    memset(k, 0, sizeof *k);
}

uint32_t imp_site_keys_of(imp_site_keys_t *k, int64_t stack_id)
{
    if (stack_id > 0 && stack_id <= k->nstacks && k->stack_site[stack_id - 1])
        return k->stack_site[stack_id - 1];
    if (!k->nostack)
        k->nostack = sk_intern(k, "unknown", imp_no_stack, NULL);
    return k->nostack;
}

/* ---- site_totals ---------------------------------------------------------------------- */

typedef struct sk_group {
    int64_t process_id;
    uint32_t key;
    uint32_t module, path; /* the lowest of its stacks' (text index + 1, 0: none) */
    int64_t *vals;
} sk_group_t;

/* Keeps in *cur the lower of the texts *cur and t (0, NULL, is never the lower). */
static void sk_keep_lowest(const imp_site_keys_t *k, uint32_t *cur, uint32_t t)
{
    if (t && (!*cur || strcmp(imp_texts_get(&k->texts, t), imp_texts_get(&k->texts, *cur)) < 0))
        *cur = t;
}

static const imp_site_keys_t *sk_sort_keys;

/* A GROUP BY's order: process_id, class (when with_class), site, location. */
static int sk_order(int64_t pa, uint32_t ka, int64_t pb, uint32_t kb, int with_class)
{
    if (pa != pb)
        return pa < pb ? -1 : 1;
    const imp_site_key_t *p = &sk_sort_keys->keys[ka - 1], *q = &sk_sort_keys->keys[kb - 1];
    int c = with_class ? sk_cmp(p->class_name, q->class_name) : 0;
    if (!c)
        c = sk_cmp(p->site, q->site);
    return c ? c : sk_cmp(p->location, q->location);
}

static int sk_group_cmp(const void *a, const void *b)
{
    const sk_group_t *x = a, *y = b;
    return sk_order(x->process_id, x->key, y->process_id, y->key, 1);
}

static void sk_add(int64_t *acc, const int64_t *v, int ncols, const int *kinds, int64_t null_value)
{
    for (int c = 0; c < ncols; c++) {
        if (!kinds[c])
            acc[c] += v[c];
        else if (v[c] != null_value &&
                 (acc[c] == null_value || (kinds[c] < 0 ? v[c] < acc[c] : v[c] > acc[c])))
            acc[c] = v[c];
    }
}

static int sk_write_group(imp_db_t *db, const imp_site_keys_t *k, const sk_group_t *g, int ncols,
                          int64_t null_value)
{
    static const char sql[] = "INSERT INTO site_totals VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                              "?,?,?,?,?,?,?,?,?,?)";
    const imp_site_key_t *e = &k->keys[g->key - 1];
    const char *cls = e->class_name ? e->class_name : "unknown";
    imp_value_t row[28];
    int n = 0;
    row[n++] = imp_v_int(g->process_id);
    row[n++] = imp_v_text(cls);
    row[n++] = imp_v_text(e->site);
    row[n++] = e->location ? imp_v_text(e->location) : imp_v_null();
    row[n++] = g->module ? imp_v_text(imp_texts_get(&k->texts, g->module)) : imp_v_null();
    row[n++] = g->path ? imp_v_text(imp_texts_get(&k->texts, g->path)) : imp_v_null();
    for (int c = 0; c < ncols && n < 27; c++)
        row[n++] = g->vals[c] == null_value ? imp_v_null() : imp_v_int(g->vals[c]);
    row[n++] = imp_v_int(!strcmp(cls, "user") ? 0 : !strcmp(cls, "runtime") ? 1 : 2);
    return n == 28 ? imp_db_run(db, sql, row, n) : IMP_EDB;
}

int imp_site_totals_write(imp_db_t *db, imp_site_keys_t *k, const int64_t *group_keys,
                          const int64_t *vals, uint64_t n, int ncols, const int *kinds,
                          int64_t null_value)
{
    imp_hashmap_t by_group;
    imp_hashmap_init(&by_group);
    sk_group_t *groups = NULL;
    uint64_t ngroups = 0, cap = 0;
    int rc = 0;
    for (uint64_t i = 0; !rc && i < n; i++) {
        int64_t pid = group_keys[4 * i], stack = group_keys[4 * i + 1];
        uint32_t key = imp_site_keys_of(k, stack);
        if (!key || pid < 1 || pid >= (1ll << 31)) {
            rc = key ? IMP_EDB : IMP_ENOMEM; /* process ids are 1, 2, ... */
            break;
        }
        int added;
        uint64_t *slot = imp_hashmap_upsert(&by_group, (uint64_t)pid << 32 | key, &added);
        if (slot && added && ngroups == cap) {
            cap = cap ? cap * 2 : 64;
            sk_group_t *g = realloc(groups, cap * sizeof *g);
            groups = g ? g : groups;
            slot = g ? slot : NULL;
        }
        int64_t *acc = slot && added ? malloc((size_t)ncols * sizeof *acc) : NULL;
        if (!slot || (added && !acc)) {
            rc = IMP_ENOMEM;
            break;
        }
        if (added) {
            for (int c = 0; c < ncols; c++)
                acc[c] = kinds[c] ? null_value : 0;
            groups[ngroups] = (sk_group_t){pid, key, 0, 0, acc};
            *slot = ++ngroups;
        }
        sk_group_t *g = &groups[*slot - 1];
        sk_add(g->vals, vals + i * (uint64_t)ncols, ncols, kinds, null_value);
        if (stack > 0 && stack <= k->nstacks) {
            sk_keep_lowest(k, &g->module, k->stack_module[stack - 1]);
            sk_keep_lowest(k, &g->path, k->stack_path[stack - 1]);
        }
    }
    sk_sort_keys = k;
    if (!rc && ngroups)
        qsort(groups, ngroups, sizeof *groups, sk_group_cmp);
    for (uint64_t g = 0; !rc && g < ngroups; g++)
        rc = sk_write_group(db, k, &groups[g], ncols, null_value);
    for (uint64_t g = 0; g < ngroups; g++)
        free(groups[g].vals);
    free(groups);
    imp_hashmap_free(&by_group);
    return rc;
}

/* ---- site_top_stacks ------------------------------------------------------------------ */

typedef struct sk_top {
    int64_t process_id;
    uint32_t key; /* a key of this (site, location) */
    uint64_t stacks;
    int64_t stack[3];     /* the heaviest by bytes, by live bytes, by bytes freed at exit */
    int64_t weight[3][3]; /* theirs: (that criterion, bytes, blocks) */
} sk_top_t;

/* Keeps stack in *kept when it is heavier: a higher (criterion, bytes, blocks), then the
 * lower id, as sql/56-derive-blocks.sql orders them. */
static void sk_keep_heavier(int64_t *kept, int64_t *kept_weight, int64_t stack, const int64_t *w)
{
    int heavier = !*kept, i = 0;
    while (!heavier && i < 3 && w[i] == kept_weight[i])
        i++;
    if (!heavier)
        heavier = i < 3 ? w[i] > kept_weight[i] : stack < *kept;
    if (heavier) {
        *kept = stack;
        memcpy(kept_weight, w, 3 * sizeof *w);
    }
}

static int sk_top_cmp(const void *a, const void *b)
{
    const sk_top_t *x = a, *y = b;
    return sk_order(x->process_id, x->key, y->process_id, y->key, 0);
}

static int sk_write_top(imp_db_t *db, const imp_site_keys_t *k, const sk_top_t *t)
{
    static const char sql[] = "INSERT INTO site_top_stacks VALUES(?,?,?,?,?,?,?)";
    const imp_site_key_t *e = &k->keys[t->key - 1];
    imp_value_t row[7] = {imp_v_int(t->process_id),
                          imp_v_text(e->site),
                          e->location ? imp_v_text(e->location) : imp_v_null(),
                          imp_v_int((int64_t)t->stacks),
                          imp_v_int(t->stack[0]),
                          imp_v_int(t->stack[1]),
                          imp_v_int(t->stack[2])};
    return imp_db_run(db, sql, row, 7);
}

int imp_site_top_stacks_write(imp_db_t *db, imp_site_keys_t *k, const int64_t *group_keys,
                              const int64_t *vals, uint64_t n, int ncols, const int cols[4])
{
    imp_hashmap_t by_site;
    imp_hashmap_init(&by_site);
    sk_top_t *tops = NULL;
    uint64_t ntops = 0, cap = 0;
    int rc = 0;
    for (uint64_t i = 0; !rc && i < n; i++) {
        int64_t pid = group_keys[4 * i], stack = group_keys[4 * i + 1];
        uint32_t key = stack > 0 && stack <= k->nstacks ? k->stack_site[stack - 1] : 0;
        const imp_site_key_t *e = key ? &k->keys[key - 1] : NULL;
        if (!e || !strcmp(e->site, imp_no_stack))
            continue; /* no row in stack_sites, or one without a site */
        if (pid < 1 || pid >= (1ll << 31) || e->rep < 1 || e->rep > UINT32_MAX) {
            rc = IMP_EDB;
            break;
        }
        int added;
        uint64_t *slot =
            imp_hashmap_upsert(&by_site, (uint64_t)pid << 32 | (uint64_t)e->rep, &added);
        if (slot && added && imp_grow((void **)&tops, &cap, ntops, sizeof *tops))
            slot = NULL;
        if (!slot) {
            rc = IMP_ENOMEM;
            break;
        }
        if (added) {
            memset(&tops[ntops], 0, sizeof *tops);
            tops[ntops].process_id = pid, tops[ntops].key = key;
            *slot = ++ntops;
        }
        sk_top_t *t = &tops[*slot - 1];
        const int64_t *v = vals + i * (uint64_t)ncols;
        int64_t bytes = v[cols[0]], blocks = v[cols[1]];
        int64_t w[3][3] = {
            {0, bytes, blocks}, {v[cols[2]], bytes, blocks}, {v[cols[3]], bytes, blocks}};
        t->stacks++;
        for (int c = 0; c < 3; c++)
            sk_keep_heavier(&t->stack[c], t->weight[c], stack, w[c]);
    }
    sk_sort_keys = k;
    if (!rc && ntops)
        qsort(tops, ntops, sizeof *tops, sk_top_cmp);
    for (uint64_t t = 0; !rc && t < ntops; t++)
        rc = sk_write_top(db, k, &tops[t]);
    free(tops);
    imp_hashmap_free(&by_site);
    return rc;
}
