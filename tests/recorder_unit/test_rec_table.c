/* test_rec_table.c: the recorder's per-thread hash table (stack ids, sampling sites). */
#include <check.h>
#include <stdlib.h>

#include "rec_internal.h"

START_TEST(test_rec_table_insert_find_grow)
{
    rec_table_t tb = {0};
    const uint32_t n = 100000;
    for (uint32_t i = 1; i <= n; i++) {
        ck_assert_int_eq(rec_table_room(&tb, UINT64_MAX), 0);
        int found;
        struct rec_table_entry *e = rec_table_find(&tb, (uint64_t)i * 0x10001, &found);
        ck_assert_int_eq(found, 0);
        e->key = (uint64_t)i * 0x10001, e->gen = tb.gen, e->value = i;
        tb.count++;
    }
    ck_assert_uint_ge(tb.mask + 1, 2 * n);
    for (uint32_t i = 1; i <= n; i++) {
        int found;
        struct rec_table_entry *e = rec_table_find(&tb, (uint64_t)i * 0x10001, &found);
        ck_assert_int_eq(found, 1);
        ck_assert_uint_eq(e->value, i);
    }
    int found;
    rec_table_find(&tb, 7, &found);
    ck_assert_int_eq(found, 0);
    rec_table_free(&tb);
}
END_TEST

START_TEST(test_rec_table_clear_forgets_everything)
{
    rec_table_t tb = {0};
    for (uint32_t i = 1; i <= 500; i++) {
        ck_assert_int_eq(rec_table_room(&tb, UINT64_MAX), 0);
        int found;
        struct rec_table_entry *e = rec_table_find(&tb, i, &found);
        e->key = i, e->gen = tb.gen, e->value = i;
        tb.count++;
    }
    rec_table_clear(&tb);
    ck_assert_uint_eq(tb.count, 0);
    for (uint32_t i = 1; i <= 500; i++) {
        int found;
        rec_table_find(&tb, i, &found);
        ck_assert_int_eq(found, 0);
    }
    /* Reinsert after clearing: values are the new ones. */
    int found;
    struct rec_table_entry *e = rec_table_find(&tb, 42, &found);
    e->key = 42, e->gen = tb.gen, e->value = 4242;
    e = rec_table_find(&tb, 42, &found);
    ck_assert_int_eq(found, 1);
    ck_assert_uint_eq(e->value, 4242);
    rec_table_free(&tb);
}
END_TEST

/* 1024 slots of 24 bytes, doubling to 2048 while old and new are both mapped: 72 KiB.
 * Under 71 KiB the table stays at 1024 slots and is cleared each 512 insertions. */
START_TEST(test_rec_table_budget_clears_instead_of_growing)
{
    ck_assert_uint_eq(sizeof(struct rec_table_entry), 24);
    rec_table_t tb = {0};
    int clears = 0;
    for (uint32_t i = 1; i <= 5000; i++) {
        int room = rec_table_room(&tb, 71 * 1024);
        ck_assert_int_ge(room, 0);
        clears += room;
        ck_assert_uint_eq(tb.mask + 1, 1024);
        int found;
        struct rec_table_entry *e = rec_table_find(&tb, i, &found);
        ck_assert_int_eq(found, 0);
        e->key = i, e->gen = tb.gen, e->value = i;
        tb.count++;
        /* Whatever was inserted since the last clear is still known. */
        e = rec_table_find(&tb, i - tb.count + 1, &found);
        ck_assert_int_eq(found, 1);
    }
    ck_assert_int_eq(clears, 5000 / 512);
    /* With 72 KiB it may grow once. */
    for (uint32_t i = 1; i <= 513; i++) {
        ck_assert_int_eq(rec_table_room(&tb, 72 * 1024), 0);
        int found;
        struct rec_table_entry *e = rec_table_find(&tb, 100000 + i, &found);
        e->key = 100000 + i, e->gen = tb.gen, e->value = i;
        tb.count++;
    }
    ck_assert_uint_eq(tb.mask + 1, 2048);
    rec_table_free(&tb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder_table");
    TCase *tc = tcase_create("table");
    tcase_set_timeout(tc, 30); /* 100 000 insertions: seconds on a loaded machine */
    tcase_add_test(tc, test_rec_table_insert_find_grow);
    tcase_add_test(tc, test_rec_table_clear_forgets_everything);
    tcase_add_test(tc, test_rec_table_budget_clears_instead_of_growing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
