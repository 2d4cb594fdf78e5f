/* test_real_privdrop.c: a server that drops its privileges after start (real_privdrop.c:
 * 2 threads as root, then setgid/setuid to nobody, then 4 threads, two of them on the
 * recorder's slots of the ended ones), recorded with `mtdb record` and imported.
 *
 * Where nobody can reach the output directory, every event is in the database, nothing
 * dropped, nothing reported missing. Where it cannot (a parent only root may enter), what
 * could not be written is counted exactly and the import says so; the same when the ids
 * change by raw system calls, which the recorder does not see. A helper the server execs
 * after the drop is recorded too. Either way the program prints and returns what it does
 * bare. Needs root (and a TMPDIR that nobody may pass through); skipped otherwise.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "real_util.h"

#define PAIRS "10000"
#define MADE 120000 /* 6 threads x 10,000 pairs: allocations and frees */

/* Runs the program bare, then under `mtdb record` into c->trace; both must agree. */
static void record(rt_case_t *c, mode_t scratch_mode, const char *how, size_t images)
{
    static const char *argv[] = {RT_MTDB,          "record", "-o", NULL, "--",
                                 RT_REAL_PRIVDROP, PAIRS,    NULL, NULL};
    argv[7] = how;
    rt_setup(c, argv);
    ck_assert_int_eq(chmod(c->scratch, scratch_mode), 0);
    argv[3] = c->trace;
    const char *bare_argv[] = {RT_REAL_PRIVDROP, PAIRS, how, NULL};
    tt_result_t bare;
    rl_run(c->scratch, bare_argv, &bare);
    ck_assert_msg(bare.exited && bare.exit_code == 3, "bare run: exit %d; stderr: %s",
                  bare.exit_code, bare.err);
    c->spec.preload = NULL; /* mtdb record preloads the recorder itself */
    c->spec.trace_dir = NULL;
    rt_go(c);
    ck_assert_msg(c->res.exited && c->res.exit_code == 3, "exit %d; stderr: %s", c->res.exit_code,
                  c->res.err);
    ck_assert_msg(strcmp(c->res.out, bare.out) == 0, "output differs:\n%s\nbare:\n%s", c->res.out,
                  bare.out);
    ck_assert_int_eq(rt_value(c, "threads"), 6);
    ck_assert_int_eq(rt_value(c, "uid"), 65534);
    ck_assert_int_eq(rt_value(c, "gid"), 65534);
    tt_result_free(&bare);
    rt_assert_images(c, images);
}

/* Every directory above path lets others pass (nobody must reach the trace). */
static int reachable_by_others(const char *path)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *slash; (slash = strrchr(dir, '/')) != NULL;) {
        *slash = 0;
        struct stat st;
        if (stat(dir[0] ? dir : "/", &st) != 0 || !(st.st_mode & S_IXOTH))
            return 0;
    }
    return 1;
}

/* The database's own totals agree with each other: every event read is a row somewhere. */
static void expect_reconciled(const rt_case_t *c)
{
    ck_assert_query(c,
                    "SELECT s.events = s.alloc_calls + s.free_calls + s.failed_calls + "
                    "s.unmatched_frees + s.double_frees - s.realloc_calls, "
                    "s.alloc_calls = (SELECT count(*) FROM allocations), "
                    "s.events = (SELECT sum(value) FROM health_counters WHERE counter = 'events') "
                    "FROM process_stats s",
                    "1|1|1");
}

START_TEST(test_real_privdrop_keeps_every_event)
{
    rt_case_t c;
    record(&c, 0711, NULL, 1);
    rt_assert_undamaged(&c);
    ck_assert_msg(!strstr(c.res.err, "warning"), "stderr: %s", c.res.err);
    ck_assert_int_eq(rl_import(&c, NULL), 0);
    ck_assert_query(&c, "SELECT count(*) FROM import_problems", "0");
    ck_assert_query(&c,
                    "SELECT count(*), count(free_ns), count(DISTINCT thread_id) FROM allocations "
                    "WHERE size_bytes = 41000",
                    "60000|60000|6");
    ck_assert_query(&c, "SELECT total(value) FROM health_counters WHERE counter LIKE 'dropped%'",
                    "0.0");
    /* Two of the later threads wrote on in the files threads 2 and 3 created as root,
     * the other two in files of their own, created after the drop. */
    ck_assert_query(&c,
                    "SELECT count(*), count(DISTINCT stream_file), sum(stream_file IN (SELECT "
                    "stream_file FROM threads WHERE thread_number IN (2, 3))) FROM threads "
                    "WHERE thread_number BETWEEN 4 AND 7",
                    "4|4|2");
    expect_reconciled(&c);
    /* The directory stays root's: the recorder gave its own files away, nothing else. */
    struct stat st;
    ck_assert_int_eq(stat(c.trace, &st), 0);
    ck_assert_int_eq(st.st_uid, 0);
    rt_teardown(&c);
}
END_TEST

/* Threads 4 and 5 lost the rest of their events when their files could not grow, threads
 * 6 and 7 never had a file: all four are there, and with the events in the database the
 * losses the import reports make every event the program made, exactly. */
static void expect_losses_counted(const rt_case_t *c)
{
    char *err = NULL;
    ck_assert_int_eq(rl_import(c, &err), 3);
    ck_assert_msg(strstr(err, "events lost"), "import stderr: %s", err);
    free(err);
    ck_assert_query(c, "SELECT kind, count(*) FROM import_problems GROUP BY kind ORDER BY kind",
                    "event_gap|2\nnot_recorded|2");
    ck_assert_query(c, "SELECT count(*) FROM threads WHERE thread_number BETWEEN 1 AND 7", "7");
    char expected[32];
    snprintf(expected, sizeof expected, "%d|1", MADE);
    ck_assert_query(c,
                    "SELECT (SELECT count(*) + count(free_ns) FROM allocations WHERE size_bytes = "
                    "41000) + (SELECT sum(events_lost) FROM import_problems), "
                    "(SELECT sum(events_lost) FROM import_problems) = (SELECT sum(value) FROM "
                    "health_counters WHERE counter LIKE 'dropped%')",
                    expected);
    expect_reconciled(c);
}

/* A program the daemon execs after the drop runs as nobody from its start, in root's
 * output directory: it is recorded too, in files of its own. */
START_TEST(test_real_privdrop_exec_after_drop_recorded)
{
    rt_case_t c;
    record(&c, 0711, "exec", 2);
    rt_assert_undamaged(&c);
    ck_assert_msg(!strstr(c.res.err, "warning"), "stderr: %s", c.res.err);
    ck_assert_int_eq(rt_value(&c, "helper_allocs"), 10000);
    ck_assert_int_eq(rt_value(&c, "helper_uid"), 65534);
    ck_assert_int_eq(rl_import(&c, NULL), 0);
    ck_assert_query(&c, "SELECT count(*) FROM import_problems", "0");
    ck_assert_query(&c,
                    "SELECT p.started_by, count(a.block_id), count(a.free_ns) FROM processes p "
                    "LEFT JOIN allocations a ON a.process_id = p.process_id AND a.size_bytes "
                    "BETWEEN 41000 AND 41001 GROUP BY p.process_id ORDER BY p.process_id",
                    "root|60000|60000\nexec|10000|10000");
    rt_teardown(&c);
}
END_TEST

/* The trace directory lies in one only root may enter: no file can be reached after. */
START_TEST(test_real_privdrop_unreachable_output_counted)
{
    rt_case_t c;
    record(&c, 0700, NULL, 1);
    ck_assert_msg(strstr(c.res.err, "(Permission denied, errno 13)"), "stderr: %s", c.res.err);
    expect_losses_counted(&c);
    rt_teardown(&c);
}
END_TEST

/* The ids change by raw system calls, which the recorder does not see: its files stay
 * root's, and what could not be written is counted the same way. */
START_TEST(test_real_privdrop_raw_syscall_counted)
{
    rt_case_t c;
    record(&c, 0711, "raw", 1);
    ck_assert_msg(strstr(c.res.err, "(Permission denied, errno 13)"), "stderr: %s", c.res.err);
    expect_losses_counted(&c);
    rt_teardown(&c);
}
END_TEST

static const char *root_skip(void)
{
    if (geteuid() != 0)
        return "needs root to drop privileges";
    const char *tmp = getenv("TMPDIR");
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/x", tmp && *tmp ? tmp : "/tmp");
    if (!reachable_by_others(probe))
        return "TMPDIR is not reachable by nobody";
    return NULL;
}

int main(void)
{
    Suite *s = suite_create("real_privdrop");
    RT_ADD_SKIP(s, test_real_privdrop_keeps_every_event, 60, root_skip());
    RT_ADD_SKIP(s, test_real_privdrop_unreachable_output_counted, 60, root_skip());
    RT_ADD_SKIP(s, test_real_privdrop_raw_syscall_counted, 60, root_skip());
    RT_ADD_SKIP(s, test_real_privdrop_exec_after_drop_recorded, 60, root_skip());
    return rt_main(s);
}
