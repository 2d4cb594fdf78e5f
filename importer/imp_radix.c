/* imp_radix.c: least-significant-byte radix sort of 64-bit keys and of pairs of them.
 *
 * Signed keys are mapped to unsigned ones that sort the same way (the sign bit
 * flipped), sorted, and mapped back. One pass counts every byte of the key; a byte whose
 * value is the same in all records is skipped, so a sort costs one pass per byte that
 * varies (a run's timestamps: four or five). Pairs are sorted by their first key this
 * way, then each run of equal first keys (rare with nanosecond times) by the second.
 */
#include <stdlib.h>
#include <string.h>

#include "imp_array.h"
#include "imp_error.h"
#include "imp_radix.h"

#define IMP_SIGN ((uint64_t)1 << 63)

/* Sorts n records of width (1 or 2) words by their first word, unsigned; stable. */
static int radix_sort(uint64_t *recs, size_t n, unsigned width)
{
    if (n < 2)
        return 0;
    uint64_t *tmp = imp_realloc_big(NULL, 0, n * width * sizeof *tmp);
    size_t(*counts)[256] = calloc(8, sizeof *counts);
    if (!tmp || !counts) {
        free(tmp), free(counts);
        return IMP_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 8; b++)
            counts[b][(recs[i * width] >> (8 * b)) & 0xff]++;
    uint64_t *from = recs, *to = tmp;
    for (unsigned b = 0; b < 8; b++) {
        size_t *c = counts[b];
        if (c[(from[0] >> (8 * b)) & 0xff] == n)
            continue; /* this byte is the same everywhere: the order stands */
        size_t at[256], sum = 0;
        for (unsigned k = 0; k < 256; k++)
            at[k] = sum, sum += c[k];
        if (width == 1) {
            for (size_t i = 0; i < n; i++)
                to[at[(from[i] >> (8 * b)) & 0xff]++] = from[i];
        } else {
            for (size_t i = 0; i < n; i++) {
                size_t j = at[(from[2 * i] >> (8 * b)) & 0xff]++;
                to[2 * j] = from[2 * i], to[2 * j + 1] = from[2 * i + 1];
            }
        }
        uint64_t *swap = from;
        from = to, to = swap;
    }
    if (from != recs)
        memcpy(recs, from, n * width * sizeof *recs);
    free(tmp), free(counts);
    return 0;
}

int imp_radix_sort_i64(int64_t *v, size_t n)
{
    uint64_t *u = (uint64_t *)v;
    for (size_t i = 0; i < n; i++)
        u[i] ^= IMP_SIGN;
    int rc = radix_sort(u, n, 1);
    for (size_t i = 0; i < n; i++)
        u[i] ^= IMP_SIGN;
    return rc;
}

static int second_asc(const void *a, const void *b)
{
    int64_t x = ((const int64_t *)a)[1], y = ((const int64_t *)b)[1];
    return x < y ? -1 : x > y;
}

static int second_desc(const void *a, const void *b)
{
    return second_asc(b, a);
}

int imp_radix_sort_pairs(int64_t *pairs, size_t n, int second_descending)
{
    uint64_t *u = (uint64_t *)pairs;
    for (size_t i = 0; i < n; i++)
        u[2 * i] ^= IMP_SIGN;
    int rc = radix_sort(u, n, 2);
    for (size_t i = 0; i < n; i++)
        u[2 * i] ^= IMP_SIGN;
    if (rc)
        return rc;
    for (size_t i = 0, end; i < n; i = end) { /* runs of equal first keys */
        for (end = i + 1; end < n && pairs[2 * end] == pairs[2 * i]; end++)
            ;
        if (end - i > 1)
            qsort(pairs + 2 * i, end - i, 2 * sizeof *pairs,
                  second_descending ? second_desc : second_asc);
    }
    return 0;
}
