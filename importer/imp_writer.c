/* imp_writer.c: batches of rows handed to a writer thread (imp_writer.h).
 *
 * Three batches circulate: one being filled, one queued, one being applied. Text is
 * copied into the batch's arena and referenced by offset, so an arena may grow.
 * Must never let the producer touch a batch the writer holds.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "imp_array.h"
#include "imp_clock.h"
#include "imp_error.h"
#include "imp_writer.h"

#define IMP_BATCH_ROWS 8192
#define IMP_BATCHES 3

typedef struct imp_batch {
    uint32_t nrows, nvals;
    uint8_t table[IMP_BATCH_ROWS];
    imp_value_t vals[IMP_BATCH_ROWS * 14];
    char *text;
    size_t text_used, text_cap;
} imp_batch_t;

struct imp_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    imp_batch_t *batches; /* IMP_BATCHES of them, in one piece of huge-page memory */
    imp_batch_t *free_list[IMP_BATCHES];
    int nfree;
    imp_batch_t *queued, *filling;
    int stop, error;
    imp_apply_fn fn;
    void *ctx;
    double busy_s, wait_s;
};

/* Applies one batch on the writer thread; returns the first error. */
static int imp_batch_apply(imp_writer_t *w, imp_batch_t *b)
{
    imp_value_t row[IMP_MAX_COLUMNS];
    int rc = 0;
    for (uint32_t r = 0, v = 0; !rc && r < b->nrows; r++) {
        int n = b->vals[v].len; /* the first value of a row carries its column count */
        v++;
        for (int c = 0; c < n; c++, v++) {
            row[c] = b->vals[v];
            if (row[c].type == IMP_V_TEXT)
                row[c].s = b->text + row[c].i;
        }
        rc = w->fn(w->ctx, (enum imp_table)b->table[r], row);
    }
    b->nrows = b->nvals = 0;
    b->text_used = 0;
    return rc;
}

static void *imp_writer_main(void *arg)
{
    imp_writer_t *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->queued && !w->stop)
            pthread_cond_wait(&w->changed, &w->lock);
        imp_batch_t *b = w->queued;
        if (!b)
            break;
        w->queued = NULL;
        pthread_cond_broadcast(&w->changed);
        pthread_mutex_unlock(&w->lock);
        double t0 = imp_clock_now_s();
        int rc = w->error ? 0 : imp_batch_apply(w, b);
        b->nrows = b->nvals = 0, b->text_used = 0;
        pthread_mutex_lock(&w->lock);
        w->busy_s += imp_clock_now_s() - t0;
        if (rc && !w->error)
            __atomic_store_n(&w->error, rc, __ATOMIC_RELAXED);
        w->free_list[w->nfree++] = b;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int imp_writer_start(imp_writer_t **out, imp_apply_fn fn, void *ctx)
{
    imp_writer_t *w = calloc(1, sizeof *w);
    if (!w)
        return IMP_ENOMEM;
    w->fn = fn, w->ctx = ctx;
    /* 8 MiB that every import fills: in 4 KiB pages, 2,000 page faults. */
    if (!(w->batches = imp_calloc_big(IMP_BATCHES, sizeof(imp_batch_t))))
        return free(w), IMP_ENOMEM;
    for (int i = 0; i < IMP_BATCHES; i++)
        w->free_list[w->nfree++] = &w->batches[i];
    w->filling = w->free_list[--w->nfree];
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
    if (pthread_create(&w->thread, NULL, imp_writer_main, w)) {
        free(w->batches);
        return free(w), IMP_ENOMEM;
    }
    *out = w;
    return 0;
}

/* Queues the filling batch and takes a free one. */
static void imp_writer_hand_over(imp_writer_t *w)
{
    double t0 = imp_clock_now_s();
    pthread_mutex_lock(&w->lock);
    while (w->queued || !w->nfree)
        pthread_cond_wait(&w->changed, &w->lock);
    w->queued = w->filling;
    w->filling = w->free_list[--w->nfree];
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    w->wait_s += imp_clock_now_s() - t0;
}

static int imp_text_copy(imp_batch_t *b, imp_value_t *v)
{
    size_t len = v->len >= 0 ? (size_t)v->len : strlen(v->s);
    if (b->text_used + len > b->text_cap) {
        size_t cap = b->text_cap ? b->text_cap : 1 << 16;
        while (cap < b->text_used + len)
            cap *= 2;
        char *t = realloc(b->text, cap);
        if (!t)
            return IMP_ENOMEM;
        b->text = t, b->text_cap = cap;
    }
    memcpy(b->text + b->text_used, v->s, len);
    v->i = (int64_t)b->text_used, v->len = (int32_t)len, v->s = NULL;
    b->text_used += len;
    return 0;
}

int imp_writer_put(imp_writer_t *w, enum imp_table t, int ncols, const imp_value_t *vals)
{
    int error = __atomic_load_n(&w->error, __ATOMIC_RELAXED); /* stale 0: reported later */
    if (error)
        return error;
    imp_batch_t *b = w->filling;
    if (b->nrows == IMP_BATCH_ROWS || b->nvals + ncols + 1 > sizeof b->vals / sizeof *b->vals) {
        imp_writer_hand_over(w);
        b = w->filling;
    }
    b->table[b->nrows++] = (uint8_t)t;
    b->vals[b->nvals++] = (imp_value_t){0, 0, ncols, IMP_V_NULL};
    for (int c = 0; c < ncols; c++) {
        imp_value_t *v = &b->vals[b->nvals++];
        *v = vals[c];
        if (v->type == IMP_V_TEXT && imp_text_copy(b, v))
            return IMP_ENOMEM;
    }
    return 0;
}

int imp_writer_stop(imp_writer_t *w, double *busy_s, double *wait_s)
{
    if (w->filling && w->filling->nrows && !w->stop)
        imp_writer_hand_over(w);
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    int rc = w->error;
    if (busy_s)
        *busy_s = w->busy_s;
    if (wait_s)
        *wait_s = w->wait_s;
    for (int i = 0; i < IMP_BATCHES; i++)
        free(w->batches[i].text);
    free(w->batches);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->changed);
    free(w);
    return rc;
}

double imp_writer_wait_seconds(const imp_writer_t *w)
{
    return w->wait_s;
}
