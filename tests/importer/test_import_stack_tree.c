/* test_import_stack_tree.c: stacks are stored as a tree of (parent, frame) nodes, each
 * shared prefix once, and the per-stack sites the importer computes on that tree
 * (imp_stack_sites.c) are the rows of sql/55-derive.sql, the reference.
 *
 * deepstacks 64 3 makes its 64 blocks through every path of three levels of four call
 * sites (site0..site3; block i takes the base-4 digits of i, lowest first, from the
 * outermost level): level j's site nodes must number exactly 4^(j+1), two blocks share
 * one exactly when their first j+1 digits agree, and each node must be the frame the
 * digit names. symprog (inlined functions, C++), deepstacks and forkprog (the same stacks
 * in a parent and its fork child) are then derived again by the sqlite3 shell from
 * 55-derive.sql and 56-derive-blocks.sql, which must leave stack_sites, stack_functions,
 * the function sets, site_totals, site_top_stacks, stack_totals and peak_stacks unchanged. Skipped
 * without the recorder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#ifndef IMP_RECORDER_LIB
#define IMP_RECORDER_LIB ""
#endif

#define COUNT 64
#define LEVELS 3

/* Runs prog (with args) under the recorder into a fresh directory and imports it;
 * returns the directory (the database is dir/t.db). */
static char *record(const char *prog_and_args)
{
    char *dir = it_tmpdir();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "MTDB_OUTPUT='%s/out' LD_PRELOAD='%s' %s > '%s/stdout'", dir,
             IMP_RECORDER_LIB, prog_and_args, dir);
    ck_assert_int_eq(system(cmd), 0);
    char out[1024];
    snprintf(out, sizeof out, "%s/out", dir);
    ck_assert_int_eq(it_import(out, it_path(dir, "t.db"), 0), 0);
    return dir;
}

/* Each block of the program (3333 bytes), outermost site first: "block|node|function". */
static const char site_nodes_sql[] =
    "WITH RECURSIVE up(block_id, node_id, parent_id, frame_id) AS ("
    " SELECT a.block_id, n.node_id, n.parent_id, n.frame_id FROM allocations a"
    " JOIN stacks s USING (stack_id) JOIN stack_nodes n ON n.node_id = s.node_id"
    " WHERE a.size_bytes = 3333"
    " UNION ALL SELECT up.block_id, n.node_id, n.parent_id, n.frame_id FROM up"
    " JOIN stack_nodes n ON n.node_id = up.parent_id)"
    "SELECT up.block_id, up.node_id, y.function FROM up JOIN symbols y USING (frame_id)"
    " WHERE y.function GLOB 'site[0-3]' ORDER BY up.block_id, up.node_id;";

START_TEST(shared_prefixes_once)
{
    if (!*IMP_RECORDER_LIB)
        return;
    char args[1024];
    snprintf(args, sizeof args, "'%s' %d %d 3333 0", IMP_DEEPSTACKS, COUNT, LEVELS);
    char *dir = record(args);
    const char *db = it_path(dir, "t.db");
    char *dbs = strdup(db);
    /* 64 distinct stacks of one depth, and no (parent, frame) twice in the tree */
    ck_query(dbs,
             "SELECT count(*), count(DISTINCT stack_id), count(DISTINCT s.depth)"
             " FROM allocations a JOIN stacks s USING (stack_id) WHERE size_bytes = 3333;",
             "64|64|1");
    ck_query(dbs,
             "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT parent_id, frame_id"
             " FROM stack_nodes)) FROM stack_nodes;",
             "0");
    ck_query(dbs, "SELECT count(*) FROM stack_nodes WHERE parent_id >= node_id;", "0");

    char *rows = it_query(dbs, site_nodes_sql);
    long node[COUNT][LEVELS];
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(rows, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        long block, nd;
        char fn[16];
        ck_assert_int_eq(sscanf(line, "%ld|%ld|%15s", &block, &nd, fn), 3);
        int i = n / LEVELS, j = n % LEVELS; /* blocks in allocation order */
        ck_assert_int_lt(i, COUNT);
        char want[8];
        snprintf(want, sizeof want, "site%d", (i >> (2 * j)) & 3);
        ck_assert_str_eq(fn, want);
        node[i][j] = nd;
    }
    free(rows);
    ck_assert_int_eq(n, COUNT * LEVELS);
    for (int j = 0; j < LEVELS; j++) {
        int distinct = 0;
        for (int i = 0; i < COUNT; i++) {
            int seen = 0;
            for (int k = 0; k < i; k++) {
                int same_prefix = (i & ((4 << (2 * j)) - 1)) == (k & ((4 << (2 * j)) - 1));
                ck_assert_int_eq(node[i][j] == node[k][j], same_prefix);
                seen |= node[i][j] == node[k][j];
            }
            distinct += !seen;
        }
        ck_assert_int_eq(distinct, 4 << (2 * j)); /* 4, 16, 64 */
    }
    /* the stack_frames view walks the same tree: depth rows a stack, innermost first */
    ck_query(dbs,
             "SELECT count(*) = 64 * max(s.depth), count(DISTINCT f.stack_id * 1000 + f.position)"
             " = count(*), min(f.position), max(f.position) = max(s.depth) - 1"
             " FROM stack_frames f JOIN stacks s USING (stack_id)"
             " WHERE f.stack_id IN (SELECT stack_id FROM allocations WHERE size_bytes = 3333);",
             "1|1|0|1");
    rows = it_query(dbs, "SELECT y.function FROM allocations a JOIN stack_frames f USING (stack_id)"
                         " JOIN symbols y USING (frame_id) WHERE a.size_bytes = 3333"
                         " AND y.function GLOB 'site[0-3]' ORDER BY a.block_id, f.position DESC;");
    n = 0;
    for (char *line = strtok_r(rows, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        char want[8];
        snprintf(want, sizeof want, "site%d", ((n / LEVELS) >> (2 * (n % LEVELS))) & 3);
        ck_assert_str_eq(line, want);
    }
    free(rows);
    ck_assert_int_eq(n, COUNT * LEVELS);
    free(dbs);
    it_rm_rf(dir);
    free(dir);
}
END_TEST

/* The importer's per-stack sites equal 55-derive.sql's on the same database: a copy of
 * the imported rows, the file run by the shell, then every row of each side in the other
 * (EXCEPT takes NULLs as equal) and a row for each stack; site_labels (each distinct row
 * once, each some stack's, numbered from 1; fewer than half the stacks when shared) and
 * the function sets' tables are the same rows too, ids included. */
static void same_as_reference(const char *prog_and_args, const char *min_stacks, int shared)
{
    char *dir = record(prog_and_args);
    char *db = strdup(it_path(dir, "t.db"));
    ck_query(db,
             "CREATE TABLE imp_sites AS SELECT * FROM stack_sites;"
             "CREATE TABLE imp_site_labels AS SELECT * FROM site_labels;"
             "CREATE TABLE imp_stack_site_labels AS SELECT * FROM stack_site_labels;"
             "CREATE TABLE imp_functions AS SELECT * FROM stack_functions;"
             "CREATE TABLE imp_sets AS SELECT * FROM stack_function_sets JOIN function_sets"
             " USING (set_id);"
             "CREATE TABLE imp_labels AS SELECT * FROM function_labels;"
             "CREATE TABLE imp_site_totals AS SELECT * FROM site_totals;"
             "CREATE TABLE imp_top_stacks AS SELECT * FROM site_top_stacks;"
             "CREATE TABLE imp_stack_totals AS SELECT * FROM stack_totals;"
             "CREATE TABLE imp_peak AS SELECT * FROM peak_stacks;\n"
             ".read " IMP_SQL_DIR "/55-derive.sql\n"
             ".read " IMP_SQL_DIR "/56-derive-blocks.sql\n",
             "");
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) >= %s FROM stacks;", min_stacks);
    ck_query(db, sql, "1");
    ck_query(db,
             "SELECT (SELECT count(*) FROM stacks) = (SELECT count(*) FROM imp_sites),"
             " (SELECT count(*) FROM imp_sites) = (SELECT count(*) FROM stack_sites),"
             " (SELECT count(*) FROM (SELECT * FROM imp_sites EXCEPT SELECT * FROM stack_sites)),"
             " (SELECT count(*) FROM (SELECT * FROM stack_sites EXCEPT SELECT * FROM imp_sites)),"
             " (SELECT count(*) FROM imp_functions) = (SELECT count(*) FROM stack_functions),"
             " (SELECT count(*) FROM (SELECT * FROM imp_functions EXCEPT"
             "  SELECT * FROM stack_functions)),"
             " (SELECT count(*) FROM stack_functions) >= (SELECT count(*) FROM stacks) / 2;",
             "1|1|0|0|1|0|1");
    /* the site rows themselves, once each, numbered alike (the view hides the ids) */
    ck_query(db,
             "SELECT (SELECT count(*) FROM imp_site_labels) = (SELECT count(*) FROM site_labels),"
             " (SELECT count(*) FROM (SELECT * FROM imp_site_labels EXCEPT"
             "  SELECT * FROM site_labels)),"
             " (SELECT count(*) FROM imp_stack_site_labels) = (SELECT count(*) FROM stacks),"
             " (SELECT count(*) FROM (SELECT * FROM imp_stack_site_labels EXCEPT"
             "  SELECT * FROM stack_site_labels)),"
             " (SELECT count(*) FROM (SELECT DISTINCT site, location, class, module,"
             "  user_function, user_position, alloc_site, alloc_function, alloc_location,"
             "  alloc_module, path FROM imp_site_labels)) = (SELECT count(*) FROM imp_site_labels),"
             " (SELECT count(DISTINCT site_label_id) FROM imp_stack_site_labels)"
             "  = (SELECT count(*) FROM imp_site_labels),"
             " (SELECT max(site_label_id) FROM imp_site_labels)"
             "  = (SELECT count(*) FROM imp_site_labels);",
             "1|0|1|0|1|1|1");
    if (shared) /* most stacks share their row with others */
        ck_query(db,
                 "SELECT 2 * (SELECT count(*) FROM site_labels) < (SELECT count(*) FROM stacks);",
                 "1");
    ck_query(db,
             "CREATE TABLE sql_sets AS SELECT * FROM stack_function_sets JOIN function_sets"
             " USING (set_id);"
             "SELECT (SELECT count(*) FROM imp_sets) = (SELECT count(*) FROM sql_sets),"
             " (SELECT count(*) FROM (SELECT * FROM imp_sets EXCEPT SELECT * FROM sql_sets)),"
             " (SELECT count(*) FROM imp_labels) = (SELECT count(*) FROM function_labels),"
             " (SELECT count(*) FROM (SELECT * FROM imp_labels EXCEPT"
             "  SELECT * FROM function_labels)),"
             " (SELECT count(*) FROM imp_sets) > 0;",
             "1|0|1|0|1");
    /* site_totals (imp_site_keys.c), its lowest module and path of sites many paths reach */
    ck_query(db,
             "SELECT (SELECT count(*) FROM imp_site_totals) = (SELECT count(*) FROM site_totals),"
             " (SELECT count(*) FROM (SELECT * FROM imp_site_totals EXCEPT"
             "  SELECT * FROM site_totals)),"
             " (SELECT count(*) FROM (SELECT * FROM site_totals EXCEPT"
             "  SELECT * FROM imp_site_totals)),"
             " (SELECT count(*) FROM imp_site_totals) > 0;",
             "1|0|0|1");
    /* site_top_stacks (imp_site_keys.c): each site's stacks and its heaviest ones */
    ck_query(db,
             "SELECT (SELECT count(*) FROM imp_top_stacks) = (SELECT count(*) FROM site_top_stacks),"
             " (SELECT count(*) FROM (SELECT * FROM imp_top_stacks EXCEPT"
             "  SELECT * FROM site_top_stacks)),"
             " (SELECT count(*) FROM imp_top_stacks) > 0,"
             " (SELECT sum(stacks) FROM imp_top_stacks) = (SELECT count(*) FROM stack_totals g"
             "  JOIN stack_sites s USING (stack_id) WHERE s.site IS NOT NULL);",
             "1|0|1|1");
    /* stack_totals and peak_stacks (imp_derive.c: a stack's group found by its id) */
    ck_query(db,
             "SELECT (SELECT count(*) FROM imp_stack_totals) = (SELECT count(*) FROM stack_totals),"
             " (SELECT count(*) FROM (SELECT * FROM imp_stack_totals EXCEPT"
             "  SELECT * FROM stack_totals)),"
             " (SELECT count(*) FROM imp_stack_totals) > 0,"
             " (SELECT count(*) FROM imp_peak) = (SELECT count(*) FROM peak_stacks),"
             " (SELECT count(*) FROM (SELECT * FROM imp_peak EXCEPT SELECT * FROM peak_stacks));",
             "1|0|1|1|0");
    free(db);
    it_rm_rf(dir);
    free(dir);
}

START_TEST(sites_as_reference_symprog)
{
    if (!*IMP_RECORDER_LIB)
        return;
    char args[1024];
    snprintf(args, sizeof args, "'%s'", IMP_SYMPROG);
    same_as_reference(args, "3", 0);
}
END_TEST

/* The same stacks in two processes: each process has its own totals of each; two stacks
 * whose frames differ but whose site rows are alike share one row. */
START_TEST(sites_as_reference_fork)
{
    if (!*IMP_RECORDER_LIB)
        return;
    char args[1024];
    snprintf(args, sizeof args, "'%s'", IMP_FORKPROG);
    char *dir = record(args);
    ck_query(it_path(dir, "t.db"),
             "SELECT count(*) FROM (SELECT stack_id FROM stack_totals WHERE stack_id IS NOT NULL"
             " GROUP BY stack_id HAVING count(DISTINCT process_id) = 2);",
             "1");
    /* two mallocs on one line: two stacks, one site row */
    ck_query(it_path(dir, "t.db"),
             "SELECT count(DISTINCT stack_id), count(DISTINCT site_label_id)"
             " FROM stack_site_labels JOIN site_labels USING (site_label_id)"
             " WHERE site = 'two_on_one_line';",
             "2|1");
    it_rm_rf(dir);
    free(dir);
    same_as_reference(args, "2", 0);
}
END_TEST

/* 3000 stacks six levels deep, their paths cut at 5 user frames: far fewer site rows
 * (750 where descend is inlined into the sites, 16 where it is not). */
START_TEST(sites_as_reference_deepstacks)
{
    if (!*IMP_RECORDER_LIB)
        return;
    char args[1024];
    snprintf(args, sizeof args, "'%s' 3000 6 3333 5", IMP_DEEPSTACKS);
    same_as_reference(args, "3000", 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("import_stack_tree");
    TCase *tc = tcase_create("tree");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, shared_prefixes_once);
    tcase_add_test(tc, sites_as_reference_symprog);
    tcase_add_test(tc, sites_as_reference_deepstacks);
    tcase_add_test(tc, sites_as_reference_fork);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
