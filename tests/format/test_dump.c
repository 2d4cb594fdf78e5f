/* test_dump.c: `mtdb dump` on traces built in a temporary directory.
 *
 * Runs the dump program (fmt_dump, the same cmd_dump.c the mtdb executable links) and
 * checks its exit status, its record lines, its summary and its warnings on stderr.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tst_scratch.h"
#include "trace_build.h"

static char dir[64];
static char out[1 << 16], err[1 << 14];

static void write_file(const char *name, const uint8_t *buf, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
}

static void read_all(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
}

/* Runs fmt_dump with args (a shell word list); returns its exit status. */
static int run_dump(const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s && '%s' %s >out.txt 2>err.txt", dir, FMT_DUMP_EXE, args);
    int st = system(cmd);
    char path[128];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    read_all(path, out, sizeof out);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    read_all(path, err, sizeof err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void setup(void)
{
    ck_assert_int_eq(tst_scratch_make(dir, sizeof dir, "dump"), 0);
}

static void teardown(void)
{
    ck_assert_msg(tst_scratch_remove(dir) == 0, "cannot remove %s", dir);
}

START_TEST(test_dump_prints_one_line_per_record)
{
    static tb_t img;
    tb_build_sample(&img, 0);
    write_file("a.trace", img.buf, img.size);
    ck_assert_int_eq(run_dump("a.trace"), 0);
    ck_assert_str_eq(err, "");
    char line[160];
    snprintf(line, sizeof line,
             "== a.trace: stream file 1 of pid 4242 (nonce 1122334455667788), format %d.%d, "
             "20480 bytes, chunks 4096..8192, created 123456789 ns\n",
             MTDB_FORMAT_MAJOR, MTDB_FORMAT_MINOR);
    ck_assert_msg(strstr(out, line) != NULL, "no header line in:\n%s", out);
    snprintf(line, sizeof line,
             "\n@%llu t1 ALLOC seq=0 malloc ts=1010 addr=0x10000 size=16 stack=1\n",
             (unsigned long long)img.recs[5].offset);
    ck_assert_ptr_nonnull(strstr(out, line));
    ck_assert_ptr_nonnull(strstr(out, " t1 STACK id=1 depth=3 0x401000 0x401100 0x7f0000001000\n"));
    ck_assert_ptr_nonnull(strstr(out, " t1 ALLOC seq=1 calloc ts=1005 addr=0x20000 size=4096 "
                                      "stack=1 weight=3\n"));
    ck_assert_ptr_nonnull(strstr(out, " t1 REALLOC seq=3 realloc ts=1030 old=0x20000 "
                                      "ts_after=1045 addr=0x8000 size=8192 stack=1\n"));
    ck_assert_ptr_nonnull(strstr(out, " t2 STATE exec ts=3020 path=\"/bin/sh\"\n"));
    ck_assert_ptr_nonnull(strstr(out, "    argv=[\"prog\" \"-x\" \"input file\"]\n"));
    ck_assert_ptr_nonnull(strstr(out, "    module base=0x500000 text_size=0x2000 "
                                      "path=\"/lib/mod1.so\" build_id=01010203\n"));
    size_t lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '@';
    ck_assert_uint_eq(lines, img.nrec + img.nblock); /* records and block lines */
    tb_free(&img);
}
END_TEST

START_TEST(test_dump_summary_counts)
{
    static tb_t img;
    tb_build_sample(&img, 0);
    write_file("mtdb-1-0000000000000001-0001.trace", img.buf, img.size);
    write_file("mtdb-1-0000000000000001-0002.trace", img.buf, img.size);
    write_file("ignored.txt", img.buf, 64);
    ck_assert_int_eq(run_dump("--summary ."), 0);
    ck_assert_str_eq(err, "");
    const char *total = strstr(out, "total\n");
    ck_assert_ptr_nonnull(total);
    ck_assert_str_eq(total, "total\n"
                            "  files 2, 40960 bytes\n"
                            "  blocks 30 (30 sealed, 0 open, 0 bad)\n"
                            "  records 192, threads 6, stacks 10\n"
                            "  ALLOC     94 (malloc 88, calloc 2, posix_memalign 2, valloc 2)\n"
                            "  FREE      46 (realloc 2, reallocarray 2, free 42)\n"
                            "  REALLOC   4 (realloc 2, reallocarray 2)\n"
                            "  FAIL      2 (malloc 2)\n"
                            "  STACK     10\n"
                            "  THREAD    6\n"
                            "  NAME      2\n"
                            "  COUNTERS  10\n"
                            "  MODULES   2\n"
                            "  MARK      4\n"
                            "  STATE     8\n"
                            "  PROCESS   2\n"
                            "  EXIT      2\n"
                            "  damage: none\n");
    ck_assert_ptr_nonnull(strstr(out, "./mtdb-1-0000000000000001-0001.trace\n  files 1,"));
    tb_free(&img);
}
END_TEST

START_TEST(test_dump_damage_warns_and_exits_3)
{
    static tb_t img;
    tb_build_sample(&img, 0);
    const tb_block_t *b = &img.blocks[3];
    img.buf[b->offset + MTDB_BLOCK_HEADER_BYTES + 5] ^= 0x10;
    write_file("bad.trace", img.buf, img.size);
    ck_assert_int_eq(run_dump("-s bad.trace"), 3); /* as `mtdb import` of it: cli_exit.h */
    char want[256];
    snprintf(want, sizeof want,
             "mtdb: warning: bad.trace: offset %llu: sealed block fails its checksum; skipped "
             "%llu bytes (block of thread 1, events 6..45)\n",
             (unsigned long long)b->offset,
             (unsigned long long)((b->payload_end - b->offset + 7) & ~7ull));
    ck_assert_str_eq(err, want);
    ck_assert_ptr_nonnull(strstr(out, "  damage: 1 problems (bad_block 1), "));
    ck_assert_ptr_nonnull(strstr(out, " bytes skipped, 40 events lost\n"));
    tb_free(&img);
}
END_TEST

START_TEST(test_dump_usage_and_unreadable)
{
    ck_assert_int_eq(run_dump("--help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: mtdb dump [--summary] FILE|DIR...\n"));
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(run_dump(""), 2);
    ck_assert_ptr_nonnull(strstr(err, "usage: mtdb dump"));
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(run_dump("--bogus x"), 2);
    ck_assert_int_eq(run_dump("missing.trace"), 1);
    ck_assert_str_eq(err, "mtdb: error: missing.trace: cannot open: No such file or directory\n");
    write_file("v2.trace", (const uint8_t *)"MTDBTRC\n\x0d\x0c\x0b\x0a\x02\x00", 14);
    ck_assert_int_eq(run_dump("v2.trace"), 1);
    ck_assert_ptr_nonnull(strstr(err, "mtdb: error: v2.trace: file is 14 bytes"));
}
END_TEST

static Suite *dump_suite(void)
{
    Suite *s = suite_create("dump");
    TCase *tc = tcase_create("dump");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_dump_prints_one_line_per_record);
    tcase_add_test(tc, test_dump_summary_counts);
    tcase_add_test(tc, test_dump_damage_warns_and_exits_3);
    tcase_add_test(tc, test_dump_usage_and_unreadable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tst_run_suite(dump_suite());
}
