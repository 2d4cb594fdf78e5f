/* imp_merge.c: the binary heap behind imp_merge.h.
 * Must never reorder the records of one file: keys only decide between files.
 */
#include <stdlib.h>

#include "imp_clock.h"
#include "imp_error.h"
#include "imp_merge.h"

static int imp_cursor_less(const imp_cursor_t *a, const imp_cursor_t *b)
{
    if (a->key != b->key)
        return a->key < b->key;
    if (a->order != b->order)
        return a->order < b->order;
    return a->index < b->index;
}

static int imp_rec_has_time(unsigned type)
{
    switch (type) {
    case MTDB_REC_ALLOC:
    case MTDB_REC_FREE:
    case MTDB_REC_REALLOC:
    case MTDB_REC_FAIL:
    case MTDB_REC_MARK:
    case MTDB_REC_STATE:
    case MTDB_REC_EXIT:
        return 1;
    default:
        return 0;
    }
}

/* Loads the cursor's next record; returns 0 at the end of its file. */
static int imp_cursor_next(imp_merge_t *m, imp_cursor_t *c)
{
    if (c->rec.type == MTDB_REC_REALLOC && c->half == 0) {
        c->half = 1;
        c->key = c->rec.ts2_ns;
        c->order = 1;
        return 1;
    }
    /* Timing every record would cost a tenth of decoding it: time one in 64. */
    int timed = (++m->decoded & 63) == 0;
    double t0 = timed ? imp_clock_now_s() : 0;
    int rc = mtdb_reader_next(c->reader, &c->rec);
    if (timed) { /* a sample caught by preemption would count 64 times: cap it */
        double d = imp_clock_now_s() - t0;
        m->parse_s += (d < 20e-6 ? d : 20e-6) * 64;
    }
    if (rc <= 0) {
        if (rc < 0)
            m->fatal = rc, m->fatal_path = c->path;
        return 0;
    }
    c->half = 0;
    /* An untimed record carries the reader's running time of its block (the block's
     * base time at its start): never earlier than what came before it in the file. */
    if (imp_rec_has_time(c->rec.type) || c->rec.ts_ns > c->key)
        c->key = c->rec.ts_ns;
    else
        c->rec.ts_ns = c->key;
    c->order = c->rec.type == MTDB_REC_FREE || c->rec.type == MTDB_REC_REALLOC ? 0 : 1;
    return 1;
}

static void imp_heap_down(imp_merge_t *m, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, s = i;
        if (l < m->nheap && imp_cursor_less(m->heap[l], m->heap[s]))
            s = l;
        if (r < m->nheap && imp_cursor_less(m->heap[r], m->heap[s]))
            s = r;
        if (s == i)
            return;
        imp_cursor_t *tmp = m->heap[i];
        m->heap[i] = m->heap[s], m->heap[s] = tmp;
        i = s;
    }
}

int imp_merge_start(imp_merge_t *m, mtdb_reader_t **readers, const char **paths, int n)
{
    m->cursors = calloc(n ? n : 1, sizeof *m->cursors);
    m->heap = calloc(n ? n : 1, sizeof *m->heap);
    m->ncursors = n, m->nheap = 0, m->parse_s = 0, m->fatal = 0;
    if (!m->cursors || !m->heap) { /* the readers are ours: imp_merge_end has none to close */
        for (int i = 0; i < n; i++)
            mtdb_reader_close(readers[i]);
        free(m->cursors), free(m->heap);
        m->cursors = NULL, m->heap = NULL, m->ncursors = 0;
        return IMP_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        imp_cursor_t *c = &m->cursors[i];
        c->reader = readers[i], c->path = paths[i], c->index = i;
        if (imp_cursor_next(m, c))
            m->heap[m->nheap++] = c;
    }
    for (int i = m->nheap / 2; i-- > 0;)
        imp_heap_down(m, i);
    return 0;
}

imp_cursor_t *imp_merge_peek(imp_merge_t *m)
{
    return m->nheap ? m->heap[0] : NULL;
}

void imp_merge_advance(imp_merge_t *m)
{
    if (!imp_cursor_next(m, m->heap[0]))
        m->heap[0] = m->heap[--m->nheap];
    imp_heap_down(m, 0);
}

void imp_merge_end(imp_merge_t *m)
{
    for (int i = 0; i < m->ncursors; i++)
        mtdb_reader_close(m->cursors[i].reader);
    free(m->cursors);
    free(m->heap);
    m->cursors = NULL, m->heap = NULL;
}
