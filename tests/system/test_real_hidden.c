/* test_real_hidden.c: allocators the recorder cannot see are said out loud: `mtdb record`
 * warns when the program or a library it needs has one linked in, and the database notes
 * it (import_problems: hidden_allocator, or no_heap_calls for a long run without a single
 * heap call), for the process concerned.
 */
#include <limits.h>
#include <stdlib.h>

#include "real_util.h"

static void record(rt_case_t *c, const char *prog, const char *arg1, const char *arg2)
{
    static const char *argv[] = {RT_MTDB, "record", "-o", NULL, "--", NULL, NULL, NULL, NULL};
    argv[5] = prog, argv[6] = arg1, argv[7] = arg1 ? arg2 : NULL;
    rt_setup(c, argv);
    argv[3] = c->trace;
    c->spec.preload = NULL; /* mtdb record preloads the recorder itself */
    c->spec.trace_dir = NULL;
    rt_go(c);
    ck_assert_msg(c->res.exited && c->res.exit_code == 0, "exit %d; stderr: %s", c->res.exit_code,
                  c->res.err);
    rt_assert_undamaged(c);
    rt_assert_images(c, 1);
}

START_TEST(test_real_hidden_allocator_warned_and_noted)
{
    rt_case_t c;
    record(&c, RT_REAL_HIDDEN, NULL, NULL);
    char lib[PATH_MAX], expected[2 * PATH_MAX];
    ck_assert_ptr_nonnull(realpath(RT_BUMP_LIB, lib));
    snprintf(expected, sizeof expected,
             "mtdb: warning: %s has an allocator linked in (jemalloc: %s defines je_malloc): the "
             "blocks it serves never reach the recorder and will be missing from the trace",
             RT_REAL_HIDDEN, lib);
    ck_assert_msg(strncmp(c.res.err, expected, strlen(expected)) == 0, "stderr: %s", c.res.err);
    ck_assert_int_eq(tt_value(&c.res, "je_allocs"), 1000);
    ck_assert_uint_eq(c.tally.images[0].heap_events, 0); /* indeed nothing was seen */
    char *err = NULL;
    ck_assert_int_eq(rl_import(&c, &err), 3);
    ck_assert_msg(strstr(err, "defines je_malloc"), "import stderr: %s", err);
    free(err);
    snprintf(expected, sizeof expected,
             "hidden_allocator|1|%s has an allocator linked in "
             "(jemalloc: %s defines je_malloc): the blocks it serves never reached the "
             "recorder and are missing",
             RT_REAL_HIDDEN, lib);
    ck_assert_query(&c, "SELECT kind, process_id, message FROM import_problems", expected);
    rt_teardown(&c);
}
END_TEST

/* A shell runs the program twice: each of the two processes that mapped the library is
 * noted, though the import reads the library's symbols once; the shell is not. */
START_TEST(test_real_hidden_allocator_noted_per_process)
{
    char script[2 * PATH_MAX + 16];
    snprintf(script, sizeof script, "'%s' 10; '%s' 20", RT_REAL_HIDDEN, RT_REAL_HIDDEN);
    static const char *argv[] = {RT_MTDB, "record", "-o", NULL, "--", "sh", "-c", NULL, NULL};
    argv[7] = script;
    rt_case_t c;
    rt_setup(&c, argv);
    argv[3] = c.trace;
    c.spec.preload = NULL, c.spec.trace_dir = NULL;
    rt_go(&c);
    ck_assert_msg(c.res.exited && c.res.exit_code == 0, "stderr: %s", c.res.err);
    ck_assert_int_eq(rl_import(&c, NULL), 3);
    char expected[PATH_MAX + 64];
    snprintf(expected, sizeof expected, "2|2|%s 10", RT_REAL_HIDDEN);
    ck_assert_query(&c,
                    "SELECT count(*), count(DISTINCT i.process_id), min(p.command) FROM "
                    "import_problems i JOIN processes p USING (process_id) WHERE i.kind = "
                    "'hidden_allocator' AND p.command LIKE '%real_hidden%'",
                    expected);
    ck_assert_query(&c, "SELECT count(*) FROM import_problems", "2");
    rt_teardown(&c);
}
END_TEST

/* The library found through $ORIGIN, and through LD_LIBRARY_PATH alone. */
START_TEST(test_real_hidden_allocator_found_as_the_loader_does)
{
    char lib[PATH_MAX], dir[PATH_MAX], env[PATH_MAX + 32], expected[2 * PATH_MAX];
    ck_assert_ptr_nonnull(realpath(RT_BUMP_LIB, lib));
    snprintf(dir, sizeof dir, "%s", lib);
    *strrchr(dir, '/') = 0;
    snprintf(expected, sizeof expected, "(jemalloc: %s defines je_malloc)", lib);
    rt_case_t c;
    record(&c, RT_REAL_HIDDEN_ORIGIN, NULL, NULL);
    ck_assert_msg(strstr(c.res.err, expected), "stderr: %s", c.res.err);
    rt_teardown(&c);

    static const char *argv[] = {RT_MTDB, "record", "-o", NULL, "--", RT_REAL_HIDDEN_NORPATH, NULL};
    rt_setup(&c, argv);
    argv[3] = c.trace;
    c.spec.preload = NULL, c.spec.trace_dir = NULL;
    snprintf(env, sizeof env, "LD_LIBRARY_PATH=/nonexistent:%s", dir);
    rt_env(&c, env);
    rt_go(&c);
    ck_assert_msg(c.res.exited && c.res.exit_code == 0, "stderr: %s", c.res.err);
    ck_assert_msg(strstr(c.res.err, expected), "stderr: %s", c.res.err);
    rt_teardown(&c);
}
END_TEST

/* A library that exports je_malloc and also malloc, like a shared libjemalloc: the
 * program's malloc calls go through the preload first, so they are all recorded. */
START_TEST(test_real_wrapping_allocator_library_not_noted)
{
    rt_case_t c;
    record(&c, RT_REAL_WRAPPED, "500", NULL);
    ck_assert_msg(!strstr(c.res.err, "warning"), "stderr: %s", c.res.err);
    ck_assert_int_eq(rl_import(&c, NULL), 0);
    ck_assert_query(&c, "SELECT count(*) FROM import_problems", "0");
    ck_assert_query(&c, "SELECT count(*), count(free_ns) FROM allocations WHERE size_bytes = 41007",
                    "500|500");
    rt_teardown(&c);
}
END_TEST

START_TEST(test_real_quiet_process_noted)
{
    rt_case_t c;
    record(&c, RT_REAL_QUIET, NULL, NULL);
    char expected[4400];
    snprintf(expected, sizeof expected, "mtdb: warning: %s ran 1.", RT_REAL_QUIET);
    ck_assert_msg(strncmp(c.res.err, expected, strlen(expected)) == 0 &&
                      strstr(c.res.err, " s without a single heap call the recorder saw: if it "
                                        "has its own allocator, its blocks are missing"),
                  "stderr: %s", c.res.err);
    ck_assert_uint_eq(c.tally.images[0].heap_events, 0);
    ck_assert_int_eq(rl_import(&c, NULL), 3);
    ck_assert_query(&c, "SELECT kind, process_id, events_lost FROM import_problems",
                    "no_heap_calls|1|0");
    ck_assert_query(&c,
                    "SELECT message LIKE '% ran 1._ s without a single heap call %' "
                    "FROM import_problems",
                    "1");
    rt_teardown(&c);
}
END_TEST

START_TEST(test_real_plain_program_not_noted)
{
    rt_case_t c;
    record(&c, RT_VICTIM_PROGRESS, "rounds", "100");
    ck_assert_msg(!strstr(c.res.err, "warning"), "stderr: %s", c.res.err);
    ck_assert_int_eq(rl_import(&c, NULL), 0);
    ck_assert_query(&c, "SELECT count(*) FROM import_problems", "0");
    rt_teardown(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("real_hidden");
    RT_ADD(s, test_real_hidden_allocator_warned_and_noted, 60);
    RT_ADD(s, test_real_hidden_allocator_found_as_the_loader_does, 60);
    RT_ADD(s, test_real_hidden_allocator_noted_per_process, 60);
    RT_ADD(s, test_real_wrapping_allocator_library_not_noted, 60);
    RT_ADD(s, test_real_quiet_process_noted, 60);
    RT_ADD(s, test_real_plain_program_not_noted, 60);
    return rt_main(s);
}
