/* imp_store.h: modules, frames and stacks shared by every process of an import.
 *
 * A module is a (path, build-id) pair; a frame is a code address as (module, offset);
 * a stack is a sequence of frames, kept as a tree of (parent node, frame) nodes so that
 * stacks sharing their outer frames share those nodes (sql/12-tables-stacks.sql). Each is
 * given an id once; the tree stays in memory for the per-stack derivation after the load
 * (imp_stack_sites.c). Nodes, stacks and modules are written to the database as they are
 * created; frames when they are symbolized (imp_symbolize.c).
 */
#ifndef IMP_STORE_H
#define IMP_STORE_H

#include <stdint.h>

#include "imp_db.h"
#include "imp_hashmap.h"

/* A slot of the node lookup. A node's place is a hash of its frames from the root (its
 * path), not of (parent, frame): the places of every level of a stack are known from its
 * frames before any of its nodes is, so their cache misses are started together instead
 * of one after another down the tree. The slot keeps the path hash beside the id, so a
 * probe passes other nodes without reading them; the key (parent, frame) is read from
 * the node itself only when the hashes agree. 8 bytes a slot: at millions of nodes the
 * lookup is the import's largest piece of memory, and every doubling fills fresh pages. */
typedef struct imp_node_slot {
    uint32_t node_id;   /* 0: empty */
    uint32_t path_hash; /* where it goes, also when the lookup grows */
} imp_node_slot_t;

/* A node of the stack tree: a frame under its caller's node (0 = root). */
typedef struct imp_node {
    uint32_t parent, frame; /* frame ids start at 1 */
} imp_node_t;

typedef struct imp_store {
    imp_db_t *db;
    /* modules, index = module_id - 1 */
    char **module_path;
    char **module_build_id; /* hex or NULL */
    uint32_t nmodules, capmodules;
    imp_hashmap_t module_by_hash;
    /* frames, index = frame_id - 1 */
    uint32_t *frame_module; /* 0 = none */
    uint64_t *frame_offset;
    uint64_t nframes, capframes;
    imp_hashmap_t frame_by_key;
    /* stack tree, index = node_id - 1 */
    imp_node_t *nodes;
    uint32_t *node_stack; /* the stack whose innermost node it is, 0 = none */
    uint64_t nnodes, capnodes;
    imp_node_slot_t *node_slots; /* open addressing by path hash */
    uint64_t node_mask;
    /* stacks, index = stack_id - 1 */
    uint32_t *stack_node; /* innermost node, 0 for the empty stack */
    uint32_t *stack_depth;
    uint64_t nstacks, capstacks;
    uint32_t empty_stack; /* the stack of depth 0, 0 until seen */
} imp_store_t;

void imp_store_init(imp_store_t *s, imp_db_t *db);
void imp_store_free(imp_store_t *s);

/* The id of module (path, build_id raw bytes), created when new. */
int imp_store_module(imp_store_t *s, const char *path, uint32_t path_len, const uint8_t *bid,
                     uint32_t bid_len, uint32_t *module_id);

/* The id of the frame at offset in module (0: none, offset is then the raw address). */
int imp_store_frame(imp_store_t *s, uint32_t module_id, uint64_t offset, uint32_t *frame_id);

/* The path of a caller's previous stack from the root: its frames and their nodes. One
 * thread's stacks mostly share their outer frames with its previous stack (a recursive
 * descent, a compiler's passes), so the nodes of those frames are taken from here instead
 * of from a lookup in a table of millions of nodes (one cache miss each). */
typedef struct imp_stack_path {
    uint32_t *frames, *nodes; /* index = distance from the root */
    uint32_t depth, cap;
} imp_stack_path_t;

void imp_stack_path_free(imp_stack_path_t *path);

/* The id of the stack made of these frames (innermost first), created when new with
 * the nodes it lacks. path (or NULL) is the caller's previous stack, made this one. */
int imp_store_stack(imp_store_t *s, const uint32_t *frames, uint32_t depth,
                    imp_stack_path_t *path, int64_t *stack_id);

/* Frees the node lookup, once no stack can be added (the tree itself stays). */
void imp_store_end_stacks(imp_store_t *s);

/* Frees the tree and the stacks, once their rows are written and nothing reads them
 * (imp_stack_sites.c): at millions of stacks, memory the per-block pass after it then
 * reuses instead of touching fresh pages. The modules and frames stay. */
void imp_store_end_tree(imp_store_t *s);

#endif
