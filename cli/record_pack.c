/* record_pack.c: after the run (and the trim), the trace files of ended processes are
 * replaced by their packed form (format/trace_pack.h), which every reader unpacks.
 *
 * Packing costs the traced program nothing: it runs after the program has ended, in
 * mtdb record or mtdb pack. Only files whose process has ended are touched (the test of
 * record_writer_ended, shared with the trim): a process still running may write into its
 * mapped files. A file that cannot be packed stays whole and readable as it was.
 */
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "record.h"
#include "trace_pack.h"

static double pack_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Packs one file of an ended process and counts what happened. */
static void pack_one(const char *dir, const char *name, int level, record_pack_totals_t *t)
{
    char path[PATH_MAX], why[160] = "";
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        t->failed++;
        return;
    }
    mtdb_pack_stats_t st;
    int rc = mtdb_pack_file(path, level, MTDB_PACK_CHUNK_DEFAULT, &st, why, sizeof why);
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

int record_pack_traces(const char *dir, const record_names_t *before, const record_names_t *after,
                       int level, record_pack_totals_t *t)
{
    *t = (record_pack_totals_t){0};
    double t0 = pack_now_s();
    for (size_t i = 0; i < after->count; i++) {
        const char *name = after->names[i];
        if (record_names_contain(before, name))
            continue;
        if (!record_writer_ended(name))
            t->running++;
        else
            pack_one(dir, name, level, t);
    }
    t->seconds = pack_now_s() - t0;
    return t->failed ? RECORD_ESYS : RECORD_OK;
}
