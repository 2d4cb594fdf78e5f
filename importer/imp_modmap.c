/* imp_modmap.c: module snapshots of one process (imp_modmap.h).
 * A mapping that stays at the same base across snapshots keeps one row; rows are
 * written when a mapping ends. Must not keep more than the current snapshot.
 */
#include <stdlib.h>
#include <string.h>

#include "imp_error.h"
#include "imp_modmap.h"

void imp_modmap_init(imp_modmap_t *m, int64_t process_id)
{
    memset(m, 0, sizeof *m);
    m->process_id = process_id;
}

static int imp_mapping_write(const imp_modmap_t *m, imp_store_t *s, const imp_mapping_t *x,
                             uint64_t until_ns, int open)
{
    imp_value_t row[6] = {
        imp_v_int(m->process_id),       imp_v_int(x->module_id),
        imp_v_int((int64_t)x->base),    imp_v_int((int64_t)x->text_size),
        imp_v_int((int64_t)x->from_ns), open ? imp_v_null() : imp_v_int((int64_t)until_ns)};
    return imp_db_put(s->db, IMP_T_MODULE_MAP, row);
}

static int imp_mapping_cmp(const void *a, const void *b)
{
    const imp_mapping_t *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

/* The mapping of cur with this module and base, or NULL. */
static imp_mapping_t *imp_modmap_find(imp_modmap_t *m, uint32_t module_id, uint64_t base)
{
    for (uint32_t i = 0; i < m->ncur; i++)
        if (m->cur[i].module_id == module_id && m->cur[i].base == base)
            return &m->cur[i];
    return NULL;
}

int imp_modmap_update(imp_modmap_t *m, imp_store_t *s, const mtdb_module_t *mods, uint32_t count,
                    uint64_t ts_ns)
{
    imp_mapping_t *next = calloc(count ? count : 1, sizeof *next);
    if (!next)
        return IMP_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; !rc && i < count; i++) {
        const mtdb_module_t *x = &mods[i];
        rc = imp_store_module(s, x->path, x->path_len, x->build_id, x->build_id_len,
                              &next[i].module_id);
        next[i].base = x->base, next[i].text_size = x->text_size, next[i].from_ns = ts_ns;
        imp_mapping_t *old = rc ? NULL : imp_modmap_find(m, next[i].module_id, x->base);
        if (old) {
            next[i].from_ns = old->from_ns;
            old->module_id = 0; /* carried over: not closed below */
        }
    }
    for (uint32_t i = 0; !rc && i < m->ncur; i++)
        if (m->cur[i].module_id)
            rc = imp_mapping_write(m, s, &m->cur[i], ts_ns, 0);
    free(m->cur);
    m->cur = next, m->ncur = count;
    m->gen++;
    qsort(m->cur, count, sizeof *m->cur, imp_mapping_cmp);
    return rc;
}

void imp_modmap_resolve(const imp_modmap_t *m, uint64_t ip, uint32_t *module_id, uint64_t *offset)
{
    uint32_t lo = 0, hi = m->ncur; /* last mapping with base <= ip */
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (m->cur[mid].base <= ip)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint32_t i = lo; i-- > 0;) { /* bases may overlap: look back a little */
        const imp_mapping_t *x = &m->cur[i];
        if (ip - x->base < x->text_size) {
            *module_id = x->module_id;
            *offset = ip - x->base;
            return;
        }
        if (lo - i >= 4)
            break;
    }
    *module_id = 0;
    *offset = ip;
}

int imp_modmap_finish(imp_modmap_t *m, imp_store_t *s)
{
    int rc = 0;
    for (uint32_t i = 0; !rc && i < m->ncur; i++)
        rc = imp_mapping_write(m, s, &m->cur[i], 0, 1);
    free(m->cur);
    m->cur = NULL, m->ncur = 0;
    return rc;
}
