/* imp_pair.h: pairing of allocations and frees by address (imp_pair.c). */
#ifndef IMP_PAIR_H
#define IMP_PAIR_H

#include "imp_types.h"

int imp_pair_alloc(imp_pctx_t *p, imp_thread_t *t, const imp_live_t *b);
int imp_pair_free(imp_pctx_t *p, imp_thread_t *t, uint64_t addr, uint64_t ts, int func,
                  int64_t stack_id, int64_t *freed_block);
/* Writes the blocks still live at the end of the process. */
int imp_pair_finish(imp_pctx_t *p);
void imp_pair_release(imp_pctx_t *p);

#endif
