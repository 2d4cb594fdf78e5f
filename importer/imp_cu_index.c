/* imp_cu_index.c: a compile unit's functions by address, and C++ scopes (imp_cu_index.h).
 *
 * One depth-first walk of the unit's DIEs, into everything but what only describes data
 * (imp_cu_may_hold_code). Functions are numbered in walk order; their ranges are sorted
 * by start, then depth, and a lookup takes the last range starting at or before the
 * address and goes outward from its function to the first one that holds the address.
 * DWARF's scopes nest, so that is the innermost one; a unit where they do not answers
 * -1 and the caller asks libdw.
 */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "imp_array.h"
#include "imp_cu_index.h"
#include "imp_hashmap.h"

/* A unit nested deeper than this gets no index: libdw answers for all of it. */
#define IMP_CU_MAX_DEPTH 256

typedef struct imp_cu_fn {
    Dwarf_Off off;
    int32_t outer;
    uint32_t first, count; /* its ranges in own[] */
} imp_cu_fn_t;

typedef struct imp_cu_range {
    Dwarf_Addr lo, hi; /* [lo, hi) */
    int32_t fn;
    uint32_t depth; /* functions around fn */
} imp_cu_range_t;

struct imp_cu_index {
    imp_cu_fn_t *fns;
    uint64_t nfns, capfns;
    imp_cu_range_t *own, *by_lo; /* by function, and sorted (imp_cu_range_cmp) */
    uint64_t nranges, capranges;
    int cxx;
    imp_hashmap_t scope_by_off;  /* DIE offset + 1 -> 1 + the scope's place in text */
    imp_hashmap_t scope_by_text; /* a hash of a scope -> 1 + its place in text */
    char *text;
    uint64_t text_len, text_cap;
    char prefix[4096]; /* the scope of the walk's current place */
    size_t prefix_len;
    int failed;
};

typedef struct imp_cu_text {
    const char *s;
    size_t len;
} imp_cu_text_t;

static int imp_cu_same_text(const void *ctx, uint64_t place, const void *want)
{
    const imp_cu_index_t *x = ctx;
    const imp_cu_text_t *w = want;
    const char *t = x->text + (place - 1);
    return strncmp(t, w->s, w->len) == 0 && t[w->len] == '\0'; /* t may be shorter */
}

/* Stores scope (len bytes) as the scope of the DIE at off (C++ units only). A unit's
 * thousands of declared functions share a few hundred scopes, each kept once; the file
 * scope ("") is not kept: no scope is the same. */
static void imp_cu_scope_put(imp_cu_index_t *x, Dwarf_Off off, const char *scope, size_t len)
{
    if (!len)
        return;
    imp_cu_text_t want = {scope, len};
    int added;
    uint64_t *text =
        imp_hashmap_probe(&x->scope_by_text, imp_hash_bytes(IMP_FNV_OFFSET, scope, len),
                          imp_cu_same_text, x, &want, &added);
    if (text && added) {
        if (imp_grow((void **)&x->text, &x->text_cap, x->text_len + len, 1)) {
            x->failed = 1;
            return;
        }
        memcpy(x->text + x->text_len, scope, len);
        x->text[x->text_len + len] = '\0';
        *text = x->text_len + 1;
        x->text_len += len + 1;
    }
    uint64_t place = text ? *text : 0;
    uint64_t *slot = place ? imp_hashmap_upsert(&x->scope_by_off, off + 1, &added) : NULL;
    if (!slot) {
        x->failed = 1;
        return;
    }
    *slot = place;
}

/* Appends part and "::" (and "()" before them for a function) to the prefix; 0 when
 * it does not fit. */
static int imp_cu_push(imp_cu_index_t *x, const char *part, int function)
{
    size_t n = strlen(part);
    if (x->prefix_len + n + 5 > sizeof x->prefix)
        return 0;
    memcpy(x->prefix + x->prefix_len, part, n);
    x->prefix_len += n;
    if (function)
        memcpy(x->prefix + x->prefix_len, "()", 2), x->prefix_len += 2;
    memcpy(x->prefix + x->prefix_len, "::", 3);
    x->prefix_len += 2;
    return 1;
}

/* Adds the function whose DIE is die, inside function outer, with its ranges; its
 * number, or -1 when it has none (a declaration) or memory ran out. */
static int32_t imp_cu_add_fn(imp_cu_index_t *x, Dwarf_Die *die, int32_t outer)
{
    Dwarf_Addr base, lo, hi;
    uint64_t first = x->nranges;
    uint32_t depth = outer >= 0 ? x->own[x->fns[outer].first].depth + 1 : 0;
    for (ptrdiff_t at = 0; (at = dwarf_ranges(die, at, &base, &lo, &hi)) > 0;) {
        if (hi <= lo)
            continue;
        if (imp_grow((void **)&x->own, &x->capranges, x->nranges, sizeof *x->own)) {
            x->failed = 1;
            return -1;
        }
        x->own[x->nranges++] = (imp_cu_range_t){lo, hi, (int32_t)x->nfns, depth};
    }
    if (x->nranges == first || x->nfns >= INT32_MAX ||
        imp_grow((void **)&x->fns, &x->capfns, x->nfns, sizeof *x->fns)) {
        x->nranges = first;
        return -1;
    }
    x->fns[x->nfns] =
        (imp_cu_fn_t){dwarf_dieoffset(die), outer, (uint32_t)first, (uint32_t)(x->nranges - first)};
    return (int32_t)x->nfns++;
}

static void imp_cu_walk(imp_cu_index_t *x, Dwarf_Die *parent, int32_t outer, int in_function,
                        int depth);

/* Whether a DIE of this tag may hold functions or code ranges below it: anything but
 * the tags that only describe data (walking them costs time and finds nothing), and a
 * partial unit's import (its functions, if any, are found by libdw). */
static int imp_cu_may_hold_code(int tag)
{
    switch (tag) {
    case DW_TAG_enumeration_type:
    case DW_TAG_subroutine_type:
    case DW_TAG_array_type:
    case DW_TAG_formal_parameter:
    case DW_TAG_variable:
    case DW_TAG_member:
    case DW_TAG_typedef:
    case DW_TAG_call_site:
    case DW_TAG_GNU_call_site:
    case DW_TAG_template_type_parameter:
    case DW_TAG_template_value_parameter:
    case DW_TAG_imported_unit:
        return 0;
    default:
        return 1;
    }
}

/* A subprogram: its scope (C++), its ranges, then what it holds under its name. */
static void imp_cu_subprogram(imp_cu_index_t *x, Dwarf_Die *die, int32_t outer, int depth)
{
    size_t saved = x->prefix_len;
    if (x->cxx) {
        /* a member defined outside its class takes the scope of its declaration */
        Dwarf_Attribute mem;
        Dwarf_Die decl;
        const char *scope = NULL;
        if (dwarf_attr(die, DW_AT_specification, &mem) && dwarf_formref_die(&mem, &decl))
            scope = imp_cu_index_scope(x, dwarf_dieoffset(&decl));
        if (scope) {
            size_t n = strlen(scope);
            if (n < sizeof x->prefix)
                memcpy(x->prefix, scope, n), x->prefix_len = n;
        }
        imp_cu_scope_put(x, dwarf_dieoffset(die), x->prefix, x->prefix_len);
    }
    int32_t fn = imp_cu_add_fn(x, die, outer);
    Dwarf_Attribute mem; /* a definition outside its class has its name on the declaration */
    const char *name =
        x->cxx ? dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &mem)) : NULL;
    if (name)
        (void)imp_cu_push(x, name, 1); /* a name too long leaves the scope shorter */
    if (dwarf_haschildren(die))
        imp_cu_walk(x, die, fn >= 0 ? fn : outer, 1, depth + 1);
    x->prefix_len = saved;
}

static void imp_cu_walk(imp_cu_index_t *x, Dwarf_Die *parent, int32_t outer, int in_function,
                        int depth)
{
    Dwarf_Die die;
    if (depth > IMP_CU_MAX_DEPTH) {
        x->failed = 1; /* an index without the deepest functions would name them wrongly */
        return;
    }
    if (dwarf_child(parent, &die) != 0)
        return;
    do {
        int tag = dwarf_tag(&die);
        size_t saved = x->prefix_len;
        if (tag == DW_TAG_subprogram) {
            imp_cu_subprogram(x, &die, outer, depth);
        } else if (tag == DW_TAG_inlined_subroutine) {
            int32_t fn = imp_cu_add_fn(x, &die, outer);
            if (dwarf_haschildren(&die))
                imp_cu_walk(x, &die, fn >= 0 ? fn : outer, in_function, depth + 1);
        } else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
                   tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
            const char *name = dwarf_diename(&die);
            if (!name) /* a closure type is a class without a name inside a function */
                name = tag == DW_TAG_namespace ? "(anonymous namespace)"
                       : in_function           ? "{lambda}"
                                               : "{unnamed type}";
            /* C declares no function inside a type */
            if (x->cxx && dwarf_haschildren(&die) && imp_cu_push(x, name, 0))
                imp_cu_walk(x, &die, outer, in_function, depth + 1);
        } else if (imp_cu_may_hold_code(tag) && dwarf_haschildren(&die)) {
            imp_cu_walk(x, &die, outer, in_function, depth + 1); /* lexical, try, catch blocks */
        }
        x->prefix_len = saved;
    } while (!x->failed && dwarf_siblingof(&die, &die) == 0);
}

/* By start; at one start, the deepest last, and of functions as deep (aliases of one
 * code), the first in the unit last, as libdw's walk finds it first. */
static int imp_cu_range_cmp(const void *a, const void *b)
{
    const imp_cu_range_t *p = a, *q = b;
    if (p->lo != q->lo)
        return p->lo < q->lo ? -1 : 1;
    if (p->depth != q->depth)
        return p->depth < q->depth ? -1 : 1;
    return (p->fn < q->fn) - (p->fn > q->fn);
}

imp_cu_index_t *imp_cu_index_build(Dwarf_Die *cu)
{
    imp_cu_index_t *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    int lang = dwarf_srclang(cu);
    x->cxx = lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 ||
             lang == DW_LANG_C_plus_plus_11 || lang == DW_LANG_C_plus_plus_14;
    imp_hashmap_init(&x->scope_by_off), imp_hashmap_init(&x->scope_by_text);
    imp_cu_walk(x, cu, -1, 0, 0);
    if (!x->failed && x->nranges && !(x->by_lo = malloc((size_t)x->nranges * sizeof *x->by_lo)))
        x->failed = 1;
    if (x->failed) {
        imp_cu_index_free(x);
        return NULL;
    }
    if (x->nranges) {
        memcpy(x->by_lo, x->own, (size_t)x->nranges * sizeof *x->by_lo);
        qsort(x->by_lo, (size_t)x->nranges, sizeof *x->by_lo, imp_cu_range_cmp);
    }
    return x;
}

void imp_cu_index_free(imp_cu_index_t *x)
{
    if (!x)
        return;
    free(x->fns), free(x->own), free(x->by_lo), free(x->text);
    imp_hashmap_free(&x->scope_by_off), imp_hashmap_free(&x->scope_by_text);
    free(x);
}

static int imp_cu_fn_holds(const imp_cu_index_t *x, int32_t fn, Dwarf_Addr addr)
{
    const imp_cu_fn_t *f = &x->fns[fn];
    for (uint32_t i = 0; i < f->count; i++)
        if (addr >= x->own[f->first + i].lo && addr < x->own[f->first + i].hi)
            return 1;
    return 0;
}

int32_t imp_cu_index_find(const imp_cu_index_t *x, Dwarf_Addr addr)
{
    uint64_t lo = 0, hi = x->nranges;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (x->by_lo[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    for (int32_t fn = x->by_lo[lo - 1].fn; fn >= 0; fn = x->fns[fn].outer)
        if (imp_cu_fn_holds(x, fn, addr))
            return fn;
    return -1;
}

Dwarf_Off imp_cu_index_die(const imp_cu_index_t *x, int32_t i)
{
    return x->fns[i].off;
}

int32_t imp_cu_index_outer(const imp_cu_index_t *x, int32_t i)
{
    return x->fns[i].outer;
}

const char *imp_cu_index_scope(const imp_cu_index_t *x, Dwarf_Off off)
{
    const uint64_t *slot = x->cxx ? imp_hashmap_find(&x->scope_by_off, off + 1) : NULL;
    return slot ? x->text + (*slot - 1) : NULL;
}
