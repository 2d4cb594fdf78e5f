/* test_rec_runtime.c: which code is the runtime's (rec_runtime.c): the module patterns,
 * the code ranges found in this process, and that the recorder's list is the importer's
 * (the 'runtime_module' rows of sql/15-tables-analyses.sql). */
#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtdb_runtime_modules.h"
#include "rec_internal.h"

START_TEST(test_rec_runtime_glob)
{
    ck_assert_int_eq(rec_runtime_glob("libc.so*", "libc.so.6"), 1);
    ck_assert_int_eq(rec_runtime_glob("libc.so*", "libc.so"), 1);
    ck_assert_int_eq(rec_runtime_glob("libc.so*", "libcrypt.so.1"), 0);
    ck_assert_int_eq(rec_runtime_glob("libc-*.so", "libc-2.31.so"), 1);
    ck_assert_int_eq(rec_runtime_glob("libc-*.so", "libc-2.31.so.1"), 0);
    ck_assert_int_eq(rec_runtime_glob("ld-*.so*", "ld-linux-x86-64.so.2"), 1);
    ck_assert_int_eq(rec_runtime_glob("*a*b", "xaxxb"), 1);
    ck_assert_int_eq(rec_runtime_glob("*a*b", "xaxxbc"), 0);
    ck_assert_int_eq(rec_runtime_glob("", ""), 1);
    ck_assert_int_eq(rec_runtime_glob("", "x"), 0);
}
END_TEST

START_TEST(test_rec_runtime_module_names)
{
    ck_assert_int_eq(rec_runtime_module_name("/lib/x86_64-linux-gnu/libc.so.6"), 1);
    ck_assert_int_eq(rec_runtime_module_name("/usr/lib/x86_64-linux-gnu/libstdc++.so.6"), 1);
    ck_assert_int_eq(rec_runtime_module_name("/lib64/ld-linux-x86-64.so.2"), 1);
    ck_assert_int_eq(rec_runtime_module_name("libgcc_s.so.1"), 1);
    ck_assert_int_eq(rec_runtime_module_name("/usr/lib/libsqlite3.so.0"), 0);
    ck_assert_int_eq(rec_runtime_module_name("/opt/app/libc.so.6/app"), 0);
    ck_assert_int_eq(rec_runtime_module_name(""), 0); /* the executable */
    ck_assert_int_eq(rec_runtime_module_name("/usr/bin/"), 0);
}
END_TEST

START_TEST(test_rec_runtime_ranges)
{
    rec_runtime_refresh();
    void *in_libc = dlsym(RTLD_DEFAULT, "getpid");
    ck_assert_ptr_nonnull(in_libc);
    ck_assert_int_eq(rec_runtime_contains((uintptr_t)in_libc), 1);
    ck_assert_int_eq(rec_runtime_contains((uintptr_t)&test_rec_runtime_ranges), 0);
    ck_assert_int_eq(rec_runtime_contains(0), 0);
}
END_TEST

/* The patterns of the 'runtime_module' rows, in the order the SQL file lists them. */
static int sql_patterns(char out[][64], int max)
{
    FILE *f = fopen(MTDB_SQL_SITE_RULES, "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    int n = 0;
    const char *tag = "('runtime_module', '";
    while (fgets(line, sizeof line, f))
        for (char *p = strstr(line, tag); p && n < max && !strstr(line, "CHECK");
             p = strstr(p, tag)) {
            p += strlen(tag);
            char *end = strchr(p, '\'');
            ck_assert_ptr_nonnull(end);
            snprintf(out[n++], 64, "%.*s", (int)(end - p), p);
        }
    fclose(f);
    return n;
}

START_TEST(test_rec_runtime_list_is_the_importers)
{
    static const char *const ours[] = {
#define PATTERN(p) p,
        MTDB_RUNTIME_MODULES(PATTERN)
#undef PATTERN
    };
    char theirs[64][64];
    int n = sql_patterns(theirs, 64);
    ck_assert_int_eq(n, (int)(sizeof ours / sizeof ours[0]));
    for (int i = 0; i < n; i++)
        ck_assert_str_eq(theirs[i], ours[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rec_runtime");
    TCase *tc = tcase_create("runtime");
    tcase_add_test(tc, test_rec_runtime_glob);
    tcase_add_test(tc, test_rec_runtime_module_names);
    tcase_add_test(tc, test_rec_runtime_ranges);
    tcase_add_test(tc, test_rec_runtime_list_is_the_importers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
