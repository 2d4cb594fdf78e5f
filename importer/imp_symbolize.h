/* imp_symbolize.h: symbols for every frame of the run (imp_symbolize.c).
 *
 * Two steps, so that the libdw lookups overlap the load's commit and indexes: the
 * lookups start once every frame is known (on a thread of their own when the import has
 * two), and their rows are written after the load, before anything reads symbols.
 */
#ifndef IMP_SYMBOLIZE_H
#define IMP_SYMBOLIZE_H

#include "imp_types.h"

/* Starts looking up every frame of run->store, which must not change until
 * imp_symbolize_write. Returns 0 or IMP_ENOMEM (then nothing was started). */
int imp_symbolize_start(imp_run_t *run);

/* After imp_db_end_load: waits for the lookups, writes frames and symbols, tells the
 * modules without symbols, frees. Returns 0 or an IMP_E* code. */
int imp_symbolize_write(imp_run_t *run);

/* Waits for the lookups if they run and frees them, writing nothing (failure paths). */
void imp_symbolize_free(imp_run_t *run);

#endif
