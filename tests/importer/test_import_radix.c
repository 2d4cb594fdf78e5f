/* test_import_radix.c: the importer's radix sorts give qsort's order, key for key.
 *
 * Arrays of 64-bit keys and of pairs, of many sizes, with negative numbers, the
 * extremes, duplicates, keys equal in every byte but one and keys that differ in every
 * byte, sorted by imp_radix and by qsort with the comparison they replace.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "imp_radix.h"
#include "tst_scratch.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static int64_t next_key(int kind)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t r = rng >> 11 ^ rng << 17;
    switch (kind) {
    case 0:
        return (int64_t)r; /* every byte varies, both signs */
    case 1:
        return 1700000000000000000ll + (int64_t)(r & 0xffffff); /* timestamps */
    case 2:
        return (int64_t)(r % 7) - 3; /* few values, duplicates */
    case 3:
        return (r & 1) ? INT64_MIN : INT64_MAX; /* the extremes */
    default:
        return (int64_t)((r & 0xff) << 40); /* one varying byte */
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The first ascending, the second descending: the timeline's event order. */
static int cmp_pair_desc(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] > y[1] ? -1 : x[1] < y[1];
}

static int cmp_pair_asc(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

static const size_t sizes[] = {0, 1, 2, 3, 255, 256, 257, 1000, 65537};

START_TEST(test_radix_sort_i64_matches_qsort)
{
    for (int kind = 0; kind < 5; kind++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            int64_t *v = malloc((n + 1) * sizeof *v), *want = malloc((n + 1) * sizeof *want);
            ck_assert_ptr_nonnull(v);
            ck_assert_ptr_nonnull(want);
            for (size_t i = 0; i < n; i++)
                v[i] = want[i] = next_key(kind);
            qsort(want, n, sizeof *want, cmp_i64);
            ck_assert_int_eq(imp_radix_sort_i64(v, n), 0);
            ck_assert_msg(n == 0 || memcmp(v, want, n * sizeof *v) == 0, "kind %d, n %zu", kind, n);
            free(v), free(want);
        }
}
END_TEST

START_TEST(test_radix_sort_pairs_matches_qsort)
{
    for (int desc = 0; desc < 2; desc++)
        for (int kind = 0; kind < 5; kind++)
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                size_t n = sizes[s];
                int64_t *v = malloc((2 * n + 1) * sizeof *v);
                int64_t *want = malloc((2 * n + 1) * sizeof *want);
                ck_assert_ptr_nonnull(v);
                ck_assert_ptr_nonnull(want);
                for (size_t i = 0; i < n; i++) {
                    v[2 * i] = want[2 * i] = next_key(kind);
                    v[2 * i + 1] = want[2 * i + 1] = next_key((kind + 2) % 5);
                }
                qsort(want, n, 2 * sizeof *want, desc ? cmp_pair_desc : cmp_pair_asc);
                ck_assert_int_eq(imp_radix_sort_pairs(v, n, desc), 0);
                ck_assert_msg(n == 0 || memcmp(v, want, 2 * n * sizeof *v) == 0,
                              "descending %d, kind %d, n %zu", desc, kind, n);
                free(v), free(want);
            }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("radix");
    TCase *tc = tcase_create("radix");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_radix_sort_i64_matches_qsort);
    tcase_add_test(tc, test_radix_sort_pairs_matches_qsort);
    suite_add_tcase(s, tc);
    return tst_run_suite(s);
}
