/* record_pack.c: after the run (and the trim), the trace files of ended processes are
 * replaced by their packed form (format/trace_pack.h), which every reader unpacks.
 *
 * Packing costs the traced program nothing: it runs after the program has ended, in
 * mtdb record or mtdb pack. Only files whose process has ended are touched (the test of
 * record_writer_ended, shared with the trim): a process still running may write into its
 * mapped files. A file that cannot be packed stays whole and readable as it was.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "record.h"
#include "trace_pack.h"

static double pack_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Packs one file of an ended process, its pieces on up to `lanes` threads, and counts
 * what happened. */
static void pack_one(const char *dir, const char *name, int level, int lanes,
                     record_pack_totals_t *t)
{
    char path[PATH_MAX], why[160] = "";
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        t->failed++;
        return;
    }
    mtdb_pack_stats_t st;
    int rc = mtdb_pack_file_lanes(path, MTDB_PACK_CODEC_SPLIT, level, MTDB_PACK_CHUNK_DEFAULT,
                                  lanes, &st, why, sizeof why);
    if (rc == MTDB_PACK_OK) {
        t->packed++;
        t->raw_bytes += st.raw_bytes, t->packed_bytes += st.packed_bytes;
    } else if (rc == MTDB_PACK_ALREADY) {
        t->already++;
    } else if (rc < 0) {
        t->failed++;
        fprintf(stderr, "mtdb: warning: %s left unpacked: %s\n", path,
                why[0] ? why : mtdb_pack_strerror(rc));
    }
}

/* Files are packed by up to this many threads at once: the program has ended, so its
 * cores are free; two already halve the wait on the machines this is made for, and more
 * would only compete for the disk. A big file (at least PACK_BIG_PIECES pieces) has
 * them all, its pieces side by side: a single-threaded program leaves one file, which
 * would otherwise keep one core busy and the other idle. Smaller files go one to a
 * thread, several at once. */
#define PACK_THREADS_MAX 2
#define PACK_BIG_PIECES 4

typedef struct pack_queue {
    const char *dir;
    const char **names;
    size_t count, next; /* next: taken atomically by the workers */
    int level;
} pack_queue_t;

typedef struct pack_worker {
    pack_queue_t *q;
    record_pack_totals_t t;
    pthread_t thread;
    int started;
} pack_worker_t;

static void *pack_worker_run(void *arg)
{
    pack_worker_t *w = arg;
    for (size_t i; (i = __atomic_fetch_add(&w->q->next, 1, __ATOMIC_RELAXED)) < w->q->count;)
        pack_one(w->q->dir, w->q->names[i], w->q->level, 1, &w->t);
    return NULL;
}

/* 1 when the file dir/name is big enough for its pieces to be packed side by side. */
static int pack_is_big(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    return snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path &&
           stat(path, &st) == 0 &&
           (uint64_t)st.st_size >= (uint64_t)PACK_BIG_PIECES * MTDB_PACK_CHUNK_DEFAULT;
}

/* Packs every file of q: the big ones first, one at a time on PACK_THREADS_MAX lanes,
 * then the others on this thread and up to PACK_THREADS_MAX - 1 more; adds the counts
 * to t. A thread that cannot start leaves its share to the others. */
static void pack_queue_run(pack_queue_t *q, record_pack_totals_t *t)
{
    pack_worker_t w[PACK_THREADS_MAX] = {0};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int lanes = cores > 1 ? PACK_THREADS_MAX : 1;
    size_t small = 0;
    for (size_t i = 0; i < q->count; i++) {
        if (lanes > 1 && pack_is_big(q->dir, q->names[i]))
            pack_one(q->dir, q->names[i], q->level, lanes, t);
        else
            q->names[small++] = q->names[i];
    }
    q->count = small;
    size_t n = cores > 1 && q->count > 1 ? PACK_THREADS_MAX : 1;
    for (size_t i = 0; i < n; i++)
        w[i].q = q;
    for (size_t i = 1; i < n; i++)
        w[i].started = pthread_create(&w[i].thread, NULL, pack_worker_run, &w[i]) == 0;
    pack_worker_run(&w[0]);
    for (size_t i = 0; i < n; i++) {
        if (i && w[i].started)
            pthread_join(w[i].thread, NULL);
        t->packed += w[i].t.packed, t->already += w[i].t.already, t->failed += w[i].t.failed;
        t->raw_bytes += w[i].t.raw_bytes, t->packed_bytes += w[i].t.packed_bytes;
    }
}

int record_pack_traces(const char *dir, const record_names_t *before, const record_names_t *after,
                       int level, record_pack_totals_t *t)
{
    *t = (record_pack_totals_t){0};
    double t0 = pack_now_s();
    pack_queue_t q = {.dir = dir, .level = level};
    q.names = malloc((after->count ? after->count : 1) * sizeof *q.names);
    if (!q.names)
        return RECORD_ESYS;
    for (size_t i = 0; i < after->count; i++) {
        const char *name = after->names[i];
        if (record_names_contain(before, name))
            continue;
        if (!record_writer_ended(name))
            t->running++;
        else
            q.names[q.count++] = name;
    }
    pack_queue_run(&q, t);
    free(q.names);
    t->seconds = pack_now_s() - t0;
    return t->failed ? RECORD_ESYS : RECORD_OK;
}
