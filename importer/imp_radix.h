/* imp_radix.h: sorting 64-bit integers, and pairs of them, by radix.
 *
 * The per-block derivations sort every event by time and every lifetime of a group:
 * qsort's comparison callback was a tenth of an import. A least-significant-byte radix
 * sort moves each record once per byte that differs between keys (a run's timestamps
 * differ only in their low bytes), with no comparison at all.
 */
#ifndef IMP_RADIX_H
#define IMP_RADIX_H

#include <stddef.h>
#include <stdint.h>

/* Sorts v[0..n) ascending. 0, or IMP_ENOMEM (v is then untouched). */
int imp_radix_sort_i64(int64_t *v, size_t n);

/* Sorts n pairs (pairs[2i], pairs[2i+1]) by the first ascending, then the second
 * descending when second_descending, else ascending. 0, or IMP_ENOMEM (untouched). */
int imp_radix_sort_pairs(int64_t *pairs, size_t n, int second_descending);

#endif
