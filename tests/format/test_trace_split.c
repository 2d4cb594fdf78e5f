/* test_trace_split.c: the split form of packed pieces (trace_split.h) on its own.
 *
 * Joining a piece's split form gives back its exact bytes: for the format tests' sample
 * cut into pieces of several sizes, for arbitrary bytes with block headers in them, and
 * for address deltas written in a longer form than needed (those keep their bytes).
 * Addresses seen a little earlier take fewer bytes than new ones. Damaged content is
 * refused or rebuilds within the piece's bytes, never past them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "trace_build.h"
#include "trace_split.h"
#include "tst_scratch.h"

/* Splits the len bytes at piece, checks the join gives them back; the content's length. */
static size_t round_trip(const uint8_t *piece, size_t len, int *form)
{
    uint8_t *content = malloc(MTDB_SPLIT_BOUND(len));
    uint8_t *back = malloc(len ? len : 1);
    size_t n = mtdb_split_piece(piece, len, content);
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_le(n, MTDB_SPLIT_BOUND(len));
    char why[128] = "";
    ck_assert_msg(mtdb_join_piece(content, n, back, len, why, sizeof why) == 0, "%s", why);
    ck_assert_int_eq(memcmp(back, piece, len), 0);
    if (form)
        *form = content[0];
    free(content), free(back);
    return n;
}

START_TEST(test_split_sample_every_piece_size)
{
    tb_t t;
    tb_build_sample(&t, 0);
    for (size_t piece = 4096; piece <= 32768; piece *= 2) {
        for (size_t at = 0; at < t.size; at += piece) {
            size_t len = t.size - at < piece ? t.size - at : piece;
            int form;
            round_trip(t.buf + at, len, &form);
            /* the first piece holds whole blocks after the file header */
            ck_assert_int_eq(form, at ? form : MTDB_SPLIT_FORM_SPLIT);
        }
    }
    int form;
    round_trip(t.buf, t.size, &form);
    ck_assert_int_eq(form, MTDB_SPLIT_FORM_SPLIT);
    tb_free(&t);
}
END_TEST

/* A piece with no block in it is kept plain. */
START_TEST(test_split_no_block_is_plain)
{
    uint8_t zeros[4096] = {0};
    int form;
    ck_assert_uint_eq(round_trip(zeros, sizeof zeros, &form), sizeof zeros + 1);
    ck_assert_int_eq(form, MTDB_SPLIT_FORM_PLAIN);
}
END_TEST

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Random bytes with block headers of random payload lengths at 8-aligned places: records
 * that parse, records that do not, blocks cut by the piece's end. */
START_TEST(test_split_any_bytes_round_trip)
{
    uint64_t seed = 42;
    for (int round = 0; round < 100; round++) {
        size_t len = 64 + (size_t)(lcg(&seed) % 12000);
        uint8_t *buf = malloc(len);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)lcg(&seed);
        for (size_t at = 0; at + MTDB_BLOCK_HEADER_BYTES <= len; at += 8 * (1 + lcg(&seed) % 64)) {
            mtdb_put_u32le(buf + at, MTDB_BLOCK_MAGIC);
            mtdb_put_u32le(buf + at + 4, (uint32_t)(lcg(&seed) % 2048));
            /* mostly small heap-event tags after the header */
            for (size_t i = at + MTDB_BLOCK_HEADER_BYTES; i < len && i < at + 400; i += 5)
                buf[i] = (uint8_t)(lcg(&seed) % 4 ? MTDB_TAG(1 + lcg(&seed) % 5, 0) : buf[i]);
        }
        round_trip(buf, len, NULL);
        free(buf);
    }
}
END_TEST

/* One block: n allocations, their frees in reverse order and n allocations again at the
 * freed addresses (reuse: 1) or at new ones (reuse: 0). */
static void build_churn(tb_t *t, int reuse, int n)
{
    tb_init(t, MTDB_FILE_KIND_STREAM, 65536, 65536);
    tb_begin(t, 1, MTDB_BLOCK_THREAD_FIRST, 1000, 0);
    uint64_t base = 0x7f0000000000ull, other = 0x7e0000000000ull, ts = 1000;
    for (int i = 0; i < n; i++)
        tb_alloc(t, MTDB_FUNC_MALLOC, ts += 7, base + (uint64_t)i * 0x12340, 24, 1, 1);
    for (int i = n; i-- > 0;)
        tb_free_rec(t, MTDB_FREE_FUNC_FREE, ts += 7, (reuse ? base : other) + (uint64_t)i * 0x12340,
                    0, 0);
    for (int i = 0; i < n; i++)
        tb_alloc(t, MTDB_FUNC_MALLOC, ts += 7,
                 (reuse ? base : other + 0x100000000ull) + (uint64_t)i * 0x12340, 24, 1, 1);
    tb_seal(t, 0);
}

START_TEST(test_split_recent_addresses_are_short)
{
    tb_t reused, fresh;
    build_churn(&reused, 1, 200);
    build_churn(&fresh, 0, 200);
    ck_assert_uint_eq(reused.size, fresh.size); /* the same deltas, so the same bytes */
    size_t a = round_trip(reused.buf, reused.size, NULL);
    size_t b = round_trip(fresh.buf, fresh.size, NULL);
    /* 400 addresses seen before: each delta of 3 bytes becomes a distance of 1 or 2 */
    ck_assert_msg(a + 400 <= b, "reused %zu bytes, fresh %zu", a, b);
    tb_free(&reused), tb_free(&fresh);
}
END_TEST

/* Address deltas written longer than needed are found in the rings but keep their bytes. */
START_TEST(test_split_long_varints_keep_their_bytes)
{
    tb_t t;
    tb_init(&t, MTDB_FILE_KIND_STREAM, 65536, 65536);
    tb_begin(&t, 1, MTDB_BLOCK_THREAD_FIRST, 1000, 0);
    tb_alloc(&t, MTDB_FUNC_MALLOC, 1001, 0x5000, 16, 1, 1);
    /* free of 0x5000 (delta 0 as two bytes), then malloc at 0x5000 (delta 0 as three) */
    const uint8_t free_long[] = {MTDB_TAG(MTDB_REC_FREE, 0), 0x02, 0x80, 0x00};
    const uint8_t alloc_long[] = {
        MTDB_TAG(MTDB_REC_ALLOC, MTDB_FUNC_MALLOC), 0x02, 0x80, 0x80, 0x00, 0x10, 0x02};
    tb_raw(&t, free_long, sizeof free_long, 1);
    tb_raw(&t, alloc_long, sizeof alloc_long, 1);
    tb_free_rec(&t, MTDB_FREE_FUNC_FREE, 1010, 0x5000, 0, 0); /* canonical: short form */
    tb_seal(&t, 0);
    int form;
    round_trip(t.buf, t.size, &form);
    ck_assert_int_eq(form, MTDB_SPLIT_FORM_SPLIT);
    tb_free(&t);
}
END_TEST

/* Damaged content: every truncation refused; a flip of bit 0 or 5 of every byte refused
 * or rebuilt into exactly the piece's bytes (AddressSanitizer builds catch a write past
 * them). */
START_TEST(test_join_damaged_content)
{
    tb_t t;
    build_churn(&t, 1, 60);
    uint8_t *content = malloc(MTDB_SPLIT_BOUND(t.size)), *back = malloc(t.size);
    size_t n = mtdb_split_piece(t.buf, t.size, content);
    ck_assert_int_eq(content[0], MTDB_SPLIT_FORM_SPLIT);
    char why[128];
    for (size_t cut = 0; cut < n; cut++)
        ck_assert_msg(mtdb_join_piece(content, cut, back, t.size, why, sizeof why) == -1,
                      "a cut at %zu was not refused", cut);
    size_t refused = 0, same = 0, flips = 0;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 5, flips++) {
            content[i] ^= (uint8_t)(1u << bit);
            if (mtdb_join_piece(content, n, back, t.size, why, sizeof why) != 0)
                refused++;
            else
                same += memcmp(back, t.buf, t.size) == 0;
            content[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* a flip rebuilds the original only where two distances name the same address */
    ck_assert_msg(same * 100 <= flips, "%zu of %zu flips rebuilt the original", same, flips);
    ck_assert_uint_gt(refused, 0);
    ck_assert_int_eq(mtdb_join_piece(content, n, back, t.size, why, sizeof why), 0);
    ck_assert_int_eq(memcmp(back, t.buf, t.size), 0);
    free(content), free(back);
    tb_free(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("format: split pieces");
    TCase *tc = tcase_create("split");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_split_sample_every_piece_size);
    tcase_add_test(tc, test_split_no_block_is_plain);
    tcase_add_test(tc, test_split_any_bytes_round_trip);
    tcase_add_test(tc, test_split_recent_addresses_are_short);
    tcase_add_test(tc, test_split_long_varints_keep_their_bytes);
    tcase_add_test(tc, test_join_damaged_content);
    suite_add_tcase(s, tc);
    return tst_run_suite(s);
}
