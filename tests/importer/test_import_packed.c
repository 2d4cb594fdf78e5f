/* test_import_packed.c: packed trace files (format/trace_pack.h) on the real pipeline.
 *
 * e2e_prog (4 threads, counting its own calls) runs under the recorder; its trace is
 * packed by `mtdb record` or `mtdb pack`, then dumped and imported. The database of a
 * packed trace must hold exactly the rows of the same trace unpacked; a packed file with
 * a damaged or cut-off piece must import everything else, and the heap events the
 * reader still gives must be exactly those of the blocks the lost bytes did not touch,
 * with a problem row naming the file and the offset. Skipped without the recorder.
 */
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "trace_pack.h"
#include "trace_reader.h"

#ifndef IMP_RECORDER_LIB
#define IMP_RECORDER_LIB ""
#endif

#define PK_PIECE 65536u /* small pieces, so one stream file holds many */

static char *dir;
static long own[5]; /* e2e_prog's own counts: blocks, frees, leaked, leaked_bytes, cross */

static int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void read_own_counts(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char key[32];
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(fscanf(f, "%31s %ld", key, &own[i]), 2);
    fclose(f);
}

/* e2e_prog recorded with plain LD_PRELOAD into dir/raw, as a user would by hand. */
static void record_by_hand(void)
{
    dir = it_tmpdir();
    ck_assert_int_eq(run("MTDB_OUTPUT='%s/raw' LD_PRELOAD='%s' '%s' 4 20000 > '%s/counts'", dir,
                         IMP_RECORDER_LIB, IMP_E2E_PROG, dir),
                     0);
    read_own_counts(it_path(dir, "counts"));
}

static void teardown(void)
{
    it_rm_rf(dir);
    free(dir);
}

/* Trace files in d, and how many of them start with the packed magic; other names
 * (a temporary file left by packing) fail the test. */
static int count_files(const char *d, int *packed)
{
    DIR *h = opendir(d);
    ck_assert_ptr_nonnull(h);
    int n = 0;
    *packed = 0;
    for (struct dirent *e; (e = readdir(h));) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
            continue;
        ck_assert_msg(strncmp(e->d_name, "mtdb-", 5) == 0, "stray file %s in %s", e->d_name, d);
        char path[2048], magic[8] = {0};
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fread(magic, 1, 8, f), 8);
        fclose(f);
        *packed += memcmp(magic, MTDB_PACK_MAGIC, 8) == 0;
        n++;
    }
    closedir(h);
    return n;
}

/* The rows that tell two imports of one trace apart, compared as text. */
#define FINGERPRINT_SQL                                                                            \
    "SELECT count(*), sum(size_bytes), count(free_ns), sum(address % 999983),"                     \
    " sum(alloc_ns % 999983), sum(coalesce(free_ns, 0) % 999983), sum(coalesce(stack_id, 0)),"     \
    " sum(coalesce(free_thread_id, 0)), sum(thread_id * (block_id % 9973)) FROM allocations;"      \
    "SELECT * FROM process_stats;"                                                                 \
    "SELECT thread_number, tid, is_main, start_ns, end_ns, ended_cleanly, alloc_calls,"            \
    " bytes_allocated, free_calls, bytes_freed, cross_thread_frees FROM threads ORDER BY 1;"       \
    "SELECT count(*) FROM stack_frames; SELECT count(*) FROM import_problems;"

static void check_own_counts(const char *db)
{
    char expect[128];
    snprintf(expect, sizeof expect, "%ld|%ld", own[0], own[1]);
    ck_query(db,
             "SELECT count(*), count(free_ns) FROM allocations WHERE size_bytes BETWEEN 3000 AND "
             "3063 OR size_bytes BETWEEN 5000 AND 5015;",
             expect);
    snprintf(expect, sizeof expect, "%ld|%ld", own[2], own[3]);
    ck_query(db,
             "SELECT count(*), sum(size_bytes) FROM live_blocks WHERE size_bytes BETWEEN 3000 AND "
             "3063 OR size_bytes BETWEEN 5000 AND 5015;",
             expect);
}

START_TEST(test_pack_gives_the_same_rows)
{
    record_by_hand();
    ck_assert_int_eq(run("cp -a '%s/raw' '%s/pk'", dir, dir), 0);
    ck_assert_int_eq(run("'%s' pack -q '%s/pk'", IMP_MTDB, dir), 0);
    int packed, files = count_files(it_path(dir, "pk"), &packed);
    /* the process file and a stream per thread alive at once: main's and at least one
     * worker's (a worker that starts after another ended takes over its file) */
    ck_assert_int_ge(files, 3);
    ck_assert_int_eq(packed, files);
    ck_assert_int_eq(count_files(it_path(dir, "raw"), &packed), files);
    ck_assert_int_eq(packed, 0);
    /* dump: the same records, byte for byte (the file lines differ: mtdb pack trimmed the
     * reserved zeros of the files first, so their sizes changed) */
    ck_assert_int_eq(run("cd '%s/raw' && '%s' dump . | grep -v '^==' > ../raw.txt", dir, IMP_MTDB),
                     0);
    ck_assert_int_eq(run("cd '%s/pk' && '%s' dump . | grep -v '^==' > ../pk.txt", dir, IMP_MTDB),
                     0);
    ck_assert_int_eq(run("test $(wc -l < '%s/pk.txt') -gt 160000", dir), 0);
    ck_assert_int_eq(run("cmp -s '%s/raw.txt' '%s/pk.txt'", dir, dir), 0);
    /* import: the same rows */
    char raw_db[1024], pk_db[1024];
    snprintf(raw_db, sizeof raw_db, "%s/raw.db", dir);
    snprintf(pk_db, sizeof pk_db, "%s/pk.db", dir);
    ck_assert_int_eq(it_import(it_path(dir, "raw"), raw_db, 0), 0);
    ck_assert_int_eq(it_import(it_path(dir, "pk"), pk_db, 0), 0);
    char *a = it_query(raw_db, FINGERPRINT_SQL), *b = it_query(pk_db, FINGERPRINT_SQL);
    ck_assert_str_eq(a, b);
    free(a), free(b);
    check_own_counts(pk_db);
    ck_query(pk_db, "SELECT count(*) FROM import_problems;", "0");
}
END_TEST

START_TEST(test_pack_twice_changes_nothing)
{
    record_by_hand();
    ck_assert_int_eq(run("'%s' pack '%s/raw' 2> '%s/first'", IMP_MTDB, dir, dir), 0);
    ck_assert_int_eq(run("cp -a '%s/raw' '%s/once'", dir, dir), 0);
    ck_assert_int_eq(run("'%s' pack '%s/raw' 2> '%s/second'", IMP_MTDB, dir, dir), 0);
    ck_assert_int_eq(run("diff -r '%s/raw' '%s/once'", dir, dir), 0);
    int packed, files = count_files(it_path(dir, "raw"), &packed);
    ck_assert_int_eq(packed, files);
    long len;
    char *first = it_read_file(it_path(dir, "first"), &len);
    char expect[256];
    snprintf(expect, sizeof expect, "mtdb: packed %d file(s) of %s/raw: ", files, dir);
    ck_assert_msg(strncmp(first, expect, strlen(expect)) == 0, "%s", first);
    free(first);
    char *second = it_read_file(it_path(dir, "second"), &len);
    snprintf(expect, sizeof expect, "mtdb: packed 0 file(s) of %s/raw; %d already packed\n", dir,
             files);
    ck_assert_str_eq(second, expect);
    free(second);
}
END_TEST

/* mtdb record packs by default and not with --no-compress; both imports count exactly
 * what the program counted itself. */
START_TEST(test_record_packs_unless_no_compress)
{
    dir = it_tmpdir();
    const char *modes[] = {"", "--no-compress"};
    for (int m = 0; m < 2; m++) {
        ck_assert_int_eq(run("MTDB_LIBRARY='%s' '%s' record -q %s -o '%s/out%d' -- '%s' 4 20000 > "
                             "'%s/counts'",
                             IMP_RECORDER_LIB, IMP_MTDB, modes[m], dir, m, IMP_E2E_PROG, dir),
                         0);
        read_own_counts(it_path(dir, "counts"));
        char out[1024], db[1024];
        snprintf(out, sizeof out, "%s/out%d", dir, m);
        snprintf(db, sizeof db, "%s/t%d.db", dir, m);
        int packed, files = count_files(out, &packed);
        ck_assert_int_ge(files, 3); /* as in test_pack_gives_the_same_rows */
        ck_assert_int_eq(packed, m == 0 ? files : 0);
        ck_assert_int_eq(it_import(out, db, 0), 0);
        check_own_counts(db);
        ck_query(db, "SELECT count(*) FROM import_problems;", "0");
        /* the heap events dump counts are the ones imported */
        ck_assert_int_eq(run("'%s' dump --summary '%s' | sed -n '/^total$/,$p' | awk '$1 ~ "
                             "/^(ALLOC|FREE|REALLOC|FAIL)$/ { n += $2 } END { print n }' > "
                             "'%s/dumped'",
                             IMP_MTDB, out, dir),
                         0);
        long len;
        char *dumped = it_read_file(it_path(dir, "dumped"), &len);
        dumped[strcspn(dumped, "\n")] = 0;
        ck_assert_int_gt(atol(dumped), 4 * 20000);
        ck_query(db, "SELECT sum(events) FROM process_stats;", dumped);
        free(dumped);
    }
}
END_TEST

/* ---- damage ---- */

/* The largest stream file of dir/d, into name. */
static void largest_stream(const char *d, char *name, size_t len)
{
    DIR *h = opendir(d);
    ck_assert_ptr_nonnull(h);
    long best = -1;
    for (struct dirent *e; (e = readdir(h));) {
        struct stat st;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        size_t n = strlen(e->d_name);
        if (n > 6 && !strcmp(e->d_name + n - 6, ".trace") && stat(path, &st) == 0 &&
            st.st_size > best)
            best = st.st_size, snprintf(name, len, "%s", e->d_name);
    }
    closedir(h);
    ck_assert_int_gt(best, (long)(6 * PK_PIECE));
}

typedef struct pk_diags {
    int bad_piece;
    uint64_t first_offset;
    char first_message[160];
} pk_diags_t;

static void on_diag(void *ctx, const mtdb_diag_t *d)
{
    pk_diags_t *p = ctx;
    if (d->kind == MTDB_DIAG_BAD_PIECE && !p->bad_piece++) {
        p->first_offset = d->offset;
        snprintf(p->first_message, sizeof p->first_message, "%s", d->message);
    }
}

/* Heap events the reader gives for path; with lost = [lo, hi), only those of the blocks
 * wholly outside it (read from the original, raw file). */
static long heap_events(const char *path, uint64_t lo, uint64_t hi, pk_diags_t *diags)
{
    mtdb_reader_t *r;
    char msg[256];
    ck_assert_msg(mtdb_reader_open(path, &r, msg, sizeof msg) == 0, "%s", msg);
    if (diags)
        mtdb_reader_set_diag(r, on_diag, diags);
    long raw_len;
    char *raw = diags ? NULL : it_read_file(path, &raw_len);
    long n = 0;
    mtdb_record_t rec;
    while (mtdb_reader_next(r, &rec) > 0) {
        if (rec.type < MTDB_REC_ALLOC || rec.type > MTDB_REC_FAIL)
            continue;
        if (raw) {
            uint64_t start = rec.block_offset;
            uint64_t end =
                start + MTDB_BLOCK_HEADER_BYTES + mtdb_get_u32le((const uint8_t *)raw + start + 4);
            if (end > lo && start < hi)
                continue;
        }
        n++;
    }
    mtdb_reader_close(r);
    free(raw);
    return n;
}

/* Offset of the last nonzero byte of the file at path. */
static uint64_t last_data_byte(const char *path)
{
    long len;
    char *buf = it_read_file(path, &len);
    while (len > 0 && buf[len - 1] == 0)
        len--;
    free(buf);
    return len > 0 ? (uint64_t)len - 1 : 0;
}

/* Packs dir/pk/name in pieces of PK_PIECE; returns the piece count. */
static uint32_t pack_small(const char *path, mtdb_packed_t *p, char **image, long *len)
{
    mtdb_pack_stats_t st;
    char why[160];
    ck_assert_msg(mtdb_pack_file(path, MTDB_PACK_CODEC_SPLIT, MTDB_PACK_LEVEL_DEFAULT, PK_PIECE, &st, why, sizeof why) ==
                      0,
                  "%s", why);
    *image = it_read_file(path, len);
    ck_assert_int_eq(mtdb_packed_open(*image, (uint64_t)*len, p, why, sizeof why), 0);
    ck_assert_uint_gt(p->count, 5);
    return p->count;
}

static void write_file(const char *path, const char *buf, long len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
}

/* Damages the packed copy of the largest stream (how: 'c' corrupts piece 2, 't' cuts the
 * file inside the frame of piece count-2); checks the reader, then the import. */
static void check_damage(char how)
{
    record_by_hand();
    ck_assert_int_eq(run("cp -a '%s/raw' '%s/pk'", dir, dir), 0);
    char name[256], raw_path[1024], pk_path[1024];
    largest_stream(it_path(dir, "raw"), name, sizeof name);
    snprintf(raw_path, sizeof raw_path, "%s/raw/%s", dir, name);
    snprintf(pk_path, sizeof pk_path, "%s/pk/%s", dir, name);
    mtdb_packed_t p;
    char *img;
    long len;
    uint32_t count = pack_small(pk_path, &p, &img, &len);
    /* the recorder reserved zeros after the data: cut inside the data */
    uint32_t k = how == 'c' ? 2 : (uint32_t)(last_data_byte(raw_path) / PK_PIECE) - 1;
    ck_assert_uint_ge(k, 2);
    uint64_t frame = mtdb_packed_frame_offset(&p, k);
    uint64_t lo = (uint64_t)k * PK_PIECE, hi = how == 'c' ? lo + PK_PIECE : UINT64_MAX;
    if (how == 'c')
        for (int i = 0; i < 16; i++)
            img[frame + 20 + i] ^= 0x5A;
    else
        len = (long)frame + 10;
    mtdb_packed_close(&p);
    write_file(pk_path, img, len);
    free(img);

    long expect = heap_events(raw_path, lo, hi, NULL), all = heap_events(raw_path, 0, 0, NULL);
    pk_diags_t diags = {0};
    ck_assert_int_eq(heap_events(pk_path, 0, 0, &diags), expect);
    ck_assert_int_lt(expect, all);
    ck_assert_int_gt(expect, 0);
    ck_assert_int_eq(diags.bad_piece, how == 'c' ? 1 : (int)(count - k));
    ck_assert_uint_eq(diags.first_offset, lo);
    char want[600];
    snprintf(want, sizeof want, "%s: offset %llu: packed piece %u %s", name, (unsigned long long)lo,
             k, how == 'c' ? "" : "is cut off by the end of the file");
    ck_assert_msg(strncmp(diags.first_message, want, strlen(want)) == 0, "%s", diags.first_message);

    /* the import: the rest of the file and every other file whole, the loss named */
    char raw_db[1024], pk_db[1024], q[1400], row[256];
    snprintf(raw_db, sizeof raw_db, "%s/raw.db", dir);
    snprintf(pk_db, sizeof pk_db, "%s/pk.db", dir);
    ck_assert_int_eq(it_import(it_path(dir, "raw"), raw_db, 0), 0);
    ck_assert_int_eq(it_import(it_path(dir, "pk"), pk_db, 0), 3); /* done, damage skipped */
    char *raw_events = it_query(raw_db, "SELECT sum(events) FROM process_stats;");
    snprintf(row, sizeof row, "%ld", atol(raw_events) - (all - expect));
    free(raw_events);
    ck_query(pk_db, "SELECT sum(events) FROM process_stats;", row);
    snprintf(q, sizeof q,
             "SELECT file = '%s', offset_bytes, bytes_skipped FROM import_problems "
             "WHERE kind = 'bad_packed_piece' ORDER BY offset_bytes LIMIT 1;",
             pk_path);
    snprintf(row, sizeof row, "1|%llu|%u", (unsigned long long)lo, PK_PIECE);
    ck_query(pk_db, q, row);
}

START_TEST(test_packed_damaged_piece_imports_the_rest)
{
    check_damage('c');
}
END_TEST

START_TEST(test_packed_truncated_imports_the_rest)
{
    check_damage('t');
}
END_TEST

/* ---- a process still running ---- */

static int files_in(const char *d)
{
    DIR *h = opendir(d);
    int n = 0;
    for (struct dirent *e; h && (e = readdir(h));)
        n += strncmp(e->d_name, "mtdb-", 5) == 0;
    if (h)
        closedir(h);
    return n;
}

START_TEST(test_pack_leaves_running_process_alone)
{
    dir = it_tmpdir();
    char out[1024];
    snprintf(out, sizeof out, "%s/out", dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("MTDB_OUTPUT", out, 1);
        setenv("LD_PRELOAD", IMP_RECORDER_LIB, 1);
        execl("/bin/sleep", "sleep", "30", (char *)NULL);
        _exit(127);
    }
    /* The process file comes first, the main thread's stream at its first allocation:
     * wait until the count has held for 0.3 s, so that pack and this test see the same
     * files. */
    for (int i = 0, held = 0, seen = 0; i < 1000 && held < 30; i++, usleep(10000)) {
        int now = files_in(out);
        held = now && now == seen ? held + 1 : 0;
        seen = now;
    }
    ck_assert_int_gt(files_in(out), 0);
    ck_assert_int_eq(run("'%s' pack '%s' 2> '%s/said'", IMP_MTDB, out, dir), 0);
    int packed, files = count_files(out, &packed);
    ck_assert_int_eq(packed, 0);
    long len;
    char *said = it_read_file(it_path(dir, "said"), &len), expect[1200];
    snprintf(expect, sizeof expect,
             "mtdb: packed 0 file(s) of %s; %d left as they are (process still running)\n", out,
             files);
    ck_assert_str_eq(said, expect);
    free(said);
    kill(pid, SIGTERM);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    ck_assert_int_eq(run("'%s' pack -q '%s'", IMP_MTDB, out), 0);
    files = count_files(out, &packed);
    ck_assert_int_eq(packed, files);
}
END_TEST

int main(void)
{
    if (!IMP_RECORDER_LIB[0]) {
        puts("recorder not built: packed-trace tests skipped");
        return 77;
    }
    Suite *s = suite_create("packed traces");
    TCase *tc = tcase_create("packed");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pack_gives_the_same_rows);
    tcase_add_test(tc, test_pack_twice_changes_nothing);
    tcase_add_test(tc, test_record_packs_unless_no_compress);
    tcase_add_test(tc, test_packed_damaged_piece_imports_the_rest);
    tcase_add_test(tc, test_packed_truncated_imports_the_rest);
    tcase_add_test(tc, test_pack_leaves_running_process_alone);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
