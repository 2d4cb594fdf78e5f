/* test_reader_packed.c: the reader on packed images (trace_pack.h): the same records as
 * the raw image, and on damage (every truncation, every bit flip) only records that were
 * written, each lost piece named; header damage refused with a reason.
 *
 * Images come from the format tests' builder, packed by mtdb_pack_file in pieces of
 * 4 KiB so that the sample (five 4 KiB chunks) spans several pieces. Every test runs
 * once per codec: plain zstd (1) and split zstd (2).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_build.h"
#include "trace_pack.h"
#include "tst_scratch.h"

#define PIECE 4096u

static tb_t img;
static const uint32_t codecs[] = {MTDB_PACK_CODEC_ZSTD, MTDB_PACK_CODEC_SPLIT};
static uint32_t pack_codec;

/* The bytes bytes of the packed file at path (malloc'd); the file holds no more. */
static uint8_t *read_packed(const char *path, uint64_t bytes)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t *buf = malloc(bytes);
    ck_assert_uint_eq(fread(buf, 1, bytes, f), bytes);
    ck_assert_int_eq(fgetc(f), EOF);
    fclose(f);
    return buf;
}

/* The packed form of the raw image t (malloc'd), its length in *len. */
static uint8_t *pack_image(const tb_t *t, size_t *len)
{
    char path[1024], why[160] = "";
    ck_assert_int_eq(tst_scratch_file(path, sizeof path, "packed", t->buf, t->size), 0);
    mtdb_pack_stats_t st;
    int rc = mtdb_pack_file(path, pack_codec, MTDB_PACK_LEVEL_DEFAULT, PIECE, &st, why, sizeof why);
    ck_assert_msg(rc == MTDB_PACK_OK, "%d: %s", rc, why);
    ck_assert_uint_eq(st.raw_bytes, t->size);
    uint8_t *buf = read_packed(path, st.packed_bytes);
    *len = (size_t)st.packed_bytes;
    /* packing a packed file changes nothing */
    ck_assert_int_eq(mtdb_pack_file(path, pack_codec, 3, PIECE, &st, why, sizeof why),
                     MTDB_PACK_ALREADY);
    ck_assert_uint_eq(st.packed_bytes, 0);
    unlink(path);
    return buf;
}

static void check_same_as_raw(int last_open)
{
    tb_build_sample(&img, last_open);
    tb_read_t raw, packed;
    tb_read_image(&img, img.buf, img.size, &raw);
    size_t len;
    uint8_t *p = pack_image(&img, &len);
    ck_assert_uint_lt(len, img.size);
    tb_read_image(&img, p, len, &packed);
    ck_assert_int_eq(packed.open_rc, 0);
    ck_assert_int_eq(packed.next_rc, 0);
    ck_assert_uint_eq(packed.mismatches, 0);
    ck_assert_uint_eq(packed.unknown, 0);
    ck_assert_uint_eq(packed.records, raw.records);
    ck_assert_uint_eq(packed.heap_events, raw.heap_events);
    ck_assert_uint_eq(packed.records, img.nrec);
    ck_assert_uint_eq(packed.diags, 0);
    ck_assert_int_eq(packed.stats.clean_end, raw.stats.clean_end);
    mtdb_reader_t *r;
    ck_assert_int_eq(mtdb_reader_open_mem(p, len, "x.trace", &r, NULL, 0), 0);
    ck_assert_uint_eq(mtdb_reader_info(r)->file_bytes, img.size); /* the original's size */
    mtdb_reader_close(r);
    free(p);
    tb_free(&img);
}

/* The packed form of t by `lanes` threads (malloc'd), its length in *len. */
static uint8_t *pack_image_lanes(const tb_t *t, int lanes, size_t *len)
{
    char path[1024], why[160] = "";
    ck_assert_int_eq(tst_scratch_file(path, sizeof path, "lanes", t->buf, t->size), 0);
    mtdb_pack_stats_t st;
    int rc = mtdb_pack_file_lanes(path, pack_codec, MTDB_PACK_LEVEL_DEFAULT, PIECE, lanes, &st, why,
                                  sizeof why);
    ck_assert_msg(rc == MTDB_PACK_OK, "%d lanes: %d: %s", lanes, rc, why);
    uint8_t *buf = read_packed(path, st.packed_bytes);
    unlink(path);
    *len = (size_t)st.packed_bytes;
    return buf;
}

/* Pieces compressed side by side are written in order: the file is the same byte for
 * byte with 1, 2, 3 and 8 lanes (more lanes than the sample has pieces, too). */
START_TEST(test_packed_same_bytes_on_any_lanes)
{
    pack_codec = codecs[_i];
    tb_build_sample(&img, 0);
    ck_assert_uint_gt(img.size, 4 * PIECE);
    size_t len1, len;
    uint8_t *one = pack_image_lanes(&img, 1, &len1);
    static const int lanes[] = {2, 3, 8};
    for (size_t i = 0; i < sizeof lanes / sizeof *lanes; i++) {
        uint8_t *many = pack_image_lanes(&img, lanes[i], &len);
        ck_assert_uint_eq(len, len1);
        ck_assert_msg(memcmp(one, many, len) == 0, "%d lanes: other bytes", lanes[i]);
        free(many);
    }
    tb_read_t packed;
    tb_read_image(&img, one, len1, &packed);
    ck_assert_uint_eq(packed.records, img.nrec);
    ck_assert_uint_eq(packed.mismatches, 0);
    free(one);
    tb_free(&img);
}
END_TEST

START_TEST(test_packed_reads_as_raw_sealed)
{
    pack_codec = codecs[_i];
    check_same_as_raw(0);
}
END_TEST

START_TEST(test_packed_reads_as_raw_open_tail)
{
    pack_codec = codecs[_i];
    check_same_as_raw(1);
}
END_TEST

/* Only written records come back; a cut that loses bytes of a frame names a lost piece. */
START_TEST(test_packed_truncation_at_every_offset)
{
    pack_codec = codecs[_i];
    tb_build_sample(&img, 0);
    size_t len;
    uint8_t *p = pack_image(&img, &len);
    uint32_t count = (uint32_t)((img.size + PIECE - 1) / PIECE);
    size_t table_end = MTDB_PACK_HEADER_BYTES + count * MTDB_PACK_ENTRY_BYTES;
    uint64_t frame0 = mtdb_get_u64le(p + MTDB_PACK_HEADER_BYTES);
    uint64_t frame0_end = frame0 + mtdb_get_u32le(p + MTDB_PACK_HEADER_BYTES + 8);
    for (size_t cut = 0; cut < len; cut++) {
        tb_read_t res;
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, p, cut);
        tb_read_image(&img, copy, cut, &res);
        if (cut < table_end || cut < frame0_end) {
            ck_assert_msg(res.open_rc < 0, "cut %zu: opened without the file header", cut);
            ck_assert_msg(cut < 8 || res.open_rc == MTDB_READ_EHEADER, "cut %zu: open gave %d", cut,
                          res.open_rc);
        } else {
            ck_assert_msg(res.open_rc == 0 && res.mismatches == 0 && res.unknown == 0,
                          "cut %zu: open %d, %llu foreign records", cut, res.open_rc,
                          (unsigned long long)res.mismatches);
            ck_assert_msg(res.diag_kinds & (1u << MTDB_DIAG_BAD_PIECE), "cut %zu: no lost piece",
                          cut);
            ck_assert_int_eq(res.stats.clean_end, 0);
        }
        free(copy);
    }
    free(p);
    tb_free(&img);
}
END_TEST

/* Every bit flip: refused at open (header, table, piece 0), or only written records
 * with the damage reported; a flip in a later frame never goes unnoticed. */
START_TEST(test_packed_bit_flip_everywhere)
{
    pack_codec = codecs[_i];
    tb_build_sample(&img, 0);
    size_t len;
    uint8_t *p = pack_image(&img, &len);
    uint64_t frame1 = mtdb_get_u64le(p + MTDB_PACK_HEADER_BYTES + MTDB_PACK_ENTRY_BYTES);
    uint8_t *copy = malloc(len);
    size_t flips_seen = 0, flips = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(copy, p, len);
            copy[i] ^= (uint8_t)(1u << bit);
            tb_read_t res;
            tb_read_image(&img, copy, len, &res);
            flips += i >= frame1;
            if (i < frame1) {
                ck_assert_msg(res.open_rc < 0 ||
                                  (res.mismatches == 0 && res.records == img.nrec && !res.diags),
                              "byte %zu bit %d: open %d", i, bit, res.open_rc);
                continue;
            }
            ck_assert_msg(res.open_rc == 0 && res.mismatches == 0 && res.unknown == 0,
                          "byte %zu bit %d: open %d, foreign records", i, bit, res.open_rc);
            /* a flip the decoder never reads (a frame's unused bits) leaves it whole */
            int whole = res.records == img.nrec && !res.diags;
            ck_assert_msg(whole || (res.diag_kinds & (1u << MTDB_DIAG_BAD_PIECE)),
                          "byte %zu bit %d: the damaged piece was not reported", i, bit);
            flips_seen += !whole;
        }
    }
    ck_assert_msg(flips_seen * 10 >= flips * 9, "only %zu of %zu flips in frames noticed",
                  flips_seen, flips);
    free(copy);
    free(p);
    tb_free(&img);
}
END_TEST

static void check_refused(uint8_t *p, size_t len, int want, const char *reason)
{
    mtdb_reader_t *r;
    char msg[256];
    ck_assert_int_eq(mtdb_reader_open_mem(p, len, "dir/x.trace", &r, msg, sizeof msg), want);
    char expect[256];
    snprintf(expect, sizeof expect, "dir/x.trace: %s", reason);
    ck_assert_msg(strncmp(msg, expect, strlen(expect)) == 0, "%s", msg);
}

static void reseal(uint8_t *p)
{
    mtdb_put_u32le(p + 60, mtdb_crc32c(0, p, 60));
}

START_TEST(test_packed_header_damage_refused)
{
    pack_codec = codecs[_i];
    tb_build_sample(&img, 0);
    size_t len;
    uint8_t *p = pack_image(&img, &len);
    ck_assert_uint_eq(mtdb_get_u32le(p + 16), pack_codec);
    p[12] = 2, reseal(p);
    char version[64];
    snprintf(version, sizeof version, "packed form version 2.%d is not supported", MTDB_PACK_MINOR);
    check_refused(p, len, MTDB_READ_EVERSION, version);
    p[12] = 1, p[16] = 9, reseal(p);
    check_refused(p, len, MTDB_READ_EVERSION, "packed file uses codec 9");
    p[16] = (uint8_t)pack_codec, p[20] = 1, reseal(p);
    check_refused(p, len, MTDB_READ_EHEADER, "packed file's header is inconsistent");
    p[20] = 0, p[61] ^= 1;
    check_refused(p, len, MTDB_READ_EHEADER, "packed file's header fails its checksum");
    reseal(p);
    p[MTDB_PACK_HEADER_BYTES + 3] ^= 1;
    check_refused(p, len, MTDB_READ_EHEADER, "packed file's piece table fails its checksum");
    p[MTDB_PACK_HEADER_BYTES + 3] ^= 1;
    check_refused(p, MTDB_PACK_HEADER_BYTES + 8, MTDB_READ_EHEADER,
                  "packed file is cut off inside its piece table");
    uint64_t frame0 = mtdb_get_u64le(p + MTDB_PACK_HEADER_BYTES);
    p[frame0 + 8] ^= 0x10;
    check_refused(p, len, MTDB_READ_EHEADER, "packed piece 0, which holds the file header, ");
    free(p);
    tb_free(&img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reader: packed files");
    TCase *tc = tcase_create("packed");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_packed_reads_as_raw_sealed, 0, 2);
    tcase_add_loop_test(tc, test_packed_same_bytes_on_any_lanes, 0, 2);
    tcase_add_loop_test(tc, test_packed_reads_as_raw_open_tail, 0, 2);
    tcase_add_loop_test(tc, test_packed_truncation_at_every_offset, 0, 2);
    tcase_add_loop_test(tc, test_packed_bit_flip_everywhere, 0, 2);
    tcase_add_loop_test(tc, test_packed_header_damage_refused, 0, 2);
    suite_add_tcase(s, tc);
    return tst_run_suite(s);
}
