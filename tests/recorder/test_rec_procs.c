/* test_rec_procs.c: fork, exec and posix_spawn record every image on its own, and every
 * way a thread or a process ends leaves an exact, undamaged trace.
 */
#include "rt_fixture.h"

static void run_victim(rt_case_t *c, const char *program, const char *mode, int exit_code)
{
    static const char *argv[3];
    argv[0] = program, argv[1] = mode, argv[2] = NULL;
    rt_setup(c, argv);
    rt_go(c);
    ck_assert_msg(c->res.exited && c->res.exit_code == exit_code,
                  "exited %d code %d signal %d; stderr: %s", c->res.exited, c->res.exit_code,
                  c->res.signal, c->res.err);
    ck_assert_msg(rt_stderr_is_empty(&c->res), "stderr: %s", c->res.err);
    rt_assert_undamaged(c);
}

static tt_image_t *image(rt_case_t *c, const char *pid_key, int nth)
{
    tt_image_t *im = tt_image_by_pid(&c->tally, (uint32_t)rt_value(c, pid_key), nth);
    ck_assert_msg(im != NULL, "no image for %s", pid_key);
    return im;
}

static tt_image_t *image_of_arg(rt_case_t *c, const char *pid_key, const char *arg1)
{
    tt_image_t *im = tt_image_by_arg(&c->tally, (uint32_t)rt_value(c, pid_key), arg1);
    ck_assert_msg(im != NULL, "no image for %s running \"%s\"", pid_key, arg1);
    return im;
}

static uint64_t allocs_in(const tt_image_t *im, size_t from, size_t to)
{
    uint64_t n = 0;
    for (size_t k = from; k < to; k++)
        n += im->sizes[k].allocs;
    return n;
}

static void expect_counts(rt_case_t *c, const tt_image_t *im, const char *who)
{
    char key[64];
    snprintf(key, sizeof key, "%s.allocs", who);
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(c, key));
    snprintf(key, sizeof key, "%s.frees", who);
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(c, key));
}

START_TEST(test_recorder_fork_child_has_own_files)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_PROCS, "fork", 0);
    rt_assert_images(&c, 2);
    tt_image_t *parent = image(&c, "parent.pid", 0), *child = image(&c, "child.pid", 0);
    ck_assert_uint_ne(parent->pid, child->pid);
    expect_counts(&c, child, "child");
    ck_assert_uint_eq(allocs_in(child, 1000, 1030), 30);
    ck_assert_uint_eq(child->live_marked, 5);
    ck_assert_uint_eq(child->ppid, parent->pid);
    ck_assert_uint_eq(child->parent_nonce, parent->nonce);
    ck_assert_int_ge(child->stream_files, 1);
    ck_assert_uint_eq(child->threads[1].flags & MTDB_THREAD_FORK_CHILD, MTDB_THREAD_FORK_CHILD);
    ck_assert_int_eq(child->exit_records, 1);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_fork_parent_has_no_child_events)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_PROCS, "fork", 0);
    rt_assert_images(&c, 2);
    tt_image_t *parent = image(&c, "parent.pid", 0);
    expect_counts(&c, parent, "parent");
    ck_assert_uint_eq(allocs_in(parent, 0, 30), 30);
    ck_assert_uint_eq(allocs_in(parent, 1000, 2000), 0);
    ck_assert_uint_eq(parent->live_marked, 2);
    rt_teardown(&c);
}
END_TEST

/* MTDB_FOLLOW=no: the fork child runs untraced; the parent's trace is unchanged. */
START_TEST(test_recorder_no_follow_records_parent_only)
{
    rt_case_t c;
    static const char *const argv[] = {RT_VICTIM_PROCS, "fork", NULL};
    rt_setup(&c, argv);
    rt_env(&c, "MTDB_FOLLOW=no");
    rt_go(&c);
    ck_assert_msg(c.res.exited && c.res.exit_code == 0, "exited %d code %d; stderr: %s",
                  c.res.exited, c.res.exit_code, c.res.err);
    rt_assert_undamaged(&c);
    rt_assert_images(&c, 1);
    tt_image_t *parent = image(&c, "parent.pid", 0);
    expect_counts(&c, parent, "parent");
    ck_assert_uint_eq(allocs_in(parent, 1000, 2000), 0);
    ck_assert_ptr_null(tt_image_by_pid(&c.tally, (uint32_t)rt_value(&c, "child.pid"), 0));
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_exec_both_images_recorded)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_PROCS, "exec", 0);
    rt_assert_images(&c, 2);
    tt_image_t *pre = image_of_arg(&c, "pre.pid", "exec");
    tt_image_t *target = image_of_arg(&c, "target.pid", "target");
    ck_assert_uint_eq(pre->pid, (uint64_t)c.res.pid);
    ck_assert_uint_eq(target->pid, pre->pid);
    ck_assert_uint_ne(target->nonce, pre->nonce);
    expect_counts(&c, pre, "pre");
    ck_assert_uint_eq(pre->live_marked, 4);
    ck_assert_uint_eq(pre->states[MTDB_STATE_EXEC], 1);
    expect_counts(&c, target, "target");
    ck_assert_uint_eq(allocs_in(target, 1500, 1515), 15);
    ck_assert_uint_eq(target->live_marked, 3);
    rt_teardown(&c);
}
END_TEST

/* Times of all images are one clock: the image made by exec starts after its parent. */
START_TEST(test_recorder_exec_image_starts_later)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_PROCS, "exec", 0);
    rt_assert_images(&c, 2);
    tt_image_t *pre = image_of_arg(&c, "pre.pid", "exec");
    tt_image_t *target = image_of_arg(&c, "target.pid", "target");
    ck_assert_msg(target->created_ns > pre->created_ns,
                  "exec'd image created at %llu ns, before its predecessor (%llu ns)",
                  (unsigned long long)target->created_ns, (unsigned long long)pre->created_ns);
    rt_teardown(&c);
}
END_TEST

/* The victim execs itself through `mode`: both images have their exact counts, and the
 * first one the STATE record of the exec. */
static void expect_exec_noted(const char *mode)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_PROCS, mode, 0);
    rt_assert_images(&c, 2);
    tt_image_t *pre = image_of_arg(&c, "pre.pid", mode);
    tt_image_t *target = image_of_arg(&c, "target.pid", "target");
    expect_counts(&c, pre, "pre");
    expect_counts(&c, target, "target");
    ck_assert_uint_eq(pre->states[MTDB_STATE_EXEC], 1);
    rt_teardown(&c);
}

/* execl reaches the kernel through the C library's own execve, not the exported one. */
START_TEST(test_recorder_execl_noted_in_trace)
{
    expect_exec_noted("execl");
}
END_TEST

/* execveat (a directory descriptor and a path relative to it) is noted like execve. */
START_TEST(test_recorder_execveat_noted_in_trace)
{
    expect_exec_noted("execveat");
}
END_TEST

START_TEST(test_recorder_posix_spawn_child_recorded)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_PROCS, "spawn", 0);
    rt_assert_images(&c, 2);
    tt_image_t *parent = image(&c, "parent.pid", 0), *child = image(&c, "spawned.pid", 0);
    ck_assert_uint_eq(child->pid, (uint64_t)rt_value(&c, "target.pid"));
    expect_counts(&c, parent, "parent");
    expect_counts(&c, child, "target");
    ck_assert_uint_eq(allocs_in(parent, 1500, 2000), 0);
    rt_teardown(&c);
}
END_TEST

/* Each reporting thread's allocations are its THREAD's; returns their sum. */
static uint64_t expect_threads(rt_case_t *c, tt_image_t *im, int want)
{
    int matched = 0;
    uint64_t sum = 0;
    char key[96];
    for (uint32_t n = 1; n < im->nthreads; n++) {
        snprintf(key, sizeof key, "thread.%llu.allocs", (unsigned long long)im->threads[n].tid);
        long long v = im->threads[n].thread_records ? tt_value(&c->res, key) : TT_MISSING;
        if (v == TT_MISSING)
            continue;
        ck_assert_uint_eq(im->threads[n].marked_allocs, (uint64_t)v);
        sum += (uint64_t)v;
        matched++;
    }
    ck_assert_int_eq(matched, want);
    return sum;
}

START_TEST(test_recorder_detached_threads_counted)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_EXITS, "detached", 0);
    rt_assert_images(&c, 1);
    tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), expect_threads(&c, im, 8));
    ck_assert_uint_eq(im->live_marked, 8);
    ck_assert_uint_eq(im->exit_how, MTDB_EXIT_ATEXIT);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_pthread_exit_counted)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_EXITS, "thread_exit", 0);
    rt_assert_images(&c, 1);
    tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), expect_threads(&c, im, 8));
    ck_assert_uint_eq(tt_marked_frees(im), 8 * 24);
    ck_assert_uint_eq(im->live_marked, 8);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_exit_from_thread_while_others_run)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_EXITS, "exit_thread", 9);
    rt_assert_images(&c, 1);
    tt_image_t *im = &c.tally.images[0];
    ck_assert_int_eq(im->exit_records, 1);
    ck_assert_uint_eq(im->exit_how, MTDB_EXIT_ATEXIT);
    ck_assert_uint_eq(im->exit_status, 9);
    ck_assert_uint_eq(im->sizes[0].allocs, (uint64_t)rt_value(&c, "exiter.allocs"));
    ck_assert_uint_eq(im->sizes[0].live, 25);
    for (int w = 0; w < 4; w++) { /* cut anywhere, but never more than one block in flight */
        const tt_size_stat_t *s = &im->sizes[100 + w];
        ck_assert_uint_ge(s->allocs, 1);
        ck_assert_uint_le(s->live, 1);
        ck_assert_uint_eq(s->allocs - s->frees, s->live);
    }
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_return_from_main)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_EXITS, "return", 7);
    rt_assert_images(&c, 1);
    tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "main.allocs"));
    ck_assert_uint_eq(im->live_marked, 2);
    ck_assert_int_eq(im->exit_records, 1);
    ck_assert_uint_eq(im->exit_how, MTDB_EXIT_ATEXIT);
    ck_assert_uint_eq(im->exit_status, 7);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_exit_call_status)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_EXITS, "exit", 5);
    rt_assert_images(&c, 1);
    tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "main.allocs"));
    ck_assert_int_eq(im->exit_records, 1);
    ck_assert_uint_eq(im->exit_how, MTDB_EXIT_ATEXIT);
    ck_assert_uint_eq(im->exit_status, 5);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_underscore_exit)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_EXITS, "_exit", 3);
    rt_assert_images(&c, 1);
    tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "main.allocs"));
    ck_assert_uint_eq(im->live_marked, 2);
    ck_assert_int_eq(im->exit_records, 1);
    ck_assert_uint_eq(im->exit_how, MTDB_EXIT_EXIT_CALL);
    ck_assert_uint_eq(im->exit_status, 3);
    rt_teardown(&c);
}
END_TEST

/* quick_exit(6): the EXIT record with its status, as for _exit, and the block its
 * at_quick_exit handler allocates afterwards is recorded too. */
START_TEST(test_recorder_quick_exit)
{
    rt_case_t c;
    run_victim(&c, RT_VICTIM_EXITS, "quick_exit", 6);
    rt_assert_images(&c, 1);
    tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "main.allocs") + 1);
    ck_assert_uint_eq(im->live_marked, 3);
    ck_assert_int_eq(im->exit_records, 1);
    ck_assert_uint_eq(im->exit_how, MTDB_EXIT_EXIT_CALL);
    ck_assert_uint_eq(im->exit_status, 6);
    rt_teardown(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder_procs");
    RT_ADD(s, test_recorder_fork_child_has_own_files, 60);
    RT_ADD(s, test_recorder_fork_parent_has_no_child_events, 60);
    RT_ADD(s, test_recorder_no_follow_records_parent_only, 60);
    RT_ADD(s, test_recorder_exec_both_images_recorded, 60);
    RT_ADD(s, test_recorder_exec_image_starts_later, 60);
    RT_ADD(s, test_recorder_execl_noted_in_trace, 60);
    RT_ADD(s, test_recorder_posix_spawn_child_recorded, 60);
    RT_ADD(s, test_recorder_detached_threads_counted, 60);
    RT_ADD(s, test_recorder_pthread_exit_counted, 60);
    RT_ADD(s, test_recorder_exit_from_thread_while_others_run, 60);
    RT_ADD(s, test_recorder_execveat_noted_in_trace, 60);
    RT_ADD(s, test_recorder_exit_call_status, 60);
    RT_ADD(s, test_recorder_quick_exit, 60);
    RT_ADD(s, test_recorder_return_from_main, 60);
    RT_ADD(s, test_recorder_underscore_exit, 60);
    return rt_main(s);
}
