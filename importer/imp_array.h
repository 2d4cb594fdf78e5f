/* imp_array.h: growing the importer's plain arrays (ids index them, so they only grow). */
#ifndef IMP_ARRAY_H
#define IMP_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "imp_error.h"

/* Arrays of at least this many bytes are advised into transparent huge pages. */
#define IMP_HUGE_MIN ((size_t)2 << 20)
#define IMP_HUGE_PAGE ((uintptr_t)2 << 20)

/* Advises the whole 2 MiB pages inside the bytes at p into transparent huge pages, where
 * the kernel gives them, and returns p. An import of millions of stacks touches a
 * gigabyte of fresh memory in arrays indexed by id; with a fault per 4 KiB page, faults
 * were a fifth of its time. Advice only: nothing changes if the kernel declines. */
static inline void *imp_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (p && bytes >= IMP_HUGE_MIN) {
        uintptr_t lo = ((uintptr_t)p + IMP_HUGE_PAGE - 1) & ~(IMP_HUGE_PAGE - 1);
        uintptr_t hi = ((uintptr_t)p + bytes) & ~(IMP_HUGE_PAGE - 1);
        if (hi > lo)
            (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    return p;
}

/* calloc for arrays that may be large (imp_huge). */
static inline void *imp_calloc_big(size_t n, size_t size)
{
    return imp_huge(calloc(n, size), n * size);
}

/* realloc of an array of old_bytes to bytes, for arrays that may be large: a large one
 * is moved by hand into memory advised before the copy touches it (realloc would copy
 * into fresh small pages first). */
static inline void *imp_realloc_big(void *p, size_t old_bytes, size_t bytes)
{
    if (bytes < IMP_HUGE_MIN)
        return realloc(p, bytes);
    void *q = imp_huge(malloc(bytes), bytes);
    if (q && p) {
        memcpy(q, p, old_bytes < bytes ? old_bytes : bytes);
        free(p);
    }
    return q;
}

/* Grows *arr (of elem-byte items, *cap of them) so that index `need` fits, doubling so
 * that n appends cost O(n). 0, or IMP_ENOMEM with *arr unchanged. */
static inline int imp_grow(void **arr, uint64_t *cap, uint64_t need, size_t elem)
{
    if (need < *cap)
        return 0;
    uint64_t n = *cap ? *cap * 2 : 256;
    while (n <= need)
        n *= 2;
    void *p = imp_realloc_big(*arr, *cap * elem, n * elem);
    if (!p)
        return IMP_ENOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

#endif
