/* imp_derive.h: the per-block tables of sql/56-derive-blocks.sql, in one pass
 * (imp_derive.c). */
#ifndef IMP_DERIVE_H
#define IMP_DERIVE_H

#include "imp_db.h"
#include "imp_site_keys.h"
#include "imp_spool.h"
#include "imp_timeline.h"

/* After the load and sql/55-derive.sql: fills the tables 56-derive-blocks.sql fills,
 * from the blocks in spool when timeline is not NULL (then the spool is mapped and
 * timeline gathers its events: imp_timeline_start), else from the allocations table.
 * sites: the stack_sites rows as imp_stack_sites gave them, taken over (left empty). */
int imp_derive_blocks(imp_db_t *db, imp_spool_t *spool, imp_timeline_t *timeline,
                      imp_site_keys_t *sites);

#endif
