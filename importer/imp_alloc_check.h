/* imp_alloc_check.h: heap use the recorder could not see (imp_alloc_check.c). */
#ifndef IMP_ALLOC_CHECK_H
#define IMP_ALLOC_CHECK_H

#include "imp_types.h"

/* Hidden allocators and long runs without heap calls, as problems. Each module file is
 * read once per import, however many processes mapped it. */
int imp_alloc_check(imp_pctx_t *p);
/* Frees what the checks remembered of the module files. */
void imp_alloc_check_free(imp_run_t *run);

#endif
