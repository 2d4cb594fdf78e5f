/* imp_finish.h: everything after the bulk load, in order (imp_finish.c). */
#ifndef IMP_FINISH_H
#define IMP_FINISH_H

#include "imp_db.h"
#include "imp_spool.h"
#include "imp_store.h"
#include "imp_timeline.h"
#include "imp_types.h"

/* Ends the load (waits for the writer, commits) and builds the indexes of
 * 50-indexes.sql. times->index receives the seconds spent. Returns 0 or an IMP_E* code. */
int imp_finish_load(imp_db_t *db, imp_times_t *times);

/* After imp_finish_load and the symbols (imp_symbolize.h): short function names, the
 * rest of the post-load schema files (fork inheritance only when needed, the per-stack
 * part of 55-derive.sql on the stack tree of store, the per-block tables in one pass over
 * the blocks of spool, timeline_fine from timeline: imp_derive.h), ANALYZE. Adds its seconds to times->index; times->sites and
 * times->blocks receive the derivation's two parts. Returns 0 or an IMP_E* code. */
int imp_finish(imp_db_t *db, imp_store_t *store, imp_spool_t *spool, imp_timeline_t *timeline,
               imp_times_t *times);

#endif
