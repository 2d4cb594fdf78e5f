/* test_real_daemon.c: a daemon-style program (real_daemon.c: closes its inherited
 * descriptors, then opens its input on fd 3 and its output on fd 4) recorded with the
 * default unwinder must read and write exactly what it does bare:
 * output files equal byte for byte, the same bytes read, and every block it counted in
 * the trace.
 */
#include <stdlib.h>

#include "real_util.h"

static char *read_whole(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)*len + 1);
    ck_assert_int_eq(fread(buf, 1, (size_t)*len, f), (size_t)*len);
    fclose(f);
    return buf;
}

static void write_input(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 40; i++)
        fprintf(f, "line %02d of the daemon's input\n", i);
    fclose(f);
}

START_TEST(test_real_daemon_output_unchanged)
{
    static const char *argv[] = {RT_REAL_DAEMON, NULL, NULL, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    char in[4300], out_bare[4300], out_rec[4300];
    snprintf(in, sizeof in, "%s/input", c.scratch);
    snprintf(out_bare, sizeof out_bare, "%s/output.bare", c.scratch);
    snprintf(out_rec, sizeof out_rec, "%s/output.recorded", c.scratch);
    write_input(in);
    const char *bare_argv[] = {RT_REAL_DAEMON, in, out_bare, NULL};
    tt_result_t bare;
    rl_run(c.scratch, bare_argv, &bare);
    ck_assert_msg(bare.exited && bare.exit_code == 0, "bare run: exit %d", bare.exit_code);

    argv[1] = in, argv[2] = out_rec; /* preloaded as `mtdb record` does, default unwinder */
    c.spec.timeout_ms = 10000;       /* bare, it takes a few milliseconds */
    rt_go(&c);
    ck_assert_msg(c.res.exited && c.res.exit_code == 0, "exit %d; stderr: %s", c.res.exit_code,
                  c.res.err);
    ck_assert_int_eq(rt_value(&c, "in_fd"), 3);
    ck_assert_int_eq(rt_value(&c, "out_fd"), 4);
    ck_assert_int_eq(rt_value(&c, "bytes_read"), tt_value(&bare, "bytes_read"));
    long bare_len, rec_len;
    char *want = read_whole(out_bare, &bare_len), *got = read_whole(out_rec, &rec_len);
    ck_assert_msg(bare_len == rec_len && memcmp(want, got, (size_t)bare_len) == 0,
                  "output differs: %ld bytes recorded, %ld bare; recorded starts '%.40s'", rec_len,
                  bare_len, got);
    rt_assert_undamaged(&c);
    rt_assert_images(&c, 1);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "allocs"));
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(&c, "frees"));
    free(want), free(got);
    tt_result_free(&bare);
    rt_teardown(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("real_daemon");
    RT_ADD(s, test_real_daemon_output_unchanged, 60);
    return rt_main(s);
}
