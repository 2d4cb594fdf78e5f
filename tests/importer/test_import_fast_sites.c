/* test_import_fast_sites.c: under --preset fast, per-site answers are exact. e2e_sites
 * makes 300 live blocks at one site and 12000 temporaries at another; recorded with the
 * fast preset, site_totals must hold exactly those numbers of blocks and live blocks,
 * every block must have a stack, and no weight may stand for other blocks. Skipped
 * without the recorder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#ifndef IMP_RECORDER_LIB
#define IMP_RECORDER_LIB ""
#endif

START_TEST(fast_preset_sites_exact)
{
    if (!*IMP_RECORDER_LIB)
        return;
    char *dir = it_tmpdir(), *db = strdup(it_path(dir, "t.db")), cmd[2048], out[1100];
    snprintf(cmd, sizeof cmd, "MTDB_PRESET=fast MTDB_OUTPUT='%s/out' LD_PRELOAD='%s' '%s' > /dev/null",
             dir, IMP_RECORDER_LIB, IMP_E2E_SITES);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(out, sizeof out, "%s/out", dir);
    ck_assert_int_eq(it_import(out, db, 0), 0);
    ck_query(db,
             "SELECT count(*), count(stack_id), sum(weight), count(free_ns) FROM allocations "
             "WHERE size_bytes IN (3400, 3401);",
             "12300|12300|12300|12000");
    ck_query(db,
             "SELECT site, rows, blocks, live_blocks FROM site_totals "
             "WHERE site IN ('keep_site', 'temp_site') ORDER BY site;",
             "keep_site|300|300|300\ntemp_site|12000|12000|0");
    /* Full stacks for the first 8 of each site, then 1 in 64: the rest have one frame. */
    ck_query(db,
             "SELECT a.size_bytes, sum(s.depth > 1), sum(s.depth = 1) FROM allocations a "
             "JOIN stacks s USING (stack_id) WHERE a.size_bytes IN (3400, 3401) "
             "GROUP BY a.size_bytes ORDER BY 1;",
             "3400|12|288\n3401|195|11805");
    ck_query(db, "SELECT note FROM data_gaps;", "");
    it_rm_rf(dir);
    free(dir), free(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("import_fast_sites");
    TCase *tc = tcase_create("fast");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fast_preset_sites_exact);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
