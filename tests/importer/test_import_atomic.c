/* test_import_atomic.c: the target is written only on success. An existing target
 * needs --force and stays byte-equal without it, even when it appears while the import
 * runs; --force replaces nothing but a regular file; the database is owner-only; a
 * refused trace leaves no database and no temporary file, and a killed import's
 * temporary file is removed by the next import; a file of an unknown format version is
 * skipped and said, the rest imported; errors say why.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "itest.h"
#include "mtdb_format.h"
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

/* Overwrites the major version of a file's header (and its checksum). */
static void set_version(const char *path, uint8_t major)
{
    FILE *f = fopen(path, "r+b");
    uint8_t hdr[MTDB_FILE_HEADER_BYTES];
    ck_assert_int_eq(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
    hdr[12] = major;
    mtdb_put_u32le(hdr + 60, mtdb_crc32c(0, hdr, 60));
    fseek(f, 0, SEEK_SET);
    fwrite(hdr, 1, sizeof hdr, f);
    fclose(f);
}

START_TEST(test_atomic_unknown_version_everywhere_refused)
{
    char path[512], db[512];
    synth_path(path, sizeof path, dir, 7, 0x77, 1);
    set_version(path, 99);
    synth_path(path, sizeof path, dir, 7, 0x77, -1);
    set_version(path, 99);
    snprintf(db, sizeof db, "%s/t.db", dir);
    ck_assert_int_eq(it_import(dir, db, 0), 1);
    ck_assert_int_eq(access(db, F_OK), -1);
    ck_assert_int_eq(count_names(dir, ".tmp-"), 0);
}
END_TEST

/* One overwritten version field costs that file only: the rest is imported, and the
 * skipped file is named with the offset of the field and its size. */
START_TEST(test_atomic_unknown_version_one_file_skipped)
{
    char path[512], db[512], expect[1024];
    synth_path(path, sizeof path, dir, 7, 0x77, -1);
    set_version(path, 99);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    snprintf(db, sizeof db, "%s/t.db", dir);
    ck_assert_int_eq(it_import(dir, db, 0), 3);
    ck_query(db, "SELECT count(*), sum(size_bytes) FROM allocations;", "1|32");
    snprintf(expect, sizeof expect, "%s|12|unsupported_version|%lld|1", path,
             (long long)st.st_size);
    char sql[256]; /* the writer's minor version stays in the file */
    snprintf(sql, sizeof sql,
             "SELECT file, offset_bytes, kind, bytes_skipped,"
             " message LIKE '%%version 99.%d%%skipped%%' FROM import_problems;",
             MTDB_FORMAT_MINOR);
    ck_query(db, sql, expect);
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

/* Runs the import with stderr captured into *err (caller frees); returns its exit code. */
static int import_capture(const char *d, const char *db, int force, char **err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved = dup(2);
    dup2(fd, 2);
    char *argv[] = {"import", "-o", (char *)db, force ? "-f" : (char *)d, (char *)d, NULL};
    int rc = mtdb_cmd_import(force ? 5 : 4, argv);
    dup2(saved, 2);
    close(saved), close(fd);
    long len;
    *err = it_read_file(path, &len);
    unlink(path);
    return rc;
}

START_TEST(test_atomic_errors_say_why)
{
    char missing[600], db[600], *err;
    snprintf(missing, sizeof missing, "%s/no-such-dir", dir);
    snprintf(db, sizeof db, "%s/t.db", dir);
    ck_assert_int_eq(import_capture(missing, db, 0, &err), 1);
    ck_assert_msg(strstr(err, "cannot open directory") &&
                      strstr(err, ": No such file or directory"),
                  "stderr: %s", err);
    free(err);
    snprintf(db, sizeof db, "%s/no-such-dir/t.db", dir);
    ck_assert_int_eq(import_capture(dir, db, 0, &err), 1);
    ck_assert_msg(strstr(err, "cannot create") && strstr(err, ": No such file or directory"),
                  "stderr: %s", err);
    free(err);
}
END_TEST

static int mode_after_import(mode_t mask)
{
    char db[512];
    snprintf(db, sizeof db, "%s/t%o.db", dir, (unsigned)mask);
    mode_t old = umask(mask);
    int rc = it_import(dir, db, 0);
    umask(old);
    ck_assert_int_eq(rc, 0);
    struct stat st;
    ck_assert_int_eq(stat(db, &st), 0);
    return (int)(st.st_mode & 07777);
}

START_TEST(test_atomic_database_owner_only)
{
    ck_assert_int_eq(mode_after_import(022), 0600);
    ck_assert_int_eq(mode_after_import(0), 0600);
    ck_assert_int_eq(mode_after_import(0777), 0600);
}
END_TEST

/* --force onto a symbolic link, a fifo or a directory: refused, all left as they were. */
START_TEST(test_atomic_force_refuses_non_regular)
{
    char target[512], link_path[512], fifo[512], sub[512];
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(link_path, sizeof link_path, "%s/link.db", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo.db", dir);
    snprintf(sub, sizeof sub, "%s/sub.db", dir);
    FILE *f = fopen(target, "w");
    fputs("precious", f);
    fclose(f);
    ck_assert_int_eq(symlink(target, link_path), 0);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(it_import(dir, link_path, 1), 1);
    ck_assert_int_eq(it_import(dir, fifo, 1), 1);
    ck_assert_int_eq(it_import(dir, sub, 1), 1);
    struct stat st;
    ck_assert_int_eq(lstat(link_path, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert_int_eq(lstat(fifo, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    ck_assert_int_eq(lstat(sub, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    long len;
    char *got = it_read_file(target, &len);
    ck_assert_int_eq(len, 8);
    ck_assert_mem_eq(got, "precious", 8);
    free(got);
    ck_assert_int_eq(count_names(dir, ".tmp-"), 0);
}
END_TEST

/* A trace big enough that its import runs for a while. */
static void build_big(void)
{
    char path[512];
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
}

/* Starts an import in a child; returns once its temporary file exists. */
static pid_t start_import(const char *db, char *tmp, size_t tmp_len)
{
    pid_t child = fork();
    if (child == 0)
        _exit(it_import(dir, db, 0));
    snprintf(tmp, tmp_len, "%s.tmp-%d", db, (int)child);
    while (access(tmp, F_OK) != 0)
        usleep(1000);
    return child;
}

static int wait_code(pid_t child)
{
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* The target appears while the import runs (another import finished first): the import
 * fails and the other database stays as it is. */
START_TEST(test_atomic_target_appearing_is_kept)
{
    char db[512], tmp[600];
    build_big();
    snprintf(db, sizeof db, "%s/t.db", dir);
    pid_t child = start_import(db, tmp, sizeof tmp);
    FILE *f = fopen(db, "w");
    fputs("the first import's database", f);
    fclose(f);
    ck_assert_int_eq(wait_code(child), 1);
    long len;
    char *got = it_read_file(db, &len);
    ck_assert_int_eq(len, 27);
    free(got);
    ck_assert_int_eq(count_names(dir, ".tmp-"), 0);
}
END_TEST

/* Two imports into one target at once: exactly one succeeds. */
START_TEST(test_atomic_two_imports_one_wins)
{
    char db[512], tmp[600];
    build_big();
    snprintf(db, sizeof db, "%s/t.db", dir);
    pid_t a = start_import(db, tmp, sizeof tmp);
    pid_t b = start_import(db, tmp, sizeof tmp);
    int ca = wait_code(a), cb = wait_code(b);
    ck_assert_msg((ca == 0 && cb == 1) || (ca == 1 && cb == 0), "exit codes %d and %d", ca, cb);
    ck_query(db, "SELECT count(*) FROM allocations;", "2000001");
    ck_assert_int_eq(count_names(dir, ".tmp-"), 0);
}
END_TEST

/* An import killed with SIGKILL leaves its temporary file (and maybe its journal); the next
 * import of the same target removes them (its pid is gone) and says so; one of a live
 * import is kept. */
START_TEST(test_atomic_killed_import_temp_cleaned)
{
    char db[512], tmp[600], live[600], *err;
    build_big();
    snprintf(db, sizeof db, "%s/t.db", dir);
    pid_t child = start_import(db, tmp, sizeof tmp);
    kill(child, SIGKILL);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_int_eq(access(tmp, F_OK), 0);
    /* a kill inside a transaction also leaves SQLite's rollback journal beside it */
    char journal[640];
    snprintf(journal, sizeof journal, "%s-journal", tmp);
    close(open(journal, O_WRONLY | O_CREAT, 0600));
    snprintf(live, sizeof live, "%s.tmp-%d", db, (int)getppid()); /* a live process's */
    close(open(live, O_WRONLY | O_CREAT | O_EXCL, 0600));
    ck_assert_int_eq(import_capture(dir, db, 0, &err), 0);
    ck_assert_msg(strstr(err, "removed") && strstr(err, tmp), "stderr: %s", err);
    free(err);
    ck_assert_int_eq(access(tmp, F_OK), -1);
    ck_assert_msg(access(journal, F_OK) == -1, "%s was left", journal);
    ck_assert_int_eq(access(live, F_OK), 0);
    unlink(live);
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
    tcase_add_test(tc, test_atomic_unknown_version_everywhere_refused);
    tcase_add_test(tc, test_atomic_unknown_version_one_file_skipped);
    tcase_add_test(tc, test_atomic_errors_say_why);
    tcase_add_test(tc, test_atomic_database_owner_only);
    tcase_add_test(tc, test_atomic_force_refuses_non_regular);
    tcase_add_test(tc, test_atomic_target_appearing_is_kept);
    tcase_add_test(tc, test_atomic_two_imports_one_wins);
    tcase_add_test(tc, test_atomic_killed_import_temp_cleaned);
    tcase_add_test(tc, test_atomic_empty_dir_fails);
    tcase_add_test(tc, test_atomic_usage_errors);
    tcase_add_test(tc, test_atomic_sigint_removes_temp);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
