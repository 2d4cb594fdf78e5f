/* test_import_e2e.c: real programs under the recorder. e2e_prog counts its own
 * allocations, frees, leaks and cross-thread frees; after `mtdb import` the SQL counts
 * of its blocks (marked by their sizes) equal its own, to the unit. Run twice: a
 * steady load, and an address-reuse race (many threads, same size class, tiny work),
 * where the number of live blocks at exit must still be exact. Skipped without the
 * recorder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#ifndef IMP_RECORDER_LIB
#define IMP_RECORDER_LIB ""
#endif

static char *dir, *db;
static long own[5]; /* blocks, frees, leaked, leaked_bytes, cross */

static void run_prog(int threads, int iterations)
{
    dir = it_tmpdir();
    db = strdup(it_path(dir, "t.db"));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "MTDB_OUTPUT='%s/out' LD_PRELOAD='%s' '%s' %d %d > '%s/counts'", dir,
             IMP_RECORDER_LIB, IMP_E2E_PROG, threads, iterations, dir);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(it_path(dir, "counts"), "r");
    ck_assert_ptr_nonnull(f);
    char key[32];
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(fscanf(f, "%31s %ld", key, &own[i]), 2);
    fclose(f);
    char out[1024];
    snprintf(out, sizeof out, "%s/out", dir);
    ck_assert_int_eq(it_import(out, db, 0), 0);
}

static void teardown(void)
{
    it_rm_rf(dir);
    free(dir);
    free(db);
}

#define TEST_BLOCKS "(size_bytes BETWEEN 3000 AND 3063 OR size_bytes BETWEEN 5000 AND 5015)"

static void check_counts(void)
{
    char expect[128];
    snprintf(expect, sizeof expect, "%ld|%ld", own[0], own[1]);
    ck_query(db, "SELECT count(*), count(free_ns) FROM allocations WHERE " TEST_BLOCKS ";", expect);
    snprintf(expect, sizeof expect, "%ld|%ld", own[2], own[3]);
    ck_query(db, "SELECT count(*), sum(size_bytes) FROM live_blocks WHERE " TEST_BLOCKS ";",
             expect);
    snprintf(expect, sizeof expect, "%ld", own[4]);
    ck_query(db, "SELECT count(*) FROM cross_thread_frees WHERE " TEST_BLOCKS ";", expect);
    ck_query(db, "SELECT count(*) FROM unmatched_frees; SELECT count(*) FROM double_frees;",
             "0\n0");
}

START_TEST(test_e2e_counts_exact)
{
    run_prog(4, 20000);
    check_counts();
    ck_query(db, "SELECT count(*) FROM threads WHERE alloc_calls >= 20005;", "4");
}
END_TEST

START_TEST(test_e2e_address_reuse_race)
{
    run_prog(8, 5000);
    check_counts();
}
END_TEST

int main(void)
{
    if (!IMP_RECORDER_LIB[0]) {
        puts("recorder not built: end-to-end tests skipped");
        return 77;
    }
    Suite *s = suite_create("importer end to end");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_e2e_counts_exact);
    tcase_add_test(tc, test_e2e_address_reuse_race);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
