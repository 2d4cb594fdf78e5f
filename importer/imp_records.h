/* imp_records.h: one function per record type (imp_records.c). */
#ifndef IMP_RECORDS_H
#define IMP_RECORDS_H

#include "imp_types.h"

/* Applies one record of the merged order; realloc_half says which half of a REALLOC. */
int imp_record_apply(imp_pctx_t *p, const mtdb_record_t *r, int realloc_half);

#endif
