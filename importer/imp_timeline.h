/* imp_timeline.h: timeline_fine, each process's and each thread's live bytes in 1000
 * steps of its run, from every allocation and free in time order (imp_timeline.c).
 *
 * The events are gathered and sorted by time on a thread of their own, started by the
 * import (imp_import.c) as soon as the spool is complete: the sort needs nothing from
 * the database, so it runs beside the load's commit, the indexes and the symbols, and is
 * done or nearly so when the per-block pass (imp_derive.c) wants it.
 */
#ifndef IMP_TIMELINE_H
#define IMP_TIMELINE_H

#include <pthread.h>
#include <stdint.h>

#include "imp_db.h"
#include "imp_spool.h"

/* One allocation (+size) or free (-size); thread_id < 2^IMP_TIMELINE_THREAD_BITS. */
typedef struct imp_tl_event {
    int64_t ts;
    int64_t delta_thread; /* delta * 2^24 + thread_id */
} imp_tl_event_t;

#define IMP_TIMELINE_THREAD_BITS 24

/* What the steps of one process need: its first and last time (known 0: no steps). */
typedef struct imp_tl_proc {
    int64_t t0, end;
    int known;
} imp_tl_proc_t;

typedef struct imp_timeline {
    imp_tl_event_t *events;
    uint64_t n, cap;
    const imp_spool_t *spool; /* gathered from here on the thread, when started */
    int64_t nprocs;
    pthread_t thread;
    int started, sorted, rc;
} imp_timeline_t;

/* Gathers every block of a mapped spool whose process is 1..nprocs and sorts, on a new
 * thread when own_thread (on this one when it is 0 or none can start). tl must be
 * zeroed; the spool must stay mapped until imp_timeline_write. */
void imp_timeline_start(imp_timeline_t *tl, const imp_spool_t *spool, int64_t nprocs,
                        int own_thread);
/* Without a spool: one block at a time (free_ns < 0: still live). */
int imp_timeline_add_block(imp_timeline_t *tl, int64_t thread_id, int64_t size, int64_t alloc_ns,
                           int64_t free_ns);
/* Waits for the sort, then writes timeline_fine. procs[p - 1] describes process p;
 * thread_process[t] is thread t's process (0 unknown), for t <= nthreads. */
int imp_timeline_write(imp_timeline_t *tl, imp_db_t *db, const imp_tl_proc_t *procs,
                       int64_t nprocs, const int64_t *thread_process, int64_t nthreads);
/* Joins the thread if still running, frees everything. */
void imp_timeline_free(imp_timeline_t *tl);

#endif
