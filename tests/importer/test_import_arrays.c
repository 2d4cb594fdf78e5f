/* test_import_arrays.c: the importer's growing arrays (imp_array.h) keep every element
 * while they grow past the size where they move into huge-page memory, and that memory
 * is advised as such where the kernel has transparent huge pages.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "imp_array.h"
#include "imp_hashmap.h"
#include "tst_scratch.h"

/* 1 when the mapping that holds addr has the huge-page advice ("hg" in its VmFlags). */
static int advised_huge(const void *addr)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int inside = 0, found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
            inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
        else if (inside && !strncmp(line, "VmFlags:", 8))
            found = strstr(line, " hg") != NULL;
    }
    fclose(f);
    return found;
}

/* 1 when this kernel takes the advice at all (built with transparent huge pages). */
static int kernel_has_thp(void)
{
    size_t len = (size_t)4 << 20;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    int ok = madvise(p, len, MADV_HUGEPAGE) == 0;
    munmap(p, len);
    return ok;
}

START_TEST(test_grow_keeps_every_element_past_the_huge_size)
{
    uint32_t *a = NULL;
    uint64_t cap = 0, n = 3 * IMP_HUGE_MIN / sizeof *a; /* three times the threshold */
    for (uint64_t i = 0; i < n; i++) {
        ck_assert_int_eq(imp_grow((void **)&a, &cap, i, sizeof *a), 0);
        a[i] = (uint32_t)(i * 2654435761u);
    }
    ck_assert_uint_ge(cap, n);
    for (uint64_t i = 0; i < n; i++)
        if (a[i] != (uint32_t)(i * 2654435761u))
            ck_abort_msg("element %llu lost its value", (unsigned long long)i);
    if (kernel_has_thp())
        ck_assert_msg(advised_huge((char *)a + cap * sizeof *a / 2),
                      "an array of %llu bytes is not advised into huge pages",
                      (unsigned long long)(cap * sizeof *a));
    free(a);
}
END_TEST

START_TEST(test_realloc_big_copies_the_old_bytes_only)
{
    size_t small = 1000, big = IMP_HUGE_MIN + 12345;
    unsigned char *p = malloc(small);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < small; i++)
        p[i] = (unsigned char)(i * 7 + 1);
    unsigned char *q = imp_realloc_big(p, small, big);
    ck_assert_ptr_nonnull(q);
    for (size_t i = 0; i < small; i++)
        ck_assert_uint_eq(q[i], (unsigned char)(i * 7 + 1));
    memset(q + small, 0xAB, big - small); /* the rest is the caller's to fill */
    unsigned char *r = imp_realloc_big(q, big, 2 * big);
    ck_assert_ptr_nonnull(r);
    for (size_t i = 0; i < small; i++)
        ck_assert_uint_eq(r[i], (unsigned char)(i * 7 + 1));
    for (size_t i = small; i < big; i++)
        if (r[i] != 0xAB)
            ck_abort_msg("byte %zu lost in the second move", i);
    free(r);
    unsigned char *z = imp_calloc_big(big, 1);
    ck_assert_ptr_nonnull(z);
    for (size_t i = 0; i < big; i++)
        if (z[i])
            ck_abort_msg("imp_calloc_big: byte %zu is not zero", i);
    free(z);
}
END_TEST

START_TEST(test_hashmap_keeps_every_key_past_the_huge_size)
{
    imp_hashmap_t m;
    imp_hashmap_init(&m);
    uint64_t n = IMP_HUGE_MIN / 4; /* its key array grows to 4 times the threshold */
    for (uint64_t k = 1; k <= n; k++) {
        int added;
        uint64_t *v = imp_hashmap_upsert(&m, k * 0x9E3779B97F4A7C15ull | 1, &added);
        ck_assert_ptr_nonnull(v);
        ck_assert_int_eq(added, 1);
        *v = k;
    }
    ck_assert_uint_eq(m.count, n);
    for (uint64_t k = 1; k <= n; k++) {
        uint64_t *v = imp_hashmap_find(&m, k * 0x9E3779B97F4A7C15ull | 1);
        if (!v || *v != k)
            ck_abort_msg("key %llu lost", (unsigned long long)k);
    }
    ck_assert_ptr_null(imp_hashmap_find(&m, 2));
    imp_hashmap_free(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("arrays");
    TCase *tc = tcase_create("arrays");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_grow_keeps_every_element_past_the_huge_size);
    tcase_add_test(tc, test_realloc_big_copies_the_old_bytes_only);
    tcase_add_test(tc, test_hashmap_keeps_every_key_past_the_huge_size);
    suite_add_tcase(s, tc);
    return tst_run_suite(s);
}
