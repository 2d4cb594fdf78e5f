/* itest.h: helpers of the importer tests: scratch directories, running the import
 * in-process, and reading the database back through the sqlite3 shell (so that only
 * the importer's loader includes sqlite3.h). Test-only; aborts on setup failures.
 */
#ifndef ITEST_H
#define ITEST_H

#include <check.h>

/* A fresh empty directory; the caller frees the string. */
char *it_tmpdir(void);
/* Runs `mtdb import -q [-f] -o db dir`; returns the exit code. */
int it_import(const char *dir, const char *db, int force);
/* Runs `mtdb import -q -o db OPTION dir`; returns the exit code. */
int it_import_with(const char *dir, const char *db, const char *option);
/* Output of `sqlite3 -batch db` for sql (stdout and stderr), trailing newline removed;
 * caller frees. */
char *it_query(const char *db, const char *sql);
/* Path dir/name in a static buffer (one at a time). */
const char *it_path(const char *dir, const char *name);
/* Whole file into a malloc'd buffer; *len receives its size; NULL if absent. */
char *it_read_file(const char *path, long *len);
/* Removes a directory tree. */
void it_rm_rf(const char *dir);
/* Runs a Check suite in fork mode; returns the process exit code. */
int it_run_suite(Suite *s);

#define ck_query(db, sql, expected)                                                                \
    do {                                                                                           \
        char *got_ = it_query(db, sql);                                                            \
        ck_assert_str_eq(got_, expected);                                                          \
        free(got_);                                                                                \
    } while (0)

#endif
