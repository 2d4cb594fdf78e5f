/* test_import_wrapper_sites.c: a block allocated through a wrapper of the program's own
 * (xmalloc, xstrdup over xmalloc, g_malloc0: names the default site_rules know) names
 * the wrapper's caller as its site, with exact counts; a wrapper no rule knows
 * (pool_get) is the site until the user adds a rule and re-runs the derive files, as
 * docs/analyses.md says, or imports with the rule (`--rule allocator=pool_get`); the
 * advice suggests that rule for a wrapper with many callers (e2e_own_wrapper). A block
 * the C++ library allocates in a function it does not name belongs to the code that
 * called the library (e2e_throw), and so does one in library code made for the caller's
 * lambda, which the debug information names without its scope (e2e_lambda); code from a
 * header-only library's header, once a library_file rule names it (e2e_hdrlib).
 * Stripped, the first program's sites are addresses, and name_gaps names its module.
 * The programs run under the recorder with the default preset. Skipped without the
 * recorder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#ifndef IMP_RECORDER_LIB
#define IMP_RECORDER_LIB ""
#endif

/* site_totals rows of the program's test blocks (2100..2400 bytes) */
#define WRAPPER_SITES                                                                              \
    "SELECT site, class, blocks, bytes, live_blocks FROM site_totals"                              \
    " WHERE min_bytes >= 2100 AND max_bytes <= 2400 ORDER BY site;"

/* Blocks of the given sizes by size, site and class. */
#define SITES_BY_SIZE(sizes)                                                                       \
    "SELECT a.size_bytes, l.site, l.class, count(*) FROM allocations a"                            \
    " JOIN stack_sites l USING (stack_id)"                                                         \
    " WHERE a.size_bytes IN (" sizes ") GROUP BY 1, 2, 3 ORDER BY 1;"

/* Adds a site rule and re-runs the derive files, as docs/analyses.md tells a user to. */
static void add_rule(const char *db, const char *kind, const char *pattern)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO site_rules VALUES ('%s', '%s');\n"
             ".read " IMP_SQL_DIR "/55-derive.sql\n"
             ".read " IMP_SQL_DIR "/56-derive-blocks.sql\n",
             kind, pattern);
    char *got = it_query(db, sql);
    ck_assert_str_eq(got, "");
    free(got);
}

/* Runs program under the recorder into dir/out and imports that into dir/t.db; returns
 * the database's path (malloc'd). */
static char *record_import(const char *dir, const char *program)
{
    char cmd[2048], out[1100];
    snprintf(cmd, sizeof cmd, "MTDB_OUTPUT='%s/out' LD_PRELOAD='%s' '%s' > /dev/null", dir,
             IMP_RECORDER_LIB, program);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(out, sizeof out, "%s/out", dir);
    char *db = strdup(it_path(dir, "t.db"));
    ck_assert_int_eq(it_import(out, db, 0), 0);
    return db;
}

/* record_import of a stripped copy of program, named name in dir. */
static char *record_import_stripped(const char *dir, const char *program, const char *name)
{
    char cmd[2048], stripped[1100];
    snprintf(stripped, sizeof stripped, "%s/%s", dir, name);
    snprintf(cmd, sizeof cmd, "strip -o '%s' '%s'", stripped, program);
    ck_assert_int_eq(system(cmd), 0);
    return record_import(dir, stripped);
}

/* Imports dir/out again into dir/ruled.db (its path into db, of len bytes) with the
 * option --rule=rule; returns mtdb import's exit status. */
static int import_ruled(const char *dir, const char *rule, char *db, size_t len)
{
    char out[1100], option[512];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(db, len, "%s/ruled.db", dir);
    snprintf(option, sizeof option, "--rule=%s", rule);
    return it_import_with(out, db, option);
}

START_TEST(wrapper_callers_are_sites)
{
    char *dir = it_tmpdir(), *db = record_import(dir, IMP_E2E_WRAPPERS);
    /* config: 40 blocks of 2100, 2101, 2102 bytes (14 + 13 + 13) */
    ck_query(db, WRAPPER_SITES,
             "build_index|user|70|154000|0\n"
             "copy_names|user|25|57500|25\n"
             "parse_config|user|40|84039|40\n"
             "pool_get|user|15|36000|0");
    ck_query(db, "SELECT count(*) FROM name_gaps;", "0"); /* every user site is named */
    /* the leaks the user reads name the caller too */
    ck_query(db,
             "SELECT site, blocks FROM leaks WHERE site IN ('parse_config', 'copy_names',"
             " 'xmalloc', 'xstrdup') ORDER BY site;",
             "copy_names|25\nparse_config|40");
    /* the user's own wrapper, named in a rule, as the docs show */
    static const char named[] = "build_index|user|70|154000|0\n"
                                "copy_names|user|25|57500|25\n"
                                "parse_config|user|40|84039|40\n"
                                "use_pool|user|15|36000|0";
    add_rule(db, "allocator", "pool_get");
    ck_query(db, WRAPPER_SITES, named);
    /* or given at import, with the same rows; a rule of no known kind is refused */
    char db2[1100];
    ck_assert_int_eq(import_ruled(dir, "allocator=pool_get", db2, sizeof db2), 0);
    ck_query(db2, WRAPPER_SITES, named);
    ck_query(db2, "SELECT count(*) FROM site_rules WHERE pattern = 'pool_get';", "1");
    ck_assert_int_eq(import_ruled(dir, "alloc=pool_get", db2, sizeof db2), 2);
    it_rm_rf(dir);
    free(dir), free(db);
}
END_TEST

/* A wrapper of the program's own that no rule names: the advice says so and names the
 * rule; imported with that rule, its callers are the sites and the advice is gone.
 * copy_name has three callers too but makes too few of the calls to be suggested. */
START_TEST(own_wrapper_advised_then_named)
{
    char *dir = it_tmpdir(), *db = record_import(dir, IMP_E2E_OWN_WRAPPER);
    ck_query(db, "SELECT rank, kind, severity, site, suggestion, evidence FROM advice;",
             "1|wrapper|medium|my_alloc|if my_alloc only wraps an allocator, import again with"
             " --rule allocator=my_alloc: its callers become the sites|61 of the 101 calls at"
             " user sites, from 3 callers: load_groups, load_roles, load_users");
    char db2[1100];
    ck_assert_int_eq(import_ruled(dir, "allocator=my_alloc", db2, sizeof db2), 0);
    ck_query(db2, "SELECT count(*) FROM advice;", "0");
    ck_query(db2,
             "SELECT site, sum(blocks), sum(bytes) FROM site_totals WHERE class = 'user'"
             " GROUP BY site ORDER BY site;",
             "copy_name|3|120\nload_groups|20|60000\nload_roles|30|90000\nload_users|11|33000\n"
             "make_table|1|5000\nnew_record|36|7200");
    it_rm_rf(dir);
    free(dir), free(db);
}
END_TEST

/* std::runtime_error copies its message in a function a stripped libstdc++ leaves
 * unnamed: that frame is the library's code (a site_rules label rule), so the copy
 * belongs to the function that threw, like the exception object and the message. */
START_TEST(hidden_library_code_is_not_the_site)
{
    char *dir = it_tmpdir(), *db = record_import(dir, IMP_E2E_THROW);
    /* per throw: the 3001-byte message, the 144-byte exception, the 3025-byte copy */
    ck_query(db, SITES_BY_SIZE("144, 3001, 3025"),
             "144|fail_parse|user|30\n3001|fail_parse|user|30\n3025|fail_parse|user|30");
    it_rm_rf(dir);
    free(dir), free(db);
}
END_TEST

/* std::function code instantiated on a lambda has no linkage name: its frames are named
 * from their declaration's namespaces and classes, so the std_code rule sees them and
 * the block std::function keeps on the heap belongs to the code that made it; a block
 * the lambda allocates names the lambda in its function. */
START_TEST(library_code_made_for_a_lambda_is_not_the_site)
{
    char *dir = it_tmpdir(), *db = record_import(dir, IMP_E2E_LAMBDA);
    ck_query(db, SITES_BY_SIZE("48, 2048"),
             "48|make_callbacks()|user|40\n"
             "2048|make_callbacks()::{lambda}::operator()|user|40");
    ck_query(db,
             "SELECT count(*) FROM allocations a WHERE a.size_bytes = 48 AND EXISTS (SELECT 1"
             " FROM stack_symbols s WHERE s.stack_id = a.stack_id"
             " AND s.function GLOB 'std::_Function_base::_Base_manager<*>::_M_create<*>');",
             "40");
    it_rm_rf(dir);
    free(dir), free(db);
}
END_TEST

/* Code a header-only library compiled into the program (e2e_hdrlib.h) is the site of
 * its blocks until a library_file rule names the header, as the default one names
 * /usr/include/ (the rule is in site_rules); then its callers are. */
START_TEST(header_library_code_is_not_the_site_once_named)
{
    char *dir = it_tmpdir(), *db = record_import(dir, IMP_E2E_HDRLIB);
    ck_query(db, "SELECT count(*) FROM site_rules WHERE kind = 'library_file'"
                 " AND pattern = '/usr/include/*';", "1");
    ck_query(db, WRAPPER_SITES, "hdrlib_buffer|user|50|111180|30");
    add_rule(db, "library_file", "*/e2e_hdrlib.h");
    ck_query(db, WRAPPER_SITES,
             "build_cache|user|20|45000|0\n"
             "load_config|user|30|66180|30");
    it_rm_rf(dir);
    free(dir), free(db);
}
END_TEST

/* The same program stripped: its code has no names, so its sites are addresses (one
 * in each wrapper: xmalloc, g_malloc0, pool_get), and name_gaps and the report say
 * which module lacks names and what to do. */
START_TEST(stripped_program_named_in_name_gaps)
{
    char *dir = it_tmpdir(), cmd[2048];
    char *db = record_import_stripped(dir, IMP_E2E_WRAPPERS, "wrappers-stripped");
    ck_query(db,
             "SELECT count(*), sum(blocks) FROM site_totals WHERE class = 'user'"
             " AND site GLOB 'wrappers-stripped+0x*';",
             "3|150");
    ck_query(db, "SELECT unnamed_sites, unnamed_blocks, modules FROM name_gaps;",
             "3|150|wrappers-stripped");
    snprintf(cmd, sizeof cmd,
             "'%s' report '%s' | grep -c 'Code without names: *user sites 3 *"
             "blocks 150 *in wrappers-stripped$'",
             IMP_MTDB, db);
    FILE *report = popen(cmd, "r");
    char line[64] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, report));
    pclose(report);
    ck_assert_str_eq(line, "1\n");
    it_rm_rf(dir);
    free(dir), free(db);
}
END_TEST

/* Stripped, a wrapper's site is its label (module+0xoffset), and a rule that is that
 * label names its callers: the import with it spreads the wrapper's 61 blocks over its
 * callers' labels (load_users 10, load_groups 20, load_roles 30, and 1 at the call
 * inside my_alloc itself, a caller of its own once the inner frame is the allocator).
 * Without names the advice suggests no wrapper: every call site is a label of its own,
 * and new_record's three would look like three wrappers. */
START_TEST(stripped_wrapper_named_by_its_label)
{
    char *dir = it_tmpdir();
    char *db = record_import_stripped(dir, IMP_E2E_OWN_WRAPPER, "own-stripped");
    static const char user_sites[] =
        "SELECT group_concat(blocks, ' ') FROM (SELECT blocks FROM site_totals"
        " WHERE class = 'user' ORDER BY blocks);";
    ck_query(db, user_sites, "1 3 12 12 12 61");
    ck_query(db, "SELECT count(*) FROM advice WHERE kind = 'wrapper';", "0");
    char *site = it_query(db, "SELECT site FROM site_totals WHERE blocks = 61;");
    ck_assert_msg(strncmp(site, "own-stripped+0x", 15) == 0, "not a label: %s", site);
    char db2[1100], rule[256];
    snprintf(rule, sizeof rule, "allocator=%s", site);
    ck_assert_int_eq(import_ruled(dir, rule, db2, sizeof db2), 0);
    ck_query(db2, user_sites, "1 1 3 10 12 12 12 20 30");
    it_rm_rf(dir);
    free(dir), free(db), free(site);
}
END_TEST

int main(void)
{
    if (!IMP_RECORDER_LIB[0]) {
        printf("recorder not built: skipped\n");
        return 77;
    }
    Suite *s = suite_create("importer wrapper sites");
    TCase *tc = tcase_create("wrappers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, wrapper_callers_are_sites);
    tcase_add_test(tc, own_wrapper_advised_then_named);
    tcase_add_test(tc, stripped_wrapper_named_by_its_label);
    tcase_add_test(tc, hidden_library_code_is_not_the_site);
    tcase_add_test(tc, library_code_made_for_a_lambda_is_not_the_site);
    tcase_add_test(tc, header_library_code_is_not_the_site_once_named);
    tcase_add_test(tc, stripped_program_named_in_name_gaps);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
