/* test_rec_faults.c: hard ends and broken environments: SIGKILL mid-run, a file size
 * limit, a full disk, an invalid setting. The host must go on unharmed and the trace
 * must account for every event it could not hold.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rt_fixture.h"
#include "trace_reader.h"

#define LOOP_THREADS 4
#define ROUNDS 60000

static int all_past(const volatile uint64_t *progress, uint64_t n)
{
    for (int i = 0; i < LOOP_THREADS; i++)
        if (__atomic_load_n(&progress[i], __ATOMIC_ACQUIRE) < n)
            return 0;
    return 1;
}

START_TEST(test_recorder_sigkill_keeps_completed_events)
{
    static const char *argv[] = {RT_VICTIM_PROGRESS, "loop", "4", NULL, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    char path[4200];
    snprintf(path, sizeof path, "%s/progress", c.scratch);
    argv[3] = path;
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    ck_assert_int_eq(ftruncate(fd, 4096), 0);
    uint64_t *progress = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    ck_assert_ptr_ne(progress, MAP_FAILED);
    tt_child_t child;
    ck_assert_int_eq(tt_start(&c.spec, c.scratch, &child), 0);
    struct timespec nap = {0, 5000000};
    for (int waited = 0; !all_past(progress, 20000) && waited < 4000; waited++)
        nanosleep(&nap, NULL); /* progress, not time, decides; the bound only stops a hang */
    kill(child.pid, SIGKILL);
    ck_assert_int_eq(tt_wait(&child, 10000, &c.res), 0);
    ck_assert_msg(c.res.signaled && c.res.signal == SIGKILL, "stderr: %s", c.res.err);
    ck_assert_msg(all_past(progress, 1), "the victim never got going; stderr: %s", c.res.err);
    rt_decode(&c);
    const tt_tally_t *t = &c.tally;
    /* an open last block is legal; a torn tail only as one partial record */
    ck_assert_msg(t->diag_total == t->diags[MTDB_DIAG_TORN_TAIL], "%s", t->first_diag);
    ck_assert_uint_le(t->diags[MTDB_DIAG_TORN_TAIL], LOOP_THREADS);
    ck_assert_uint_lt(t->torn_tail_bytes_max, 96);
    rt_assert_images(&c, 1);
    const tt_image_t *im = &t->images[0];
    ck_assert_int_eq(im->exit_records, 0);
    for (int i = 0; i < LOOP_THREADS; i++) {
        const tt_size_stat_t *s = &im->sizes[i];
        /* every completed malloc is there; at most the one in flight beyond it */
        ck_assert_msg(s->allocs >= progress[i] && s->allocs <= progress[i] + 1,
                      "thread %d: %llu completed, %llu recorded", i,
                      (unsigned long long)progress[i], (unsigned long long)s->allocs);
        ck_assert_uint_le(s->allocs - s->frees, 1);
    }
    munmap(progress, 4096);
    close(fd);
    rt_teardown(&c);
}
END_TEST

/* The run lost events to a failed trace write: the host did not notice, stderr has
 * one warning, and what the trace holds plus what it counts as dropped is everything. */
static void expect_drops_accounted(rt_case_t *c)
{
    ck_assert_msg(c->res.exited && c->res.exit_code == 0, "exit %d signal %d; stderr: %s",
                  c->res.exit_code, c->res.signal, c->res.err);
    ck_assert_int_eq(rt_value(c, "allocs"), ROUNDS);
    ck_assert_int_eq(rt_value(c, "frees"), ROUNDS);
    ck_assert_msg(tt_count_lines(c->res.err) == 1 &&
                      tt_count_prefixed(c->res.err, "mtdb: warning: ") == 1,
                  "stderr: %s", c->res.err);
    const tt_tally_t *t = &c->tally;
    ck_assert_msg(t->unreadable_files == 0 && !t->first_error[0], "%s", t->first_error);
    ck_assert_msg(t->diag_total == t->diags[MTDB_DIAG_EVENT_GAP], "%s", t->first_diag);
    rt_assert_images(c, 1);
    const tt_image_t *im = &t->images[0];
    uint64_t dropped = im->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR];
    ck_assert_uint_gt(dropped, 0);
    ck_assert_msg(im->sizes[0].allocs + im->sizes[0].frees + dropped == 2 * ROUNDS,
                  "recorded %llu + %llu, dropped %llu, made %d",
                  (unsigned long long)im->sizes[0].allocs, (unsigned long long)im->sizes[0].frees,
                  (unsigned long long)dropped, 2 * ROUNDS);
}

START_TEST(test_recorder_file_size_limit_counts_drops)
{
    static const char *const argv[] = {RT_VICTIM_PROGRESS, "rounds", "60000", NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    c.spec.fsize_limit = 256 * 1024;
    rt_go(&c);
    ck_assert_msg(!c.res.signaled, "killed by signal %d (SIGXFSZ is %d)", c.res.signal, SIGXFSZ);
    expect_drops_accounted(&c);
    rt_teardown(&c);
}
END_TEST

/* A 512 KiB tmpfs in a private mount namespace; the trace is copied out before the
 * namespace goes away. */
START_TEST(test_recorder_disk_full_counts_drops)
{
    static const char script[] =
        "mount -t tmpfs -o size=512k rtfull \"$0\" || exit 90; "
        "env LD_PRELOAD=\"$1\" MTDB_OUTPUT=\"$0/trace\" \"$2\" rounds 60000; rc=$?; "
        "cp -a \"$0/trace\" \"$3\" || exit 91; exit $rc";
    static const char *argv[] = {"/usr/bin/unshare", "-m", "sh", "-c", script, NULL, RT_MTREC,
                                 RT_VICTIM_PROGRESS, NULL, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    char mnt[4200];
    snprintf(mnt, sizeof mnt, "%s/mnt", c.scratch);
    ck_assert_int_eq(mkdir(mnt, 0700), 0);
    argv[5] = mnt;
    argv[8] = c.trace;
    c.spec.preload = NULL; /* only the victim is recorded, not sh, mount or cp */
    c.spec.trace_dir = NULL;
    rt_go(&c);
    expect_drops_accounted(&c);
    rt_teardown(&c);
}
END_TEST

START_TEST(test_recorder_invalid_setting_runs_untraced)
{
    static const char *const argv[] = {RT_VICTIM_PROGRESS, "rounds", "10", NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    rt_env(&c, "MTDB_DEPTH=0");
    ck_assert_int_eq(tt_run(&c.spec, c.scratch, &c.res), 0);
    ck_assert(!c.res.timed_out);
    ck_assert_msg(c.res.exited && c.res.exit_code == 0, "stderr: %s", c.res.err);
    ck_assert_int_eq(rt_value(&c, "allocs"), 10);
    ck_assert_msg(tt_count_lines(c.res.err) == 1 && strstr(c.res.err, "MTDB_DEPTH") &&
                      strstr(c.res.err, "1..256"),
                  "stderr: %s", c.res.err);
    ck_assert_int_le(tt_count_files(c.trace, ".trace"), 0);
    ck_assert_int_le(tt_count_files(c.trace, ".proc"), 0);
    rt_teardown(&c);
}
END_TEST

/* Whether a tmpfs can be mounted in a private mount namespace here. */
static const char *disk_full_skip(void)
{
    if (geteuid() != 0)
        return "needs root to mount a small tmpfs";
    if (access("/usr/bin/unshare", X_OK) != 0)
        return "no /usr/bin/unshare";
    char dir[4096];
    if (tt_scratch(dir, sizeof dir) != 0)
        return "no scratch directory";
    char cmd[4400];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/unshare -m sh -c 'mount -t tmpfs -o size=64k rtprobe %s' >/dev/null 2>&1",
             dir);
    int rc = system(cmd);
    tt_remove_tree(dir);
    return rc == 0 ? NULL : "cannot mount a tmpfs in a private mount namespace";
}

int main(void)
{
    Suite *s = suite_create("recorder_faults");
    RT_ADD(s, test_recorder_sigkill_keeps_completed_events, 60);
    RT_ADD(s, test_recorder_file_size_limit_counts_drops, 60);
    RT_ADD_SKIP(s, test_recorder_disk_full_counts_drops, 60, disk_full_skip());
    RT_ADD(s, test_recorder_invalid_setting_runs_untraced, 60);
    return rt_main(s);
}
