/* test_import_facts.c: facts of the processes table, the threads table and the modules
 * table, from real programs run under the recorder and imported: the exit status of
 * exit(), of a return from main, of exit() from a thread, of _exit and of quick_exit;
 * the thread that ended the process ended cleanly; a library dlopened by a relative
 * path is stored by its absolute path and symbolized from another directory; a module
 * file that is gone is named in import_problems; the recorder's time estimate stays
 * within each thread's life when threads share one CPU. Skipped without the recorder.
 */
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#ifndef IMP_RECORDER_LIB
#define IMP_RECORDER_LIB ""
#endif

static char *dir, *db;

static void setup(void)
{
    dir = it_tmpdir();
    db = strdup(it_path(dir, "t.db"));
}

static void teardown(void)
{
    it_rm_rf(dir);
    free(dir);
    free(db);
}

/* Runs `cd cwd && program args` under the recorder into dir/out; returns its exit code. */
static int record(const char *cwd, const char *program, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && MTDB_OUTPUT='%s/out' LD_PRELOAD='%s' '%s' %s > /dev/null 2>&1", cwd, dir,
             IMP_RECORDER_LIB, program, args);
    int status = system(cmd);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int import_out(void)
{
    char out[1024];
    snprintf(out, sizeof out, "%s/out", dir);
    return it_import(out, db, 0);
}

static void check_exit(const char *mode, int status, const char *expect_process)
{
    ck_assert_int_eq(record(dir, IMP_VICTIM_EXITS, mode), status);
    ck_assert_int_eq(import_out(), 0);
    ck_query(db, "SELECT exit_how, exit_status FROM processes;", expect_process);
}

START_TEST(test_facts_exit_call_status)
{
    check_exit("exit", 5, "atexit|5");
    ck_query(db, "SELECT is_main, ended_cleanly FROM threads;", "1|1");
}
END_TEST

START_TEST(test_facts_return_from_main_status)
{
    check_exit("return", 7, "atexit|7");
    ck_query(db, "SELECT is_main, ended_cleanly FROM threads;", "1|1");
}
END_TEST

START_TEST(test_facts_underscore_exit_status)
{
    check_exit("_exit", 3, "_exit|3");
    ck_query(db, "SELECT is_main, ended_cleanly FROM threads;", "1|1");
}
END_TEST

/* quick_exit(6) ends the process as _exit does, after its at_quick_exit handler. */
START_TEST(test_facts_quick_exit_status)
{
    check_exit("quick_exit", 6, "_exit|6");
    ck_query(db, "SELECT is_main, ended_cleanly FROM threads;", "1|1");
}
END_TEST

/* exit(9) from a thread while 4 detached workers still run and main waits in join:
 * the exiting thread ended cleanly; main and the workers were cut off by the exit. */
START_TEST(test_facts_exit_from_thread_status)
{
    check_exit("exit_thread", 9, "atexit|9");
    ck_query(db,
             "SELECT count(*), sum(ended_cleanly), sum(ended_cleanly AND NOT is_main),"
             " sum(is_main AND ended_cleanly) FROM threads;",
             "6|1|1|0");
}
END_TEST

/* A real program of the system: ls of a missing file exits 2 through exit(). */
START_TEST(test_facts_ls_exit_status)
{
    ck_assert_int_eq(record(dir, "/bin/ls", "/no/such/file/here"), 2);
    ck_assert_int_eq(import_out(), 0);
    ck_query(db, "SELECT exit_how, exit_status FROM processes;", "atexit|2");
    ck_query(db, "SELECT ended_cleanly FROM threads WHERE is_main;", "1");
}
END_TEST

/* dlopen("./lib.so") from the library's directory, then chdir("/") before it allocates;
 * imported from yet another directory. */
START_TEST(test_facts_relative_dlopen_absolute_path)
{
    char plugin_dir[PATH_MAX], plugin[PATH_MAX], rel[PATH_MAX + 8], expect[PATH_MAX + 8];
    ck_assert_ptr_nonnull(realpath(IMP_PLUGIN, plugin));
    snprintf(plugin_dir, sizeof plugin_dir, "%s", plugin);
    *strrchr(plugin_dir, '/') = 0;
    snprintf(rel, sizeof rel, "./%s /", IMP_PLUGIN_NAME);
    ck_assert_int_eq(record(plugin_dir, IMP_VICTIM_DLOPEN, rel), 0);
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(import_out(), 0);
    snprintf(expect, sizeof expect, "%s", plugin);
    ck_query(db, "SELECT path FROM modules WHERE path LIKE '%" IMP_PLUGIN_NAME "';", expect);
    ck_query(db, "SELECT count(*) > 0 FROM symbols WHERE function = 'plugin_churn';", "1");
    ck_query(db, "SELECT count(*) FROM import_problems;", "0");
    /* frames.symbolized says exactly which frames have symbol rows */
    ck_query(db, "SELECT count(*) FROM frames f WHERE f.symbolized <>"
                 " EXISTS (SELECT 1 FROM symbols s WHERE s.frame_id = f.frame_id);", "0");
    ck_query(db, "SELECT count(*) > 0 FROM frames f JOIN modules m USING (module_id)"
                 " WHERE m.path LIKE '%/" IMP_PLUGIN_NAME "' AND f.symbolized = 1;", "1");
}
END_TEST

/* The library file is gone by import time: its frames stay unsymbolized, and the import
 * says which module (a row, a warning, exit status 3). */
START_TEST(test_facts_missing_module_warned)
{
    char copy[PATH_MAX], cmd[2 * PATH_MAX], expect[PATH_MAX + 64];
    snprintf(copy, sizeof copy, "%s/%s", dir, IMP_PLUGIN_NAME);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", IMP_PLUGIN, copy);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(record(dir, IMP_VICTIM_DLOPEN, copy), 0);
    ck_assert_int_eq(unlink(copy), 0);
    ck_assert_int_eq(import_out(), 3);
    snprintf(expect, sizeof expect, "missing_module|module %s cannot be read", copy);
    ck_query(db, "SELECT kind, substr(message, 1, instr(message, ' (') - 1) FROM import_problems;",
             expect);
    ck_query(db, "SELECT count(*) FROM symbols WHERE function = 'plugin_churn';", "0");
    /* the gone module's frames are there, none of them symbolized; the program's are */
    ck_query(db, "SELECT count(*) > 0, sum(f.symbolized) FROM frames f"
                 " JOIN modules m USING (module_id) WHERE m.path LIKE '%/" IMP_PLUGIN_NAME "';",
             "1|0");
    ck_query(db, "SELECT count(*) > 0 FROM frames WHERE symbolized = 1;", "1");
    /* its file is gone, not stripped: the missing_module row says so, not name_gaps */
    ck_query(db, "SELECT count(*) FROM name_gaps;", "0");
}
END_TEST

/* 16 threads time-share one CPU: most of their measured events are not preempted, but
 * a few are; a preempted one must not stand for the next few hundred events with a
 * whole time slice. Each thread's recorder_ns is then well within its life (the thread
 * ran for at most 1/16 of it, and the recorder for part of that). The stream's slow
 * paths (a new chunk mapped and populated) are timed on the thread's CPU clock, not
 * sampled and scaled: the sum over all threads stays below the process's life, all of
 * the CPU they shared. */
START_TEST(test_facts_recorder_ns_within_thread_life)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0); /* the victim inherits it */
    ck_assert_int_eq(record(dir, IMP_E2E_PROG, "16 200000"), 0);
    ck_assert_int_eq(import_out(), 0);
    ck_query(db,
             "SELECT count(*), sum(h.value * 2 > t.end_ns - t.start_ns), sum(h.value > 0)"
             " FROM threads t JOIN health_counters h ON h.thread_id = t.thread_id"
             " AND h.counter = 'recorder_ns' WHERE NOT t.is_main;",
             "16|0|16");
    ck_query(db,
             "SELECT sum(h.value) < (SELECT end_ns - start_ns FROM processes)"
             " FROM health_counters h WHERE h.counter = 'recorder_ns';",
             "1");
}
END_TEST

int main(void)
{
    if (!IMP_RECORDER_LIB[0]) {
        printf("recorder not built: skipped\n");
        return 77;
    }
    Suite *s = suite_create("importer facts");
    TCase *tc = tcase_create("facts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_facts_exit_call_status);
    tcase_add_test(tc, test_facts_return_from_main_status);
    tcase_add_test(tc, test_facts_underscore_exit_status);
    tcase_add_test(tc, test_facts_quick_exit_status);
    tcase_add_test(tc, test_facts_exit_from_thread_status);
    tcase_add_test(tc, test_facts_ls_exit_status);
    tcase_add_test(tc, test_facts_relative_dlopen_absolute_path);
    tcase_add_test(tc, test_facts_missing_module_warned);
    tcase_add_test(tc, test_facts_recorder_ns_within_thread_life);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
