/* imp_loss.c: what a recorded process lost, counted once, and from when.
 *
 * Losses reach the importer three ways: the recorder's dropped_* counters (in a thread's
 * stream, or in the process file when the stream could not take them), gaps the reader
 * finds in a thread's event sequence, and damage the reader skipped. A thread's dropped
 * events that no gap reported become one `not_recorded` problem, so every lost event is
 * in `import_problems` exactly once. Must never turn the partner of a lost event into a
 * problem of its own.
 */
#include <stdio.h>

#include "imp_loss.h"
#include "imp_problem.h"
#include "imp_threads.h"

void imp_loss_note(imp_pctx_t *p, uint64_t ts)
{
    if (!p->loss_seen)
        p->loss_seen = 1, p->loss_ns = ts;
}

/* Any damage may have hidden events; a gap also says how many, and whose. */
void imp_loss_on_diag(imp_pctx_t *p, const mtdb_diag_t *d)
{
    if (d->kind == MTDB_DIAG_EVENT_GAP && d->thread) {
        imp_thread_t *t = imp_thread_get(p, d->thread, d->path);
        if (t)
            t->gap_events += d->events_lost;
    }
    imp_loss_note(p, p->proc->stats.last_ns);
}

static uint64_t imp_dropped(const uint64_t *counters, uint32_t count)
{
    uint64_t n = 0;
    if (count > MTDB_COUNTER_DROPPED_WRITE_ERROR)
        n += counters[MTDB_COUNTER_DROPPED_WRITE_ERROR];
    if (count > MTDB_COUNTER_DROPPED_REENTRY_FULL)
        n += counters[MTDB_COUNTER_DROPPED_REENTRY_FULL];
    return n;
}

/* The recorder notes a thread's first lost event at its time (in the process file). */
void imp_loss_on_counters(imp_pctx_t *p, const mtdb_record_t *r)
{
    uint32_t count = r->counter_count < MTDB_COUNTER_COUNT ? r->counter_count : MTDB_COUNTER_COUNT;
    if (imp_dropped(r->counters, count))
        imp_loss_note(p, r->ts_ns);
}

static int imp_loss_thread(imp_pctx_t *p, const imp_thread_t *t)
{
    uint64_t dropped = imp_dropped(t->counters, t->counter_count);
    if (dropped <= t->gap_events)
        return 0;
    uint64_t missing = dropped - t->gap_events;
    char msg[256];
    snprintf(msg, sizeof msg,
             "thread %u: %llu events were not recorded (the recorder could not write them; "
             "health_counters dropped_*)",
             t->number, (unsigned long long)missing);
    return imp_problem_add(p->run, &(imp_problem_t){.kind = "not_recorded",
                                                    .message = msg,
                                                    .process_id = p->proc->process_id,
                                                    .thread = t->number,
                                                    .events = missing});
}

int imp_loss_report(imp_pctx_t *p)
{
    int rc = 0;
    for (uint32_t i = 0; !rc && i < p->nthreads; i++)
        rc = imp_loss_thread(p, p->threads[i]);
    if (rc || (!p->unknown_frees && !p->frees_lost_in_gaps))
        return rc;
    char msg[320];
    snprintf(msg, sizeof msg,
             "after events were lost: %llu frees of no recorded block and %llu blocks allocated "
             "over without a free: their partners were among the lost events (not counted as "
             "unmatched, double or lost frees)",
             (unsigned long long)p->unknown_frees, (unsigned long long)p->frees_lost_in_gaps);
    return imp_problem_add(p->run, &(imp_problem_t){.kind = "partner_lost",
                                                    .message = msg,
                                                    .process_id = p->proc->process_id});
}
