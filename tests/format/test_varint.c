/* test_varint.c: LEB128 and zigzag as mtdb_format.h defines them, and how the reader
 * treats a varint that is too long inside a record.
 *
 * Edge cases: 0, 127/128, the 10-byte maximum, an 11th byte, a 10th byte above 1,
 * non-minimal encodings, bytes running out, zigzag of the extremes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "trace_build.h"

static int decode(const uint8_t *buf, size_t len, uint64_t *v, size_t *used)
{
    const uint8_t *p = buf;
    int rc = mtdb_get_varint(&p, buf + len, v);
    *used = (size_t)(p - buf);
    return rc;
}

START_TEST(test_varint_round_trip_edges)
{
    const uint64_t vals[] = {0,          1,         127, 128, 16383, 16384, (1ull << 35) - 1,
                             1ull << 63, UINT64_MAX};
    const size_t lens[] = {1, 1, 1, 2, 2, 3, 5, 10, 10};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t buf[16];
        size_t n = (size_t)(mtdb_put_varint(buf, vals[i]) - buf), used;
        uint64_t v;
        ck_assert_uint_eq(n, lens[i]);
        ck_assert_int_eq(decode(buf, n, &v, &used), 0);
        ck_assert_uint_eq(v, vals[i]);
        ck_assert_uint_eq(used, n);
        ck_assert_int_eq(decode(buf, n - 1, &v, &used), -1); /* one byte short */
        ck_assert_uint_eq(used, 0);
    }
}
END_TEST

START_TEST(test_varint_ten_byte_limit)
{
    uint8_t max[10];
    memset(max, 0xFF, 9);
    max[9] = 0x01;
    uint64_t v;
    size_t used;
    ck_assert_int_eq(decode(max, 10, &v, &used), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    max[9] = 0x02; /* a 65th bit */
    ck_assert_int_eq(decode(max, 10, &v, &used), -1);
    uint8_t eleven[11];
    memset(eleven, 0x80, 10);
    eleven[10] = 0x00;
    ck_assert_int_eq(decode(eleven, 11, &v, &used), -1);
}
END_TEST

START_TEST(test_varint_non_minimal_accepted)
{
    const uint8_t zero[] = {0x80, 0x80, 0x00};
    const uint8_t five[] = {0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    uint64_t v;
    size_t used;
    ck_assert_int_eq(decode(zero, sizeof zero, &v, &used), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_uint_eq(used, 3);
    ck_assert_int_eq(decode(five, sizeof five, &v, &used), 0);
    ck_assert_uint_eq(v, 5);
    ck_assert_uint_eq(used, 10);
}
END_TEST

START_TEST(test_varint_zigzag_extremes)
{
    ck_assert_uint_eq(mtdb_zigzag(0), 0);
    ck_assert_uint_eq(mtdb_zigzag(-1), 1);
    ck_assert_uint_eq(mtdb_zigzag(1), 2);
    ck_assert_uint_eq(mtdb_zigzag(INT64_MAX), UINT64_MAX - 1);
    ck_assert_uint_eq(mtdb_zigzag(INT64_MIN), UINT64_MAX);
    ck_assert_int_eq(mtdb_unzigzag(UINT64_MAX), INT64_MIN);
    ck_assert_int_eq(mtdb_unzigzag(UINT64_MAX - 1), INT64_MAX);
    ck_assert_int_eq(mtdb_unzigzag(3), -2);
}
END_TEST

/* Address deltas that wrap around 2^64 and the 10-byte maximum survive the reader. */
START_TEST(test_varint_extremes_through_reader)
{
    static tb_t img;
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 0, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, UINT64_MAX, UINT64_MAX - 15, UINT64_MAX, UINT64_MAX >> 1,
             UINT64_MAX);
    tb_free_rec(&img, MTDB_FREE_FUNC_FREE, 0, 16, 0, 0);
    tb_seal(&img, 0);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_uint_eq(res.records, 2);
    ck_assert_uint_eq(res.mismatches + res.unknown + res.diags, 0);
    tb_free(&img);
}
END_TEST

/* In an open last block a varint cut by the payload end is a torn tail; an 11-byte one
 * is a bad record. */
START_TEST(test_varint_overlong_in_open_block_is_bad_record)
{
    static tb_t img;
    const uint8_t cut[] = {MTDB_TAG(MTDB_REC_FAIL, MTDB_FUNC_MALLOC), 0x02, 0x80, 0x80};
    const uint8_t overlong[] = {MTDB_TAG(MTDB_REC_FAIL, MTDB_FUNC_MALLOC),
                                0x02,
                                0x80,
                                0x80,
                                0x80,
                                0x80,
                                0x80,
                                0x80,
                                0x80,
                                0x80,
                                0x80,
                                0x80,
                                0x00};
    const uint8_t *cases[] = {cut, overlong};
    const size_t lens[] = {sizeof cut, sizeof overlong};
    const unsigned kinds[] = {1u << MTDB_DIAG_TORN_TAIL, 1u << MTDB_DIAG_BAD_RECORD};
    for (int i = 0; i < 2; i++) {
        tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
        tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 0, 0);
        tb_alloc(&img, MTDB_FUNC_MALLOC, 5, 0x100, 1, 0, 1);
        tb_raw(&img, cases[i], lens[i], 0);
        tb_leave_open(&img);
        tb_read_t res;
        tb_read_image(&img, img.buf, img.size, &res);
        ck_assert_uint_eq(res.records, 1);
        ck_assert_uint_eq(res.diag_kinds, kinds[i]);
        ck_assert_int_eq(res.stats.clean_end, 0);
        tb_free(&img);
    }
}
END_TEST

static Suite *varint_suite(void)
{
    Suite *s = suite_create("varint");
    TCase *tc = tcase_create("varint");
    tcase_add_test(tc, test_varint_round_trip_edges);
    tcase_add_test(tc, test_varint_ten_byte_limit);
    tcase_add_test(tc, test_varint_non_minimal_accepted);
    tcase_add_test(tc, test_varint_zigzag_extremes);
    tcase_add_test(tc, test_varint_extremes_through_reader);
    tcase_add_test(tc, test_varint_overlong_in_open_block_is_bad_record);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(varint_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
