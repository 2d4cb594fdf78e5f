/* imp_loss.h: what the process lost, and from when (imp_loss.c). */
#ifndef IMP_LOSS_H
#define IMP_LOSS_H

#include "imp_types.h"

/* Events are known lost from merge time ts on. */
void imp_loss_note(imp_pctx_t *p, uint64_t ts);
void imp_loss_on_diag(imp_pctx_t *p, const mtdb_diag_t *d);
void imp_loss_on_counters(imp_pctx_t *p, const mtdb_record_t *r);
/* Once the process is done: its not_recorded and partner_lost problems. */
int imp_loss_report(imp_pctx_t *p);

#endif
