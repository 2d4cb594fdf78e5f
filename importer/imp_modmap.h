/* imp_modmap.h: a process's module map over time, from its MODULES snapshots.
 *
 * Holds the snapshot in force at the current merge time, resolves a code address to
 * (module, offset) with it, and writes module_maps rows as mappings come and go.
 * Never resolves with a snapshot from the future of the event being decoded.
 */
#ifndef IMP_MODMAP_H
#define IMP_MODMAP_H

#include <stdint.h>

#include "imp_store.h"
#include "mtdb_format.h"
#include "trace_reader.h"

typedef struct imp_mapping {
    uint64_t base, text_size, from_ns;
    uint32_t module_id;
} imp_mapping_t;

typedef struct imp_modmap {
    int64_t process_id;
    imp_mapping_t *cur; /* sorted by base */
    uint32_t ncur, capcur;
    uint32_t gen; /* snapshots so far: an address resolved under another may differ */
} imp_modmap_t;

void imp_modmap_init(imp_modmap_t *m, int64_t process_id);

/* Replaces the snapshot at time ts_ns, closing the mappings that went away. */
int imp_modmap_update(imp_modmap_t *m, imp_store_t *s, const mtdb_module_t *mods, uint32_t count,
                    uint64_t ts_ns);

/* Module and offset of ip; module 0 and offset = ip when no mapping covers it. */
void imp_modmap_resolve(const imp_modmap_t *m, uint64_t ip, uint32_t *module_id, uint64_t *offset);

/* Writes the mappings still open (until_ns NULL) and frees the map. */
int imp_modmap_finish(imp_modmap_t *m, imp_store_t *s);

#endif
