/* imp_store.h: modules, frames and stacks shared by every process of an import.
 *
 * A module is a (path, build-id) pair; a frame is a code address as (module, offset);
 * a stack is a sequence of frames. Each is given an id once and kept in memory only as
 * much as deduplication and symbolization need. Stacks and modules are written to the
 * database as they are created; frames when they are symbolized (imp_symbolize.c).
 */
#ifndef IMP_STORE_H
#define IMP_STORE_H

#include <stdint.h>

#include "imp_db.h"
#include "imp_hashmap.h"

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
    /* stacks, index = stack_id - 1: frames in stack_ids[stack_at[i] .. + stack_depth[i]] */
    uint64_t *stack_at;
    uint32_t *stack_depth;
    uint64_t nstacks, capstacks;
    uint32_t *stack_frames;
    uint64_t nstack_frames, capstack_frames;
    imp_hashmap_t stack_by_hash;
} imp_store_t;

void imp_store_init(imp_store_t *s, imp_db_t *db);
void imp_store_free(imp_store_t *s);

/* The id of module (path, build_id raw bytes), created when new. */
int imp_store_module(imp_store_t *s, const char *path, uint32_t path_len, const uint8_t *bid,
                     uint32_t bid_len, uint32_t *module_id);

/* The id of the frame at offset in module (0: none, offset is then the raw address). */
int imp_store_frame(imp_store_t *s, uint32_t module_id, uint64_t offset, uint32_t *frame_id);

/* The id of the stack made of these frames (innermost first), created when new. */
int imp_store_stack(imp_store_t *s, const uint32_t *frames, uint32_t depth, int64_t *stack_id);

#endif
