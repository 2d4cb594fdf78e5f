/* imp_store.c: interning of modules, frames and stacks (imp_store.h).
 * Never forgets an id once given and never writes a row twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "imp_array.h"
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
    imp_hashmap_free(&s->module_by_hash);
    imp_hashmap_free(&s->frame_by_key);
    imp_store_end_tree(s);
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
    uint64_t key = imp_hash_bytes(imp_hash_bytes(IMP_FNV_OFFSET, path, path_len), bid, bid_len) | 1;
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

/* The node lookup's memory: its own mapping, in huge pages where the kernel gives them
 * (a lookup in a table of millions of nodes is a cache miss, and with small pages a TLB
 * miss too). Zero-filled. */
static imp_node_slot_t *imp_node_slots_map(uint64_t cap)
{
    void *p = mmap(NULL, cap * sizeof(imp_node_slot_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, cap * sizeof(imp_node_slot_t), MADV_HUGEPAGE);
#endif
    return p;
}

static void imp_node_slots_unmap(imp_node_slot_t *slots, uint64_t mask)
{
    if (slots)
        munmap(slots, (mask + 1) * sizeof *slots);
}

void imp_store_end_stacks(imp_store_t *s)
{
    imp_node_slots_unmap(s->node_slots, s->node_mask);
    s->node_slots = NULL;
    s->node_mask = 0;
}

void imp_store_end_tree(imp_store_t *s)
{
    imp_store_end_stacks(s);
    free(s->nodes), free(s->node_stack), free(s->stack_node), free(s->stack_depth);
    s->nodes = NULL, s->node_stack = s->stack_node = s->stack_depth = NULL;
    s->nnodes = s->capnodes = s->nstacks = s->capstacks = 0;
    s->empty_stack = 0;
}

/* The path hash of a node: of its parent's path hash and its frame (the root's is 0). */
static inline uint32_t imp_path_hash(uint32_t up, uint32_t frame)
{
    return (uint32_t)(imp_hash64((uint64_t)up << 32 | frame) >> 32);
}

/* The slot of node (parent, frame), whose path hash is hash: its own, or the empty one
 * where it would go. */
static imp_node_slot_t *imp_node_slot(const imp_store_t *s, uint32_t hash, uint32_t parent,
                                      uint32_t frame)
{
    imp_node_slot_t *slots = s->node_slots;
    for (uint64_t i = hash & s->node_mask;; i = (i + 1) & s->node_mask) {
        if (!slots[i].node_id)
            return &slots[i];
        if (slots[i].path_hash != hash)
            continue;
        const imp_node_t *n = &s->nodes[slots[i].node_id - 1];
        if (n->parent == parent && n->frame == frame)
            return &slots[i];
    }
}

/* The empty slot where a node that is not in the lookup goes. */
static imp_node_slot_t *imp_node_free_slot(imp_node_slot_t *slots, uint64_t mask, uint32_t hash)
{
    uint64_t i = hash & mask;
    while (slots[i].node_id)
        i = (i + 1) & mask;
    return &slots[i];
}

/* Doubles the node lookup (or makes it). */
static int imp_node_grow(imp_store_t *s)
{
    uint64_t cap = s->node_slots ? (s->node_mask + 1) * 2 : 4096;
    if (cap > (uint64_t)UINT32_MAX + 1)
        return IMP_ENOMEM; /* a 32-bit path hash places nodes in at most 2^32 slots */
    imp_node_slot_t *slots = imp_node_slots_map(cap);
    if (!slots)
        return IMP_ENOMEM;
    for (uint64_t i = 0; s->node_slots && i <= s->node_mask; i++) {
        const imp_node_slot_t *old = &s->node_slots[i];
        if (old->node_id)
            *imp_node_free_slot(slots, cap - 1, old->path_hash) = *old;
    }
    imp_node_slots_unmap(s->node_slots, s->node_mask);
    s->node_slots = slots;
    s->node_mask = cap - 1;
    return 0;
}

/* Appends node id nnodes + 1 (parent, frame) to the nodes, writes its row and fills its
 * slot (empty: from imp_node_slot or imp_node_free_slot). */
static int imp_node_append(imp_store_t *s, imp_node_slot_t *slot, uint32_t hash, uint32_t parent,
                           uint32_t frame, uint32_t *node_id)
{
    uint64_t c = s->capnodes;
    if (imp_grow((void **)&s->nodes, &c, s->nnodes, sizeof *s->nodes) ||
        imp_grow((void **)&s->node_stack, &s->capnodes, s->nnodes, sizeof *s->node_stack))
        return IMP_ENOMEM;
    s->nodes[s->nnodes] = (imp_node_t){parent, frame};
    s->node_stack[s->nnodes] = 0;
    *node_id = (uint32_t)++s->nnodes;
    *slot = (imp_node_slot_t){*node_id, hash};
    imp_value_t row[3] = {imp_v_int(*node_id), imp_v_id(parent), imp_v_int(frame)};
    return imp_db_put(s->db, IMP_T_STACK_NODE, row);
}

/* Room in the lookup for more nodes, keeping it at most three quarters full: a linear
 * probe past a few slots stays within a cache line, while every doubling zeroes and
 * refills a table of up to a hundred megabytes or more. */
static int imp_node_room(imp_store_t *s, uint64_t more)
{
    while (!s->node_slots || 4 * (s->nnodes + more) > 3 * (s->node_mask + 1))
        if (imp_node_grow(s))
            return IMP_ENOMEM;
    return 0;
}

/* Levels of a stack whose slots are fetched together: a deep recursion's stacks differ
 * from some level near the root and look up or add a dozen nodes each. */
#define IMP_NODE_ROUND 16

/* The path hashes of frames[n - 1] down to frames[n - k] (innermost first, as a stack's),
 * each under the one before, the first under up; their slots are fetched meanwhile. */
static void imp_round_hashes(const imp_store_t *s, uint32_t up, const uint32_t *frames, uint32_t n,
                             uint32_t k, uint32_t *hashes)
{
    for (uint32_t j = 0; j < k; j++) {
        up = hashes[j] = imp_path_hash(up, frames[n - 1 - j]);
        __builtin_prefetch(&s->node_slots[up & s->node_mask], 1);
    }
}

/* The nodes of frames[n - 1] down to frames[0], each under the one before, the first
 * under parent, a node just made whose path hash is up. None of them can exist yet,
 * since a new node has no children, so none is looked up: only their slots are written.
 * *node: the last one. */
static int imp_nodes_below(imp_store_t *s, uint32_t parent, uint32_t up, const uint32_t *frames,
                           uint32_t n, uint32_t *node)
{
    for (uint32_t at = 0; at < n; at += IMP_NODE_ROUND) {
        uint32_t k = n - at < IMP_NODE_ROUND ? n - at : IMP_NODE_ROUND, hashes[IMP_NODE_ROUND];
        imp_round_hashes(s, up, frames, n - at, k, hashes);
        for (uint32_t j = 0; j < k; j++) {
            uint32_t frame = frames[n - 1 - (at + j)];
            imp_node_slot_t *slot = imp_node_free_slot(s->node_slots, s->node_mask, hashes[j]);
            int rc = imp_node_append(s, slot, hashes[j], parent, frame, node);
            if (rc)
                return rc;
            parent = *node;
        }
        up = hashes[k - 1];
    }
    return 0;
}

static int imp_stack_add(imp_store_t *s, uint32_t node, uint32_t depth, uint32_t *stack_id)
{
    uint64_t c = s->capstacks;
    if (imp_grow((void **)&s->stack_node, &c, s->nstacks, sizeof(uint32_t)) ||
        imp_grow((void **)&s->stack_depth, &s->capstacks, s->nstacks, sizeof(uint32_t)))
        return IMP_ENOMEM;
    s->stack_node[s->nstacks] = node;
    s->stack_depth[s->nstacks] = depth;
    *stack_id = (uint32_t)++s->nstacks;
    return 0; /* its row is written with its site (imp_stack_sites.c) */
}

void imp_stack_path_free(imp_stack_path_t *path)
{
    free(path->frames), free(path->nodes);
    memset(path, 0, sizeof *path);
}

/* The number of outer frames of frames (innermost first) that path has from the root,
 * with room in path for depth frames (0 when there is none: a full lookup then). */
static uint32_t imp_path_shared(imp_stack_path_t *path, const uint32_t *frames, uint32_t depth)
{
    if (depth > path->cap) {
        uint32_t cap = depth < 64 ? 64 : depth;
        uint32_t *f = realloc(path->frames, cap * sizeof *f);
        if (f)
            path->frames = f;
        uint32_t *n = f ? realloc(path->nodes, cap * sizeof *n) : NULL;
        if (!n) {
            imp_stack_path_free(path);
            return 0;
        }
        path->nodes = n, path->cap = cap;
    }
    uint32_t k = 0;
    while (k < depth && k < path->depth && path->frames[k] == frames[depth - 1 - k])
        k++;
    return k;
}

int imp_store_stack(imp_store_t *s, const uint32_t *frames, uint32_t depth, imp_stack_path_t *path,
                    int64_t *stack_id)
{
    uint32_t shared = path ? imp_path_shared(path, frames, depth) : 0;
    int keep = path && path->cap >= depth;
    uint32_t node = shared ? path->nodes[shared - 1] : 0, up = 0, level = shared;
    if (keep)
        path->depth = shared; /* what stays true if a lookup below fails */
    if (level < depth && imp_node_room(s, depth - level))
        return IMP_ENOMEM; /* no doubling below: the fetched slots stay where they are */
    for (uint32_t m = 0; level < depth && m < level; m++)
        up = imp_path_hash(up, frames[depth - 1 - m]);
    int created = 0;
    while (level < depth && !created) {
        uint32_t left = depth - level, k = left < IMP_NODE_ROUND ? left : IMP_NODE_ROUND;
        uint32_t hashes[IMP_NODE_ROUND];
        imp_round_hashes(s, up, frames, left, k, hashes);
        for (uint32_t j = 0; j < k && !created; j++, level++) {
            uint32_t frame = frames[depth - 1 - level], below = depth - 1 - level;
            imp_node_slot_t *slot = imp_node_slot(s, hashes[j], node, frame);
            created = !slot->node_id;
            if (!created) {
                node = slot->node_id;
            } else {
                int rc = imp_node_append(s, slot, hashes[j], node, frame, &node);
                if (!rc && below)
                    rc = imp_nodes_below(s, node, hashes[j], frames, below, &node);
                if (rc)
                    return rc;
            }
            uint32_t done = created ? depth : level + 1; /* levels whose nodes are now known */
            for (uint32_t m = level; keep && m < done; m++)
                path->frames[m] = frames[depth - 1 - m], path->nodes[m] = node - (done - 1 - m);
            if (keep)
                path->depth = done;
            up = hashes[j];
        }
    }
    uint32_t *known = node ? &s->node_stack[node - 1] : &s->empty_stack;
    if (!*known) {
        uint32_t id;
        int rc = imp_stack_add(s, node, depth, &id);
        if (rc)
            return rc;
        known = node ? &s->node_stack[node - 1] : &s->empty_stack;
        *known = id;
    }
    *stack_id = *known;
    return 0;
}
