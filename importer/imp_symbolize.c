/* imp_symbolize.c: frames and their symbols, once per distinct frame (imp_symbolize.h).
 *
 * Frames are grouped by module; each module is opened once with libdw. A return
 * address is looked up at address - 1 (the call, not the instruction after it).
 * Unresolved frames keep module and offset. Must not fail the import for a missing
 * or mismatched file: that frame simply stays unsymbolized (and a problem is noted).
 *
 * The lookups only read the store and libdw, and keep their rows in memory (text in one
 * arena); the database and the caller's events are touched by imp_symbolize_write alone,
 * on the import's own thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imp_array.h"
#include "imp_clock.h"
#include "imp_dwarf.h"
#include "imp_error.h"
#include "imp_notify.h"
#include "imp_radix.h"
#include "imp_symbolize.h"

#define IMP_NO_TEXT UINT32_MAX

typedef struct imp_sym_row {
    uint32_t frame_id, function, file; /* text offsets, IMP_NO_TEXT for NULL */
    int32_t depth, line;
} imp_sym_row_t;

struct imp_symbols {
    const imp_run_t *run;
    uint8_t *resolved; /* frame index -> rows found */
    imp_sym_row_t *rows;
    uint64_t nrows, caprows;
    char *text;
    uint64_t text_used, text_cap;
    uint32_t *notes; /* text offsets of "no symbols for ..." messages */
    uint64_t nnotes, capnotes;
    pthread_t thread;
    int started, rc;
    double seconds;
};

/* Copies s into the arena: its offset, IMP_NO_TEXT for NULL, or IMP_ENOMEM via *rc. */
static uint32_t imp_sym_text(struct imp_symbols *s, const char *text, int *rc)
{
    if (!text)
        return IMP_NO_TEXT;
    size_t len = strlen(text) + 1;
    if (s->text_used + len >= IMP_NO_TEXT ||
        imp_grow((void **)&s->text, &s->text_cap, s->text_used + len - 1, 1)) {
        *rc = IMP_ENOMEM;
        return IMP_NO_TEXT;
    }
    memcpy(s->text + s->text_used, text, len);
    s->text_used += len;
    return (uint32_t)(s->text_used - len);
}

typedef struct imp_symctx {
    struct imp_symbols *s;
    uint32_t frame_id;
} imp_symctx_t;

static int imp_symbol_row(void *ctx, int depth, const char *function, const char *file, int line)
{
    imp_symctx_t *c = ctx;
    struct imp_symbols *s = c->s;
    int rc = imp_grow((void **)&s->rows, &s->caprows, s->nrows, sizeof *s->rows);
    if (rc)
        return rc;
    imp_sym_row_t r = {c->frame_id, 0, 0, depth, line};
    r.function = imp_sym_text(s, function, &rc);
    r.file = imp_sym_text(s, file, &rc);
    if (!rc)
        s->rows[s->nrows++] = r;
    return rc;
}

static imp_dwarf_t *imp_module_open(struct imp_symbols *s, uint32_t module)
{
    if (!module || !s->run->opt->symbols)
        return NULL;
    char why[512];
    const imp_store_t *st = &s->run->store;
    imp_dwarf_t *dw =
        imp_dwarf_open(st->module_path[module - 1], st->module_build_id[module - 1], why, sizeof why);
    int rc = 0;
    if (!dw && !imp_grow((void **)&s->notes, &s->capnotes, s->nnotes, sizeof *s->notes)) {
        uint32_t at = imp_sym_text(s, why, &rc);
        if (!rc)
            s->notes[s->nnotes++] = at;
    }
    return dw;
}

/* Every frame, module by module: the frames sorted by (module, index) as one key each,
 * module << 32 | index (frame and module ids are 32-bit), so that nothing is shared with
 * another import running in the same process. */
static void *imp_lookup_all(void *arg)
{
    struct imp_symbols *s = arg;
    double t0 = imp_clock_now_s();
    const imp_store_t *st = &s->run->store;
    uint64_t n = st->nframes;
    uint64_t *order = malloc((n ? n : 1) * sizeof *order);
    s->resolved = calloc(n ? n : 1, 1);
    if (!order || !s->resolved) {
        free(order);
        s->rc = IMP_ENOMEM;
        return NULL;
    }
    for (uint64_t i = 0; i < n; i++)
        order[i] = (uint64_t)st->frame_module[i] << 32 | i;
    if (imp_radix_sort_i64((int64_t *)order, n)) {
        free(order);
        s->rc = IMP_ENOMEM;
        return NULL;
    }
    imp_dwarf_t *dw = NULL;
    for (uint64_t i = 0; !s->rc && i < n; i++) {
        uint64_t f = order[i] & UINT32_MAX;
        uint32_t module = st->frame_module[f];
        if (i == 0 || module != st->frame_module[order[i - 1] & UINT32_MAX]) {
            imp_dwarf_close(dw);
            dw = imp_module_open(s, module);
        }
        uint64_t offset = st->frame_offset[f];
        imp_symctx_t c = {s, (uint32_t)(f + 1)};
        int rows = dw && offset ? imp_dwarf_lookup(dw, offset - 1, imp_symbol_row, &c) : 0;
        if (rows < 0)
            s->rc = rows;
        else
            s->resolved[f] = rows > 0;
    }
    imp_dwarf_close(dw);
    free(order);
    s->seconds = imp_clock_now_s() - t0;
    return NULL;
}

int imp_symbolize_start(imp_run_t *run)
{
    struct imp_symbols *s = calloc(1, sizeof *s);
    if (!s)
        return IMP_ENOMEM;
    s->run = run;
    run->symbols = s;
    s->started = run->opt->threads > 1 && pthread_create(&s->thread, NULL, imp_lookup_all, s) == 0;
    if (!s->started)
        imp_lookup_all(s);
    return 0;
}

void imp_symbolize_free(imp_run_t *run)
{
    struct imp_symbols *s = run->symbols;
    if (!s)
        return;
    if (s->started)
        pthread_join(s->thread, NULL);
    free(s->resolved), free(s->rows), free(s->text), free(s->notes);
    free(s);
    run->symbols = NULL;
}

static imp_value_t imp_sym_value(const struct imp_symbols *s, uint32_t at)
{
    return at == IMP_NO_TEXT ? imp_v_null() : imp_v_text(s->text + at);
}

static int imp_symbols_insert(imp_run_t *run, const struct imp_symbols *s)
{
    static const char frame_sql[] = "INSERT INTO frames VALUES(?,?,?,?)";
    static const char symbol_sql[] = "INSERT INTO symbols VALUES(?,?,?,?,?)";
    const imp_store_t *st = &run->store;
    int rc = 0;
    for (uint64_t f = 0; !rc && f < st->nframes; f++) {
        imp_value_t row[4] = {imp_v_int((int64_t)f + 1), imp_v_id(st->frame_module[f]),
                              imp_v_int((int64_t)st->frame_offset[f]), imp_v_int(s->resolved[f])};
        rc = imp_db_run(run->db, frame_sql, row, 4);
    }
    for (uint64_t i = 0; !rc && i < s->nrows; i++) {
        const imp_sym_row_t *r = &s->rows[i];
        imp_value_t row[5] = {imp_v_int(r->frame_id), imp_v_int(r->depth),
                              imp_sym_value(s, r->function), imp_sym_value(s, r->file),
                              r->line ? imp_v_int(r->line) : imp_v_null()};
        rc = imp_db_run(run->db, symbol_sql, row, 5);
    }
    return rc;
}

int imp_symbolize_write(imp_run_t *run)
{
    struct imp_symbols *s = run->symbols;
    if (!s)
        return IMP_ENOMEM;
    if (s->started) {
        pthread_join(s->thread, NULL);
        s->started = 0;
    }
    for (uint64_t i = 0; i < s->nnotes; i++)
        imp_notify_text(run->opt, MTDB_IMPORT_EV_DETAIL, "no symbols for %s", s->text + s->notes[i]);
    run->times.symbolize = s->seconds;
    int rc = s->rc ? s->rc : imp_symbols_insert(run, s);
    imp_symbolize_free(run);
    return rc;
}
