/* test_import_damage.c: damaged traces import what is intact and say what was lost:
 * a bad block in the middle, a torn tail, lost events; every truncation point of a
 * small trace imports or fails cleanly (never crashes), and never invents blocks; every
 * flipped bit gives exactly the status, rows and problems its field calls for. The
 * library (mtdb_importer.h) tells its caller through the callback and never prints.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "mtdb_importer.h"
#include "synth.h"

static char *dir, *db;
static char stream_path[512];

/* Three sealed blocks of thread 1, one allocation each (sizes 1, 2, 3). */
static long build_three_blocks(int last_open)
{
    synth_proc_file(dir, 400, 0xD1, 1, 0, 10, 0);
    synth_path(stream_path, sizeof stream_path, dir, 400, 0xD1, 1);
    synth_t *s = synth_open(stream_path, MTDB_FILE_KIND_STREAM, 400, 0xD1, 1, 10);
    for (int i = 0; i < 3; i++) {
        synth_block_begin(s, 1, i == 0 ? MTDB_BLOCK_THREAD_FIRST : 0, 100 * (i + 1));
        if (i == 0)
            synth_thread(s, 400, 10, MTDB_THREAD_MAIN);
        synth_alloc(s, MTDB_FUNC_MALLOC, 100 * (i + 1) + 1, 0x1000 * (i + 1), i + 1, 0, 1);
        if (i == 2)
            synth_alloc(s, MTDB_FUNC_MALLOC, 350, 0x9000, 100, 0, 1);
        synth_block_end(s, !(last_open && i == 2), 0);
    }
    return (long)synth_close(s);
}

/* File offset of the n-th block header (0-based) of the stream. */
static long block_offset(int n)
{
    long len;
    char *buf = it_read_file(stream_path, &len);
    for (long off = MTDB_FILE_HEADER_BYTES; off + 4 <= len; off += 8)
        if (mtdb_get_u32le((uint8_t *)buf + off) == MTDB_BLOCK_MAGIC && n-- == 0)
            return free(buf), off;
    free(buf);
    return -1;
}

static void setup(void)
{
    dir = it_tmpdir();
    db = strdup(it_path(dir, "t.db"));
}

static void teardown(void)
{
    it_rm_rf(dir);
    free(dir);
    free(db);
}

START_TEST(test_damage_bad_middle_block_skipped)
{
    build_three_blocks(0);
    long off = block_offset(1);
    ck_assert_int_gt(off, 0);
    FILE *f = fopen(stream_path, "r+b");
    fseek(f, off + MTDB_BLOCK_HEADER_BYTES + 2, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off + MTDB_BLOCK_HEADER_BYTES + 2, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
    ck_assert_int_eq(it_import(dir, db, 0), 3);
    ck_query(db,
             "SELECT group_concat(size_bytes) FROM (SELECT size_bytes FROM allocations ORDER BY "
             "alloc_ns);",
             "1,3,100");
    ck_query(db,
             "SELECT kind, offset_bytes = "
             "(SELECT min(offset_bytes) FROM import_problems), "
             "process_id, file LIKE '%-0001.trace' FROM import_problems WHERE kind = 'bad_block';",
             "bad_block|1|1|1");
    char expect[64];
    snprintf(expect, sizeof expect, "%ld", off);
    ck_query(db, "SELECT offset_bytes FROM import_problems WHERE kind = 'bad_block';", expect);
}
END_TEST

START_TEST(test_damage_torn_tail_keeps_whole_records)
{
    build_three_blocks(1);
    long off = block_offset(2);
    /* cut inside the first record of the last, open block */
    ck_assert_int_eq(truncate(stream_path, off + MTDB_BLOCK_HEADER_BYTES + 3), 0);
    ck_assert_int_eq(it_import(dir, db, 0), 3);
    ck_query(db,
             "SELECT group_concat(size_bytes) FROM (SELECT size_bytes FROM allocations ORDER BY "
             "alloc_ns);",
             "1,2");
    ck_query(db, "SELECT count(*) FROM import_problems WHERE kind IN ('torn_tail', 'truncated');",
             "1");
}
END_TEST

START_TEST(test_damage_every_truncation_point)
{
    long size = build_three_blocks(0);
    long len;
    char *orig = it_read_file(stream_path, &len);
    ck_assert_int_eq(len, size);
    /* Every prefix imports; a longer prefix never yields fewer blocks; the whole file
     * yields all four. */
    int last = 0;
    for (long cut = 0; cut <= size; cut++) {
        FILE *f = fopen(stream_path, "wb");
        fwrite(orig, 1, cut, f);
        fclose(f);
        unlink(db);
        int rc = it_import(dir, db, 0);
        ck_assert_msg(rc == 0 || rc == 3, "cut at %ld: exit %d", cut, rc);
        char *n = it_query(db, "SELECT count(*) FROM allocations;");
        ck_assert_int_le(atoi(n), 4);
        ck_assert_msg(atoi(n) >= last, "cut at %ld: %d blocks, %d at a shorter cut", cut,
                      atoi(n), last);
        last = atoi(n);
        free(n);
    }
    ck_assert_int_eq(last, 4);
    free(orig);
}
END_TEST

/* What one flipped bit of the stream file must give (docs/format.md, "File header",
 * "Blocks", "Torn tail or damage?"): the importer's exit status, the allocations left
 * (of 4: blocks 0 and 1 hold one each, block 2 two) and its problem rows, in order. */
typedef struct flip_verdict {
    int status, allocations;
    const char *problems, *field;
} flip_verdict_t;

static flip_verdict_t flip_expected(long at, const long blk[4], const long payload_end[3])
{
    /* The reader checks magic, byte-order mark and major version before the header CRC,
     * which covers every other header byte. A file it refuses is skipped whole, as
     * damage: the process file still imports (status 3, no allocations). */
    if (at >= 12 && at < 14)
        return (flip_verdict_t){3, 0, "unsupported_version", "major version"};
    if (at < MTDB_FILE_HEADER_BYTES)
        return (flip_verdict_t){3, 0, "unreadable_file", "file header"};
    static const int allocs[3] = {1, 1, 2};
    for (int b = 0; b < 3; b++) {
        if (at < blk[b] || at >= blk[b + 1])
            continue;
        /* A block lost with its header leaves its event count unknown: the next block of
         * the thread shows it as an event gap (block 2 has none after it). */
        if (at < blk[b] + 4) /* no "MBLK" where a block must start: skipped bytes */
            return (flip_verdict_t){3, 4 - allocs[b], b < 2 ? "garbage,event_gap" : "garbage",
                                    "block magic"};
        /* Cleared SEALED: an open block that ends the file is read up to payload_bytes,
         * as after a crash, and its records all parse; one that does not end it is
         * damage. */
        if (at == blk[b] + 12 && b == 2)
            return (flip_verdict_t){0, 4, "", "SEALED flag of the last block"};
        if (at < blk[b] + MTDB_BLOCK_HEADER_BYTES) /* the header CRC fails */
            return (flip_verdict_t){3, 4 - allocs[b], b < 2 ? "bad_block,event_gap" : "bad_block",
                                    "block header"};
        /* The header holds, the payload CRC fails: exactly this block is lost, and its
         * sealed event_count says how many events that was (no gap). */
        if (at < payload_end[b])
            return (flip_verdict_t){3, 4 - allocs[b], "bad_block", "block payload"};
        /* 0..7 bytes of alignment after the payload: under no checksum, never read. */
        return (flip_verdict_t){0, 4, "", "alignment"};
    }
    return (flip_verdict_t){-1, -1, "", "past the last block"};
}

START_TEST(test_damage_bit_flips_exact)
{
    long size = build_three_blocks(0), len;
    char *orig = it_read_file(stream_path, &len);
    long blk[4], payload_end[3];
    for (int b = 0; b < 3; b++) {
        blk[b] = block_offset(b);
        ck_assert_int_gt(blk[b], 0);
        uint32_t payload = mtdb_get_u32le((uint8_t *)orig + blk[b] + 4);
        payload_end[b] = blk[b] + MTDB_BLOCK_HEADER_BYTES + (long)payload;
    }
    blk[3] = size;
    ck_assert_int_eq(blk[0], MTDB_FILE_HEADER_BYTES);
    ck_assert_int_eq((payload_end[2] + 7) / 8 * 8, size); /* the file ends with block 2 */
    int seen[2] = {0, 0}; /* flips that kept everything, flips that lost a block */
    for (long at = 0; at < size; at++) { /* every byte, one bit of it, in turn */
        uint8_t bit = (uint8_t)(1u << (at % 8));
        if (at == blk[0] + 12 || at == blk[1] + 12 || at == blk[2] + 12)
            bit = MTDB_BLOCK_SEALED; /* the flags bit with a rule of its own */
        orig[at] ^= bit;
        FILE *f = fopen(stream_path, "wb");
        fwrite(orig, 1, size, f);
        fclose(f);
        orig[at] ^= bit;
        unlink(db);
        int rc = it_import(dir, db, 0);
        flip_verdict_t want = flip_expected(at, blk, payload_end);
        ck_assert_msg(rc == want.status, "flip of bit 0x%02x at %ld (%s): exit %d, want %d", bit,
                      at, want.field, rc, want.status);
        seen[rc == 3]++;
        char *got = it_query(db, "SELECT (SELECT count(*) FROM allocations) || '|' || "
                                 "coalesce((SELECT group_concat(kind) FROM import_problems), '');");
        char want_rows[64];
        snprintf(want_rows, sizeof want_rows, "%d|%s", want.allocations, want.problems);
        ck_assert_msg(!strcmp(got, want_rows), "flip at %ld (%s): allocations|problems %s, want %s",
                      at, want.field, got, want_rows);
        free(got);
    }
    ck_assert_int_gt(seen[0], 0);
    ck_assert_int_gt(seen[1], 0);
    free(orig);
}
END_TEST

START_TEST(test_damage_event_gap_counted)
{
    synth_proc_file(dir, 500, 0xE1, 1, 0, 10, 0);
    synth_path(stream_path, sizeof stream_path, dir, 500, 0xE1, 1);
    synth_t *s = synth_open(stream_path, MTDB_FILE_KIND_STREAM, 500, 0xE1, 1, 10);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 10);
    synth_thread(s, 500, 10, MTDB_THREAD_MAIN);
    static const uintptr_t frames[] = {0x1234};
    synth_stack(s, frames, 1);
    synth_alloc(s, MTDB_FUNC_MALLOC, 11, 0x100, 1, 1, 1);
    synth_block_end(s, 1, 0);
    synth_skip_events(s, 1, 5);
    synth_block_begin(s, 1, 0, 20);
    synth_alloc(s, MTDB_FUNC_MALLOC, 21, 0x200, 2, 1, 1); /* stack 1 may mean another now */
    synth_block_end(s, 1, 0);
    synth_close(s);
    ck_assert_int_eq(it_import(dir, db, 0), 3);
    ck_query(db, "SELECT kind, events_lost FROM import_problems;", "event_gap|5");
    ck_query(db, "SELECT skipped_events, alloc_calls FROM summary;", "5|2");
    ck_query(db, "SELECT size_bytes, stack_id FROM allocations ORDER BY alloc_ns;", "1|1\n2|");
}
END_TEST

/* A write failure cut thread 1 off after its first block: the free of 0x100, the
 * allocation of 0x200 and a new block at 0x300 with its free were lost (4 events; the
 * last block, from the chunk's reserve, says so in its sequence and its counters).
 * Thread 2 then allocates at 0x100, frees 0x200 and frees 0x300: the partners of lost
 * events, not a lost free, an unmatched free and a double free. */
static void build_write_failure(void)
{
    synth_proc_file(dir, 600, 0xF1, 1, 0, 10, 0);
    char path2[512];
    synth_path(stream_path, sizeof stream_path, dir, 600, 0xF1, 1);
    synth_path(path2, sizeof path2, dir, 600, 0xF1, 2);
    synth_t *s = synth_open(stream_path, MTDB_FILE_KIND_STREAM, 600, 0xF1, 1, 10);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 10);
    synth_thread(s, 600, 10, MTDB_THREAD_MAIN);
    synth_alloc(s, MTDB_FUNC_MALLOC, 11, 0x100, 16, 0, 1);
    synth_alloc(s, MTDB_FUNC_MALLOC, 12, 0x300, 32, 0, 1);
    synth_free(s, MTDB_FREE_FUNC_FREE, 13, 0x300);
    synth_block_end(s, 1, 0);
    synth_skip_events(s, 1, 4);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_LAST, 40);
    uint64_t counters[MTDB_COUNTER_COUNT] = {3, 0, 4};
    synth_counters(s, counters);
    synth_block_end(s, 1, 0);
    synth_close(s);
    s = synth_open(path2, MTDB_FILE_KIND_STREAM, 600, 0xF1, 2, 10);
    synth_block_begin(s, 2, MTDB_BLOCK_THREAD_FIRST, 30);
    synth_thread(s, 601, 30, 0);
    synth_alloc(s, MTDB_FUNC_MALLOC, 31, 0x100, 8, 0, 1);
    synth_free(s, MTDB_FREE_FUNC_FREE, 32, 0x200);
    synth_free(s, MTDB_FREE_FUNC_FREE, 33, 0x300);
    synth_free(s, MTDB_FREE_FUNC_FREE, 34, 0x100);
    synth_block_end(s, 1, 0);
    synth_close(s);
}

START_TEST(test_damage_write_failure_invents_nothing)
{
    build_write_failure();
    ck_assert_int_eq(it_import(dir, db, 0), 3);
    ck_query(db, "SELECT kind, thread_number, events_lost FROM import_problems ORDER BY 1;",
             "event_gap|1|4\npartner_lost||0");
    ck_query(db,
             "SELECT count(*) FROM import_problems WHERE kind = 'lost_free' OR offset_bytes = 0;",
             "0");
    ck_query(db,
             "SELECT dropped_events, skipped_events, unmatched_frees, double_frees FROM summary;",
             "4|4|0|0");
    ck_query(db,
             "SELECT (SELECT count(*) FROM unmatched_frees), (SELECT count(*) FROM double_frees);",
             "0|0");
    /* the first block at 0x100 ended by the time its address was allocated again */
    ck_query(db,
             "SELECT address, size_bytes, free_function, free_ns, free_thread_id IS NULL "
             "FROM allocations ORDER BY alloc_ns;",
             "256|16|lost|31|1\n768|32|free|13|0\n256|8|free|34|0");
}
END_TEST

/* Without any loss, the same shapes are real problems, at their real offsets. */
START_TEST(test_damage_lost_free_has_its_offset)
{
    synth_proc_file(dir, 700, 0xF2, 1, 0, 10, 0);
    synth_path(stream_path, sizeof stream_path, dir, 700, 0xF2, 1);
    synth_t *s = synth_open(stream_path, MTDB_FILE_KIND_STREAM, 700, 0xF2, 1, 10);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 10);
    synth_thread(s, 700, 10, MTDB_THREAD_MAIN);
    synth_alloc(s, MTDB_FUNC_MALLOC, 11, 0x100, 16, 0, 1);
    synth_alloc(s, MTDB_FUNC_MALLOC, 12, 0x100, 8, 0, 1);
    synth_free(s, MTDB_FREE_FUNC_FREE, 13, 0x200);
    synth_block_end(s, 1, 0);
    synth_close(s);
    ck_assert_int_eq(it_import(dir, db, 0), 3);
    ck_query(db, "SELECT kind, events_lost, offset_bytes > 64 FROM import_problems;",
             "lost_free|1|1");
    ck_query(db, "SELECT count(*) FROM unmatched_frees;", "1");
}
END_TEST

/* What the library told its caller. */
typedef struct seen {
    int problems, progress_done, other;
    char kind[32], file[512], text[1024];
    int64_t process_id, done_process_id;
} seen_t;

static void on_event(void *ctx, const mtdb_import_event_t *ev)
{
    seen_t *s = ctx;
    if (ev->kind == MTDB_IMPORT_EV_PROBLEM) {
        s->problems++;
        snprintf(s->kind, sizeof s->kind, "%s", ev->problem_kind);
        snprintf(s->file, sizeof s->file, "%s", ev->file ? ev->file : "");
        snprintf(s->text, sizeof s->text, "%s", ev->text);
        s->process_id = ev->process_id;
    } else if (ev->kind == MTDB_IMPORT_EV_PROGRESS && ev->done) {
        s->progress_done++;
        s->done_process_id = ev->process_id;
    } else if (ev->kind != MTDB_IMPORT_EV_PROGRESS) {
        s->other++;
    }
}

/* mtdb_import with stdout and stderr sent to dir/out.txt; *printed receives its size. */
static int import_library(const char *d, mtdb_import_result_t *res, seen_t *seen, long *printed)
{
    mtdb_import_options_t opt;
    mtdb_import_options_init(&opt);
    opt.dir = d, opt.output = db, opt.on_event = on_event, opt.event_ctx = seen;
    char out[600];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    fflush(stdout), fflush(stderr);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved1 = dup(1), saved2 = dup(2);
    dup2(fd, 1), dup2(fd, 2);
    int rc = mtdb_import(&opt, res);
    fflush(stdout), fflush(stderr);
    dup2(saved1, 1), dup2(saved2, 2);
    close(saved1), close(saved2), close(fd);
    free(it_read_file(out, printed));
    unlink(out);
    return rc;
}

START_TEST(test_damage_library_tells_by_callback_only)
{
    build_three_blocks(1);
    long off = block_offset(2);
    ck_assert_int_eq(truncate(stream_path, off + MTDB_BLOCK_HEADER_BYTES + 3), 0);
    mtdb_import_result_t res;
    seen_t seen = {0};
    long printed = -1;
    ck_assert_int_eq(import_library(dir, &res, &seen, &printed), 0);
    ck_assert_int_eq(printed, 0);
    ck_assert_int_eq(seen.problems, 1);
    ck_assert_uint_eq(res.problems, 1);
    ck_assert_str_eq(seen.file, stream_path);
    ck_assert_int_eq(seen.process_id, 1);
    ck_assert_ptr_eq(strstr(seen.text, stream_path), seen.text); /* the line names the file */
    ck_query(db, "SELECT kind FROM import_problems;", seen.kind);
    ck_assert_int_eq(seen.progress_done, 1);
    ck_assert_int_eq(seen.done_process_id, 1);
    ck_assert_int_eq(seen.other, 0);
    ck_assert_uint_eq(res.processes, 1);
    ck_assert_uint_eq(res.blocks, 2);
    ck_query(db, "SELECT count(*) FROM allocations;", "2");
}
END_TEST

START_TEST(test_damage_library_failure_says_why_in_result)
{
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-dir", dir);
    mtdb_import_result_t res;
    seen_t seen = {0};
    long printed = -1;
    ck_assert_int_eq(import_library(missing, &res, &seen, &printed), IMP_EIO);
    ck_assert_int_eq(printed, 0);
    ck_assert_msg(strstr(res.message, "cannot open directory") &&
                      strstr(res.message, "No such file or directory"),
                  "message: %s", res.message);
    ck_assert_int_eq(seen.problems + seen.progress_done + seen.other, 0);
    ck_assert_int_eq(access(db, F_OK), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importer damage");
    TCase *tc = tcase_create("damage");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 280); /* every bit flip is an import: minutes on a busy machine */
    tcase_add_test(tc, test_damage_bad_middle_block_skipped);
    tcase_add_test(tc, test_damage_torn_tail_keeps_whole_records);
    tcase_add_test(tc, test_damage_every_truncation_point);
    tcase_add_test(tc, test_damage_bit_flips_exact);
    tcase_add_test(tc, test_damage_event_gap_counted);
    tcase_add_test(tc, test_damage_write_failure_invents_nothing);
    tcase_add_test(tc, test_damage_lost_free_has_its_offset);
    tcase_add_test(tc, test_damage_library_tells_by_callback_only);
    tcase_add_test(tc, test_damage_library_failure_says_why_in_result);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
