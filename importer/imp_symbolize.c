/* imp_symbolize.c: writes frames and their symbols, once per distinct frame.
 *
 * Frames are grouped by module; each module is opened once with libdw. A return
 * address is looked up at address - 1 (the call, not the instruction after it).
 * Unresolved frames keep module and offset. Must not fail the import for a missing
 * or mismatched file: that frame simply stays unsymbolized (and a problem is noted).
 */
#include <stdio.h>
#include <stdlib.h>

#include "imp_dwarf.h"
#include "imp_error.h"
#include "imp_notify.h"
#include "imp_symbolize.h"

typedef struct imp_symctx {
    imp_run_t *run;
    uint32_t frame_id;
} imp_symctx_t;

static int imp_symbol_row(void *ctx, int depth, const char *function, const char *file, int line)
{
    imp_symctx_t *c = ctx;
    imp_value_t row[5] = {imp_v_int(c->frame_id), imp_v_int(depth), imp_v_text(function),
                          imp_v_text(file), line ? imp_v_int(line) : imp_v_null()};
    return imp_db_put(c->run->db, IMP_T_SYMBOL, row);
}

static int imp_frame_write(imp_run_t *run, uint64_t index, imp_dwarf_t *dw)
{
    const imp_store_t *s = &run->store;
    uint64_t offset = s->frame_offset[index];
    imp_symctx_t c = {run, (uint32_t)(index + 1)};
    int rows = dw && offset ? imp_dwarf_lookup(dw, offset - 1, imp_symbol_row, &c) : 0;
    if (rows < 0)
        return rows;
    uint32_t module = s->frame_module[index];
    imp_value_t row[4] = {imp_v_int(index + 1), imp_v_id(module), imp_v_int((int64_t)offset),
                          imp_v_int(rows > 0)};
    return imp_db_put(run->db, IMP_T_FRAME, row);
}

static const imp_store_t *imp_sort_store;
static int imp_frame_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    uint32_t mx = imp_sort_store->frame_module[x], my = imp_sort_store->frame_module[y];
    if (mx != my)
        return mx < my ? -1 : 1;
    return x < y ? -1 : x > y;
}

static imp_dwarf_t *imp_module_open(imp_run_t *run, uint32_t module)
{
    if (!module || !run->opt->symbols)
        return NULL;
    char why[512];
    const imp_store_t *s = &run->store;
    imp_dwarf_t *dw =
        imp_dwarf_open(s->module_path[module - 1], s->module_build_id[module - 1], why, sizeof why);
    if (!dw)
        imp_notify_text(run->opt, MTDB_IMPORT_EV_DETAIL, "no symbols for %s", why);
    return dw;
}

int imp_symbolize_all(imp_run_t *run)
{
    const imp_store_t *s = &run->store;
    uint64_t n = s->nframes;
    uint64_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return IMP_ENOMEM;
    for (uint64_t i = 0; i < n; i++)
        order[i] = i;
    imp_sort_store = s;
    qsort(order, n, sizeof *order, imp_frame_cmp);
    int rc = 0;
    imp_dwarf_t *dw = NULL;
    for (uint64_t i = 0; !rc && i < n; i++) {
        uint32_t module = s->frame_module[order[i]];
        if (i == 0 || module != s->frame_module[order[i - 1]]) {
            imp_dwarf_close(dw);
            dw = imp_module_open(run, module);
        }
        rc = imp_frame_write(run, order[i], dw);
    }
    imp_dwarf_close(dw);
    free(order);
    return rc;
}
