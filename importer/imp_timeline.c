/* imp_timeline.c: timeline_fine (imp_timeline.h), the same rows as the timeline part of
 * sql/56-derive-blocks.sql: per process and per thread, for each step of the process's
 * run (1000 steps from t0_ns to end_ns) that has events, the highest live bytes reached,
 * and the bytes allocated and freed in it. Events at equal times: allocations first.
 */
#include <stdlib.h>

#include "imp_array.h"
#include "imp_error.h"
#include "imp_radix.h"
#include "imp_timeline.h"

#define IMP_TIMELINE_STEPS 1000
#define IMP_THREAD_MASK ((1 << IMP_TIMELINE_THREAD_BITS) - 1)

/* Room for more events after the n there are. */
static int imp_tl_reserve(imp_timeline_t *tl, uint64_t more)
{
    return imp_grow((void **)&tl->events, &tl->cap, tl->n + more - 1, sizeof *tl->events);
}

static void imp_tl_push(imp_timeline_t *tl, int64_t ts, int64_t delta, int64_t thread_id)
{
    tl->events[tl->n++] = (imp_tl_event_t){ts, delta * (1 << IMP_TIMELINE_THREAD_BITS) + thread_id};
}

int imp_timeline_add_block(imp_timeline_t *tl, int64_t thread_id, int64_t size, int64_t alloc_ns,
                           int64_t free_ns)
{
    if (thread_id < 0 || thread_id > IMP_THREAD_MASK)
        return 0;
    if (imp_tl_reserve(tl, 2))
        return IMP_ENOMEM;
    imp_tl_push(tl, alloc_ns, size, thread_id);
    if (free_ns >= 0)
        imp_tl_push(tl, free_ns, -size, thread_id);
    return 0;
}

static int imp_tl_sort(imp_timeline_t *tl)
{
    _Static_assert(sizeof(imp_tl_event_t) == 2 * sizeof(int64_t), "events sort as pairs");
    int rc = tl->n ? imp_radix_sort_pairs(&tl->events->ts, tl->n, 1) : 0;
    tl->sorted = !rc;
    return rc;
}

static void *imp_tl_gather(void *arg)
{
    imp_timeline_t *tl = arg;
    const imp_spool_t *s = tl->spool;
    tl->rc = imp_tl_reserve(tl, 2 * s->count + 1);
    for (uint64_t i = 0; !tl->rc && i < s->count; i++) {
        const imp_spool_block_t *b = &s->map[i];
        if (b->process_id < 1 || b->process_id > tl->nprocs || b->thread_id > IMP_THREAD_MASK)
            continue;
        imp_tl_push(tl, (int64_t)b->alloc_ns, (int64_t)b->size, b->thread_id);
        if (b->ended)
            imp_tl_push(tl, (int64_t)b->free_ns, -(int64_t)b->size, b->thread_id);
    }
    if (!tl->rc)
        tl->rc = imp_tl_sort(tl);
    return NULL;
}

void imp_timeline_start(imp_timeline_t *tl, const imp_spool_t *spool, int64_t nprocs,
                        int own_thread)
{
    tl->spool = spool, tl->nprocs = nprocs;
    tl->started = own_thread && pthread_create(&tl->thread, NULL, imp_tl_gather, tl) == 0;
    if (!tl->started)
        imp_tl_gather(tl);
}

static int imp_tl_join(imp_timeline_t *tl)
{
    if (tl->started) {
        pthread_join(tl->thread, NULL);
        tl->started = 0;
    }
    if (!tl->rc && !tl->sorted)
        tl->rc = imp_tl_sort(tl);
    return tl->rc;
}

/* One series: the step being filled and its values. */
typedef struct imp_series {
    int64_t process_id, thread_id, step, live, max, allocated, freed;
} imp_series_t;

static int imp_series_flush(imp_db_t *db, imp_series_t *s)
{
    static const char sql[] = "INSERT INTO timeline_fine VALUES(?,?,?,?,?,?)";
    if (s->step < 0)
        return 0;
    imp_value_t row[6] = {imp_v_int(s->process_id), imp_v_id(s->thread_id),  imp_v_int(s->step),
                          imp_v_int(s->max),        imp_v_int(s->allocated), imp_v_int(s->freed)};
    s->step = -1;
    return imp_db_run(db, sql, row, 6);
}

static int imp_series_add(imp_db_t *db, imp_series_t *s, int64_t step, int64_t delta)
{
    int rc = 0;
    if (step != s->step) {
        rc = imp_series_flush(db, s);
        s->step = step, s->max = s->live, s->allocated = s->freed = 0;
    }
    s->live += delta;
    if (s->live > s->max)
        s->max = s->live;
    if (delta > 0)
        s->allocated += delta;
    else
        s->freed -= delta;
    return rc;
}

int imp_timeline_write(imp_timeline_t *tl, imp_db_t *db, const imp_tl_proc_t *procs,
                       int64_t nprocs, const int64_t *thread_process, int64_t nthreads)
{
    int rc = imp_tl_join(tl);
    if (rc)
        return rc;
    imp_series_t *ps = calloc((size_t)nprocs + 1, sizeof *ps);
    imp_series_t *ts = calloc((size_t)nthreads + 1, sizeof *ts);
    rc = ps && ts ? 0 : IMP_ENOMEM;
    for (int64_t p = 0; !rc && p < nprocs; p++)
        ps[p].process_id = p + 1, ps[p].step = -1;
    for (uint64_t i = 0; !rc && i < tl->n; i++) {
        const imp_tl_event_t *e = &tl->events[i];
        int64_t thread = e->delta_thread & IMP_THREAD_MASK;
        int64_t delta = (e->delta_thread - thread) / (1 << IMP_TIMELINE_THREAD_BITS);
        int64_t pid = thread <= nthreads ? thread_process[thread] : 0;
        if (pid < 1 || pid > nprocs || !procs[pid - 1].known)
            continue;
        const imp_tl_proc_t *p = &procs[pid - 1];
        int64_t len = p->end - p->t0 > 1 ? p->end - p->t0 : 1;
        int64_t step = (int64_t)((double)(e->ts - p->t0) * IMP_TIMELINE_STEPS / (double)len);
        step = step < 0 ? 0 : step >= IMP_TIMELINE_STEPS ? IMP_TIMELINE_STEPS - 1 : step;
        imp_series_t *t = &ts[thread];
        if (!t->process_id)
            t->process_id = pid, t->thread_id = thread, t->step = -1;
        rc = imp_series_add(db, &ps[pid - 1], step, delta);
        if (!rc)
            rc = imp_series_add(db, t, step, delta);
    }
    for (int64_t p = 0; !rc && p < nprocs; p++)
        rc = imp_series_flush(db, &ps[p]);
    for (int64_t t = 0; !rc && t <= nthreads; t++)
        if (ts[t].process_id)
            rc = imp_series_flush(db, &ts[t]);
    free(ps), free(ts);
    return rc;
}

void imp_timeline_free(imp_timeline_t *tl)
{
    if (tl->started)
        imp_tl_join(tl);
    free(tl->events);
    tl->events = NULL;
    tl->n = tl->cap = 0;
}
