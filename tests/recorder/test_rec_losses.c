/* test_rec_losses.c: what the recorder could not write is still counted, in a file that
 * survives: descriptors exhausted before the first stream, a disk full while hundreds
 * of short-lived threads run, a program that drops its privileges. The host finishes
 * unharmed; every thread it ran is in the trace, and recorded plus dropped events are
 * every event it made.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_fixture.h"
#include "trace_reader.h"

/* Heap calls glibc makes for itself around the victim's own (thread start-up, stdio). */
#define LIBC_SLACK 64

/* Thread numbers 1..n all have something in the trace: a THREAD record or counters. */
static void expect_threads_present(const tt_image_t *im, uint32_t n)
{
    ck_assert_uint_ge(im->nthreads, n + 1);
    for (uint32_t k = 1; k <= n; k++) {
        const tt_thread_t *th = &im->threads[k];
        int present = th->thread_records || th->counters[MTDB_COUNTER_EVENTS] ||
                      th->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR];
        ck_assert_msg(present, "thread %u left no trace at all", k);
    }
}

/* The victim's marked events are all either recorded or counted as dropped (dropped
 * events have no size, so glibc's own few calls may be among them). */
static void expect_events_accounted(const rt_case_t *c, const tt_image_t *im)
{
    uint64_t made = (uint64_t)rt_value(c, "allocs") + (uint64_t)rt_value(c, "frees");
    uint64_t recorded = im->sizes[0].allocs + im->sizes[0].frees;
    uint64_t dropped = im->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR];
    ck_assert_msg(dropped > 0, "nothing was dropped: the fault did not happen");
    ck_assert_msg(recorded + dropped >= made && recorded + dropped <= made + LIBC_SLACK,
                  "made %llu, recorded %llu, dropped %llu", (unsigned long long)made,
                  (unsigned long long)recorded, (unsigned long long)dropped);
}

static void expect_host_unharmed(const rt_case_t *c, long threads)
{
    ck_assert_msg(c->res.exited && c->res.exit_code == 0, "exit %d signal %d; stderr: %s",
                  c->res.exit_code, c->res.signal, c->res.err);
    ck_assert_int_eq(rt_value(c, "threads"), threads);
}

START_TEST(test_recorder_fds_exhausted_losses_counted)
{
    static const char *const argv[] = {RT_VICTIM_LOSSES, "fds", "20000", NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    rt_go(&c);
    expect_host_unharmed(&c, 1);
    ck_assert_msg(strstr(c.res.err, "cannot create") && strstr(c.res.err, "Too many open files"),
                  "stderr: %s", c.res.err);
    rt_assert_images(&c, 1);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_int_eq(im->stream_files, 0);
    expect_threads_present(im, 2);
    expect_events_accounted(&c, im);
    rt_teardown(&c);
}
END_TEST

/* 500 threads, 8 alive at a time, on a 320 KiB tmpfs: most streams cannot be created. */
START_TEST(test_recorder_disk_full_threads_all_counted)
{
    static const char script[] =
        "mount -t tmpfs -o size=320k rtfull \"$0\" || exit 90; "
        "env LD_PRELOAD=\"$1\" MTDB_OUTPUT=\"$0/trace\" \"$2\" threads 500 200; rc=$?; "
        "cp -a \"$0/trace\" \"$3\" || exit 91; exit $rc";
    static const char *argv[] = {"/usr/bin/unshare", "-m", "sh", "-c", script, NULL, RT_MTREC,
                                 RT_VICTIM_LOSSES,   NULL, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    char mnt[4200];
    snprintf(mnt, sizeof mnt, "%s/mnt", c.scratch);
    ck_assert_int_eq(mkdir(mnt, 0700), 0);
    argv[5] = mnt;
    argv[8] = c.trace;
    c.spec.preload = NULL;
    c.spec.trace_dir = NULL;
    rt_go(&c);
    expect_host_unharmed(&c, 500);
    rt_assert_images(&c, 1);
    const tt_image_t *im = &c.tally.images[0];
    expect_threads_present(im, 501);
    expect_events_accounted(&c, im);
    rt_teardown(&c);
}
END_TEST

/* As root: 2 threads, then setuid(nobody), then 4 threads. The recorder hands its files
 * to nobody, but the case's scratch directory (0700, root's) lies above the trace, so
 * nothing can be opened or created by path after the drop. */
START_TEST(test_recorder_privilege_drop_losses_counted)
{
    static const char *const argv[] = {RT_VICTIM_LOSSES, "dropuid", "10000", NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    rt_go(&c);
    expect_host_unharmed(&c, 6);
    rt_assert_images(&c, 1);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_int_eq(im->exit_records, 1); /* the exit record still reached the file */
    expect_threads_present(im, 7);
    expect_events_accounted(&c, im);
    rt_teardown(&c);
}
END_TEST

/* `mtdb record` into a tmpfs that is already full: the recorder ran, could not write, and
 * the message says so with errno's text (not "the recorder never ran"); no mark is left. */
START_TEST(test_recorder_full_disk_message_says_recorder_ran)
{
    static const char script[] =
        "mount -t tmpfs -o size=64k rtfull \"$0\" || exit 90; mkdir -m 700 \"$0/t\"; "
        "dd if=/dev/zero of=\"$0/fill\" bs=4096 count=64 2>/dev/null; "
        "\"$1\" record -o \"$0/t\" -- \"$2\" threads 1 10; rc=$?; "
        "echo left $(ls -A \"$0/t\" | wc -l); exit $rc";
    static const char *argv[] = {"/usr/bin/unshare", "-m", "sh", "-c", script, NULL, RT_MTDB,
                                 RT_VICTIM_LOSSES,   NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    char mnt[4200];
    snprintf(mnt, sizeof mnt, "%s/mnt", c.scratch);
    ck_assert_int_eq(mkdir(mnt, 0700), 0);
    argv[5] = mnt;
    c.spec.preload = NULL;
    c.spec.trace_dir = NULL;
    ck_assert_int_eq(tt_run(&c.spec, c.scratch, &c.res), 0);
    ck_assert_msg(c.res.exited && c.res.exit_code == 1, "exit %d; stderr: %s", c.res.exit_code,
                  c.res.err);
    ck_assert_int_eq(rt_value(&c, "allocs"), 10); /* the program itself ran to its end */
    ck_assert_int_eq(rt_value(&c, "left"), 0);
    ck_assert_msg(strstr(c.res.err, "the recorder ran in") &&
                      strstr(c.res.err, "could not write its trace") &&
                      strstr(c.res.err, "(No space left on device)") &&
                      !strstr(c.res.err, "never ran"),
                  "stderr: %s", c.res.err);
    rt_teardown(&c);
}
END_TEST

static const char *disk_full_skip(void)
{
    if (geteuid() != 0)
        return "needs root to mount a small tmpfs";
    if (access("/usr/bin/unshare", X_OK) != 0)
        return "no /usr/bin/unshare";
    return NULL;
}

static const char *root_skip(void)
{
    return geteuid() == 0 ? NULL : "needs root to drop privileges";
}

int main(void)
{
    Suite *s = suite_create("recorder_losses");
    RT_ADD(s, test_recorder_fds_exhausted_losses_counted, 60);
    RT_ADD_SKIP(s, test_recorder_disk_full_threads_all_counted, 60, disk_full_skip());
    RT_ADD_SKIP(s, test_recorder_privilege_drop_losses_counted, 60, root_skip());
    RT_ADD_SKIP(s, test_recorder_full_disk_message_says_recorder_ran, 60, disk_full_skip());
    return rt_main(s);
}
