/* imp_stack_sites.c: stack_sites and stack_functions on the stack tree (imp_stack_sites.h).
 *
 * The same rows as the per-stack part of sql/55-derive.sql, which stays the reference a
 * user re-runs after editing site_rules (tests/importer/test_import_stack_tree.c compares
 * the two). There every stack's frames are read, one row per frame of every stack; here
 * each answer is kept per tree node, from its parent's answer and its own frame, so the
 * cost follows the nodes (shared outer frames counted once), not the frames of every
 * stack. Per node, for each kind of frame (user, runtime's own, named, any): the nearest
 * node at or above it, from the innermost, whose frame has a row of that kind; and the
 * set of user function labels on the way to the root (stacks with equal sets share one
 * set_id in function_sets), kept as a chain: a node's chain is its parent's with each
 * label of its frame not yet on it, so stacks that share outer frames share the links
 * and nothing is copied per node. The per-frame facts (labels, the site_rules matches)
 * come from temp.frame_kinds, made by the file's first part. The ids are the file's too:
 * function_id the rank of the label's bytes, set_id the rank of the set's JSON text (from
 * the last), site_label_id the order of a row's first stack, so the tables themselves, not
 * only the views, are the reference's rows. A stack's site row is made once per distinct
 * source (the frames' rows it comes from and its path): most stacks only refer to a row
 * made before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imp_array.h"
#include "imp_error.h"
#include "imp_hashmap.h"
#include "imp_stack_sites.h"

/* One row of temp.frame_kinds: a (frame, inlined function). */
typedef struct imp_kind {
    char *function, *file, *module, *label;
    char *location; /* file || ':' || line, NULL when either is NULL */
    int64_t line, inline_depth;
    int has_line, is_user, is_own;
    uint32_t label_id; /* user rows: rank of label among the user labels, from 1 */
} imp_kind_t;

/* Per frame: its rows (by inline_depth) and the first row of each kind, -1 = none. */
typedef struct imp_kframe {
    int64_t first, n;
    int64_t u, o, a, f;
    uint32_t *labels; /* its user rows' distinct label ids, ascending */
    uint32_t nlabels;
} imp_kframe_t;

enum { IMP_K_USER, IMP_K_OWN, IMP_K_NAMED, IMP_K_ANY, IMP_K_COUNT };

/* A chain: the chain it extends and the label it adds. */
typedef struct imp_link {
    uint32_t up, label;
} imp_link_t;

/* What a stack's site_labels row is made of: its first row of each kind (index into
 * kinds, -1: none), the user row's position, whether that row is the site, and the path
 * (its number in paths, 0: NULL). Stacks with equal sources have equal rows. */
typedef struct imp_label_src {
    int64_t u, o, a, f, upos;
    uint32_t is_user, path, label;
} imp_label_src_t;

/* A site_labels row: its columns laid end to end (imp_text_add) and its first stack. */
typedef struct imp_label_row {
    char *text;
    size_t len;
    uint32_t first;
} imp_label_row_t;

typedef struct imp_sites {
    imp_db_t *db;
    imp_store_t *s;
    imp_site_keys_t *keys; /* each stack_sites row, as it is written */
    imp_kind_t *kinds;
    int64_t nkinds, capkinds;
    imp_kframe_t *frames; /* index = frame_id, 0 unused */
    uint64_t nframes;
    char **labels; /* index = label_id - 1 */
    uint32_t nlabels;
    /* per node (index = node_id - 1) */
    uint32_t *depth;
    uint32_t *nearest[IMP_K_COUNT]; /* node id, 0 = none */
    uint32_t *fset;                 /* its chain, 0 = no user label */
    /* function sets as chains (index = chain id, 0 = the empty chain) */
    imp_link_t *chains;
    uint64_t nchains, capchains;
    imp_hashmap_t chain_next; /* chain << 32 | label -> chain id + 1 */
    /* per chain: set_id in function_sets (0 = no stack's), the set as text until written */
    uint32_t *set_rank;
    uint32_t *stack_chain; /* per stack (index = stack_id - 1): the chain it ends on */
    char **set_json;
    uint32_t *by_rank; /* one chain per set_id (from 1), the first of equal texts */
    uint64_t nsets;
    int64_t path_frames; /* -1: no limit */
    char *path;
    size_t cappath;
    /* site_labels: the rows (index = site_label_id - 1) and the sources seen, each once */
    imp_label_row_t *rows;
    uint64_t nrows, caprows;
    imp_label_src_t *srcs;
    uint64_t nsrcs, capsrcs;
    imp_texts_t paths;
    imp_hashmap_t by_row, by_src; /* hashes -> index + 1, probed past mismatches */
    char *text;                   /* the row being looked up */
    size_t captext;
    uint32_t *stack_label; /* per stack (index = stack_id - 1): its site_labels row */
} imp_sites_t;

static char *imp_dup(const imp_value_t *v)
{
    return v->type == IMP_V_TEXT ? strdup(v->s) : NULL;
}

/* a || ':' || b as SQLite writes it: NULL when either is NULL. */
static char *imp_location(const char *file, int has_line, int64_t line)
{
    if (!file || !has_line)
        return NULL;
    size_t len = strlen(file) + 24;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%s:%lld", file, (long long)line);
    return s;
}

static const char imp_kinds_sql[] =
    "SELECT frame_id, inline_depth, function, file, line, module, label, is_user,"
    " is_runtime_own FROM temp.frame_kinds ORDER BY frame_id, inline_depth";

static int imp_load_kind(void *ctx, const imp_value_t *c, int n)
{
    imp_sites_t *st = ctx;
    (void)n;
    if (c[0].type != IMP_V_INT || c[0].i < 1 || (uint64_t)c[0].i > st->nframes)
        return 0;
    if (imp_grow((void **)&st->kinds, (uint64_t *)&st->capkinds, (uint64_t)st->nkinds,
                 sizeof *st->kinds))
        return IMP_ENOMEM;
    imp_kind_t *k = &st->kinds[st->nkinds];
    memset(k, 0, sizeof *k);
    k->inline_depth = c[1].i;
    k->function = imp_dup(&c[2]), k->file = imp_dup(&c[3]);
    k->has_line = c[4].type == IMP_V_INT, k->line = c[4].i;
    k->module = imp_dup(&c[5]), k->label = imp_dup(&c[6]);
    k->is_user = c[7].type == IMP_V_INT && c[7].i;
    k->is_own = c[8].type == IMP_V_INT && c[8].i;
    k->location = imp_location(k->file, k->has_line, k->line);
    if ((c[2].type == IMP_V_TEXT && !k->function) || (c[3].type == IMP_V_TEXT && !k->file) ||
        (c[5].type == IMP_V_TEXT && !k->module) || (c[6].type == IMP_V_TEXT && !k->label))
        return IMP_ENOMEM;
    imp_kframe_t *f = &st->frames[c[0].i];
    if (!f->n)
        f->first = st->nkinds;
    f->n++;
    st->nkinds++;
    return 0;
}

static int imp_cmp_label(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int imp_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Label ids in the order of the labels' bytes (the order of stack_functions' key), and
 * each frame's first row of each kind and distinct user labels. */
static int imp_index_kinds(imp_sites_t *st)
{
    char **all = malloc(((size_t)st->nkinds + 1) * sizeof *all);
    if (!all)
        return IMP_ENOMEM;
    size_t n = 0;
    for (int64_t i = 0; i < st->nkinds; i++)
        if (st->kinds[i].is_user && st->kinds[i].label)
            all[n++] = st->kinds[i].label;
    qsort(all, n, sizeof *all, imp_cmp_label);
    st->labels = all;
    for (size_t i = 0; i < n; i++)
        if (!st->nlabels || strcmp(all[st->nlabels - 1], all[i]))
            all[st->nlabels++] = all[i];
    for (int64_t i = 0; i < st->nkinds; i++) {
        imp_kind_t *k = &st->kinds[i];
        if (!k->is_user || !k->label)
            continue;
        char **hit = bsearch(&k->label, all, st->nlabels, sizeof *all, imp_cmp_label);
        k->label_id = (uint32_t)(hit - all) + 1;
    }
    for (uint64_t id = 1; id <= st->nframes; id++) {
        imp_kframe_t *f = &st->frames[id];
        f->u = f->o = f->a = f->f = -1;
        if (!f->n)
            continue;
        f->labels = malloc((size_t)f->n * sizeof *f->labels);
        if (!f->labels)
            return IMP_ENOMEM;
        f->f = f->first;
        for (int64_t i = f->first; i < f->first + f->n; i++) {
            const imp_kind_t *k = &st->kinds[i];
            if (k->is_user && f->u < 0)
                f->u = i;
            if (k->is_own && f->o < 0)
                f->o = i;
            if (k->function && f->a < 0)
                f->a = i;
            if (k->label_id)
                f->labels[f->nlabels++] = k->label_id;
        }
        qsort(f->labels, f->nlabels, sizeof *f->labels, imp_cmp_u32);
        uint32_t m = 0;
        for (uint32_t i = 0; i < f->nlabels; i++)
            if (!m || f->labels[m - 1] != f->labels[i])
                f->labels[m++] = f->labels[i];
        f->nlabels = m;
    }
    return 0;
}

/* 1 when label is on chain c. */
static int imp_chain_has(const imp_sites_t *st, uint32_t c, uint32_t label)
{
    for (; c; c = st->chains[c].up)
        if (st->chains[c].label == label)
            return 1;
    return 0;
}

/* A new chain: up with label after it. */
static int imp_chain_add(imp_sites_t *st, uint32_t up, uint32_t label, uint32_t *id)
{
    if (imp_grow((void **)&st->chains, &st->capchains, st->nchains, sizeof *st->chains))
        return IMP_ENOMEM;
    st->chains[st->nchains] = (imp_link_t){up, label};
    *id = (uint32_t)st->nchains++;
    return 0;
}

/* The chain c with label after it, created when new. */
static int imp_chain_next(imp_sites_t *st, uint32_t c, uint32_t label, uint32_t *next)
{
    int added;
    uint64_t *slot = imp_hashmap_upsert(&st->chain_next, (uint64_t)c << 32 | label, &added);
    if (!slot)
        return IMP_ENOMEM;
    if (!added) {
        *next = (uint32_t)*slot - 1;
        return 0;
    }
    int rc = imp_chain_add(st, c, label, next);
    if (!rc)
        *imp_hashmap_find(&st->chain_next, (uint64_t)c << 32 | label) = *next + 1ULL;
    return rc;
}

/* The chain of a node: its parent's with its frame's user labels not yet on it. The
 * chains are few and short enough to stay in cache, so the walk costs less than a
 * lookup in a map of (chain, frame) would (one entry per node: page faults). */
static int imp_set_step(imp_sites_t *st, uint32_t parent_set, uint32_t frame, uint32_t *set)
{
    const imp_kframe_t *f = frame <= st->nframes ? &st->frames[frame] : NULL;
    *set = parent_set;
    int rc = 0;
    for (uint32_t i = 0; f && !rc && i < f->nlabels; i++)
        if (!imp_chain_has(st, parent_set, f->labels[i]))
            rc = imp_chain_next(st, *set, f->labels[i], set);
    return rc;
}

/* Depth, nearest node of each kind and function set of every node, parents first. */
static int imp_walk_nodes(imp_sites_t *st)
{
    const imp_store_t *s = st->s;
    size_t n = (size_t)s->nnodes + 1;
    st->depth = imp_calloc_big(n, sizeof *st->depth);
    st->fset = imp_calloc_big(n, sizeof *st->fset);
    for (int k = 0; k < IMP_K_COUNT; k++)
        st->nearest[k] = imp_calloc_big(n, sizeof *st->nearest[k]);
    int rc = st->depth && st->fset ? 0 : IMP_ENOMEM;
    for (int k = 0; !rc && k < IMP_K_COUNT; k++)
        rc = st->nearest[k] ? 0 : IMP_ENOMEM;
    uint32_t empty;
    if (!rc)
        rc = imp_chain_add(st, 0, 0, &empty); /* chain 0 */
    for (uint64_t i = 0; !rc && i < s->nnodes; i++) {
        uint32_t parent = s->nodes[i].parent, frame = s->nodes[i].frame, node = (uint32_t)i + 1;
        const imp_kframe_t *f = frame <= st->nframes ? &st->frames[frame] : NULL;
        int64_t has[IMP_K_COUNT] = {f ? f->u : -1, f ? f->o : -1, f ? f->a : -1, f ? f->f : -1};
        st->depth[i] = parent ? st->depth[parent - 1] + 1 : 1;
        for (int k = 0; k < IMP_K_COUNT; k++)
            st->nearest[k][i] = has[k] >= 0 ? node : parent ? st->nearest[k][parent - 1] : 0;
        rc = imp_set_step(st, parent ? st->fset[parent - 1] : 0, frame, &st->fset[i]);
    }
    return rc;
}

/* The first row of kind k from the innermost frame of the stack whose innermost node is
 * leaf; *key = position * 4096 + inline_depth as in 55-derive.sql, -1 when none. */
static const imp_kind_t *imp_first(const imp_sites_t *st, uint32_t leaf, int k, int64_t *key,
                                   uint32_t *node)
{
    *key = -1, *node = 0;
    if (!leaf || !st->nearest[k][leaf - 1])
        return NULL;
    uint32_t m = st->nearest[k][leaf - 1];
    const imp_kframe_t *f = &st->frames[st->s->nodes[m - 1].frame];
    int64_t row = k == IMP_K_USER ? f->u : k == IMP_K_OWN ? f->o : k == IMP_K_NAMED ? f->a : f->f;
    const imp_kind_t *r = &st->kinds[row];
    *key = (int64_t)(st->depth[leaf - 1] - st->depth[m - 1]) * 4096 + r->inline_depth;
    *node = m;
    return r;
}

static int imp_path_add(imp_sites_t *st, size_t *len, const char *label)
{
    size_t add = strlen(label) + 4;
    if (*len + add + 1 > st->cappath) {
        size_t c = (*len + add + 1) * 2;
        char *p = realloc(st->path, c);
        if (!p)
            return IMP_ENOMEM;
        st->path = p, st->cappath = c;
    }
    if (*len)
        memcpy(st->path + *len, " < ", 3), *len += 3;
    memcpy(st->path + *len, label, add - 3); /* with its NUL */
    *len += add - 4;
    return 0;
}

/* The user labels from node outward, innermost first, at most path_frames: NULL if none. */
static int imp_path(imp_sites_t *st, uint32_t node, const char **out)
{
    size_t len = 0;
    int64_t taken = 0;
    *out = NULL;
    for (; node && (st->path_frames < 0 || taken < st->path_frames);
         node = st->s->nodes[node - 1].parent) {
        const imp_kframe_t *f = &st->frames[st->s->nodes[node - 1].frame];
        if (!f->nlabels)
            continue;
        for (int64_t i = f->first; i < f->first + f->n; i++) {
            if (!st->kinds[i].is_user || (st->path_frames >= 0 && taken >= st->path_frames))
                continue;
            int rc = imp_path_add(st, &len, st->kinds[i].label);
            if (rc)
                return rc;
            taken++;
        }
    }
    if (taken)
        *out = st->path;
    return 0;
}

static const char imp_label_insert[] =
    "INSERT INTO site_labels VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char imp_set_insert[] = "INSERT INTO function_sets VALUES(?, ?)";
static const char imp_function_label_insert[] = "INSERT INTO function_labels VALUES(?, ?)";

static int imp_same_src(const void *ctx, uint64_t number, const void *want)
{
    const imp_label_src_t *a = &((const imp_sites_t *)ctx)->srcs[number - 1], *b = want;
    return a->u == b->u && a->o == b->o && a->a == b->a && a->f == b->f && a->upos == b->upos &&
           a->is_user == b->is_user && a->path == b->path;
}

static int imp_same_row(const void *ctx, uint64_t label, const void *want)
{
    const imp_label_row_t *r = &((const imp_sites_t *)ctx)->rows[label - 1], *w = want;
    return r->len == w->len && !memcmp(r->text, w->text, w->len);
}

static uint64_t imp_src_hash(const imp_label_src_t *k)
{
    uint64_t h = IMP_FNV_OFFSET;
    const int64_t v[7] = {k->u, k->o, k->a, k->f, k->upos, k->is_user, k->path};
    for (int i = 0; i < 7; i++)
        h = imp_hash64(h ^ (uint64_t)v[i]);
    return h;
}

/* Appends a column to st->text: 1 for NULL, else 2, the text and its NUL (a text holds
 * no NUL, so two rows' texts are equal only when every column is). */
static int imp_text_add(imp_sites_t *st, size_t *len, const imp_value_t *v)
{
    const char *t = v->type == IMP_V_TEXT ? v->s : NULL;
    char digits[24];
    if (v->type == IMP_V_INT)
        snprintf(digits, sizeof digits, "%lld", (long long)v->i), t = digits;
    size_t add = t ? strlen(t) + 2 : 1;
    if (*len + add > st->captext) {
        size_t c = (*len + add) * 2;
        char *p = realloc(st->text, c);
        if (!p)
            return IMP_ENOMEM;
        st->text = p, st->captext = c;
    }
    st->text[(*len)++] = t ? (char)(v->type == IMP_V_INT ? 3 : 2) : 1;
    if (t)
        memcpy(st->text + *len, t, add - 1), *len += add - 1;
    return 0;
}

/* The site_labels id of row (its 12 columns, the first the stack's id, left out of the
 * comparison): an earlier row with the same columns, or the row added as a new label. */
static int imp_row_label(imp_sites_t *st, imp_value_t *row, uint32_t stack_id, uint32_t *label)
{
    size_t len = 0;
    int rc = 0;
    for (int i = 1; !rc && i < 12; i++)
        rc = imp_text_add(st, &len, &row[i]);
    if (!rc)
        rc = imp_grow((void **)&st->rows, &st->caprows, st->nrows, sizeof *st->rows);
    if (rc)
        return rc;
    imp_label_row_t want = {st->text, len, stack_id};
    int added;
    uint64_t *slot = imp_hashmap_probe(&st->by_row, imp_hash_bytes(IMP_FNV_OFFSET, st->text, len),
                                       imp_same_row, st, &want, &added);
    if (!slot)
        return IMP_ENOMEM;
    if (!added) {
        *label = (uint32_t)*slot;
        return 0;
    }
    if (!(want.text = malloc(len)))
        return IMP_ENOMEM;
    memcpy(want.text, st->text, len);
    st->rows[st->nrows] = want;
    *label = (uint32_t)(*slot = ++st->nrows);
    row[0] = imp_v_int(*label);
    return imp_db_run(st->db, imp_label_insert, row, 12);
}

/* The site_labels row of a stack whose source is new to the stack seen: its columns, as
 * the reference computes them, found among the rows or added (then also to the keys). */
static int imp_new_source(imp_sites_t *st, uint32_t stack_id, const imp_label_src_t *src,
                          const char *path, uint32_t *label)
{
    const imp_kind_t *u = src->u >= 0 ? &st->kinds[src->u] : NULL;
    const imp_kind_t *o = src->o >= 0 ? &st->kinds[src->o] : NULL;
    const imp_kind_t *a = src->a >= 0 ? &st->kinds[src->a] : NULL;
    const imp_kind_t *f = src->f >= 0 ? &st->kinds[src->f] : NULL;
    /* alloc_*: the named row, each column falling back to the innermost row's. */
    const char *a_label = a ? a->label : f ? f->label : NULL;
    const char *a_file = a && a->file ? a->file : f ? f->file : NULL;
    const char *a_module = a && a->module ? a->module : f ? f->module : NULL;
    int a_has_line = (a && a->has_line) || (f && f->has_line);
    int64_t a_line = a && a->has_line ? a->line : f ? f->line : 0;
    /* Made here only when its file and line come from different rows. */
    const imp_kind_t *whole = a && a->file && a->has_line ? a : !a ? f : NULL;
    char *a_location = whole ? NULL : imp_location(a_file, a_has_line, a_line);
    if (!whole && a_file && a_has_line && !a_location)
        return IMP_ENOMEM;
    const char *a_where = whole ? whole->location : a_location;
    const char *site, *location, *class;
    if (src->is_user)
        site = u->label, location = u->location, class = "user";
    else if (o)
        site = o->label, location = o->location, class = "runtime";
    else
        site = a_label, location = a_where, class = "unknown";
    imp_value_t row[12] = {imp_v_null(),
                           imp_v_text(site),
                           imp_v_text(location),
                           imp_v_text(class),
                           imp_v_text(u ? u->module : NULL),
                           imp_v_text(u ? u->function : NULL),
                           u ? imp_v_int(src->upos) : imp_v_null(),
                           imp_v_text(a_label),
                           imp_v_text(a ? a->function : NULL),
                           imp_v_text(a_where),
                           imp_v_text(a_module),
                           imp_v_text(path)};
    uint64_t before = st->nrows;
    int rc = imp_row_label(st, row, stack_id, label);
    if (!rc && st->nrows > before)
        rc = imp_site_keys_add(st->keys, stack_id, class, site, location, u ? u->module : NULL,
                               path);
    free(a_location);
    return rc;
}

/* Stacks that end on different nodes mostly share their source (a recursive program:
 * millions of stacks, a handful of rows), so a row is made and compared once per source
 * and each stack keeps a reference to it, written with the stack's row (imp_write_stacks). */
static int imp_label_stack(imp_sites_t *st, uint32_t stack_id)
{
    uint32_t leaf = st->s->stack_node[stack_id - 1], un, on, an, fn;
    int64_t uk, ok, ak, fk;
    const imp_kind_t *u = imp_first(st, leaf, IMP_K_USER, &uk, &un);
    const imp_kind_t *o = imp_first(st, leaf, IMP_K_OWN, &ok, &on);
    const imp_kind_t *a = imp_first(st, leaf, IMP_K_NAMED, &ak, &an);
    const imp_kind_t *f = imp_first(st, leaf, IMP_K_ANY, &fk, &fn);
    (void)ak, (void)fk, (void)an, (void)fn, (void)on;
    const char *path;
    int rc = imp_path(st, un, &path);
    int64_t path_id = rc ? 0 : imp_texts_intern(&st->paths, path);
    if (!rc && path_id < 0)
        rc = IMP_ENOMEM;
    if (!rc)
        rc = imp_grow((void **)&st->srcs, &st->capsrcs, st->nsrcs, sizeof *st->srcs);
    if (rc)
        return rc;
    imp_label_src_t src = {0};
    src.u = u ? u - st->kinds : -1, src.o = o ? o - st->kinds : -1;
    src.a = a ? a - st->kinds : -1, src.f = f ? f - st->kinds : -1;
    src.upos = u ? uk / 4096 : -1, src.is_user = u && (!o || ok > uk);
    src.path = (uint32_t)path_id;
    int added;
    uint64_t *slot =
        imp_hashmap_probe(&st->by_src, imp_src_hash(&src), imp_same_src, st, &src, &added);
    if (!slot)
        return IMP_ENOMEM;
    if (added) {
        *slot = ++st->nsrcs;
        rc = imp_new_source(st, stack_id, &src, path, &src.label);
        st->srcs[st->nsrcs - 1] = src;
    } else {
        src.label = st->srcs[*slot - 1].label;
    }
    uint32_t first = src.label ? st->rows[src.label - 1].first : stack_id;
    if (!rc && first != stack_id)
        imp_site_keys_copy(st->keys, stack_id, first);
    st->stack_label[stack_id - 1] = src.label;
    st->stack_chain[stack_id - 1] = leaf ? st->fset[leaf - 1] : 0;
    return rc;
}

/* A chain's labels as json_group_array writes the set's function_ids: "[3,17,40]". */
static char *imp_set_text(const imp_sites_t *st, uint32_t c, uint32_t *ids)
{
    uint32_t n = 0;
    for (uint32_t at = c; at; at = st->chains[at].up)
        ids[n++] = st->chains[at].label;
    qsort(ids, n, sizeof *ids, imp_cmp_u32);
    char *s = malloc((size_t)n * 11 + 3), *out = s;
    if (!s)
        return NULL;
    *out++ = '[';
    for (uint32_t i = 0; i < n; i++) {
        char digits[10];
        int k = 0;
        for (uint32_t v = ids[i]; v || !k; v /= 10)
            digits[k++] = (char)('0' + v % 10);
        if (i)
            *out++ = ',';
        while (k)
            *out++ = digits[--k];
    }
    memcpy(out, "]", 2);
    return s;
}

/* Descending (see 55-derive.sql's stack_sets for why). */
static int imp_cmp_text_desc(const void *a, const void *b)
{
    return strcmp(**(char *const *const *)b, **(char *const *const *)a);
}

/* The texts of the chains some stack ends on, in order, ranked as dense_rank() OVER
 * (ORDER BY function_ids DESC) in 55-derive.sql: chains with equal sets (labels met in
 * another order) share a set_id. */
static int imp_rank_sets(imp_sites_t *st)
{
    size_t n = (size_t)st->nchains + 1;
    st->set_rank = imp_calloc_big(n, sizeof *st->set_rank);
    st->set_json = imp_calloc_big(n, sizeof *st->set_json);
    st->by_rank = imp_calloc_big(n, sizeof *st->by_rank);
    char ***order = imp_calloc_big(n, sizeof *order);
    uint32_t *ids = imp_calloc_big(n, sizeof *ids), nused = 0;
    int rc = st->set_rank && st->set_json && st->by_rank && order && ids ? 0 : IMP_ENOMEM;
    for (uint64_t id = 1; !rc && id <= st->s->nstacks; id++) {
        uint32_t c = st->stack_chain[id - 1];
        if (!c || st->set_json[c])
            continue;
        st->set_json[c] = imp_set_text(st, c, ids);
        rc = st->set_json[c] ? 0 : IMP_ENOMEM;
        order[nused++] = &st->set_json[c];
    }
    if (!rc)
        qsort(order, nused, sizeof *order, imp_cmp_text_desc);
    for (uint32_t i = 0; !rc && i < nused; i++) {
        uint32_t c = (uint32_t)(order[i] - st->set_json);
        if (!i || strcmp(*order[i - 1], *order[i]))
            st->by_rank[++st->nsets] = c;
        st->set_rank[c] = (uint32_t)st->nsets;
    }
    free(order), free(ids);
    return rc;
}

/* The stacks' rows, each with its site and set (sql/12-tables-stacks.sql), then
 * function_labels (every user label) and function_sets (the sets some stack has). */
static int imp_write_stacks(imp_sites_t *st)
{
    const imp_store_t *s = st->s;
    imp_db_rows_t *rows = imp_db_rows_open(st->db, "stacks", 5, IMP_DB_ROWS_NEW_IDS);
    int rc = rows ? 0 : IMP_ENOMEM;
    for (uint64_t id = 1; !rc && id <= s->nstacks; id++) {
        imp_value_t row[5] = {imp_v_int((int64_t)id), imp_v_int(s->stack_depth[id - 1]),
                              imp_v_id(s->stack_node[id - 1]),
                              imp_v_id(st->stack_label[id - 1]),
                              imp_v_id(st->set_rank[st->stack_chain[id - 1]])};
        rc = imp_db_rows_add(rows, row);
    }
    rc = imp_db_rows_close(rows, rc);
    for (uint32_t i = 0; !rc && i < st->nlabels; i++) {
        imp_value_t fr[2] = {imp_v_int((int64_t)i + 1), imp_v_text(st->labels[i])};
        rc = imp_db_run(st->db, imp_function_label_insert, fr, 2);
    }
    for (uint64_t i = 1; !rc && i <= st->nsets; i++) {
        imp_value_t fr[2] = {imp_v_int((int64_t)i), imp_v_text(st->set_json[st->by_rank[i]])};
        rc = imp_db_run(st->db, imp_set_insert, fr, 2);
    }
    return rc;
}

static int imp_load_path_frames(void *ctx, const imp_value_t *c, int n)
{
    (void)n;
    *(int64_t *)ctx = c[0].type == IMP_V_INT ? c[0].i : -1;
    return 0;
}

static void imp_sites_free(imp_sites_t *st)
{
    for (int64_t i = 0; i < st->nkinds; i++) {
        imp_kind_t *k = &st->kinds[i];
        free(k->function), free(k->file), free(k->module), free(k->label), free(k->location);
    }
    for (uint64_t i = 0; st->frames && i <= st->nframes; i++)
        free(st->frames[i].labels);
    free(st->kinds), free(st->frames), free(st->labels);
    free(st->depth), free(st->fset);
    for (int k = 0; k < IMP_K_COUNT; k++)
        free(st->nearest[k]);
    for (uint64_t i = 0; st->set_json && i <= st->nchains; i++)
        free(st->set_json[i]);
    free(st->chains);
    free(st->set_rank), free(st->set_json), free(st->by_rank), free(st->stack_chain);
    free(st->stack_label);
    free(st->path), free(st->text);
    for (uint64_t i = 0; i < st->nrows; i++)
        free(st->rows[i].text);
    free(st->rows), free(st->srcs);
    imp_texts_free(&st->paths);
    imp_hashmap_free(&st->chain_next);
    imp_hashmap_free(&st->by_row), imp_hashmap_free(&st->by_src);
}

int imp_stack_sites(imp_db_t *db, imp_store_t *s, imp_site_keys_t *keys)
{
    imp_store_end_stacks(s);
    imp_sites_t st;
    memset(&st, 0, sizeof st);
    st.db = db, st.s = s, st.keys = keys, st.nframes = s->nframes, st.path_frames = -1;
    imp_hashmap_init(&st.chain_next);
    imp_hashmap_init(&st.by_row), imp_hashmap_init(&st.by_src);
    imp_texts_init(&st.paths);
    st.frames = calloc((size_t)s->nframes + 1, sizeof *st.frames);
    int rc = st.frames ? 0 : IMP_ENOMEM;
    if (!rc)
        rc = imp_db_scan(db, "SELECT value FROM analysis_params WHERE name = 'path_frames'",
                         imp_load_path_frames, &st.path_frames);
    if (!rc)
        rc = imp_db_scan(db, imp_kinds_sql, imp_load_kind, &st);
    if (!rc)
        rc = imp_index_kinds(&st);
    if (!rc)
        rc = imp_walk_nodes(&st);
    size_t n = (size_t)s->nstacks + 1;
    if (!rc && (!(st.stack_chain = imp_calloc_big(n, sizeof *st.stack_chain)) ||
                !(st.stack_label = imp_calloc_big(n, sizeof *st.stack_label))))
        rc = IMP_ENOMEM;
    if (!rc)
        rc = imp_site_keys_init(keys, (int64_t)s->nstacks);
    for (uint64_t id = 1; !rc && id <= s->nstacks; id++)
        rc = imp_label_stack(&st, (uint32_t)id);
    if (!rc)
        rc = imp_rank_sets(&st);
    if (!rc)
        rc = imp_write_stacks(&st);
    imp_sites_free(&st);
    imp_store_end_tree(s);
    return rc;
}
