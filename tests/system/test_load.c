/* test_load.c: proof under load. 512 threads handing blocks to each other and 20,000
 * threads over a run (in waves), reconciled exactly; a soak of steady churn whose memory,
 * mapped trace memory and descriptors are read from /proc while it runs and must stay
 * flat; SIGKILL at random points, after which every trace imports and every call that
 * had returned is in it (the documented bound: at most the one event per thread in flight).
 *
 * Bounded for CI; MTDB_TEST_LONG=1 runs the long versions (docs/recorder.md, "Proof under
 * load"). Figures go to stderr as "load: ..." lines.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "real_util.h"
#include "trace_reader.h"

static int long_mode(void)
{
    const char *v = getenv("MTDB_TEST_LONG");
    return v && strcmp(v, "1") == 0;
}

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

/* ---- 512 threads ------------------------------------------------------------------------ */

/* Threads that reported 0 allocations and 0 frees (their lines interleave with others'). */
static int idle_threads(const tt_result_t *res)
{
    int idle = 0;
    for (const char *at = res->out; (at = strstr(at, "thread.")) != NULL; at++) {
        long long tid, allocs;
        char key[64];
        if (sscanf(at, "thread.%lld.allocs %lld", &tid, &allocs) != 2 || allocs)
            continue;
        snprintf(key, sizeof key, "thread.%lld.frees", tid);
        idle += tt_value(res, key) == 0;
    }
    return idle;
}

START_TEST(test_load_512_threads_cross_frees_exact)
{
    const int producers = 256, consumers = 256, per = long_mode() ? 2000 : 50;
    char per_s[16];
    snprintf(per_s, sizeof per_s, "%d", per);
    const char *argv[] = {RT_VICTIM_THREADS, "queue", "256", "256", per_s, NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    c.spec.timeout_ms = long_mode() ? 1800000 : 100000;
    rt_go(&c);
    rt_assert_clean_exit(&c);
    rt_assert_undamaged(&c);
    rt_assert_images(&c, 1);
    tt_image_t *im = &c.tally.images[0];
    ck_assert_int_eq(rt_value(&c, "threads"), producers + consumers);
    ck_assert_int_eq(rt_value(&c, "allocs"), producers * per);
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "allocs"));
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(&c, "frees"));
    ck_assert_uint_eq(im->cross_thread_frees, (uint64_t)rt_value(&c, "cross_frees"));
    ck_assert_uint_gt(im->cross_thread_frees, 0);
    ck_assert_uint_eq(im->live_marked, 0);
    for (int p = 0; p < producers; p++) {
        ck_assert_uint_eq(im->sizes[p].allocs, (uint64_t)per);
        ck_assert_uint_eq(im->sizes[p].frees, (uint64_t)per);
    }
    int matched = 0; /* every thread's own counts are its thread's in the trace */
    char key[96];
    for (uint32_t n = 1; n < im->nthreads; n++) {
        tt_thread_t *th = &im->threads[n];
        snprintf(key, sizeof key, "thread.%llu.allocs", (unsigned long long)th->tid);
        long long allocs = th->thread_records ? tt_value(&c.res, key) : TT_MISSING;
        if (allocs == TT_MISSING)
            continue;
        snprintf(key, sizeof key, "thread.%llu.frees", (unsigned long long)th->tid);
        long long frees = rt_value(&c, key);
        ck_assert_uint_eq(th->marked_allocs, (uint64_t)allocs);
        ck_assert_uint_eq(th->marked_frees, (uint64_t)frees);
        matched += allocs || frees;
    }
    /* a consumer that only ever popped the end marker made no marked heap call (the C
     * library's own frees at its exit may still put it in the trace) */
    ck_assert_int_eq(matched + idle_threads(&c.res), producers + consumers);
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR], 0);
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_DROPPED_REENTRY_FULL], 0);
    fprintf(stderr, "load: 512 threads: %llu blocks, %llu cross-thread frees, exact\n",
            (unsigned long long)tt_marked_allocs(im), (unsigned long long)im->cross_thread_frees);
    rt_teardown(&c);
}
END_TEST

/* ---- 20,000 threads in waves ------------------------------------------------------------ */

START_TEST(test_load_20000_threads_in_waves_exact)
{
    const long threads = long_mode() ? 200000 : 20000;
    char threads_s[24];
    snprintf(threads_s, sizeof threads_s, "%ld", threads);
    const char *argv[] = {RT_VICTIM_THREADS, "churn", threads_s, "100", NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    c.spec.timeout_ms = long_mode() ? 1800000 : 100000;
    rt_go(&c);
    rt_assert_clean_exit(&c);
    rt_assert_undamaged(&c);
    rt_assert_images(&c, 1);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_int_eq(rt_value(&c, "threads"), threads);
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "allocs"));
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(&c, "frees"));
    ck_assert_uint_eq(im->cross_thread_frees, (uint64_t)rt_value(&c, "cross_frees"));
    ck_assert_uint_eq(im->live_marked, 0);
    uint32_t whole = 0;
    for (uint32_t n = 1; n < im->nthreads; n++)
        whole += im->threads[n].thread_records == 1 && im->threads[n].marked_allocs == 2 &&
                 im->threads[n].marked_frees == 1;
    ck_assert_uint_eq(whole, (uint32_t)threads);
    ck_assert_int_eq(rt_value(&c, "fds_after"), rt_value(&c, "fds_before"));
    ck_assert_int_eq(rt_value(&c, "trace_fds_max"), 0);
    fprintf(stderr, "load: %ld threads in waves of 100: %d stream files, exact\n", threads,
            tt_count_files(c.trace, ".trace"));
    rt_teardown(&c);
}
END_TEST

/* ---- soak ------------------------------------------------------------------------------- */

typedef struct load_sample {
    long rss_kb, anon_kb, fds, trace_kb;
} load_sample_t;

/* VmRSS and RssAnon (the heap and the recorder's anonymous memory; the trace pages are
 * file pages); -1 once the process is gone or a zombie. */
static long read_rss_kb(pid_t pid, long *anon_kb)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
        else if (strncmp(line, "RssAnon:", 8) == 0)
            *anon_kb = atol(line + 8);
    if (f)
        fclose(f);
    return kb;
}

/* Open descriptors of pid, not counting those on files under dir (the recorder opens a
 * trace file for a moment while a chunk grows); *other gets the targets of the others. */
static long count_fds(pid_t pid, const char *dir, char *other, size_t other_len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    long n = 0;
    size_t at = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
        char link[320], target[4200];
        snprintf(link, sizeof link, "%s/%s", path, de->d_name);
        ssize_t len = de->d_name[0] == '.' ? -1 : readlink(link, target, sizeof target - 1);
        if (len < 0)
            continue;
        target[len] = 0;
        if (strncmp(target, dir, strlen(dir)) == 0)
            continue;
        n++;
        at += (size_t)snprintf(other + at, at < other_len ? other_len - at : 0, "%s=%s ",
                               de->d_name, target);
        at = at < other_len ? at : other_len;
    }
    if (d)
        closedir(d);
    return d ? n : -1;
}

/* KiB of the process's mappings of files under dir (its trace files). */
static long trace_mapped_kb(pid_t pid, const char *dir)
{
    char path[64], line[4600];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    long kb = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (strstr(line, dir) && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            kb += (long)((hi - lo) / 1024);
    }
    if (f)
        fclose(f);
    return kb;
}

static char fds_first[2048], fds_most[2048]; /* descriptors at the first sample, at the most */

/* Samples pid every 100 ms until it ends; returns the number of samples. */
static size_t sample_until_exit(pid_t pid, const char *dir, load_sample_t *out, size_t cap)
{
    size_t n = 0;
    long most = 0;
    for (;;) {
        char fds[2048] = "";
        load_sample_t s = {0, 0, count_fds(pid, dir, fds, sizeof fds), trace_mapped_kb(pid, dir)};
        if (n == 0)
            snprintf(fds_first, sizeof fds_first, "%s", fds);
        if (s.fds > most)
            most = s.fds, snprintf(fds_most, sizeof fds_most, "%s", fds);
        s.rss_kb = read_rss_kb(pid, &s.anon_kb);
        if (s.rss_kb < 0 || s.fds < 0)
            return n;
        if (n < cap)
            out[n++] = s;
        nap_ms(100);
    }
}

static load_sample_t max_over(const load_sample_t *s, size_t from, size_t to)
{
    load_sample_t m = {0, 0, 0, 0};
    for (size_t i = from; i < to; i++) {
        m.rss_kb = s[i].rss_kb > m.rss_kb ? s[i].rss_kb : m.rss_kb;
        m.anon_kb = s[i].anon_kb > m.anon_kb ? s[i].anon_kb : m.anon_kb;
        m.fds = s[i].fds > m.fds ? s[i].fds : m.fds;
        m.trace_kb = s[i].trace_kb > m.trace_kb ? s[i].trace_kb : m.trace_kb;
    }
    return m;
}

#define SOAK_WORKERS 4
#define SOAK_ANON_SLACK_KB 1024

START_TEST(test_load_soak_memory_and_fds_flat)
{
    const char *given = getenv("MTDB_TEST_SOAK_S");
    const int seconds = given && atoi(given) > 0 ? atoi(given) : long_mode() ? 300 : 10;
    char seconds_s[16];
    snprintf(seconds_s, sizeof seconds_s, "%d", seconds);
    const char *argv[] = {RT_VICTIM_LOAD, "soak", seconds_s, "4", NULL};
    rt_case_t c;
    rt_setup(&c, argv);
    tt_child_t child;
    ck_assert_int_eq(tt_start(&c.spec, c.scratch, &child), 0);
    size_t cap = (size_t)seconds * 10 + 100;
    load_sample_t *s = calloc(cap, sizeof *s);
    size_t n = sample_until_exit(child.pid, c.trace, s, cap);
    ck_assert_int_eq(tt_wait(&child, 60000, &c.res), 0);
    rt_decode(&c);
    rt_assert_clean_exit(&c);
    rt_assert_undamaged(&c);
    rt_assert_images(&c, 1);
    ck_assert_msg(n >= (size_t)seconds * 5, "only %zu samples", n);
    size_t warm = n / 10, mid = warm + (n - warm) / 2;
    load_sample_t first = max_over(s, warm, mid), second = max_over(s, mid, n);
    fprintf(stderr,
            "load: soak %d s, %zu samples, max in each half: VmRSS %ld then %ld KiB, RssAnon "
            "%ld then %ld KiB, fds %ld then %ld, trace mapped %ld then %ld KiB\n",
            seconds, n, first.rss_kb, second.rss_kb, first.anon_kb, second.anon_kb, first.fds,
            second.fds, first.trace_kb, second.trace_kb);
    /* VmRSS also holds the trace pages, which grow with the chunk size (64 KiB to 1 MiB)
     * up to the bound checked below; the anonymous memory must not grow at all */
    ck_assert_msg(second.anon_kb <= first.anon_kb + SOAK_ANON_SLACK_KB,
                  "RssAnon grew: %ld -> %ld KiB", first.anon_kb, second.anon_kb);
    ck_assert_msg(second.fds <= first.fds, "descriptors grew: %ld -> %ld; first: %s; most: %s",
                  first.fds, second.fds, fds_first, fds_most);
    /* each thread keeps at most one chunk (1 MiB) mapped: workers, main, one short-lived */
    ck_assert_msg(max_over(s, 0, n).trace_kb <= (SOAK_WORKERS + 3) * 1024, "trace mapped: %ld KiB",
                  max_over(s, 0, n).trace_kb);
    const tt_image_t *im = &c.tally.images[0];
    ck_assert_uint_eq(tt_marked_allocs(im), (uint64_t)rt_value(&c, "allocs"));
    ck_assert_uint_eq(tt_marked_frees(im), (uint64_t)rt_value(&c, "frees"));
    for (int k = 0; k < SOAK_WORKERS; k++) {
        char key[64];
        snprintf(key, sizeof key, "worker.%d.allocs", k);
        ck_assert_uint_eq(im->sizes[k].allocs, (uint64_t)rt_value(&c, key));
        ck_assert_uint_eq(im->sizes[k].frees, (uint64_t)rt_value(&c, key));
    }
    ck_assert_uint_eq(im->sizes[200].allocs, 2 * (uint64_t)rt_value(&c, "churn_threads"));
    ck_assert_uint_eq(im->live_marked, 0);
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR], 0);
    ck_assert_uint_eq(im->counters[MTDB_COUNTER_DROPPED_REENTRY_FULL], 0);
    free(s);
    rt_teardown(&c);
}
END_TEST

/* ---- SIGKILL at random points ----------------------------------------------------------- */

#define KILL_THREADS 4

static int all_past(const volatile uint64_t *progress, uint64_t n)
{
    for (int i = 0; i < KILL_THREADS; i++)
        if (__atomic_load_n(&progress[i], __ATOMIC_ACQUIRE) < n)
            return 0;
    return 1;
}

/* Kills the loop victim once every thread has made `target` calls (0: at once). */
static void kill_at(rt_case_t *c, uint64_t target, uint64_t *seen)
{
    static const char *argv[] = {RT_VICTIM_PROGRESS, "loop", "4", NULL, NULL};
    rt_setup(c, argv);
    char path[4200];
    snprintf(path, sizeof path, "%s/progress", c->scratch);
    argv[3] = path;
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    ck_assert_int_eq(ftruncate(fd, 4096), 0);
    uint64_t *progress = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    ck_assert_ptr_ne(progress, MAP_FAILED);
    tt_child_t child;
    ck_assert_int_eq(tt_start(&c->spec, c->scratch, &child), 0);
    for (int waited = 0; target && !all_past(progress, target) && waited < 20000; waited++)
        nap_ms(1);
    kill(child.pid, SIGKILL);
    ck_assert_int_eq(tt_wait(&child, 10000, &c->res), 0);
    ck_assert_msg(c->res.signaled && c->res.signal == SIGKILL, "stderr: %s", c->res.err);
    for (int i = 0; i < KILL_THREADS; i++)
        seen[i] = progress[i]; /* calls that had returned when it died */
    munmap(progress, 4096);
    close(fd);
}

/* Every call that returned is in the trace and in the database, at most one more. */
static void expect_bound(rt_case_t *c, const uint64_t *done)
{
    if (access(c->trace, F_OK) != 0 || tt_count_files(c->trace, ".proc") == 0) {
        for (int i = 0; i < KILL_THREADS; i++) /* killed before the recorder started */
            ck_assert_uint_eq(done[i], 0);
        return;
    }
    rt_decode(c);
    const tt_tally_t *t = &c->tally;
    ck_assert_msg(t->diag_total == t->diags[MTDB_DIAG_TORN_TAIL], "%s", t->first_diag);
    rt_assert_images(c, 1);
    const tt_image_t *im = &t->images[0];
    for (int i = 0; i < KILL_THREADS; i++) {
        const tt_size_stat_t *z = &im->sizes[i];
        ck_assert_msg(z->allocs >= done[i] && z->allocs <= done[i] + 1,
                      "thread %d: %llu returned, %llu recorded", i, (unsigned long long)done[i],
                      (unsigned long long)z->allocs);
    }
    int rc = rl_import(c, NULL);
    ck_assert_msg(rc == 0 || rc == 3, "import exit %d", rc);
    ck_assert_query(c,
                    "SELECT count(*) FROM import_problems WHERE kind NOT IN "
                    "('torn_tail', 'truncated')",
                    "0");
    for (int i = 0; i < KILL_THREADS; i++) {
        char sql[200], want[32];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM allocations WHERE size_bytes = %u",
                 (unsigned)VC_MARK(i));
        snprintf(want, sizeof want, "%llu", (unsigned long long)im->sizes[i].allocs);
        ck_assert_query(c, sql, want);
    }
}

START_TEST(test_load_sigkill_at_random_points)
{
    const int points = long_mode() ? 300 : 10;
    unsigned seed = (unsigned)time(NULL);
    fprintf(stderr, "load: sigkill seed %u\n", seed);
    srand(seed);
    uint64_t total = 0;
    for (int k = 0; k < points; k++) {
        /* first moments (start-up, first streams) as often as deep in the run */
        uint64_t target = k % 3 == 0 ? (uint64_t)(rand() % 20) : (uint64_t)(rand() % 40000);
        rt_case_t c;
        uint64_t done[KILL_THREADS];
        kill_at(&c, target, done);
        expect_bound(&c, done);
        total += done[0] + done[1] + done[2] + done[3];
        rt_teardown(&c);
    }
    fprintf(stderr, "load: %d kills, %llu returned calls all found\n", points,
            (unsigned long long)total);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load");
    int t = long_mode() ? 3600 : 110;
    RT_ADD(s, test_load_512_threads_cross_frees_exact, t);
    RT_ADD(s, test_load_20000_threads_in_waves_exact, t);
    RT_ADD(s, test_load_soak_memory_and_fds_flat, t);
    RT_ADD(s, test_load_sigkill_at_random_points, t);
    return rt_main(s);
}
