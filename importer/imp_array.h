/* imp_array.h: growing the importer's plain arrays (ids index them, so they only grow). */
#ifndef IMP_ARRAY_H
#define IMP_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "imp_error.h"

/* Grows *arr (of elem-byte items, *cap of them) so that index `need` fits, doubling so
 * that n appends cost O(n). 0, or IMP_ENOMEM with *arr unchanged. */
static inline int imp_grow(void **arr, uint64_t *cap, uint64_t need, size_t elem)
{
    if (need < *cap)
        return 0;
    uint64_t n = *cap ? *cap * 2 : 256;
    while (n <= need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return IMP_ENOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

#endif
