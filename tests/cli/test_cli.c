/* test_cli.c: the `mtdb` command line as its users see it: exit statuses and messages.
 *
 * Runs the built mtdb with a stub recorder (cli_stub_recorder.c) so every case works
 * before and without the real recorder; one case runs the real libmtrec.so when it is
 * built. Each Check case is one ctest test of the same name (CK_RUN_CASE). Cases that
 * cannot run here exit 77 (ctest: skipped) with a reason. Must never assert on timing.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tst_scratch.h"
#include "cli_harness.h"
#include "mtdb_format.h"
#include "mtdb_settings.h"

#define SKIP_STATUS 77

static cli_result_t result;
static char scratch[512];
static char outdir[700];

static void set_up(void)
{
    ck_assert_int_eq(cli_make_scratch(scratch, sizeof scratch), 0);
    snprintf(outdir, sizeof outdir, "%s/out", scratch);
    memset(&result, 0, sizeof result);
}

static void tear_down(void)
{
    cli_remove_tree(scratch);
}

/* Runs mtdb with the stub recorder and the extra environment in env (may be NULL). */
static void run_mtdb_env(const char *const *args, const char *const *env)
{
    const char *argv[64] = {CLI_MTDB};
    size_t n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    const char *envv[16] = {"MTDB_LIBRARY=" CLI_STUB, "LD_PRELOAD", "MTDB_STUB_SILENT"};
    size_t e = 3;
    for (; env && *env && e < 15; env++)
        envv[e++] = *env;
    envv[e] = NULL;
    ck_assert_int_eq(cli_run(argv, envv, scratch, &result), 0);
}

#define RUN_MTDB(...) run_mtdb_env((const char *const[]){__VA_ARGS__, NULL}, NULL)

static void assert_stderr_ends_with(const char *tail)
{
    size_t n = strlen(result.err), m = strlen(tail);
    ck_assert_msg(n >= m && strcmp(result.err + n - m, tail) == 0,
                  "stderr should end with \"%s\", was \"%s\"", tail, result.err);
}

static void assert_stderr_has(const char *part)
{
    ck_assert_msg(strstr(result.err, part) != NULL, "stderr should contain \"%s\", was \"%s\"",
                  part, result.err);
}

/* ---- the command table ---- */

START_TEST(test_cli_help_exits_zero)
{
    RUN_MTDB("--help");
    ck_assert_int_eq(result.status, 0);
    ck_assert_str_eq(result.err, "");
    ck_assert_ptr_nonnull(strstr(result.out, "usage: mtdb <command>"));
    ck_assert_ptr_nonnull(strstr(result.out, "\n  record   "));
    RUN_MTDB("record", "--help");
    ck_assert_int_eq(result.status, 0);
    ck_assert_str_eq(result.err, "");
    ck_assert_ptr_nonnull(strstr(result.out, "\n  --depth N\n"));
    RUN_MTDB("help", "record");
    ck_assert_int_eq(result.status, 0);
    ck_assert_ptr_nonnull(strstr(result.out, "usage: mtdb record"));
}
END_TEST

START_TEST(test_cli_version_names_format)
{
    char expected[128];
    snprintf(expected, sizeof expected, "mtdb %s (trace format %d.%d)\n", MTDB_VERSION,
             MTDB_FORMAT_MAJOR, MTDB_FORMAT_MINOR);
    RUN_MTDB("--version");
    ck_assert_int_eq(result.status, 0);
    ck_assert_str_eq(result.out, expected);
    ck_assert_str_eq(result.err, "");
}
END_TEST

START_TEST(test_cli_unknown_command_exits_two)
{
    RUN_MTDB("frobnicate");
    ck_assert_int_eq(result.status, 2);
    ck_assert_str_eq(result.out, "");
    ck_assert_int_eq(strncmp(result.err, "mtdb: error: unknown command 'frobnicate'\n", 42), 0);
    const char *none[] = {NULL};
    run_mtdb_env(none, NULL);
    ck_assert_int_eq(result.status, 2);
    ck_assert_ptr_nonnull(strstr(result.err, "usage: mtdb"));
}
END_TEST

/* ---- mtdb pack: its usage; packing itself is tested in tests/importer ---- */

START_TEST(test_cli_pack_usage)
{
    RUN_MTDB("pack", "--help");
    ck_assert_int_eq(result.status, 0);
    ck_assert_int_eq(strncmp(result.out, "usage: mtdb pack [-q] [--level N] DIR\n", 38), 0);
    RUN_MTDB("pack");
    ck_assert_int_eq(result.status, 2);
    assert_stderr_has("mtdb: error: mtdb pack takes one trace directory");
    RUN_MTDB("pack", "--level", "20", scratch);
    ck_assert_int_eq(result.status, 2);
    ck_assert_str_eq(result.err,
                     "mtdb: error: --level: '20' is not valid: expected an integer in 1..19\n");
    RUN_MTDB("pack", "--bogus", scratch);
    ck_assert_int_eq(result.status, 2);
    RUN_MTDB("pack", outdir); /* does not exist */
    ck_assert_int_eq(result.status, 1);
    /* a directory without traces: nothing to do */
    RUN_MTDB("pack", scratch);
    ck_assert_int_eq(result.status, 0);
    char said[800];
    snprintf(said, sizeof said, "mtdb: packed 0 file(s) of %s\n", scratch);
    ck_assert_str_eq(result.err, said);
}
END_TEST

/* ---- options of mtdb record ---- */

/* Writes up to 3 invalid values for setting d into bad[]; returns how many. */
static int make_invalid_values(const mtdb_setting_desc_t *d, char bad[3][32])
{
    if (d->kind == 's')
        return snprintf(bad[0], 32, "%s", ""), 1;
    if (d->kind == 'c')
        return snprintf(bad[0], 32, "bogus"), snprintf(bad[1], 32, "%s", ""), 2;
    snprintf(bad[0], 32, "%lld", d->max + 1);
    snprintf(bad[1], 32, "12x");
    snprintf(bad[2], 32, "%lld", d->min - 1);
    return 3;
}

static void expected_reason(const mtdb_setting_desc_t *d, char *buf, size_t len)
{
    if (d->kind == 'i')
        snprintf(buf, len, "expected an integer in %lld..%lld", d->min, d->max);
    else if (d->kind == 'c')
        snprintf(buf, len, "expected one of %s", d->choices);
    else
        snprintf(buf, len, "expected a non-empty value");
}

static void assert_rejected(const mtdb_setting_desc_t *d, const char *bad, int joined)
{
    char option[64], joined_arg[128], expected[512], reason[256];
    snprintf(option, sizeof option, "--%s", d->option);
    snprintf(joined_arg, sizeof joined_arg, "--%s=%s", d->option, bad);
    expected_reason(d, reason, sizeof reason);
    snprintf(expected, sizeof expected, "mtdb: error: --%s: '%s' is not valid: %s\n", d->option,
             bad, reason);
    if (joined)
        RUN_MTDB("record", joined_arg, "-o", outdir, "--", CLI_EXIT_PROG);
    else
        RUN_MTDB("record", option, bad, "-o", outdir, "--", CLI_EXIT_PROG);
    ck_assert_int_eq(result.status, 2);
    ck_assert_str_eq(result.err, expected);
    ck_assert_int_eq(access(outdir, F_OK), -1); /* nothing created, nothing run */
}

START_TEST(test_cli_invalid_setting_rejected)
{
    const mtdb_setting_desc_t *d = &mtdb_setting_descs[_i];
    char bad[3][32];
    int count = make_invalid_values(d, bad);
    for (int k = 0; k < count; k++) {
        if (d->kind == 'i' && k == 2 && d->min == 0)
            snprintf(bad[k], 32, "-1");
        assert_rejected(d, bad[k], 0);
        assert_rejected(d, bad[k], 1);
    }
}
END_TEST

START_TEST(test_cli_inherited_setting_checked)
{
    const char *env[] = {"MTDB_DEPTH=0", NULL};
    run_mtdb_env((const char *const[]){"record", "-o", outdir, "--", CLI_EXIT_PROG, NULL}, env);
    ck_assert_int_eq(result.status, 2);
    ck_assert_str_eq(result.err, "mtdb: error: environment MTDB_DEPTH: '0' is not valid: "
                                 "expected an integer in 1..256\n");
}
END_TEST

START_TEST(test_cli_unknown_option_exits_two)
{
    RUN_MTDB("record", "--no-such-option", "--", CLI_EXIT_PROG);
    ck_assert_int_eq(result.status, 2);
    ck_assert_int_eq(strncmp(result.err, "mtdb: error: unknown option '--no-such-option'\n", 47),
                     0);
    RUN_MTDB("record", "--depth");
    ck_assert_int_eq(result.status, 2);
    ck_assert_int_eq(strncmp(result.err, "mtdb: error: --depth needs a value\n", 35), 0);
    RUN_MTDB("record", "-o", outdir);
    ck_assert_int_eq(result.status, 2);
    assert_stderr_has("mtdb: error: no program to record");
}
END_TEST

/* ---- what mtdb record passes to the program ---- */

START_TEST(test_cli_settings_exported_one_to_one)
{
    RUN_MTDB("record", "--depth", "12", "--preset=fast", "--unwind", "fp", "-o", outdir, "--",
             CLI_EXIT_PROG);
    ck_assert_int_eq(result.status, 0);
    char path[1024], text[4096], line[1200], real_out[1024];
    ck_assert_int_eq(cli_find_file(outdir, ".proc", path, sizeof path), 0);
    ck_assert_int_ge(cli_read_file(path, text, sizeof text), 0);
    ck_assert_ptr_nonnull(realpath(outdir, real_out));
    ck_assert_ptr_nonnull(strstr(text, "MTDB_DEPTH=12\n"));
    ck_assert_ptr_nonnull(strstr(text, "MTDB_PRESET=fast\n"));
    ck_assert_ptr_nonnull(strstr(text, "MTDB_UNWIND=fp\n"));
    ck_assert_ptr_null(strstr(text, "MTDB_SAMPLE_EVERY="));
    snprintf(line, sizeof line, "MTDB_OUTPUT=%s\n", real_out);
    ck_assert_ptr_nonnull(strstr(text, line));
    snprintf(line, sizeof line, "LD_PRELOAD=%s\n", CLI_STUB);
    ck_assert_ptr_nonnull(strstr(text, line));
}
END_TEST

/* The stub names its file by its own pid: MTDB_ROOT_PID must be that pid. */
START_TEST(test_cli_root_pid_is_program_pid)
{
    RUN_MTDB("record", "-o", outdir, "--", CLI_EXIT_PROG);
    ck_assert_int_eq(result.status, 0);
    char path[1024], text[4096], line[64];
    ck_assert_int_eq(cli_find_file(outdir, ".proc", path, sizeof path), 0);
    ck_assert_int_ge(cli_read_file(path, text, sizeof text), 0);
    int pid = atoi(strrchr(path, '/') + strlen("/mtdb-"));
    ck_assert_int_gt(pid, 0);
    snprintf(line, sizeof line, "MTDB_ROOT_PID=%d\n", pid);
    ck_assert_ptr_nonnull(strstr(text, line));
}
END_TEST

START_TEST(test_cli_preload_appended)
{
    /* mtdb itself starts with this LD_PRELOAD: a sanitizer build of it must accept that */
    const char *env[] = {"LD_PRELOAD=" CLI_EXTRA_PRELOAD, "ASAN_OPTIONS=verify_asan_link_order=0",
                         NULL};
    run_mtdb_env((const char *const[]){"record", "-q", "-o", outdir, "--", CLI_EXIT_PROG, NULL},
                 env);
    ck_assert_int_eq(result.status, 0);
    char path[1024], text[4096];
    ck_assert_int_eq(cli_find_file(outdir, ".proc", path, sizeof path), 0);
    ck_assert_int_ge(cli_read_file(path, text, sizeof text), 0);
    ck_assert_ptr_nonnull(strstr(text, "LD_PRELOAD=" CLI_EXTRA_PRELOAD ":" CLI_STUB "\n"));
}
END_TEST

/* ---- exit status and summary ---- */

START_TEST(test_cli_exit_status_passed_through)
{
    char summary[800];
    snprintf(summary, sizeof summary, "mtdb: recorded 1 process(es) into %s\n", outdir);
    RUN_MTDB("record", "-o", outdir, "--", CLI_EXIT_PROG, "7");
    ck_assert_int_eq(result.status, 7);
    ck_assert_str_eq(result.err, summary);
    RUN_MTDB("record", "-f", "-o", outdir, "--", CLI_EXIT_PROG, "0");
    ck_assert_int_eq(result.status, 0);
    ck_assert_str_eq(result.err, summary);
    RUN_MTDB("record", "-q", "--force", "-o", outdir, "--", CLI_EXIT_PROG, "3");
    ck_assert_int_eq(result.status, 3);
    ck_assert_str_eq(result.err, "");
    ck_assert_int_eq(cli_count_files(outdir, ".proc"), 1);
}
END_TEST

/* A second run into a directory that holds a trace: refused before the program runs,
 * the first trace kept; with -f the old files go and only the new run's remain. */
START_TEST(test_cli_record_into_used_dir_refused)
{
    RUN_MTDB("record", "-q", "-o", outdir, "--", CLI_EXIT_PROG, "0");
    ck_assert_int_eq(result.status, 0);
    char first[1024], again[1024];
    ck_assert_int_eq(cli_find_file(outdir, ".proc", first, sizeof first), 0);
    RUN_MTDB("record", "-o", outdir, "--", CLI_EXIT_PROG, "7");
    ck_assert_int_eq(result.status, 1);
    assert_stderr_has("already holds a trace (");
    assert_stderr_has("use -f to remove it first");
    ck_assert_int_eq(cli_count_files(outdir, ".proc"), 1);
    ck_assert_int_eq(cli_find_file(outdir, ".proc", again, sizeof again), 0);
    ck_assert_str_eq(again, first);
    RUN_MTDB("record", "-q", "-f", "-o", outdir, "--", CLI_EXIT_PROG, "7");
    ck_assert_int_eq(result.status, 7);
    ck_assert_int_eq(cli_count_files(outdir, ".proc"), 1);
    ck_assert_int_eq(cli_find_file(outdir, ".proc", again, sizeof again), 0);
    ck_assert_str_ne(again, first);
}
END_TEST

START_TEST(test_cli_signal_status_is_128_plus_n)
{
    char expected[1024];
    snprintf(expected, sizeof expected,
             "mtdb: /bin/sh was killed by signal 15 (%s)\n"
             "mtdb: recorded 1 process(es) into %s\n",
             strsignal(SIGTERM), outdir);
    RUN_MTDB("record", "-o", outdir, "--", "/bin/sh", "-c", "kill -TERM $$");
    ck_assert_int_eq(result.status, 143);
    ck_assert_str_eq(result.err, expected);
}
END_TEST

START_TEST(test_cli_child_processes_counted)
{
    RUN_MTDB("record", "-o", outdir, "--", "/bin/sh", "-c",
             CLI_EXIT_PROG " 0; " CLI_EXIT_PROG " 0; exit 5");
    ck_assert_int_eq(result.status, 5);
    assert_stderr_has("mtdb: recorded 3 process(es) into ");
    ck_assert_int_eq(cli_count_files(outdir, ".proc"), 3);
}
END_TEST

START_TEST(test_cli_no_trace_fails_loudly)
{
    const char *env[] = {"MTDB_STUB_SILENT=1", NULL};
    run_mtdb_env((const char *const[]){"record", "-o", outdir, "--", CLI_EXIT_PROG, NULL}, env);
    ck_assert_int_eq(result.status, 1);
    ck_assert_int_eq(strncmp(result.err, "mtdb: error: no trace written: ", 31), 0);
    run_mtdb_env((const char *const[]){"record", "-o", outdir, "--", CLI_EXIT_PROG, "9", NULL},
                 env);
    ck_assert_int_eq(result.status, 9); /* the program's own failure wins */
    ck_assert_int_eq(strncmp(result.err, "mtdb: error: no trace written: ", 31), 0);
}
END_TEST

START_TEST(test_cli_missing_program_exits_127)
{
    RUN_MTDB("record", "-o", outdir, "--", "mtdb-no-such-program-anywhere");
    ck_assert_int_eq(result.status, 127);
    ck_assert_str_eq(result.err,
                     "mtdb: error: mtdb-no-such-program-anywhere: program not found in PATH\n");
}
END_TEST

START_TEST(test_cli_missing_library_refused)
{
    const char *env[] = {"MTDB_LIBRARY=/nonexistent/libmtrec.so", NULL};
    run_mtdb_env((const char *const[]){"record", "-o", outdir, "--", CLI_EXIT_PROG, NULL}, env);
    ck_assert_int_eq(result.status, 1);
    ck_assert_str_eq(result.err,
                     "mtdb: error: MTDB_LIBRARY=/nonexistent/libmtrec.so: not a readable file\n");
}
END_TEST

/* ---- programs LD_PRELOAD cannot reach ---- */

START_TEST(test_cli_static_binary_refused)
{
#ifdef CLI_STATIC_PROG
    RUN_MTDB("record", "-o", outdir, "--", CLI_STATIC_PROG);
    ck_assert_int_eq(result.status, 1);
    ck_assert_int_eq(strncmp(result.err, "mtdb: error: " CLI_STATIC_PROG " is statically linked",
                             strlen("mtdb: error: " CLI_STATIC_PROG " is statically linked")),
                     0);
    ck_assert_int_eq(access(outdir, F_OK), -1);
#endif
}
END_TEST

/* A "#!" script is checked through its interpreter. */
START_TEST(test_cli_script_of_static_interpreter_refused)
{
#ifdef CLI_STATIC_PROG
    char script[800];
    snprintf(script, sizeof script, "%s/script", scratch);
    FILE *f = fopen(script, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!%s -x\nexit 0\n", CLI_STATIC_PROG);
    fclose(f);
    ck_assert_int_eq(chmod(script, 0755), 0);
    RUN_MTDB("record", "-o", outdir, "--", script);
    ck_assert_int_eq(result.status, 1);
    ck_assert_int_eq(strncmp(result.err, "mtdb: error: " CLI_STATIC_PROG " is statically linked",
                             strlen("mtdb: error: " CLI_STATIC_PROG " is statically linked")),
                     0);
#endif
}
END_TEST

START_TEST(test_cli_own_malloc_warned)
{
    RUN_MTDB("record", "-o", outdir, "--", CLI_OWN_MALLOC_PROG);
    ck_assert_int_eq(result.status, 0);
    ck_assert_int_eq(
        strncmp(result.err, "mtdb: warning: " CLI_OWN_MALLOC_PROG " defines its own malloc",
                strlen("mtdb: warning: " CLI_OWN_MALLOC_PROG " defines its own malloc")),
        0);
    RUN_MTDB("record", "-o", outdir, "--", CLI_EXIT_PROG);
    ck_assert_ptr_null(strstr(result.err, "warning"));
}
END_TEST

/* Copies the exit program to path with the given mode and owner. */
static void install_copy(const char *path, mode_t mode, uid_t uid)
{
    const char *argv[] = {"/bin/cp", CLI_EXIT_PROG, path, NULL};
    cli_result_t copy;
    ck_assert_int_eq(cli_run(argv, NULL, NULL, &copy), 0);
    ck_assert_int_eq(copy.status, 0);
    ck_assert_int_eq(chown(path, uid, (gid_t)-1), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(test_cli_setuid_binary_refused)
{
    char prog[800], expected[1200];
    snprintf(prog, sizeof prog, "%s/suid-prog", scratch);
    install_copy(prog, 04755, 65534);
    RUN_MTDB("record", "-o", outdir, "--", prog);
    ck_assert_int_eq(result.status, 1);
    snprintf(expected, sizeof expected, "mtdb: error: %s is set-uid: ", prog);
    ck_assert_int_eq(strncmp(result.err, expected, strlen(expected)), 0);
}
END_TEST

/* ---- the output directory ---- */

START_TEST(test_cli_output_dir_mode_0700)
{
    char nested[800];
    snprintf(nested, sizeof nested, "%s/a/b", outdir);
    RUN_MTDB("record", "-q", "-o", nested, "--", CLI_EXIT_PROG);
    ck_assert_int_eq(result.status, 0);
    struct stat st;
    ck_assert_int_eq(stat(nested, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    ck_assert_int_eq(cli_count_files(nested, ".proc"), 1);
}
END_TEST

START_TEST(test_cli_default_output_dir)
{
    char dir[800];
    RUN_MTDB("record", "--", CLI_EXIT_PROG);
    ck_assert_int_eq(result.status, 0);
    ck_assert_str_eq(result.err, "mtdb: recorded 1 process(es) into mtdb-out\n");
    snprintf(dir, sizeof dir, "%s/mtdb-out", scratch);
    ck_assert_int_eq(cli_count_files(dir, ".proc"), 1);
}
END_TEST

START_TEST(test_cli_output_not_directory_refused)
{
    FILE *f = fopen(outdir, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    RUN_MTDB("record", "-o", outdir, "--", CLI_EXIT_PROG);
    ck_assert_int_eq(result.status, 1);
    assert_stderr_ends_with(" exists and is not a directory\n");
}
END_TEST

START_TEST(test_cli_output_of_other_user_refused)
{
    ck_assert_int_eq(mkdir(outdir, 0777), 0);
    ck_assert_int_eq(chown(outdir, 65534, 65534), 0);
    RUN_MTDB("record", "-o", outdir, "--", CLI_EXIT_PROG);
    ck_assert_int_eq(result.status, 1);
    assert_stderr_has(" belongs to another user (uid 65534)");
    ck_assert_int_eq(cli_count_files(outdir, ".proc"), 0);
}
END_TEST

/* ---- with the real recorder ---- */

START_TEST(test_cli_records_example)
{
#ifdef CLI_MTREC
    const char *env[] = {"MTDB_LIBRARY=" CLI_MTREC, NULL};
    /* unpacked, to see the files as the trim leaves them (packing: tests/importer) */
    run_mtdb_env(
        (const char *const[]){"record", "--no-compress", "-o", outdir, "--", CLI_EXAMPLE, NULL},
        env);
    ck_assert_int_eq(result.status, 0);
    char summary[800];
    snprintf(summary, sizeof summary, "mtdb: recorded 1 process(es) into %s\n", outdir);
    assert_stderr_ends_with(summary);
    ck_assert_int_eq(cli_count_files(outdir, ".proc"), 1);
    ck_assert_int_ge(cli_count_files(outdir, ".trace"), 1);
    /* The space reserved ahead and never used was given back: the example writes a few
     * KiB per thread, each stream file had a 64 KiB chunk and the process file 68 KiB
     * reserved; every file now ends at its data, on an 8-byte boundary... */
    int misaligned;
    ck_assert_int_lt(cli_largest_file(outdir, ".trace", &misaligned), 32768);
    ck_assert_int_eq(misaligned, 0);
    ck_assert_int_lt(cli_largest_file(outdir, ".proc", &misaligned), 32768);
    ck_assert_int_eq(misaligned, 0);
    /* ...and reads whole: dump exits 3 on any damage (a block cut short). */
    run_mtdb_env((const char *const[]){"dump", "--summary", outdir, NULL}, env);
    ck_assert_int_eq(result.status, 0);
#endif
}
END_TEST

/* ---- runner ---- */

typedef struct cli_case {
    const char *name;
    const TTest *test;
    int loop_end;        /* > 0: a loop test over 0..loop_end-1 */
    const char *skip_if; /* why it cannot run here, or NULL */
} cli_case_t;

static const char *need_root(void)
{
    return geteuid() == 0 ? NULL : "needs root (chown to another user)";
}

static Suite *make_suite(const cli_case_t *cases, size_t count)
{
    Suite *s = suite_create("cli");
    for (size_t i = 0; i < count; i++) {
        if (cases[i].skip_if) {
            printf("skipped: %s: %s\n", cases[i].name, cases[i].skip_if);
            continue;
        }
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, set_up, tear_down);
        tcase_set_timeout(tc, 60);
        if (cases[i].loop_end)
            tcase_add_loop_test(tc, cases[i].test, 0, cases[i].loop_end);
        else
            tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
#ifdef CLI_STATIC_PROG
    const char *no_static = NULL;
#else
    const char *no_static = "no static glibc (libc.a) to build a static program with";
#endif
#ifdef CLI_MTREC
    const char *no_mtrec = NULL;
#else
    const char *no_mtrec = "the recorder (target mtrec) is not built yet";
#endif
    const cli_case_t cases[] = {
        {"test_cli_help_exits_zero", test_cli_help_exits_zero, 0, NULL},
        {"test_cli_version_names_format", test_cli_version_names_format, 0, NULL},
        {"test_cli_unknown_command_exits_two", test_cli_unknown_command_exits_two, 0, NULL},
        {"test_cli_pack_usage", test_cli_pack_usage, 0, NULL},
        {"test_cli_invalid_setting_rejected", test_cli_invalid_setting_rejected, MTDB_SET_COUNT,
         NULL},
        {"test_cli_inherited_setting_checked", test_cli_inherited_setting_checked, 0, NULL},
        {"test_cli_unknown_option_exits_two", test_cli_unknown_option_exits_two, 0, NULL},
        {"test_cli_settings_exported_one_to_one", test_cli_settings_exported_one_to_one, 0, NULL},
        {"test_cli_root_pid_is_program_pid", test_cli_root_pid_is_program_pid, 0, NULL},
        {"test_cli_preload_appended", test_cli_preload_appended, 0, NULL},
        {"test_cli_exit_status_passed_through", test_cli_exit_status_passed_through, 0, NULL},
        {"test_cli_signal_status_is_128_plus_n", test_cli_signal_status_is_128_plus_n, 0, NULL},
        {"test_cli_record_into_used_dir_refused", test_cli_record_into_used_dir_refused, 0, NULL},
        {"test_cli_child_processes_counted", test_cli_child_processes_counted, 0, NULL},
        {"test_cli_no_trace_fails_loudly", test_cli_no_trace_fails_loudly, 0, NULL},
        {"test_cli_missing_program_exits_127", test_cli_missing_program_exits_127, 0, NULL},
        {"test_cli_missing_library_refused", test_cli_missing_library_refused, 0, NULL},
        {"test_cli_static_binary_refused", test_cli_static_binary_refused, 0, no_static},
        {"test_cli_script_of_static_interpreter_refused",
         test_cli_script_of_static_interpreter_refused, 0, no_static},
        {"test_cli_own_malloc_warned", test_cli_own_malloc_warned, 0, NULL},
        {"test_cli_setuid_binary_refused", test_cli_setuid_binary_refused, 0, need_root()},
        {"test_cli_output_dir_mode_0700", test_cli_output_dir_mode_0700, 0, NULL},
        {"test_cli_default_output_dir", test_cli_default_output_dir, 0, NULL},
        {"test_cli_output_not_directory_refused", test_cli_output_not_directory_refused, 0, NULL},
        {"test_cli_output_of_other_user_refused", test_cli_output_of_other_user_refused, 0,
         need_root()},
        {"test_cli_records_example", test_cli_records_example, 0, no_mtrec},
    };
    size_t count = sizeof cases / sizeof cases[0];
    const char *only = getenv("CK_RUN_CASE");
    for (size_t i = 0; only && i < count; i++)
        if (strcmp(cases[i].name, only) == 0 && cases[i].skip_if) {
            printf("skipped: %s: %s\n", only, cases[i].skip_if);
            return SKIP_STATUS;
        }
    SRunner *sr = srunner_create(make_suite(cases, count));
    return tst_run_runner(sr, NULL);
}
