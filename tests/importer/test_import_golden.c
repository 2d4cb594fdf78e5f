/* test_import_golden.c: every golden trace (golden/v<major>/<name>/) imports to exactly
 * the rows in its expected.out (the output of golden/v<major>/queries.sql), with one
 * thread and with the writer thread.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "itest.h"
#include "mtdb_format.h"

static void check_trace(const char *version_dir, const char *name, char *jobs)
{
    char trace[1400], path[1600];
    snprintf(trace, sizeof trace, "%s/%s", version_dir, name);
    char *tmp = it_tmpdir(), *db = strdup(it_path(tmp, "t.db"));
    char *argv[] = {"import", "-q", "-j", jobs, "-o", db, trace, NULL};
    ck_assert_int_eq(mtdb_cmd_import(7, argv), 0);
    long len;
    snprintf(path, sizeof path, "%s/queries.sql", version_dir);
    char *sql = it_read_file(path, &len);
    snprintf(path, sizeof path, "%s/expected.out", trace);
    char *expected = it_read_file(path, &len);
    ck_assert_ptr_nonnull(sql);
    ck_assert_ptr_nonnull(expected);
    while (len && expected[len - 1] == '\n')
        expected[--len] = 0;
    char *got = it_query(db, sql);
    if (strcmp(got, expected))
        fprintf(stderr, "golden %s differs:\n%s\n", trace, got);
    ck_assert_str_eq(got, expected);
    free(got), free(sql), free(expected);
    it_rm_rf(tmp);
    free(tmp), free(db);
}

/* Every major version the reader reads has its golden traces, and they all import. */
START_TEST(test_golden_all_versions_all_traces)
{
    for (int major = MTDB_FORMAT_OLDEST_MAJOR; major <= MTDB_FORMAT_MAJOR; major++) {
        char version_dir[1024];
        snprintf(version_dir, sizeof version_dir, "%s/v%d", IMP_GOLDEN_DIR, major);
        DIR *d = opendir(version_dir);
        ck_assert_msg(d != NULL, "no golden traces for format %d: %s", major, version_dir);
        int traces = 0;
        for (struct dirent *e; (e = readdir(d));) {
            if (strchr(e->d_name, '.')) /* queries.sql, README, . and .. */
                continue;
            check_trace(version_dir, e->d_name, "1"); /* inserts on the importing thread */
            check_trace(version_dir, e->d_name, "2"); /* inserts on a writer thread */
            traces++;
        }
        closedir(d);
        ck_assert_int_ge(traces, 1);
    }
}
END_TEST

/* Every .sql file of queries/ prints exactly its queries_expected/<name>.out on the
 * golden trace (README.md there says how the figures were derived), through the real
 * sqlite3 shell; a query without such a file fails. */
START_TEST(test_golden_queries_exact)
{
    char trace[1200];
    snprintf(trace, sizeof trace, "%s/v1/basic", IMP_GOLDEN_DIR);
    char *tmp = it_tmpdir(), *db = strdup(it_path(tmp, "t.db"));
    ck_assert_int_eq(it_import(trace, db, 0), 0);
    DIR *d = opendir(IMP_QUERIES_DIR);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".sql"))
            continue;
        long size;
        char path[2400];
        snprintf(path, sizeof path, "%s/%s", IMP_QUERIES_DIR, e->d_name);
        char *sql = it_read_file(path, &size), *got = it_query(db, sql);
        snprintf(path, sizeof path, "%s/%.*s.out", IMP_QUERIES_EXPECTED_DIR, (int)(len - 4),
                 e->d_name);
        char *want = it_read_file(path, &size);
        ck_assert_msg(want != NULL, "%s: no expected output %s", e->d_name, path);
        while (size && want[size - 1] == '\n')
            want[--size] = 0;
        if (strcmp(got, want))
            fprintf(stderr, "%s printed:\n%s\n", e->d_name, got);
        ck_assert_msg(!strcmp(got, want), "%s: output differs from %s", e->d_name, path);
        free(sql), free(got), free(want);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 12);
    it_rm_rf(tmp);
    free(tmp), free(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importer golden");
    TCase *tc = tcase_create("golden");
    tcase_add_test(tc, test_golden_all_versions_all_traces);
    tcase_add_test(tc, test_golden_queries_exact);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
