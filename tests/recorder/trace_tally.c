/* trace_tally.c: reads every file of a trace directory and tallies what it records.
 *
 * Decoding is a table of per-record functions; heap events are kept per image and
 * replayed in time order (frees before allocations on equal times) through an address
 * map, so blocks are followed across threads exactly as the importer must. Tests only:
 * must never write into the directory it reads.
 */
#include "trace_tally.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_reader.h"

struct tt_event {
    uint64_t ts, order, addr, size, stack_id, weight;
    uint32_t thread, partner; /* REALLOC: the other half */
    uint8_t type, func, phase, has_stack;
    uint8_t old_marked; /* REALLOC alloc half: the old block was marked */
    uint32_t old_thread;
};

typedef struct tt_ctx {
    tt_tally_t *tally;
    tt_image_t *im;
    const tt_opts_t *opts;
    uint32_t file_kind;
    uint64_t order;
} tt_ctx_t;

/* ---- small helpers ------------------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static int is_marked(const tt_tally_t *t, uint64_t size)
{
    return size >= t->mark_lo && size < t->mark_hi;
}

static tt_size_stat_t *size_stat(tt_image_t *im, const tt_tally_t *t, uint64_t size)
{
    return is_marked(t, size) ? &im->sizes[size - t->mark_lo] : NULL;
}

static tt_thread_t *thread_of(tt_image_t *im, uint32_t number)
{
    if (number >= im->nthreads) {
        uint32_t n = number + 64;
        im->threads = xrealloc(im->threads, n * sizeof *im->threads);
        memset(im->threads + im->nthreads, 0, (n - im->nthreads) * sizeof *im->threads);
        for (uint32_t i = im->nthreads; i < n; i++)
            im->threads[i].number = i;
        im->nthreads = n;
    }
    return &im->threads[number];
}

static tt_image_t *image_of(tt_tally_t *t, uint32_t pid, uint64_t nonce)
{
    for (size_t i = 0; i < t->nimages; i++)
        if (t->images[i].pid == pid && t->images[i].nonce == nonce)
            return &t->images[i];
    t->images = xrealloc(t->images, (t->nimages + 1) * sizeof *t->images);
    tt_image_t *im = &t->images[t->nimages++];
    memset(im, 0, sizeof *im);
    im->pid = pid;
    im->nonce = nonce;
    im->sizes = calloc(t->mark_hi - t->mark_lo + 1, sizeof *im->sizes);
    thread_of(im, 0);
    return im;
}

static tt_event_t *push_event(tt_ctx_t *c, const mtdb_record_t *rec)
{
    tt_image_t *im = c->im;
    if (im->nevents == im->events_cap) {
        im->events_cap = im->events_cap ? im->events_cap * 2 : 4096;
        im->events = xrealloc(im->events, im->events_cap * sizeof *im->events);
    }
    tt_event_t *e = &im->events[im->nevents++];
    memset(e, 0, sizeof *e);
    e->ts = rec->ts_ns;
    e->order = c->order++;
    e->addr = rec->addr;
    e->size = rec->size;
    e->stack_id = rec->stack_id;
    e->weight = rec->weight ? rec->weight : 1;
    e->thread = rec->thread;
    e->type = rec->type;
    e->func = rec->sub;
    e->has_stack = (uint8_t)rec->has_stack;
    return e;
}

/* ---- per-record functions ----------------------------------------------------------- */

typedef void (*tt_rec_fn)(tt_ctx_t *c, const mtdb_record_t *rec);

static void on_alloc(tt_ctx_t *c, const mtdb_record_t *rec)
{
    thread_of(c->im, rec->thread)->allocs++;
    if (rec->sub == MTDB_FUNC_MALLOC && rec->size == 0)
        c->im->zero_mallocs++;
    push_event(c, rec);
}

static void on_free(tt_ctx_t *c, const mtdb_record_t *rec)
{
    thread_of(c->im, rec->thread)->frees++;
    push_event(c, rec)->func = (uint8_t)MTDB_SUB_FREE_FUNC(rec->sub);
}

static void on_realloc(tt_ctx_t *c, const mtdb_record_t *rec)
{
    thread_of(c->im, rec->thread)->reallocs++;
    tt_event_t *half = push_event(c, rec);
    half->addr = rec->old_addr;
    half->phase = 0;
    uint32_t first = (uint32_t)(c->im->nevents - 1);
    tt_event_t *second = push_event(c, rec);
    second->ts = rec->ts2_ns;
    second->phase = 1;
    second->partner = first;
    c->im->events[first].partner = first + 1;
}

static void on_fail(tt_ctx_t *c, const mtdb_record_t *rec)
{
    thread_of(c->im, rec->thread)->fails++;
    c->im->fail_by_func[rec->sub & 0xF]++;
    c->im->fail_sizes[rec->sub & 0xF] = rec->size;
}

static void on_thread(tt_ctx_t *c, const mtdb_record_t *rec)
{
    tt_thread_t *th = thread_of(c->im, rec->thread);
    if (th->thread_records++ > 0)
        c->im->duplicate_threads++;
    th->tid = rec->tid;
    th->flags = rec->thread_flags;
}

static void on_counters(tt_ctx_t *c, const mtdb_record_t *rec)
{
    tt_thread_t *th = thread_of(c->im, rec->thread);
    uint32_t n = rec->counter_count < MTDB_COUNTER_COUNT ? rec->counter_count : MTDB_COUNTER_COUNT;
    for (uint32_t i = 0; i < n; i++)
        if (rec->counters[i] > th->counters[i])
            th->counters[i] = rec->counters[i];
}

static int contains(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(s + i, needle, n) == 0)
            return 1;
    return 0;
}

static void on_modules(tt_ctx_t *c, const mtdb_record_t *rec)
{
    if (!c->opts->module_needle)
        return;
    for (uint32_t i = 0; i < rec->module_count; i++) {
        const mtdb_module_t *m = &rec->modules[i];
        if (!contains(m->path, m->path_len, c->opts->module_needle))
            continue;
        if (c->file_kind == MTDB_FILE_KIND_PROCESS)
            c->im->needle_in_proc++;
        else
            c->im->needle_in_stream++;
    }
}

static void on_mark(tt_ctx_t *c, const mtdb_record_t *rec)
{
    tt_image_t *im = c->im;
    tt_thread_t *th = thread_of(im, rec->thread);
    im->marks = xrealloc(im->marks, (im->nmarks + 1) * sizeof *im->marks);
    tt_mark_t *m = &im->marks[im->nmarks++];
    memset(m, 0, sizeof *m);
    m->thread = rec->thread;
    m->kind = rec->sub;
    size_t n = rec->str_len < TT_LABEL_MAX - 1 ? rec->str_len : TT_LABEL_MAX - 1;
    memcpy(m->label, rec->str, n);
    m->allocs = th->allocs, m->frees = th->frees, m->reallocs = th->reallocs;
    m->fails = th->fails;
}

static void on_state(tt_ctx_t *c, const mtdb_record_t *rec)
{
    c->im->states[rec->sub & 7]++;
}

static void on_process(tt_ctx_t *c, const mtdb_record_t *rec)
{
    tt_image_t *im = c->im;
    im->process_records++;
    im->ppid = rec->process->ppid;
    im->parent_nonce = rec->process->parent_nonce;
    snprintf(im->exe, sizeof im->exe, "%s", rec->process->exe ? rec->process->exe : "");
    snprintf(im->arg1, sizeof im->arg1, "%s", rec->process->argc > 1 ? rec->process->argv[1] : "");
}

static void on_exit_rec(tt_ctx_t *c, const mtdb_record_t *rec)
{
    c->im->exit_records++;
    c->im->exit_how = rec->sub;
    c->im->exit_status = rec->value;
}

static const tt_rec_fn rec_fns[16] = {
    [MTDB_REC_ALLOC] = on_alloc,     [MTDB_REC_FREE] = on_free,
    [MTDB_REC_REALLOC] = on_realloc, [MTDB_REC_FAIL] = on_fail,
    [MTDB_REC_THREAD] = on_thread,   [MTDB_REC_COUNTERS] = on_counters,
    [MTDB_REC_MODULES] = on_modules, [MTDB_REC_MARK] = on_mark,
    [MTDB_REC_STATE] = on_state,     [MTDB_REC_PROCESS] = on_process,
    [MTDB_REC_EXIT] = on_exit_rec,
};

/* ---- files -------------------------------------------------------------------------- */

static void on_diag(void *ctx, const mtdb_diag_t *d)
{
    tt_tally_t *t = ctx;
    if ((unsigned)d->kind < 8)
        t->diags[d->kind]++;
    t->diag_total++;
    t->diag_events_lost += d->events_lost;
    if (d->kind == MTDB_DIAG_TORN_TAIL && d->bytes_skipped > t->torn_tail_bytes_max)
        t->torn_tail_bytes_max = d->bytes_skipped;
    if (!t->first_diag[0])
        snprintf(t->first_diag, sizeof t->first_diag, "%s", d->message);
}

/* Checks that the name says what the header says: pid, nonce, kind, stream index. */
static int name_matches(const char *name, const mtdb_file_info_t *info)
{
    unsigned pid = 0, stream = 0;
    uint64_t nonce = 0;
    int n = 0, m = 0;
    if (sscanf(name, "mtdb-%u-%16" SCNx64 "%n", &pid, &nonce, &n) != 2 || pid != info->pid ||
        nonce != info->nonce || n != 5 + (int)snprintf(NULL, 0, "%u", pid) + 1 + 16)
        return 0;
    if (info->kind == MTDB_FILE_KIND_PROCESS)
        return strcmp(name + n, ".proc") == 0;
    if (sscanf(name + n, "-%u.trace%n", &stream, &m) != 1 || name[n + m] || stream != info->stream)
        return 0;
    return m - 7 >= 4; /* at least four digits */
}

static void decode_file(tt_tally_t *t, const tt_opts_t *opts, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mtdb_reader_t *r;
    char msg[256];
    if (mtdb_reader_open(path, &r, msg, sizeof msg) < 0) {
        t->unreadable_files++;
        if (!t->first_error[0])
            snprintf(t->first_error, sizeof t->first_error, "%s", msg);
        return;
    }
    mtdb_reader_set_diag(r, on_diag, t);
    const mtdb_file_info_t *info = mtdb_reader_info(r);
    tt_ctx_t c = {t, image_of(t, info->pid, info->nonce), opts, info->kind, 0};
    c.order = c.im->nevents;
    if (!name_matches(name, info))
        t->misnamed_files++;
    if (info->kind == MTDB_FILE_KIND_PROCESS) {
        c.im->proc_files++;
        c.im->created_ns = info->created_ns;
    } else {
        c.im->stream_files++;
    }
    mtdb_record_t rec;
    int rc;
    while ((rc = mtdb_reader_next(r, &rec)) == 1)
        if (rec_fns[rec.type & 0xF])
            rec_fns[rec.type & 0xF](&c, &rec);
    if (rc < 0 && !t->first_error[0])
        snprintf(t->first_error, sizeof t->first_error, "%.200s: %s", path, mtdb_read_strerror(rc));
    mtdb_reader_close(r);
}

/* ---- replay: follow blocks by address ------------------------------------------------ */

typedef struct live_entry {
    uint64_t addr, size;
    uint32_t thread;
    uint8_t marked, used;
} live_entry_t;

typedef struct live_map {
    live_entry_t *slots;
    size_t mask, count;
} live_map_t;

static size_t live_hash(uint64_t a)
{
    return (size_t)((a >> 4) * 0x9E3779B97F4A7C15ull >> 20);
}

static live_entry_t *live_find(live_map_t *m, uint64_t addr)
{
    size_t i = live_hash(addr) & m->mask;
    while (m->slots[i].used && m->slots[i].addr != addr)
        i = (i + 1) & m->mask;
    return &m->slots[i];
}

static void live_grow(live_map_t *m)
{
    live_map_t bigger = {calloc((m->mask + 1) * 2, sizeof(live_entry_t)), m->mask * 2 + 1, 0};
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].used) {
            *live_find(&bigger, m->slots[i].addr) = m->slots[i];
            bigger.count++;
        }
    free(m->slots);
    *m = bigger;
}

/* Removes e, shifting later entries of its probe run back into place. */
static void live_remove(live_map_t *m, live_entry_t *e)
{
    size_t i = (size_t)(e - m->slots);
    m->slots[i].used = 0;
    m->count--;
    for (size_t j = (i + 1) & m->mask; m->slots[j].used; j = (j + 1) & m->mask) {
        live_entry_t moved = m->slots[j];
        m->slots[j].used = 0;
        *live_find(m, moved.addr) = moved;
    }
}

static void live_put(tt_image_t *im, live_map_t *m, uint64_t addr, uint64_t size, uint32_t thread,
                     int marked)
{
    if ((m->count + 1) * 2 > m->mask)
        live_grow(m);
    live_entry_t *e = live_find(m, addr);
    if (e->used) {
        im->lost_frees++; /* allocated over a live block: its end was never recorded */
        m->count--;
    }
    *e = (live_entry_t){addr, size, thread, (uint8_t)marked, 1};
    m->count++;
}

static void count_made(tt_image_t *im, const tt_tally_t *t, const tt_event_t *e)
{
    tt_size_stat_t *s = size_stat(im, t, e->size);
    s->allocs++;
    s->weight_all += e->weight;
    if (e->stack_id) {
        s->with_stack++;
        s->weight_stacked += e->weight;
    }
}

static void replay_alloc(tt_image_t *im, const tt_tally_t *t, live_map_t *m, tt_event_t *e)
{
    int marked = is_marked(t, e->size);
    live_put(im, m, e->addr, e->size, e->thread, marked);
    if (!marked)
        return;
    im->alloc_by_func[e->func & 0xF]++;
    thread_of(im, e->thread)->marked_allocs++;
    count_made(im, t, e);
}

static void replay_free(tt_image_t *im, const tt_tally_t *t, live_map_t *m, tt_event_t *e)
{
    live_entry_t *b = live_find(m, e->addr);
    if (!b->used) {
        im->unmatched_frees++;
        return;
    }
    if (b->marked) {
        im->free_by_func[e->func & 7]++;
        thread_of(im, e->thread)->marked_frees++;
        im->cross_thread_frees += b->thread != e->thread;
        tt_size_stat_t *s = size_stat(im, t, b->size);
        s->frees++;
        s->frees_with_stack += e->has_stack && e->stack_id;
    }
    live_remove(m, b);
}

static void replay_realloc_old(tt_image_t *im, const tt_tally_t *t, live_map_t *m, tt_event_t *e)
{
    live_entry_t *b = live_find(m, e->addr);
    if (!b->used)
        return; /* a block from before the trace: nothing to end */
    if (b->marked) {
        tt_event_t *second = &im->events[e->partner];
        second->old_marked = 1;
        second->old_thread = b->thread;
        size_stat(im, t, b->size)->frees++;
    }
    live_remove(m, b);
}

static void replay_realloc_new(tt_image_t *im, const tt_tally_t *t, live_map_t *m, tt_event_t *e)
{
    int marked = is_marked(t, e->size);
    if (e->old_marked || marked)
        im->realloc_by_func[e->func & 0xF]++;
    if (e->old_marked && e->addr != im->events[e->partner].addr)
        im->realloc_moved++;
    live_put(im, m, e->addr, e->size, e->thread, marked);
    if (marked)
        count_made(im, t, e);
}

static const tt_image_t *sort_image;

static int event_cmp(const void *a, const void *b)
{
    const tt_event_t *x = &sort_image->events[*(const uint32_t *)a];
    const tt_event_t *y = &sort_image->events[*(const uint32_t *)b];
    int xa = x->type == MTDB_REC_ALLOC || (x->type == MTDB_REC_REALLOC && x->phase);
    int ya = y->type == MTDB_REC_ALLOC || (y->type == MTDB_REC_REALLOC && y->phase);
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (xa != ya)
        return xa - ya; /* on equal times, frees first */
    return x->order < y->order ? -1 : x->order > y->order;
}

static void replay_image(tt_image_t *im, const tt_tally_t *t)
{
    uint32_t *idx = xrealloc(NULL, im->nevents * sizeof *idx);
    for (size_t i = 0; i < im->nevents; i++)
        idx[i] = (uint32_t)i;
    sort_image = im;
    qsort(idx, im->nevents, sizeof *idx, event_cmp);
    live_map_t m = {calloc(1024, sizeof(live_entry_t)), 1023, 0};
    for (size_t i = 0; i < im->nevents; i++) {
        tt_event_t *e = &im->events[idx[i]];
        if (e->type == MTDB_REC_ALLOC)
            replay_alloc(im, t, &m, e);
        else if (e->type == MTDB_REC_FREE)
            replay_free(im, t, &m, e);
        else if (e->phase == 0)
            replay_realloc_old(im, t, &m, e);
        else
            replay_realloc_new(im, t, &m, e);
    }
    for (size_t i = 0; i <= m.mask; i++)
        if (m.slots[i].used && m.slots[i].marked) {
            im->live_marked++;
            size_stat(im, t, m.slots[i].size)->live++;
        }
    im->heap_events = im->nevents;
    for (size_t i = 0; i < im->nevents; i++)
        im->heap_events -= im->events[i].type == MTDB_REC_REALLOC && im->events[i].phase;
    free(m.slots);
    free(idx);
}

static void sum_counters(tt_image_t *im)
{
    for (uint32_t n = 0; n < im->nthreads; n++)
        for (int i = 0; i < MTDB_COUNTER_COUNT; i++)
            im->counters[i] += im->threads[n].counters[i];
}

static int image_cmp(const void *a, const void *b)
{
    const tt_image_t *x = a, *y = b;
    return x->created_ns < y->created_ns ? -1 : x->created_ns > y->created_ns;
}

int tt_decode_dir(const char *dir, const tt_opts_t *opts, tt_tally_t *out)
{
    memset(out, 0, sizeof *out);
    out->mark_lo = opts->mark_lo;
    out->mark_hi = opts->mark_hi;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(out->first_error, sizeof out->first_error, "cannot read %s", dir);
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        size_t len = strlen(de->d_name);
        int ours = strncmp(de->d_name, "mtdb-", 5) == 0 &&
                   ((len > 5 && !strcmp(de->d_name + len - 5, ".proc")) ||
                    (len > 6 && !strcmp(de->d_name + len - 6, ".trace")));
        if (!ours) {
            out->foreign_files++;
            continue;
        }
        out->files++;
        decode_file(out, opts, dir, de->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < out->nimages; i++) {
        replay_image(&out->images[i], out);
        sum_counters(&out->images[i]);
    }
    qsort(out->images, out->nimages, sizeof *out->images, image_cmp);
    return 0;
}

void tt_tally_free(tt_tally_t *t)
{
    for (size_t i = 0; i < t->nimages; i++) {
        free(t->images[i].threads);
        free(t->images[i].marks);
        free(t->images[i].sizes);
        free(t->images[i].events);
    }
    free(t->images);
    memset(t, 0, sizeof *t);
}

/* ---- queries -------------------------------------------------------------------------- */

tt_image_t *tt_image_by_pid(tt_tally_t *t, uint32_t pid, int nth)
{
    for (size_t i = 0; i < t->nimages; i++)
        if (t->images[i].pid == pid && nth-- == 0)
            return &t->images[i];
    return NULL;
}

tt_image_t *tt_image_by_arg(tt_tally_t *t, uint32_t pid, const char *arg1)
{
    for (size_t i = 0; i < t->nimages; i++)
        if (t->images[i].pid == pid && !strcmp(t->images[i].arg1, arg1))
            return &t->images[i];
    return NULL;
}

tt_thread_t *tt_thread_by_tid(tt_image_t *im, uint64_t tid)
{
    tt_thread_t *found = NULL;
    for (uint32_t n = 1; n < im->nthreads; n++)
        if (im->threads[n].thread_records && im->threads[n].tid == tid)
            found = &im->threads[n];
    return found;
}

const tt_mark_t *tt_find_mark(const tt_image_t *im, const char *label, int kind)
{
    for (size_t i = 0; i < im->nmarks; i++)
        if (!strcmp(im->marks[i].label, label) && (kind < 0 || (unsigned)kind == im->marks[i].kind))
            return &im->marks[i];
    return NULL;
}

uint64_t tt_marked_allocs(const tt_image_t *im)
{
    uint64_t n = 0;
    for (int i = 0; i < TT_FUNCS; i++)
        n += im->alloc_by_func[i];
    return n;
}

uint64_t tt_marked_frees(const tt_image_t *im)
{
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n += im->free_by_func[i];
    return n;
}

int tt_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    size_t sl = strlen(suffix);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        n += de->d_name[0] != '.' && len >= sl && !strcmp(de->d_name + len - sl, suffix);
    }
    closedir(d);
    return n;
}
