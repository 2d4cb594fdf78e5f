/* imp_store.c: interning of modules, frames and stacks (imp_store.h).
 * Never forgets an id once given and never writes a row twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imp_error.h"
#include "imp_store.h"

void imp_store_init(imp_store_t *s, imp_db_t *db)
{
    memset(s, 0, sizeof *s);
    s->db = db;
}

void imp_store_free(imp_store_t *s)
{
    for (uint32_t i = 0; i < s->nmodules; i++) {
        free(s->module_path[i]);
        free(s->module_build_id[i]);
    }
    free(s->module_path);
    free(s->module_build_id);
    free(s->frame_module);
    free(s->frame_offset);
    free(s->stack_at);
    free(s->stack_depth);
    free(s->stack_frames);
    imp_hashmap_free(&s->module_by_hash);
    imp_hashmap_free(&s->frame_by_key);
    imp_hashmap_free(&s->stack_by_hash);
}

/* Grows *arr (of elem-byte items) so that index `need` fits. */
static int imp_grow(void **arr, uint64_t *cap, uint64_t need, size_t elem)
{
    if (need < *cap)
        return 0;
    uint64_t n = *cap ? *cap * 2 : 256;
    while (n <= need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return IMP_ENOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

static uint64_t imp_hash_bytes(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static char *imp_hex(const uint8_t *b, uint32_t len)
{
    if (!len)
        return NULL;
    char *s = malloc(len * 2 + 1);
    for (uint32_t i = 0; s && i < len; i++)
        snprintf(s + 2 * i, 3, "%02x", b[i]);
    return s;
}

static int imp_module_same(const imp_store_t *s, uint32_t id, const char *path, uint32_t len,
                           const char *hex)
{
    const char *p = s->module_path[id - 1], *b = s->module_build_id[id - 1];
    if (strlen(p) != len || memcmp(p, path, len))
        return 0;
    return (!b && !hex) || (b && hex && !strcmp(b, hex));
}

static int imp_module_add(imp_store_t *s, char *path, char *hex, uint32_t *module_id)
{
    uint64_t cap = s->capmodules;
    if (s->nmodules + 1 >= cap) {
        uint64_t c2 = cap;
        if (imp_grow((void **)&s->module_path, &cap, s->nmodules + 1, sizeof(char *)) ||
            imp_grow((void **)&s->module_build_id, &c2, s->nmodules + 1, sizeof(char *)))
            return IMP_ENOMEM;
        s->capmodules = (uint32_t)cap;
    }
    s->module_path[s->nmodules] = path;
    s->module_build_id[s->nmodules] = hex;
    *module_id = ++s->nmodules;
    imp_value_t row[3] = {imp_v_int(*module_id), imp_v_text(path), imp_v_text(hex)};
    return imp_db_put(s->db, IMP_T_MODULE, row);
}

int imp_store_module(imp_store_t *s, const char *path, uint32_t path_len, const uint8_t *bid,
                     uint32_t bid_len, uint32_t *module_id)
{
    char *hex = imp_hex(bid, bid_len);
    uint64_t key =
        imp_hash_bytes(imp_hash_bytes(0xcbf29ce484222325ULL, path, path_len), bid, bid_len) | 1;
    for (;; key = imp_hash64(key) | 1) {
        int added;
        uint64_t *slot = imp_hashmap_upsert(&s->module_by_hash, key, &added);
        if (!slot)
            return free(hex), IMP_ENOMEM;
        if (!added && imp_module_same(s, (uint32_t)*slot, path, path_len, hex)) {
            *module_id = (uint32_t)*slot;
            return free(hex), 0;
        }
        if (added) {
            char *p = strndup(path, path_len);
            int rc = p ? imp_module_add(s, p, hex, module_id) : IMP_ENOMEM;
            *imp_hashmap_find(&s->module_by_hash, key) = *module_id;
            return rc;
        }
    }
}

int imp_store_frame(imp_store_t *s, uint32_t module_id, uint64_t offset, uint32_t *frame_id)
{
    uint64_t key = ((uint64_t)module_id << 48 | (offset & 0xFFFFFFFFFFFFULL)) + 1;
    int added;
    uint64_t *slot = imp_hashmap_upsert(&s->frame_by_key, key, &added);
    if (!slot)
        return IMP_ENOMEM;
    if (!added) {
        *frame_id = (uint32_t)*slot;
        return 0;
    }
    uint64_t c = s->capframes;
    if (imp_grow((void **)&s->frame_module, &c, s->nframes, sizeof(uint32_t)) ||
        imp_grow((void **)&s->frame_offset, &s->capframes, s->nframes, sizeof(uint64_t)))
        return IMP_ENOMEM;
    s->frame_module[s->nframes] = module_id;
    s->frame_offset[s->nframes] = offset;
    *slot = *frame_id = (uint32_t)++s->nframes;
    return 0;
}

static int imp_stack_same(const imp_store_t *s, uint64_t id, const uint32_t *f, uint32_t depth)
{
    return s->stack_depth[id - 1] == depth &&
           !memcmp(s->stack_frames + s->stack_at[id - 1], f, depth * sizeof *f);
}

static int imp_stack_write(imp_store_t *s, int64_t id, const uint32_t *f, uint32_t depth)
{
    imp_value_t row[3] = {imp_v_int(id), imp_v_int(depth)};
    int rc = imp_db_put(s->db, IMP_T_STACK, row);
    for (uint32_t i = 0; !rc && i < depth; i++) {
        row[1] = imp_v_int(i);
        row[2] = imp_v_int(f[i]);
        rc = imp_db_put(s->db, IMP_T_STACK_FRAME, row);
    }
    return rc;
}

static int imp_stack_add(imp_store_t *s, const uint32_t *f, uint32_t depth, int64_t *stack_id)
{
    uint64_t c = s->capstacks;
    if (imp_grow((void **)&s->stack_at, &c, s->nstacks, sizeof(uint64_t)) ||
        imp_grow((void **)&s->stack_depth, &s->capstacks, s->nstacks, sizeof(uint32_t)) ||
        imp_grow((void **)&s->stack_frames, &s->capstack_frames, s->nstack_frames + depth,
                 sizeof(uint32_t)))
        return IMP_ENOMEM;
    s->stack_at[s->nstacks] = s->nstack_frames;
    s->stack_depth[s->nstacks] = depth;
    memcpy(s->stack_frames + s->nstack_frames, f, depth * sizeof *f);
    s->nstack_frames += depth;
    *stack_id = (int64_t)++s->nstacks;
    return imp_stack_write(s, *stack_id, f, depth);
}

int imp_store_stack(imp_store_t *s, const uint32_t *frames, uint32_t depth, int64_t *stack_id)
{
    uint64_t key = imp_hash_bytes(0xcbf29ce484222325ULL, frames, depth * sizeof *frames) | 1;
    for (;; key = imp_hash64(key) | 1) {
        int added;
        uint64_t *slot = imp_hashmap_upsert(&s->stack_by_hash, key, &added);
        if (!slot)
            return IMP_ENOMEM;
        if (!added && imp_stack_same(s, *slot, frames, depth)) {
            *stack_id = (int64_t)*slot;
            return 0;
        }
        if (added) {
            int rc = imp_stack_add(s, frames, depth, stack_id);
            *imp_hashmap_find(&s->stack_by_hash, key) = (uint64_t)*stack_id;
            return rc;
        }
    }
}
