/* imp_process.c: imports one recorded process image: opens its files, merges them by
 * time, applies every record, then writes its threads, counters and totals.
 *
 * Damage reported by the reader becomes import_problems rows and warnings; an unknown
 * format version stops the whole import. Must never hold more than one process's
 * pairing state at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imp_alloc_check.h"
#include "imp_clock.h"
#include "imp_error.h"
#include "imp_loss.h"
#include "imp_merge.h"
#include "imp_notify.h"
#include "imp_pair.h"
#include "imp_problem.h"
#include "imp_process.h"
#include "imp_records.h"
#include "imp_threads.h"

static const char *imp_diag_kind(enum mtdb_diag_kind k)
{
    return k > MTDB_DIAG_NONE_ && k < MTDB_DIAG_END_ ? mtdb_diag_kind_name(k) : "other";
}

/* The reader's callback: a failed row write becomes the process's sticky error. */
static void imp_on_diag(void *ctx, const mtdb_diag_t *d)
{
    imp_pctx_t *p = ctx;
    imp_loss_on_diag(p, d);
    int rc = imp_problem_add(p->run, &(imp_problem_t){.kind = imp_diag_kind(d->kind),
                                                      .message = d->detail[0] ? d->detail
                                                                              : d->message,
                                                      .process_id = p->proc->process_id,
                                                      .file = d->path,
                                                      .offset = d->offset,
                                                      .thread = d->thread,
                                                      .bytes = d->bytes_skipped,
                                                      .events = d->events_lost});
    if (!p->rc)
        p->rc = rc;
}

/* Opens the process's files; unreadable ones are skipped with a problem row. */
static int imp_open_files(imp_pctx_t *p, mtdb_reader_t **readers, const char **paths, int *n)
{
    *n = 0;
    for (uint32_t i = 0; i < p->proc->nfiles; i++) {
        const char *path = p->proc->files[i].path;
        char msg[256] = "";
        mtdb_reader_t *r = NULL;
        int rc = mtdb_reader_open(path, &r, msg, sizeof msg);
        if (rc == MTDB_READ_EVERSION) {
            snprintf(p->run->msg, p->run->msg_len, "%s", msg);
            return IMP_EVERSION;
        }
        if (rc) {
            rc = imp_problem_add(p->run,
                                 &(imp_problem_t){.kind = "unreadable_file",
                                                  .message = msg[0] ? msg : mtdb_read_strerror(rc),
                                                  .process_id = p->proc->process_id,
                                                  .file = path});
            if (rc)
                return rc;
            continue;
        }
        mtdb_reader_set_diag(r, imp_on_diag, p);
        readers[*n] = r, paths[*n] = path;
        ++*n;
    }
    return 0;
}

/* done 0: decoding goes on; 1: the process is finished. */
static void imp_progress(imp_pctx_t *p, uint64_t events, int done)
{
    const imp_run_t *run = p->run;
    if (!run->opt->on_event)
        return;
    char text[128];
    snprintf(text, sizeof text, "importing process %lld/%u: %llu events",
             (long long)p->proc->process_id, run->nprocs, (unsigned long long)events);
    imp_notify(run->opt, &(mtdb_import_event_t){.kind = MTDB_IMPORT_EV_PROGRESS,
                                                .text = text,
                                                .process_id = p->proc->process_id,
                                                .processes = run->nprocs,
                                                .events = events,
                                                .done = done});
}

/* Applies every record in time order. */
static int imp_run_merge(imp_pctx_t *p, imp_merge_t *m)
{
    uint64_t n = 0;
    int rc = 0;
    for (imp_cursor_t *c; !rc && (c = imp_merge_peek(m)); imp_merge_advance(m)) {
        p->cur_file = c->path;
        p->cur_offset = c->rec.offset;
        rc = imp_record_apply(p, &c->rec, c->half);
        if (!rc)
            rc = p->rc;
        if ((++n & 0xFFFF) == 0) {
            if (*p->run->interrupted)
                rc = IMP_EINTR;
            if ((n & 0xFFFFF) == 0)
                imp_progress(p, p->run->events + p->proc->stats.events, 0);
        }
    }
    if (!rc && m->fatal) {
        snprintf(p->run->msg, p->run->msg_len, "%s: %s", m->fatal_path,
                 mtdb_read_strerror(m->fatal));
        rc = IMP_EREAD;
    }
    return rc;
}

static int imp_stats_write(imp_pctx_t *p)
{
    const imp_stats_t *s = &p->proc->stats;
    imp_value_t row[15] = {
        imp_v_int(p->proc->process_id),         imp_v_int((int64_t)s->events),
        imp_v_int((int64_t)s->alloc_calls),     imp_v_int((int64_t)s->free_calls),
        imp_v_int((int64_t)s->realloc_calls),   imp_v_int((int64_t)s->failed_calls),
        imp_v_int((int64_t)s->unmatched_frees), imp_v_int((int64_t)s->double_frees),
        imp_v_int((int64_t)s->bytes_allocated), imp_v_int((int64_t)s->live_blocks),
        imp_v_int((int64_t)s->live_bytes),      imp_v_int((int64_t)s->peak_live_bytes),
        imp_v_id((int64_t)s->peak_ns),          imp_v_id((int64_t)s->first_ns),
        imp_v_id((int64_t)s->last_ns)};
    return imp_db_put(p->run->db, IMP_T_PROCESS_STATS, row);
}

static int imp_process_body(imp_pctx_t *p, imp_merge_t *m)
{
    uint32_t n = p->proc->nfiles;
    mtdb_reader_t **readers = calloc(n ? n : 1, sizeof *readers);
    const char **paths = calloc(n ? n : 1, sizeof *paths);
    int nopen = 0;
    int rc = readers && paths ? imp_open_files(p, readers, paths, &nopen) : IMP_ENOMEM;
    if (!rc)
        rc = imp_merge_start(m, readers, paths, nopen);
    else
        for (int i = 0; i < nopen; i++)
            mtdb_reader_close(readers[i]);
    free(readers);
    free(paths);
    double t0 = imp_clock_now_s(), wait0 = imp_db_wait_seconds(p->run->db);
    if (!rc)
        rc = imp_run_merge(p, m);
    if (!rc)
        rc = imp_pair_finish(p);
    p->run->times.parse += m->parse_s;
    p->run->times.pair += imp_clock_now_s() - t0 - m->parse_s - (imp_db_wait_seconds(p->run->db) - wait0);
    return rc;
}

int imp_process_import(imp_run_t *run, imp_proc_t *proc)
{
    imp_pctx_t p;
    memset(&p, 0, sizeof p);
    p.run = run, p.proc = proc;
    imp_modmap_init(&p.modmap, proc->process_id);
    imp_merge_t m;
    memset(&m, 0, sizeof m);
    int rc = imp_process_body(&p, &m);
    if (!rc)
        rc = p.rc;
    if (!rc)
        rc = imp_alloc_check(&p);
    if (!rc)
        rc = imp_modmap_finish(&p.modmap, &run->store);
    if (!rc)
        rc = imp_loss_report(&p);
    if (!rc)
        rc = imp_threads_write(&p);
    if (!rc)
        rc = imp_stats_write(&p);
    run->events += proc->stats.events;
    imp_merge_end(&m);
    free(p.modmap.cur);
    free(p.frame_buf);
    free(p.ip_frames);
    imp_pair_release(&p);
    imp_threads_free(&p);
    imp_progress(&p, run->events, 1);
    return rc;
}
