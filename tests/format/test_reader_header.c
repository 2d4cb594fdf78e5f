/* test_reader_header.c: opening a trace: file header checks and their error codes.
 *
 * Unknown major refused naming both versions, the older major read, any minor accepted, bad magic,
 * byte order, checksum, chunk sizes, short and missing files. Messages name the file.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tst_scratch.h"
#include "trace_build.h"

static tb_t img;

static void build_small(void)
{
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 0, 1);
    tb_seal(&img, 0);
}

static void set_version(uint16_t major, uint16_t minor)
{
    img.buf[12] = (uint8_t)major, img.buf[13] = (uint8_t)(major >> 8);
    img.buf[14] = (uint8_t)minor, img.buf[15] = (uint8_t)(minor >> 8);
    mtdb_put_u32le(img.buf + 60, mtdb_crc32c(0, img.buf, 60));
}

static int open_msg(char *msg, size_t len)
{
    mtdb_reader_t *r = NULL;
    int rc = mtdb_reader_open_mem(img.buf, img.size, "dir/x.trace", &r, msg, len);
    ck_assert(rc == 0 ? r != NULL : r == NULL);
    mtdb_reader_close(r);
    return rc;
}

START_TEST(test_reader_unknown_major_refused)
{
    build_small();
    set_version(3, 0);
    char msg[256];
    ck_assert_int_eq(open_msg(msg, sizeof msg), MTDB_READ_EVERSION);
    ck_assert_str_eq(msg, "dir/x.trace: trace format version 3.0 is not supported (this reader "
                          "reads 1.x to 2.x, up to 2.1)");
    set_version(0, 9);
    ck_assert_int_eq(open_msg(msg, sizeof msg), MTDB_READ_EVERSION);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_newer_minor_accepted)
{
    build_small();
    set_version(MTDB_FORMAT_MAJOR, 7);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_int_eq(res.open_rc, 0);
    ck_assert_uint_eq(res.records, 1);
    ck_assert_uint_eq(res.mismatches + res.diags, 0);
    tb_free(&img);
}
END_TEST

/* A format 1 file is read as before; the shared STACK form of format 2 is damage in it. */
START_TEST(test_reader_older_major_read)
{
    static const uintptr_t outer[] = {0x401000, 0x402000, 0x403000};
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 0, 1);
    tb_stack(&img, outer, 3);
    tb_stack_shared(&img, outer + 1, 2, 2);
    tb_seal(&img, 0);
    set_version(MTDB_FORMAT_MAJOR, 0);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_int_eq(res.open_rc, 0);
    ck_assert_uint_eq(res.records, 3);
    ck_assert_uint_eq(res.mismatches + res.diags, 0);
    set_version(1, 0);
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_int_eq(res.open_rc, 0);
    ck_assert_uint_eq(res.records, 2);
    ck_assert_uint_eq(res.diag_kinds, 1u << MTDB_DIAG_BAD_RECORD);
    ck_assert_uint_eq(res.mismatches, 0);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_header_damage_codes)
{
    char msg[256];
    build_small();
    img.buf[0] = 'X';
    ck_assert_int_eq(open_msg(msg, sizeof msg), MTDB_READ_ENOTTRACE);
    ck_assert_str_eq(msg, "dir/x.trace: not an mtdb trace file (bad magic)");
    img.buf[0] = 'M';
    mtdb_put_u32le(img.buf + 8, 0x0D0C0B0Au);
    ck_assert_int_eq(open_msg(msg, sizeof msg), MTDB_READ_EHEADER);
    mtdb_put_u32le(img.buf + 8, MTDB_BYTE_ORDER_MARK);
    img.buf[50] ^= 1;
    ck_assert_int_eq(open_msg(msg, sizeof msg), MTDB_READ_EHEADER);
    ck_assert_str_eq(msg, "dir/x.trace: file header fails its checksum");
    img.buf[50] ^= 1;
    ck_assert_int_eq(open_msg(msg, sizeof msg), 0);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_bad_chunk_sizes_refused)
{
    const uint32_t sizes[][2] = {{2048, 4096}, {4096, 2048}, {5000, 8192}, {4096, 12288}};
    char msg[256];
    for (size_t i = 0; i < 4; i++) {
        build_small();
        mtdb_put_u32le(img.buf + 36, sizes[i][0]);
        mtdb_put_u32le(img.buf + 40, sizes[i][1]);
        mtdb_put_u32le(img.buf + 60, mtdb_crc32c(0, img.buf, 60));
        ck_assert_int_eq(open_msg(msg, sizeof msg), MTDB_READ_EHEADER);
        tb_free(&img);
    }
}
END_TEST

START_TEST(test_reader_unknown_file_kind_refused)
{
    build_small();
    mtdb_put_u32le(img.buf + 16, 3);
    mtdb_put_u32le(img.buf + 60, mtdb_crc32c(0, img.buf, 60));
    char msg[256];
    ck_assert_int_eq(open_msg(msg, sizeof msg), MTDB_READ_EHEADER);
    ck_assert_str_eq(msg, "dir/x.trace: unknown file kind 3");
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_missing_and_odd_files)
{
    mtdb_reader_t *r = (mtdb_reader_t *)1;
    char msg[256];
    ck_assert_int_eq(mtdb_reader_open("/nonexistent/x.trace", &r, msg, sizeof msg), MTDB_READ_EIO);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(msg, "/nonexistent/x.trace: cannot open: No such file or directory");
    ck_assert_int_eq(mtdb_reader_open("/", &r, msg, sizeof msg), MTDB_READ_EIO);
    char path[4096];
    ck_assert_int_eq(tst_scratch_file(path, sizeof path, "empty", "", 0), 0);
    ck_assert_int_eq(mtdb_reader_open(path, &r, msg, sizeof msg), MTDB_READ_EHEADER);
    remove(path);
    ck_assert_int_eq(mtdb_reader_open_mem("MTDB", 4, "short", &r, msg, sizeof msg),
                     MTDB_READ_EHEADER);
    ck_assert_str_eq(msg, "short: file is 4 bytes, shorter than the 64-byte header");
    ck_assert_int_eq(mtdb_reader_open_mem("ELF", 3, "short", &r, NULL, 0), MTDB_READ_ENOTTRACE);
}
END_TEST

START_TEST(test_reader_strerror_names_every_code)
{
    ck_assert_str_eq(mtdb_read_strerror(MTDB_READ_OK), "ok");
    ck_assert_str_eq(mtdb_read_strerror(MTDB_READ_EVERSION), "unsupported trace format version");
    ck_assert_str_eq(mtdb_read_strerror(MTDB_READ_ENOMEM), "out of memory");
    ck_assert_str_eq(mtdb_read_strerror(-99), "unknown reader error");
    ck_assert_str_eq(mtdb_rec_type_name(MTDB_REC_REALLOC), "REALLOC");
    ck_assert_str_eq(mtdb_rec_type_name(0), "?");
    ck_assert_str_eq(mtdb_diag_kind_name(MTDB_DIAG_TORN_TAIL), "torn_tail");
}
END_TEST

static Suite *header_suite(void)
{
    Suite *s = suite_create("reader_header");
    TCase *tc = tcase_create("header");
    tcase_add_test(tc, test_reader_unknown_major_refused);
    tcase_add_test(tc, test_reader_newer_minor_accepted);
    tcase_add_test(tc, test_reader_older_major_read);
    tcase_add_test(tc, test_reader_header_damage_codes);
    tcase_add_test(tc, test_reader_bad_chunk_sizes_refused);
    tcase_add_test(tc, test_reader_unknown_file_kind_refused);
    tcase_add_test(tc, test_reader_missing_and_odd_files);
    tcase_add_test(tc, test_reader_strerror_names_every_code);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(header_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
