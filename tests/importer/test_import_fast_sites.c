/* test_import_fast_sites.c: under --preset fast, per-site answers are exact. e2e_sites
 * makes 300 live blocks at one site and 12000 temporaries at another; recorded with the
 * fast preset, site_totals must hold exactly those numbers of blocks and live blocks,
 * every block must have a stack, and no weight may stand for other blocks. e2e_sites_cxx
 * allocates behind the runtime's wrappers (operator new, std::string, std::vector,
 * strdup): its user sites must be exact and the same as with the precise preset.
 * Skipped without the recorder.
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
    snprintf(cmd, sizeof cmd,
             "MTDB_PRESET=fast MTDB_OUTPUT='%s/out' LD_PRELOAD='%s' '%s' > /dev/null", dir,
             IMP_RECORDER_LIB, IMP_E2E_SITES);
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

/* The C++ program's sites, the same under every preset: behind operator new, new[],
 * std::string and std::vector code, and strdup, each row names the function of the
 * program that allocated. */
static const char cxx_sites[] = "dup_name()|500|500|0\n"
                                "grow_vector()|550|550|0\n"
                                "keep_node()|300|300|300\n"
                                "leak_array()|10|10|10\n"
                                "main|1|1|0\n"
                                "temp_string()|12000|12000|0";

static void record_cxx(const char *dir, const char *preset, const char *db)
{
    char cmd[2048], out[1100];
    snprintf(cmd, sizeof cmd, "MTDB_PRESET=%s MTDB_OUTPUT='%s/%s' LD_PRELOAD='%s' '%s' > /dev/null",
             preset, dir, preset, IMP_RECORDER_LIB, IMP_E2E_SITES_CXX);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(out, sizeof out, "%s/%s", dir, preset);
    ck_assert_int_eq(it_import(out, db, 0), 0);
}

START_TEST(fast_preset_cxx_sites_exact)
{
    if (!*IMP_RECORDER_LIB)
        return;
    char *dir = it_tmpdir(), *fast = strdup(it_path(dir, "fast.db"));
    char *precise = strdup(it_path(dir, "precise.db"));
    record_cxx(dir, "fast", fast);
    record_cxx(dir, "precise", precise);
    static const char user_sites[] =
        "SELECT site, rows, blocks, live_blocks FROM site_totals WHERE class = 'user' "
        "ORDER BY site;";
    ck_query(precise, user_sites, cxx_sites);
    ck_query(fast, user_sites, cxx_sites);
    ck_query(fast, "SELECT count(*) FROM site_totals WHERE class = 'unknown';", "0");
    /* And they came from sampled-out rows: the recorder gave most of the 13361
     * allocations the short stack down to the program's caller, not a full stack. */
    ck_query(fast,
             "SELECT sum(value) > 12000 FROM health_counters WHERE counter = 'stacks_sampled_out';",
             "1");
    ck_query(precise,
             "SELECT sum(value) FROM health_counters WHERE counter = 'stacks_sampled_out';", "0");
    ck_query(fast, "SELECT note FROM data_gaps;", "");
    it_rm_rf(dir);
    free(dir), free(fast), free(precise);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("import_fast_sites");
    TCase *tc = tcase_create("fast");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fast_preset_sites_exact);
    tcase_add_test(tc, fast_preset_cxx_sites_exact);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
