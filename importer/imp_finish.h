/* imp_finish.h: everything after the bulk load, in order (imp_finish.c). */
#ifndef IMP_FINISH_H
#define IMP_FINISH_H

#include "imp_db.h"
#include "imp_spool.h"
#include "imp_store.h"
#include "imp_types.h"

/* Ends the load, then derives and indexes: short function names, the post-load schema
 * files (fork inheritance only when needed, the per-stack part of 55-derive.sql on the
 * stack tree of store, the per-block tables in one pass over the blocks of spool), ANALYZE.
 * times->index receives the seconds spent after the load's commit, times->sites and times->blocks
 * the derivation's two parts. Returns 0 or an IMP_E* code. */
int imp_finish(imp_db_t *db, imp_store_t *store, imp_spool_t *spool, imp_times_t *times);

#endif
