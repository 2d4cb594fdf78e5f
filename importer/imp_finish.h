/* imp_finish.h: everything after the bulk load, in order (imp_finish.c). */
#ifndef IMP_FINISH_H
#define IMP_FINISH_H

#include "imp_db.h"

/* Ends the load, then derives and indexes: short function names, the post-load schema
 * files (fork inheritance only when needed, the per-block tables in one pass), ANALYZE. *index_s receives the seconds
 * spent after the load's commit. Returns 0 or an IMP_E* code. */
int imp_finish(imp_db_t *db, double *index_s);

#endif
