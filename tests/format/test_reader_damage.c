/* test_reader_damage.c: the reader on damaged traces: every truncation, every bit flip,
 * and each kind of damage it names.
 *
 * Each case must return (no crash, no hang under the ctest timeout), yield only records
 * that were written, and account for every heap event: decoded + reported lost = written.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_build.h"

static tb_t img;

/* Heap events a reader can know of in an image cut at len: those of sealed blocks whose
 * header is whole (decoded or reported lost), plus whole records of the open block. */
static void expected_at_cut(const tb_t *t, uint64_t len, uint64_t *decoded, uint64_t *lost,
                            uint64_t *records)
{
    *decoded = *lost = *records = 0;
    for (size_t i = 0; i < t->nrec; i++) {
        const tb_rec_t *w = &t->recs[i];
        int heap = w->type >= MTDB_REC_ALLOC && w->type <= MTDB_REC_FAIL;
        int whole = w->sealed ? w->block_end <= len : w->end <= len;
        *records += whole;
        *decoded += whole && heap;
    }
    for (size_t b = 0; b < t->nblock; b++) {
        const tb_block_t *bl = &t->blocks[b];
        if (bl->sealed && bl->offset + MTDB_BLOCK_HEADER_BYTES <= len && bl->payload_end > len)
            *lost += bl->events;
    }
}

static void check_cut(const tb_t *t, uint64_t len)
{
    tb_read_t res;
    tb_read_image(t, t->buf, len, &res);
    if (len < MTDB_FILE_HEADER_BYTES) {
        ck_assert_msg(res.open_rc == MTDB_READ_EHEADER, "cut %llu: open gave %d",
                      (unsigned long long)len, res.open_rc);
        return;
    }
    uint64_t decoded, lost, records;
    expected_at_cut(t, len, &decoded, &lost, &records);
    ck_assert_msg(res.open_rc == 0 && res.next_rc == 0, "cut %llu", (unsigned long long)len);
    ck_assert_msg(res.unknown == 0 && res.mismatches == 0, "cut %llu: foreign records",
                  (unsigned long long)len);
    ck_assert_msg(res.records == records && res.heap_events == decoded,
                  "cut %llu: %llu records (%llu events), expected %llu (%llu)",
                  (unsigned long long)len, (unsigned long long)res.records,
                  (unsigned long long)res.heap_events, (unsigned long long)records,
                  (unsigned long long)decoded);
    ck_assert_msg(res.stats.events_lost == lost && res.diag_lost == lost,
                  "cut %llu: %llu events reported lost, expected %llu", (unsigned long long)len,
                  (unsigned long long)res.stats.events_lost, (unsigned long long)lost);
}

START_TEST(test_reader_truncation_at_every_offset_sealed)
{
    tb_build_sample(&img, 0);
    for (uint64_t len = 0; len <= img.size; len++)
        check_cut(&img, len);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_truncation_at_every_offset_open_tail)
{
    tb_build_sample(&img, 1);
    for (uint64_t len = 0; len <= img.size; len++)
        check_cut(&img, len);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_truncation_inside_open_block_is_torn_tail)
{
    tb_build_sample(&img, 1);
    const tb_rec_t *last = &img.recs[img.nrec - 1];
    tb_read_t res;
    tb_read_image(&img, img.buf, last->end - 1, &res);
    ck_assert_uint_eq(res.diags, 1);
    ck_assert_uint_eq(res.diag_kinds, 1u << MTDB_DIAG_TORN_TAIL);
    ck_assert_int_eq(res.stats.clean_end, 0);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_truncation_inside_sealed_block_reports_truncated)
{
    tb_build_sample(&img, 0);
    const tb_block_t *b = &img.blocks[1]; /* thread 1's first block */
    tb_read_t res;
    tb_read_image(&img, img.buf, b->payload_end - 3, &res);
    ck_assert_uint_eq(res.diags, 1);
    ck_assert_uint_eq(res.diag_kinds, 1u << MTDB_DIAG_TRUNCATED);
    ck_assert_uint_eq(res.stats.events_lost, b->events);
    ck_assert_uint_eq(res.diag_skipped, b->payload_end - 3 - b->offset);
    tb_free(&img);
}
END_TEST

/* The header bytes whose flip decides how opening fails. */
static int expected_open_rc(uint64_t byte)
{
    if (byte < 8)
        return MTDB_READ_ENOTTRACE;
    if (byte >= 12 && byte < 14)
        return MTDB_READ_EVERSION;
    return MTDB_READ_EHEADER; /* byte-order mark, or the header checksum */
}

static void check_flip(tb_t *t, uint64_t byte, unsigned bit, int sealed_only)
{
    t->buf[byte] ^= (uint8_t)(1u << bit);
    tb_read_t res;
    tb_read_image(t, t->buf, t->size, &res);
    t->buf[byte] ^= (uint8_t)(1u << bit);
    if (byte < MTDB_FILE_HEADER_BYTES) {
        ck_assert_msg(res.open_rc == expected_open_rc(byte), "flip %llu.%u: open gave %d",
                      (unsigned long long)byte, bit, res.open_rc);
        return;
    }
    ck_assert_msg(res.open_rc == 0 && res.next_rc == 0, "flip %llu.%u", (unsigned long long)byte,
                  bit);
    if (!sealed_only)
        return;
    ck_assert_msg(res.unknown == 0 && res.mismatches == 0 && res.stack_mismatches == 0,
                  "flip %llu.%u: %llu foreign, %llu changed, %llu stack ids wrong",
                  (unsigned long long)byte, bit, (unsigned long long)res.unknown,
                  (unsigned long long)res.mismatches, (unsigned long long)res.stack_mismatches);
    ck_assert_msg(res.heap_events + res.stats.events_lost == t->events,
                  "flip %llu.%u: %llu decoded + %llu lost != %llu written (%s)",
                  (unsigned long long)byte, bit, (unsigned long long)res.heap_events,
                  (unsigned long long)res.stats.events_lost, (unsigned long long)t->events,
                  res.first_diag);
    int in_data = byte < t->blocks[t->nblock - 1].payload_end;
    ck_assert_msg(!in_data || res.diags > 0 || res.records == t->nrec,
                  "flip %llu.%u went unnoticed", (unsigned long long)byte, bit);
}

START_TEST(test_reader_every_bit_flip_sealed)
{
    tb_build_sample(&img, 0);
    for (uint64_t byte = 0; byte < img.size; byte++)
        for (unsigned bit = 0; bit < 8; bit++)
            check_flip(&img, byte, bit, 1);
    tb_free(&img);
}
END_TEST

/* The same with stacks that share outer frames (a damaged block can never lend a wrong
 * outer part to a stack decoded later). */
START_TEST(test_reader_every_bit_flip_shared_stacks)
{
    static const uintptr_t a[] = {0x401010, 0x401020, 0x7f0000001000, 0x401300, 0x401400};
    static const uintptr_t b[] = {0x402000, 0x401999, 0x7f0000001000, 0x401300, 0x401400};
    static const uintptr_t c[] = {0x403000, 0x401300, 0x401400};
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_stack(&img, a, 5);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 1, 1);
    tb_stack_shared(&img, b, 5, 3);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 102, 0x2000, 8, 2, 1);
    tb_seal(&img, 0);
    tb_begin(&img, 1, 0, 200, 0);
    tb_stack(&img, b, 5);
    tb_stack_shared(&img, c, 3, 2);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 201, 0x3000, 8, 4, 1);
    tb_seal(&img, 0);
    tb_begin(&img, 1, 0, 300, 0);
    tb_counters(&img, 300);
    tb_seal(&img, MTDB_BLOCK_THREAD_LAST);
    for (uint64_t byte = 0; byte < img.size; byte++)
        for (unsigned bit = 0; bit < 8; bit++)
            check_flip(&img, byte, bit, 1);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_every_bit_flip_open_tail)
{
    /* Every bit up to the end of the data, then every 61st byte of the zero tail (the
     * sealed variant above covers the tail bit by bit). */
    tb_build_sample(&img, 1);
    uint64_t data_end = img.blocks[img.nblock - 1].payload_end + 8;
    for (uint64_t byte = 0; byte < img.size; byte += byte < data_end ? 1 : 61)
        for (unsigned bit = 0; bit < 8; bit++)
            check_flip(&img, byte, bit, 0);
    tb_free(&img);
}
END_TEST

/* A flipped payload bit: BAD_BLOCK naming the thread and its events, and nothing else. */
START_TEST(test_reader_bad_payload_checksum_message)
{
    tb_build_sample(&img, 0);
    const tb_block_t *b = &img.blocks[3]; /* thread 1's second block: 40 allocations */
    ck_assert_uint_eq(b->events, 40);
    img.buf[b->offset + MTDB_BLOCK_HEADER_BYTES + 5] ^= 0x10;
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    char want[160];
    uint64_t span = (b->payload_end - b->offset + 7) & ~7ull;
    snprintf(want, sizeof want,
             "image.trace: offset %llu: sealed block fails its checksum; skipped %llu bytes "
             "(block of thread 1, events 6..45)",
             (unsigned long long)b->offset, (unsigned long long)span);
    ck_assert_str_eq(res.first_diag, want);
    ck_assert_uint_eq(res.diags, 1);
    ck_assert_uint_eq(res.stats.bad_blocks, 1);
    ck_assert_uint_eq(res.stats.events_lost, 40);
    ck_assert_uint_eq(res.heap_events, img.events - 40);
    tb_free(&img);
}
END_TEST

/* A lost header: the thread's next block shows the gap. */
START_TEST(test_reader_bad_header_gap_counted_by_next_block)
{
    tb_build_sample(&img, 0);
    const tb_block_t *b = &img.blocks[3];
    img.buf[b->offset + 20] ^= 1; /* first_event_seq */
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_uint_eq(res.diag_kinds, (1u << MTDB_DIAG_BAD_BLOCK) | (1u << MTDB_DIAG_EVENT_GAP));
    ck_assert_uint_eq(res.diags, 2);
    ck_assert_uint_eq(res.stats.events_lost, 40);
    ck_assert_uint_eq(res.heap_events, img.events - 40);
    ck_assert_uint_eq(res.mismatches + res.unknown, 0);
    tb_free(&img);
}
END_TEST

/* A heap-event record that does not parse in a sealed block (a writer bug): the rest of
 * the block is skipped and its events counted lost. */
START_TEST(test_reader_bad_record_skips_rest_of_block)
{
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 0, 1);
    static const uint8_t overlong[] = {MTDB_TAG(MTDB_REC_FAIL, MTDB_FUNC_MALLOC),
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
                                       0x01,
                                       0x05};
    tb_raw(&img, overlong, sizeof overlong, 1);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 102, 0x2000, 8, 0, 1);
    tb_seal(&img, 0);
    tb_begin(&img, 1, 0, 200, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 201, 0x3000, 8, 0, 1);
    tb_seal(&img, 0);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_uint_eq(res.records, 2);
    ck_assert_uint_eq(res.diags, 1);
    ck_assert_uint_eq(res.diag_kinds, 1u << MTDB_DIAG_BAD_RECORD);
    ck_assert_uint_eq(res.stats.events_lost, 2);
    ck_assert_uint_eq(res.diag_skipped, img.recs[2].end - img.recs[1].offset);
    ck_assert_uint_eq(res.mismatches + res.unknown, 0);
    tb_free(&img);
}
END_TEST

static void one_bad_record(const uint8_t *bytes, size_t len)
{
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_raw(&img, bytes, len, 0);
    tb_seal(&img, 0);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_uint_eq(res.records, 0);
    ck_assert_uint_eq(res.diag_kinds, 1u << MTDB_DIAG_BAD_RECORD);
    tb_free(&img);
}

START_TEST(test_reader_bounds_refused)
{
    const uint8_t deep[] = {MTDB_TAG(MTDB_REC_STACK, 0), 0x81, 0x08, 0, 0}; /* depth 1025 */
    one_bad_record(deep, sizeof deep);
    const uint8_t mods[] = {MTDB_TAG(MTDB_REC_MODULES, 0), 0x81, 0x80, 0x04, 0, 0}; /* 65537 */
    one_bad_record(mods, sizeof mods);
    const uint8_t str[] = {MTDB_TAG(MTDB_REC_NAME, 0), 0x05, 'a', 'b'}; /* 5 > 2 left */
    one_bad_record(str, sizeof str);
    const uint8_t type[] = {0x0E, 0, 0}; /* unknown type 14 */
    one_bad_record(type, sizeof type);
    const uint8_t func[] = {MTDB_TAG(MTDB_REC_ALLOC, 0), 0, 0, 0, 0}; /* function 0 */
    one_bad_record(func, sizeof func);
    /* a shared STACK first in its block: no stack before it to share with */
    const uint8_t first[] = {MTDB_TAG(MTDB_REC_STACK, MTDB_SUB_STACK_SHARED), 2, 1, 0x10};
    one_bad_record(first, sizeof first);
    const uint8_t sub[] = {MTDB_TAG(MTDB_REC_STACK, 2), 1, 0x10}; /* no such form */
    one_bad_record(sub, sizeof sub);
}
END_TEST

/* A shared STACK that shares nothing, more than its own depth or more than the previous
 * stack has: damage, the rest of the block skipped; the stacks before it stay. */
START_TEST(test_reader_shared_stack_bounds_refused)
{
    static const uintptr_t two[] = {0x401000, 0x402000};
    const uint8_t bad[][4] = {
        {MTDB_TAG(MTDB_REC_STACK, MTDB_SUB_STACK_SHARED), 2, 0, 0x10}, /* shares 0 */
        {MTDB_TAG(MTDB_REC_STACK, MTDB_SUB_STACK_SHARED), 1, 2, 0x10}, /* 2 of depth 1 */
        {MTDB_TAG(MTDB_REC_STACK, MTDB_SUB_STACK_SHARED), 4, 3, 0x10}, /* 3 of a depth 2 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
        tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
        tb_stack(&img, two, 2);
        tb_raw(&img, bad[i], sizeof bad[i], 0);
        tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 1, 1);
        tb_seal(&img, 0);
        tb_read_t res;
        tb_read_image(&img, img.buf, img.size, &res);
        ck_assert_uint_eq(res.records, 1);
        ck_assert_uint_eq(res.diag_kinds, 1u << MTDB_DIAG_BAD_RECORD);
        ck_assert_uint_eq(res.stats.events_lost, 1);
        ck_assert_uint_eq(res.mismatches + res.unknown, 0);
        tb_free(&img);
    }
}
END_TEST

START_TEST(test_reader_event_gap_between_blocks)
{
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 2, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 0, 1);
    tb_seal(&img, 0);
    img.next_seq[2] += 7; /* seven events the writer lost */
    tb_begin(&img, 2, 0, 200, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 201, 0x2000, 8, 0, 1);
    tb_seal(&img, 0);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_uint_eq(res.records, 2);
    ck_assert_uint_eq(res.diag_kinds, 1u << MTDB_DIAG_EVENT_GAP);
    ck_assert_uint_eq(res.stats.events_lost, 7);
    char want[160];
    snprintf(want, sizeof want,
             "image.trace: offset %llu: thread 2: events 1..7 are missing (7 events lost)",
             (unsigned long long)img.blocks[1].offset);
    ck_assert_str_eq(res.first_diag, want);
    tb_free(&img);
}
END_TEST

/* An open block followed by a sealed one is damage, not a torn tail. */
START_TEST(test_reader_open_block_not_last_is_bad_block)
{
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 0, 1);
    tb_leave_open(&img);
    tb_begin(&img, 1, 0, 200, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 201, 0x2000, 8, 0, 1);
    tb_seal(&img, 0);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_uint_eq(res.records, 1);
    ck_assert_uint_eq(res.diag_kinds, (1u << MTDB_DIAG_BAD_BLOCK) | (1u << MTDB_DIAG_EVENT_GAP));
    ck_assert_uint_eq(res.stats.events_lost, 1);
    tb_free(&img);
}
END_TEST

/* A zeroed block header with data in a later chunk: damage, and the later data is read. */
START_TEST(test_reader_zero_header_before_later_chunk_data)
{
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 0, 1);
    tb_seal(&img, 0);
    tb_pad(&img);
    tb_begin(&img, 1, 0, 200, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 201, 0x2000, 8, 0, 1);
    tb_seal(&img, 0);
    memset(img.buf + img.blocks[0].offset, 0, img.blocks[0].payload_end - img.blocks[0].offset);
    memset(img.buf + img.blocks[0].payload_end, 0, 48); /* and the PAD */
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_uint_eq(res.records, 1);
    ck_assert_uint_eq(res.diag_kinds, (1u << MTDB_DIAG_GARBAGE) | (1u << MTDB_DIAG_EVENT_GAP));
    ck_assert_uint_eq(res.stats.events_lost, 1);
    ck_assert_int_eq(res.stats.clean_end, 1);
    tb_free(&img);
}
END_TEST

/* A writer killed between filling a header and storing its magic: a clean end. */
START_TEST(test_reader_half_opened_header_is_clean_end)
{
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 0, 1);
    tb_seal(&img, 0);
    mtdb_block_open(img.buf + img.pos, 1, 0, 1, 300);
    memset(img.buf + img.pos, 0, 4);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_uint_eq(res.records, 1);
    ck_assert_uint_eq(res.diags, 0);
    ck_assert_int_eq(res.stats.clean_end, 1);
    tb_free(&img);
}
END_TEST

static Suite *damage_suite(void)
{
    Suite *s = suite_create("reader_damage");
    TCase *tc = tcase_create("damage");
    tcase_set_timeout(tc, 100);
    tcase_add_test(tc, test_reader_truncation_at_every_offset_sealed);
    tcase_add_test(tc, test_reader_truncation_at_every_offset_open_tail);
    tcase_add_test(tc, test_reader_truncation_inside_open_block_is_torn_tail);
    tcase_add_test(tc, test_reader_truncation_inside_sealed_block_reports_truncated);
    tcase_add_test(tc, test_reader_every_bit_flip_sealed);
    tcase_add_test(tc, test_reader_every_bit_flip_shared_stacks);
    tcase_add_test(tc, test_reader_every_bit_flip_open_tail);
    tcase_add_test(tc, test_reader_bad_payload_checksum_message);
    tcase_add_test(tc, test_reader_bad_header_gap_counted_by_next_block);
    tcase_add_test(tc, test_reader_bad_record_skips_rest_of_block);
    tcase_add_test(tc, test_reader_bounds_refused);
    tcase_add_test(tc, test_reader_shared_stack_bounds_refused);
    tcase_add_test(tc, test_reader_event_gap_between_blocks);
    tcase_add_test(tc, test_reader_open_block_not_last_is_bad_block);
    tcase_add_test(tc, test_reader_zero_header_before_later_chunk_data);
    tcase_add_test(tc, test_reader_half_opened_header_is_clean_end);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(damage_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
