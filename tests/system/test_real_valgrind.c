/* test_real_valgrind.c: programs of the distribution recorded with `mtdb record`, imported,
 * and reconciled with valgrind's heap summary of the same run ("total heap usage: N
 * allocs, M frees, B bytes allocated", with --run-libc-freeres=no: the recorder does not
 * see glibc's clean-up at exit because a native run never makes it). Their output and exit
 * status under the recorder are the bare run's.
 *
 * Tolerance (docs/recorder.md): calls within 8 + 0.1 %, bytes within 4096 + 0.1 %; the
 * difference comes from the environment, which some programs copy (the recorder's MTDB_*
 * variables against valgrind's own LD_PRELOAD). Skipped when valgrind or a program is
 * missing.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "real_util.h"

typedef struct heap_usage {
    long long allocs, frees, bytes;
} heap_usage_t;

static long long number_at(const char *s, const char **end)
{
    long long v = 0;
    for (; (*s >= '0' && *s <= '9') || *s == ','; s++)
        if (*s != ',')
            v = v * 10 + (*s - '0');
    *end = s;
    return v;
}

/* Parses valgrind's summary line; 0 when found. */
static int parse_valgrind(const char *err, heap_usage_t *u)
{
    const char *s = strstr(err, "total heap usage: ");
    if (!s)
        return -1;
    s += strlen("total heap usage: ");
    u->allocs = number_at(s, &s);
    if (strncmp(s, " allocs, ", 9))
        return -1;
    u->frees = number_at(s + 9, &s);
    if (strncmp(s, " frees, ", 8))
        return -1;
    u->bytes = number_at(s + 8, &s);
    return 0;
}

static int within(long long got, long long want, long long slack)
{
    long long d = got > want ? got - want : want - got;
    return d <= slack + want / 1000;
}

/* Writes a shuffled list of n numbers to scratch/name (the input of sort and tar). */
static void write_input(const char *scratch, const char *name, int n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    unsigned x = 12345;
    for (int i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        fprintf(f, "%u line %d\n", x >> 8, i);
    }
    fclose(f);
}

/* Runs prog bare, under valgrind, and under `mtdb record`, in scratch (as the working
 * directory, through `cd` in sh); compares. */
static void reconcile(const char *const *prog)
{
    rt_case_t c;
    static const char *argv[] = {"/bin/true", NULL};
    rt_setup(&c, argv);
    write_input(c.scratch, "in.txt", 50000);
    char cmd[8192];
    size_t at = (size_t)snprintf(cmd, sizeof cmd, "cd '%s' && exec \"$0\" \"$@\"", c.scratch);
    ck_assert_uint_lt(at, sizeof cmd);
    const char *sh[32] = {"/bin/sh", "-c", cmd};
    int n = 3;
    for (int i = 0; prog[i]; i++)
        sh[n++] = prog[i];
    sh[n] = NULL;
    tt_result_t bare, vg;
    rl_run(c.scratch, sh, &bare);

    const char *vsh[40] = {"/bin/sh",
                           "-c",
                           cmd,
                           "valgrind",
                           "--run-libc-freeres=no",
                           "--run-cxx-freeres=no",
                           "--trace-children=no"};
    int vn = 7;
    for (int i = 0; prog[i]; i++)
        vsh[vn++] = prog[i];
    vsh[vn] = NULL;
    rl_run(c.scratch, vsh, &vg);
    heap_usage_t want;
    ck_assert_msg(parse_valgrind(vg.err, &want) == 0, "valgrind said: %s", vg.err);

    const char *rsh[40] = {"/bin/sh", "-c", cmd, RT_MTDB, "record", "-q", "-o", c.trace, "--"};
    int rn = 9;
    for (int i = 0; prog[i]; i++)
        rsh[rn++] = prog[i];
    rsh[rn] = NULL;
    tt_result_t rec;
    rl_run(c.scratch, rsh, &rec);
    ck_assert_msg(rec.exited && bare.exited && rec.exit_code == bare.exit_code,
                  "exit %d under the recorder, %d bare; stderr: %s", rec.exit_code, bare.exit_code,
                  rec.err);
    ck_assert_msg(rec.out_len == bare.out_len && memcmp(rec.out, bare.out, bare.out_len) == 0,
                  "output differs: %zu bytes under the recorder, %zu bare", rec.out_len,
                  bare.out_len);
    ck_assert_msg(strcmp(rec.err, bare.err) == 0, "stderr differs: '%s' against '%s'", rec.err,
                  bare.err);
    int rc = rl_import(&c, NULL);
    ck_assert_msg(rc == 0, "import exit %d", rc);
    char *got = rl_query(&c, "SELECT alloc_calls, free_calls + unmatched_frees, bytes_allocated "
                             "FROM process_stats JOIN processes USING (process_id) "
                             "WHERE started_by = 'root'");
    heap_usage_t mine;
    ck_assert_int_eq(sscanf(got, "%lld|%lld|%lld", &mine.allocs, &mine.frees, &mine.bytes), 3);
    fprintf(stderr,
            "real: %s: valgrind %lld allocs, %lld frees, %lld bytes; mtdb %lld, %lld, %lld\n",
            prog[0], want.allocs, want.frees, want.bytes, mine.allocs, mine.frees, mine.bytes);
    ck_assert_msg(want.allocs > 0, "valgrind saw no allocation");
    ck_assert_msg(within(mine.allocs, want.allocs, 8), "allocs %lld, valgrind %lld", mine.allocs,
                  want.allocs);
    ck_assert_msg(within(mine.frees, want.frees, 8), "frees %lld, valgrind %lld", mine.frees,
                  want.frees);
    ck_assert_msg(within(mine.bytes, want.bytes, 4096), "bytes %lld, valgrind %lld", mine.bytes,
                  want.bytes);
    free(got);
    tt_result_free(&bare), tt_result_free(&vg), tt_result_free(&rec);
    rt_teardown(&c);
}

START_TEST(test_real_valgrind_sort)
{
    static const char *const prog[] = {"/usr/bin/sort", "--parallel=2", "-S",
                                       "50M",           "in.txt",       NULL};
    reconcile(prog);
}
END_TEST

START_TEST(test_real_valgrind_tar)
{
    static const char *const prog[] = {"/bin/tar", "cf", "-", "in.txt", NULL};
    reconcile(prog);
}
END_TEST

START_TEST(test_real_valgrind_sqlite3)
{
    static const char *const prog[] = {
        "/usr/bin/sqlite3", ":memory:",
        "CREATE TABLE t(a, b); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        "WHERE x < 2000) INSERT INTO t SELECT x, printf('%050d', x) FROM c; "
        "CREATE INDEX tb ON t(b); SELECT count(*), sum(length(b)) FROM t;",
        NULL};
    reconcile(prog);
}
END_TEST

START_TEST(test_real_valgrind_perl)
{
    static const char *const prog[] = {
        "/usr/bin/perl", "-e",
        "my %h; $h{$_} = 'x' x ($_ % 300) for 1..20000; my @k = sort keys %h; print scalar(@k), "
        "\"\\n\";",
        NULL};
    reconcile(prog);
}
END_TEST

START_TEST(test_real_valgrind_python3)
{
    static const char *const prog[] = {
        "/usr/bin/python3", "-c",
        "d = {i: str(i) * 300 for i in range(4000)}; print(len(d), sum(map(len, d.values())))",
        NULL};
    reconcile(prog);
}
END_TEST

static const char *need(const char *program)
{
    static char why[256];
    if (access("/usr/bin/valgrind", X_OK) != 0)
        return "valgrind is not installed (scripts/install-deps.sh installs it)";
    if (access(program, X_OK) != 0)
        return snprintf(why, sizeof why, "%s is not installed", program), why;
    return NULL;
}

int main(void)
{
    Suite *s = suite_create("real_valgrind");
    RT_ADD_SKIP(s, test_real_valgrind_sort, 100, need("/usr/bin/sort"));
    RT_ADD_SKIP(s, test_real_valgrind_tar, 100, need("/bin/tar"));
    RT_ADD_SKIP(s, test_real_valgrind_sqlite3, 100, need("/usr/bin/sqlite3"));
    RT_ADD_SKIP(s, test_real_valgrind_perl, 100, need("/usr/bin/perl"));
    RT_ADD_SKIP(s, test_real_valgrind_python3, 100, need("/usr/bin/python3"));
    return rt_main(s);
}
