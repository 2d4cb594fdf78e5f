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

START_TEST(test_golden_v1_all_traces)
{
    char version_dir[1024];
    snprintf(version_dir, sizeof version_dir, "%s/v1", IMP_GOLDEN_DIR);
    DIR *d = opendir(version_dir);
    ck_assert_ptr_nonnull(d);
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
END_TEST

/* Every .sql file of queries/ runs on a golden database without an error; leaks.sql
 * prints exactly its expected rows. */
START_TEST(test_golden_queries_run)
{
    char trace[1200], dir[1200];
    snprintf(trace, sizeof trace, "%s/v1/basic", IMP_GOLDEN_DIR);
    snprintf(dir, sizeof dir, "%s", IMP_QUERIES_DIR);
    char *tmp = it_tmpdir(), *db = strdup(it_path(tmp, "t.db"));
    ck_assert_int_eq(it_import(trace, db, 0), 0);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".sql"))
            continue;
        long size;
        char path[2400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *sql = it_read_file(path, &size), *got = it_query(db, sql);
        ck_assert_msg(!strstr(got, "rror"), "%s: %s", e->d_name, got);
        ck_assert_msg(strlen(got) > 0, "%s printed nothing", e->d_name);
        if (!strcmp(e->d_name, "leaks.sql"))
            ck_assert_str_eq(
                got,
                "process_id  class  site      location  blocks  bytes  first_s   last_s    path                                \n"
                "----------  -----  --------  --------  ------  -----  --------  --------  ------------------------------------\n"
                "1           user   0x401136            2       4128   0.000000  0.000001  0x401136 < 0x401200 < 0x7f0000012345\n"
                "1           user   0x401180            1       256    0.000002  0.000002  0x401180 < 0x401300                 \n"
                "process_id  block_id  site      location  size_bytes  alloc_s   thread_id\n"
                "----------  --------  --------  --------  ----------  --------  ---------\n"
                "1           5         0x401136            4096        0.000000  1        \n"
                "1           4         0x401180            256         0.000002  2        \n"
                "1           6         0x401136            32          0.000001  2        \n"
                "process_id  incomplete                                                  \n"
                "----------  ------------------------------------------------------------\n"
                "1           stacks were sampled: per-site counts are estimates (weights)\n"
                "process_id  incomplete                                       \n"
                "----------  -------------------------------------------------\n"
                "1           exit start not recorded: freed_at_exit is unknown");
        free(sql), free(got);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 5);
    it_rm_rf(tmp);
    free(tmp), free(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importer golden");
    TCase *tc = tcase_create("golden");
    tcase_add_test(tc, test_golden_v1_all_traces);
    tcase_add_test(tc, test_golden_queries_run);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
