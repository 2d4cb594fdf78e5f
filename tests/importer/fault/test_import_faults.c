/* test_import_faults.c: the importer under failing calls, every N in turn.
 *
 * The real `mtdb import` of the golden trace runs with imp_fault_preload.so, which makes
 * the N-th call of one kind fail (allocation, write, fsync, link/rename, sqlite3_step),
 * for N = 1, 2, ... until a run finishes without reaching call N. Every run that hit
 * its fault must exit 1 with one line "mtdb: error: ..." and leave the output directory
 * empty: no database, no half one, no temporary file (with --force: the old database
 * alone, untouched). The last run must import.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tst_scratch.h"

extern char **environ;

#define FAULT_MAX_N 100000 /* far past any kind's count of calls in this import */
#define OLD_DB "an older database\n"

static int with_force; /* import with --force over an existing t.db holding OLD_DB */

typedef struct fault_run {
    int status; /* exit status, or 128 + signal */
    int hit;    /* the fault was reached */
    char err[4096];
} fault_run_t;

static void read_text(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
}

/* Runs `mtdb import -q -j jobs -o dir/t.db golden` with call n of kind what failing. */
static void run_import(const char *dir, const char *what, const char *jobs, long n,
                       fault_run_t *r)
{
    char db[4200], err[4200], preload[4200], fail_what[64], fail_at[64];
    snprintf(db, sizeof db, "%s/out/t.db", dir);
    snprintf(err, sizeof err, "%s/stderr", dir);
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", IMP_FAULT_PRELOAD);
    snprintf(fail_what, sizeof fail_what, "MTDB_TEST_FAIL_WHAT=%s", what);
    snprintf(fail_at, sizeof fail_at, "MTDB_TEST_FAIL_AT=%ld", n);
    size_t k = 0;
    while (environ[k])
        k++;
    char **env = calloc(k + 4, sizeof *env);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) && strncmp(environ[i], "MTDB_", 5))
            env[m++] = environ[i];
    env[m++] = preload, env[m++] = fail_what, env[m++] = fail_at;
    char *argv[] = {IMP_MTDB, "import", "-q", "-j", (char *)jobs, "-o", db, IMP_GOLDEN_TRACE,
                    NULL, NULL};
    if (with_force) {
        argv[8] = argv[7], argv[7] = "--force";
        FILE *f = fopen(db, "w");
        ck_assert_ptr_nonnull(f);
        fputs(OLD_DB, f);
        fclose(f);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int st = 0;
    ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, env), 0);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    read_text(err, r->err, sizeof r->err);
    r->hit = strstr(r->err, "fault: ") != NULL;
    unlink(err);
}

/* The first bytes of the file out/t.db. */
static void db_head(const char *out, char *buf, size_t len)
{
    char db[4300];
    snprintf(db, sizeof db, "%s/t.db", out);
    read_text(db, buf, len);
}

/* Entries of dir, as "name name ..." (empty when there are none). */
static void list_dir(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    out[0] = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            snprintf(out + strlen(out), len - strlen(out), "%s ", e->d_name);
    if (d)
        closedir(d);
}

/* The stderr of a failed run without the fault's own line: one "mtdb: error:" line. */
static int one_error_line(const char *err)
{
    const char *line = err;
    int errors = 0, others = 0;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (!strncmp(line, "fault: ", 7))
            ;
        else if (!strncmp(line, "mtdb: error: ", 13) && n > 13 &&
                 !memmem(line, n, "not an error", 12))
            errors++;
        else
            others++;
        line += n + (end != NULL);
    }
    return errors == 1 && others == 0;
}

/* jobs "2" puts the inserts on a writer thread: the order of calls then varies from run
 * to run, and the loop still ends at the first run that does not reach call N. */
static void fault_loop(const char *what, const char *jobs)
{
    char *dir = tst_scratch_new("fault"), out[4200], left[4096];
    snprintf(out, sizeof out, "%s/out", dir);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long n;
    for (n = 1; n < FAULT_MAX_N; n++) {
        ck_assert_int_eq(mkdir(out, 0700), 0);
        fault_run_t r;
        run_import(dir, what, jobs, n, &r);
        list_dir(out, left, sizeof left);
        if (!r.hit) {
            ck_assert_msg(r.status == 0, "%s: no fault at %ld, yet exit %d: %s", what, n,
                          r.status, r.err);
            ck_assert_msg(!strcmp(left, "t.db "), "%s %ld: the import left [%s] in %s", what,
                          n, left, out);
            char head[16];
            db_head(out, head, sizeof head);
            ck_assert_str_eq(head, "SQLite format 3");
            tst_scratch_remove(out);
            break;
        }
        ck_assert_msg(r.status == 1, "%s failing at call %ld: exit %d, want 1; stderr: %s",
                      what, n, r.status, r.err);
        ck_assert_msg(one_error_line(r.err),
                      "%s failing at call %ld: stderr is not one error line: %s", what, n,
                      r.err);
        ck_assert_msg(!strcmp(left, with_force ? "t.db " : ""),
                      "%s failing at call %ld: left [%s] in %s; stderr: %s", what, n, left, out,
                      r.err);
        if (with_force) {
            char old[64], db[4300];
            db_head(out, old, sizeof old);
            ck_assert_msg(!strcmp(old, OLD_DB), "%s failing at call %ld: the old database changed",
                          what, n);
            snprintf(db, sizeof db, "%s/t.db", out);
            ck_assert_int_eq(unlink(db), 0);
        }
        ck_assert_int_eq(rmdir(out), 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_lt(n, FAULT_MAX_N);
    ck_assert_int_gt(n, 1); /* the import made at least one such call */
    printf("fault loop %s, -j %s%s: %ld failing calls, each a clean failure, in %.1f s\n", what,
           jobs, with_force ? ", --force" : "", n - 1,
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    fflush(stdout);
    ck_assert_int_eq(tst_scratch_remove(dir), 0);
    free(dir);
}

START_TEST(test_import_fault_alloc)
{
    fault_loop("alloc", "1");
}
END_TEST

START_TEST(test_import_fault_write)
{
    fault_loop("write", "1");
}
END_TEST

START_TEST(test_import_fault_sync)
{
    fault_loop("sync", "1");
}
END_TEST

START_TEST(test_import_fault_publish)
{
    fault_loop("publish", "1");
}
END_TEST

START_TEST(test_import_fault_step)
{
    fault_loop("step", "1");
}
END_TEST

/* --force replaces t.db with rename(2) only when the import is complete. */
START_TEST(test_import_fault_publish_force)
{
    with_force = 1;
    fault_loop("publish", "1");
}
END_TEST

START_TEST(test_import_fault_write_force)
{
    with_force = 1;
    fault_loop("write", "1");
}
END_TEST

START_TEST(test_import_fault_alloc_writer_thread)
{
    fault_loop("alloc", "2");
}
END_TEST

START_TEST(test_import_fault_write_writer_thread)
{
    fault_loop("write", "2");
}
END_TEST

START_TEST(test_import_fault_step_writer_thread)
{
    fault_loop("step", "2");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importer faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_import_fault_alloc);
    tcase_add_test(tc, test_import_fault_write);
    tcase_add_test(tc, test_import_fault_sync);
    tcase_add_test(tc, test_import_fault_publish);
    tcase_add_test(tc, test_import_fault_step);
    tcase_add_test(tc, test_import_fault_publish_force);
    tcase_add_test(tc, test_import_fault_write_force);
    tcase_add_test(tc, test_import_fault_alloc_writer_thread);
    tcase_add_test(tc, test_import_fault_write_writer_thread);
    tcase_add_test(tc, test_import_fault_step_writer_thread);
    suite_add_tcase(s, tc);
    return tst_run_suite(s);
}
