/* test_rec_stacks.c: walking stacks must never change what the program does or counts.
 *
 * A daemon that closes its inherited descriptors and opens its own files gets the same
 * bytes in and out, and the same descriptors, with the recorder as without it; the
 * frame-pointer walker survives optimized code without frame pointers; and whatever the
 * recorder's stack walking costs in heap calls is never counted as the program's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_fixture.h"

static const char input_bytes[] = "INPUT-DATA\n";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* The whole file, NUL-terminated, into buf; returns its length. */
static size_t read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    return n;
}

typedef struct daemon_run {
    char out[256], in[256];
    size_t out_len, in_len;
    long long read_bytes, allocs, fds_start, fds_end;
    int exit_code;
} daemon_run_t;

/* One run of the daemon; recorded with the given unwinder, or bare when unwind is NULL. */
static void run_daemon(const char *mode, const char *unwind, daemon_run_t *r)
{
    static char in_path[4200], out_path[4200], unwind_env[64];
    static const char *argv[] = {RT_VICTIM_DAEMON, in_path, out_path, NULL, NULL};
    rt_case_t c;
    argv[3] = mode;
    rt_setup(&c, argv);
    snprintf(in_path, sizeof in_path, "%s/input", c.scratch);
    snprintf(out_path, sizeof out_path, "%s/output", c.scratch);
    write_file(in_path, input_bytes);
    if (unwind) {
        snprintf(unwind_env, sizeof unwind_env, "MTDB_UNWIND=%s", unwind);
        rt_env(&c, unwind_env);
    } else {
        c.spec.preload = NULL;
        c.spec.trace_dir = NULL;
    }
    ck_assert_int_eq(tt_run(&c.spec, c.scratch, &c.res), 0);
    ck_assert(!c.res.timed_out);
    ck_assert_msg(c.res.exited, "the daemon died (signal %d)", c.res.signal);
    r->exit_code = c.res.exit_code;
    ck_assert_msg(rt_stderr_is_empty(&c.res), "stderr: %s", c.res.err);
    r->out_len = read_file(out_path, r->out, sizeof r->out);
    r->in_len = read_file(in_path, r->in, sizeof r->in);
    r->read_bytes = tt_value(&c.res, "read_bytes");
    r->allocs = tt_value(&c.res, "allocs");
    r->fds_start = tt_value(&c.res, "fds_start");
    r->fds_end = tt_value(&c.res, "fds_end");
    if (unwind) {
        rt_decode(&c);
        rt_assert_undamaged(&c);
        rt_assert_images(&c, 1);
        ck_assert_uint_eq(tt_marked_allocs(&c.tally.images[0]), (uint64_t)r->allocs);
    }
    rt_teardown(&c);
}

static void expect_same_as_bare(const char *mode, const char *unwind)
{
    daemon_run_t bare, rec;
    run_daemon(mode, NULL, &bare);
    run_daemon(mode, unwind, &rec);
    ck_assert_int_eq(bare.exit_code, 0);
    ck_assert_msg(rec.exit_code == 0, "%s, %s: the daemon exited %d", mode, unwind, rec.exit_code);
    ck_assert_int_eq(rec.read_bytes, bare.read_bytes);
    ck_assert_int_eq(rec.allocs, bare.allocs);
    ck_assert_uint_eq(rec.out_len, bare.out_len);
    ck_assert_msg(memcmp(rec.out, bare.out, bare.out_len) == 0, "output differs: %s", rec.out);
    ck_assert_uint_eq(rec.in_len, bare.in_len);
    ck_assert_msg(memcmp(rec.in, bare.in, bare.in_len) == 0, "input changed: %s", rec.in);
    /* the recorder holds no descriptor: not at start, not after any stack walk */
    ck_assert_int_eq(rec.fds_start, bare.fds_start);
    ck_assert_int_eq(rec.fds_end, bare.fds_end);
}

START_TEST(test_recorder_daemon_files_untouched_by_libunwind)
{
    daemon_run_t bare;
    run_daemon("rw", NULL, &bare);
    ck_assert_int_eq(bare.read_bytes, (long long)strlen(input_bytes));
    ck_assert_str_eq(bare.out, "OUTPUT\n");
    expect_same_as_bare("rw", "libunwind");
    expect_same_as_bare("wo", "libunwind");
}
END_TEST

START_TEST(test_recorder_daemon_files_untouched_by_fp_walker)
{
    expect_same_as_bare("rw", "fp");
    expect_same_as_bare("wo", "fp");
}
END_TEST

/* Optimized code keeps the top of the address space and stray values in rbp: the walker
 * must end those stacks early, never fault, and every block is still counted. */
START_TEST(test_recorder_fp_walker_survives_code_without_frame_pointers)
{
    static const char *const argv[] = {RT_VICTIM_NOFP, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    rt_env(&c, "MTDB_UNWIND=fp");
    rt_go(&c);
    rt_assert_clean_exit(&c);
    rt_assert_undamaged(&c);
    rt_assert_images(&c, 1);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_int_eq(rt_value(&c, "allocs"), 64 * 26);
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "allocs"));
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(&c, "frees"));
    ck_assert_uint_eq(im->live_marked, 0);
    rt_teardown(&c);
}
END_TEST

static uint64_t only_run(rt_case_t *c, const char *threads)
{
    static const char *argv[] = {RT_VICTIM_ONLY, NULL, NULL};
    argv[1] = threads;
    rt_setup(c, argv);
    rt_go(c);
    rt_assert_clean_exit(c);
    rt_assert_undamaged(c);
    rt_assert_images(c, 1);
    return c->tally.images[0].heap_events;
}

/* Every heap event in the trace is one the program made: under each unwinder and preset
 * (the matrix), a program that makes 100 calls on its main thread has 100 events. */
START_TEST(test_recorder_counts_only_the_programs_calls)
{
    rt_case_t c;
    uint64_t events = only_run(&c, "0");
    ck_assert_int_eq(rt_value(&c, "heap_calls"), 100);
    ck_assert_uint_eq(events, 100);
    ck_assert_uint_eq(c.tally.images[0].counters[MTDB_COUNTER_REENTRANT], 0);
    rt_teardown(&c);
}
END_TEST

/* With threads, the C library's own allocations for each new thread are the program's
 * too: the count must be the same whichever unwinder and preset recorded it. */
START_TEST(test_recorder_thread_counts_same_under_every_walker)
{
    rt_case_t c;
    uint64_t events = only_run(&c, "4");
    ck_assert_int_eq(rt_value(&c, "heap_calls"), 500);
    ck_assert_uint_eq(c.tally.images[0].counters[MTDB_COUNTER_REENTRANT], 0);
    rt_teardown(&c);
    /* the reference: libunwind and the precise preset, which walk without allocating */
    static const char *argv[] = {RT_VICTIM_ONLY, "4", NULL};
    rt_setup(&c, argv);
    rt_env(&c, "MTDB_UNWIND=libunwind");
    rt_env(&c, "MTDB_PRESET=precise");
    rt_go(&c);
    rt_assert_clean_exit(&c);
    ck_assert_uint_eq(events, c.tally.images[0].heap_events);
    ck_assert_uint_ge(events, 500);
    rt_teardown(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder_stacks");
    RT_ADD(s, test_recorder_daemon_files_untouched_by_libunwind, 60);
    RT_ADD(s, test_recorder_daemon_files_untouched_by_fp_walker, 60);
    RT_ADD(s, test_recorder_fp_walker_survives_code_without_frame_pointers, 60);
    RT_ADD(s, test_recorder_counts_only_the_programs_calls, 60);
    RT_ADD(s, test_recorder_thread_counts_same_under_every_walker, 60);
    return rt_main(s);
}
