/* test_import_atomic.c: the target is written only on success. An existing target
 * needs --force and stays byte-equal without it; a refused trace leaves no database
 * and no temporary file; an empty directory is an error.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "mtdb_importer.h"
#include "synth.h"

static char *dir;

static void build_small(const char *d)
{
    char path[512];
    synth_proc_file(d, 7, 0x77, 1, 0, 10, 0);
    synth_path(path, sizeof path, d, 7, 0x77, 1);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_STREAM, 7, 0x77, 1, 10);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 10);
    synth_thread(s, 7, 10, MTDB_THREAD_MAIN);
    synth_alloc(s, MTDB_FUNC_MALLOC, 20, 0x100, 32, 0, 1);
    synth_block_end(s, 1, 0);
    synth_close(s);
}

/* Number of names in d containing needle. */
static int count_names(const char *d, const char *needle)
{
    int n = 0;
    DIR *dd = opendir(d);
    for (struct dirent *e; dd && (e = readdir(dd));)
        n += strstr(e->d_name, needle) != NULL;
    if (dd)
        closedir(dd);
    return n;
}

static void setup(void)
{
    dir = it_tmpdir();
    build_small(dir);
}

static void teardown(void)
{
    it_rm_rf(dir);
    free(dir);
}

START_TEST(test_atomic_existing_target_kept)
{
    char db[512];
    snprintf(db, sizeof db, "%s/t.db", dir);
    FILE *f = fopen(db, "w");
    fputs("precious bytes", f);
    fclose(f);
    ck_assert_int_eq(it_import(dir, db, 0), 1);
    long len;
    char *got = it_read_file(db, &len);
    ck_assert_int_eq(len, 14);
    ck_assert_mem_eq(got, "precious bytes", 14);
    free(got);
    ck_assert_int_eq(count_names(dir, ".tmp-"), 0);
}
END_TEST

START_TEST(test_atomic_force_replaces)
{
    char db[512];
    snprintf(db, sizeof db, "%s/t.db", dir);
    FILE *f = fopen(db, "w");
    fputs("old", f);
    fclose(f);
    ck_assert_int_eq(it_import(dir, db, 1), 0);
    ck_query(db, "SELECT count(*), sum(size_bytes) FROM allocations;", "1|32");
    ck_assert_int_eq(count_names(dir, ".tmp-"), 0);
}
END_TEST

START_TEST(test_atomic_unknown_version_refused)
{
    char path[512], db[512];
    synth_path(path, sizeof path, dir, 7, 0x77, 1);
    FILE *f = fopen(path, "r+b");
    uint8_t hdr[MTDB_FILE_HEADER_BYTES];
    ck_assert_int_eq(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
    hdr[12] = 99; /* major version 99 */
    mtdb_put_u32le(hdr + 60, mtdb_crc32c(0, hdr, 60));
    fseek(f, 0, SEEK_SET);
    fwrite(hdr, 1, sizeof hdr, f);
    fclose(f);
    snprintf(db, sizeof db, "%s/t.db", dir);
    ck_assert_int_eq(it_import(dir, db, 0), 1);
    ck_assert_int_eq(access(db, F_OK), -1);
    ck_assert_int_eq(count_names(dir, ".tmp-"), 0);
}
END_TEST

START_TEST(test_atomic_empty_dir_fails)
{
    char *empty = it_tmpdir(), db[512];
    snprintf(db, sizeof db, "%s/t.db", empty);
    ck_assert_int_eq(it_import(empty, db, 0), 1);
    ck_assert_int_eq(access(db, F_OK), -1);
    it_rm_rf(empty);
    free(empty);
}
END_TEST

/* SIGINT while the temporary database exists: exit 1, no target, no temporary file. */
START_TEST(test_atomic_sigint_removes_temp)
{
    char path[512], db[512], tmp[600];
    synth_path(path, sizeof path, dir, 8, 0x88, 1);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_STREAM, 8, 0x88, 1, 10);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 10);
    synth_thread(s, 8, 10, MTDB_THREAD_MAIN);
    for (uint64_t i = 0; i < 2000000; i++) {
        if (synth_block_room(s) < 64) {
            synth_block_end(s, 1, 0);
            synth_block_begin(s, 1, 0, 100 + 2 * i);
        }
        synth_alloc(s, MTDB_FUNC_MALLOC, 100 + 2 * i, 0x1000 + 64 * (i % 1024), 24, 0, 1);
        synth_free(s, MTDB_FREE_FUNC_FREE, 101 + 2 * i, 0x1000 + 64 * (i % 1024));
    }
    synth_block_end(s, 1, 0);
    synth_close(s);
    snprintf(db, sizeof db, "%s/t.db", dir);
    pid_t child = fork();
    if (child == 0)
        _exit(it_import(dir, db, 0));
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", db, (int)child);
    while (access(tmp, F_OK) != 0) /* wait until the import is under way */
        usleep(1000);
    kill(child, SIGINT);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 1);
    ck_assert_int_eq(access(db, F_OK), -1);
    ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

START_TEST(test_atomic_usage_errors)
{
    char *argv[] = {"import", "--no-such-option", NULL};
    ck_assert_int_eq(mtdb_cmd_import(2, argv), 2);
    char *argv2[] = {"import", "a", "b", NULL};
    ck_assert_int_eq(mtdb_cmd_import(3, argv2), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importer atomicity");
    TCase *tc = tcase_create("atomic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_atomic_existing_target_kept);
    tcase_add_test(tc, test_atomic_force_replaces);
    tcase_add_test(tc, test_atomic_unknown_version_refused);
    tcase_add_test(tc, test_atomic_empty_dir_fails);
    tcase_add_test(tc, test_atomic_usage_errors);
    tcase_add_test(tc, test_atomic_sigint_removes_temp);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
