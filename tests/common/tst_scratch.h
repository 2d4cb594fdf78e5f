/* tst_scratch.h: the scratch directories of the C tests, made in one place.
 *
 * A directory is made under $TMPDIR (or /tmp), named in every message about it, and
 * removed by the test when it is done. tst_run_suite runs a Check suite with TMPDIR
 * pointing at a fresh root of its own (mode 0711), so that what a case leaves when it
 * fails, times out or is killed is named and removed with that root, and fails the run
 * if anything is left in it. MTDB_TEST_KEEP=1 keeps every directory for a look
 * afterwards.
 * Tests only: aborts the test (Check) on setup failures.
 */
#ifndef TST_SCRATCH_H
#define TST_SCRATCH_H

#include <check.h>
#include <stddef.h>

/* A fresh directory "$TMPDIR/mtdb-<tag>-XXXXXX"; path (len bytes) receives its name.
 * Returns 0, or -1 (with a message naming the template) when it cannot be made. */
int tst_scratch_make(char *path, size_t len, const char *tag);
/* The same, malloc'd; the test fails when it cannot be made. The caller frees it. */
char *tst_scratch_new(const char *tag);
/* Removes the tree (unless MTDB_TEST_KEEP=1); says which path could not be removed.
 * Returns 0 or -1. */
int tst_scratch_remove(const char *path);
/* A fresh file "$TMPDIR/mtdb-<tag>-XXXXXX" holding len bytes of data; path receives its
 * name. The caller unlinks it. Returns 0 or -1. */
int tst_scratch_file(char *path, size_t len, const char *tag, const void *data, size_t n);
/* Runs s in fork mode under a fresh TMPDIR root; returns the process exit status:
 * failure when a case failed or anything was left in the root (each leftover named). */
int tst_run_suite(Suite *s);
/* The same for a runner made by the caller; it is run and freed here. ran, when not
 * NULL, receives how many cases ran. */
int tst_run_runner(SRunner *sr, int *ran);

#endif
