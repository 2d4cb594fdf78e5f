/* imp_symbolize.h: symbols for every frame of the run (imp_symbolize.c). */
#ifndef IMP_SYMBOLIZE_H
#define IMP_SYMBOLIZE_H

#include "imp_types.h"

int imp_symbolize_all(imp_run_t *run);

#endif
