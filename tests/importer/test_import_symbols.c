/* test_import_symbols.c: a program with known functions (symprog.cpp) runs under the
 * recorder; after import its allocations' stacks show the right names, files and
 * lines: a plain function, an inlined function inside its caller, a C++ method
 * (demangled). Skipped when the recorder is not built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#ifndef IMP_RECORDER_LIB
#define IMP_RECORDER_LIB ""
#endif

static char *dir, *db;

/* The line of the SYMPROG_LINE marker `tag` in symprog.cpp. */
static int marker_line(const char *tag)
{
    FILE *f = fopen(IMP_SYMPROG_SOURCE, "r");
    char line[256], want[64];
    snprintf(want, sizeof want, "SYMPROG_LINE %s", tag);
    for (int n = 1; f && fgets(line, sizeof line, f); n++)
        if (strstr(line, want))
            return fclose(f), n;
    if (f)
        fclose(f);
    return -1;
}

static void setup(void)
{
    dir = it_tmpdir();
    db = strdup(it_path(dir, "t.db"));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "MTDB_OUTPUT='%s/out' LD_PRELOAD='%s' '%s'", dir, IMP_RECORDER_LIB,
             IMP_SYMPROG);
    ck_assert_int_eq(system(cmd), 0);
    char out[1024];
    snprintf(out, sizeof out, "%s/out", dir);
    int rc = it_import(out, db, 0);
    ck_assert(rc == 0 || rc == 3);
}

static void teardown(void)
{
    it_rm_rf(dir);
    free(dir);
    free(db);
}

/* "function|file basename|line" rows of the innermost frame of the block of `size`. */
static char *frame0(int size)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT s.function, replace(s.file, rtrim(s.file, replace(s.file, '/', '')), ''),"
             " s.line FROM stack_symbols s JOIN allocations a ON a.stack_id = s.stack_id "
             "WHERE a.size_bytes = %d AND s.position = 0 ORDER BY s.inline_depth;",
             size);
    return it_query(db, sql);
}

START_TEST(test_symbols_plain_function)
{
    char expect[256];
    snprintf(expect, sizeof expect, "leaf_alloc|symprog.cpp|%d", marker_line("leaf"));
    char *got = frame0(12345);
    ck_assert_str_eq(got, expect);
    free(got);
}
END_TEST

START_TEST(test_symbols_inlined_expanded)
{
    char expect[256];
    snprintf(expect, sizeof expect,
             "inlined_alloc|symprog.cpp|%d\n"
             "outer_with_inline(unsigned long)|symprog.cpp|%d",
             marker_line("inlined"), marker_line("outer"));
    char *got = frame0(23456);
    ck_assert_str_eq(got, expect);
    free(got);
}
END_TEST

START_TEST(test_symbols_cxx_method_demangled)
{
    char expect[256];
    snprintf(expect, sizeof expect, "Widget::make(unsigned long)|symprog.cpp|%d",
             marker_line("method"));
    char *got = frame0(34567);
    ck_assert_str_eq(got, expect);
    free(got);
}
END_TEST

START_TEST(test_symbols_caller_is_main)
{
    ck_query(db,
             "SELECT s.function FROM stack_symbols s JOIN allocations a ON a.stack_id = s.stack_id"
             " WHERE a.size_bytes = 12345 AND s.position = 1;",
             "main");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importer symbols");
    TCase *tc = tcase_create("symbols");
    if (!IMP_RECORDER_LIB[0]) {
        puts("recorder not built: symbol tests skipped");
        return 77;
    }
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_symbols_plain_function);
    tcase_add_test(tc, test_symbols_inlined_expanded);
    tcase_add_test(tc, test_symbols_cxx_method_demangled);
    tcase_add_test(tc, test_symbols_caller_is_main);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
