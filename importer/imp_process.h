/* imp_process.h: the import of one recorded process image (imp_process.c). */
#ifndef IMP_PROCESS_H
#define IMP_PROCESS_H

#include "imp_types.h"

/* Merges and applies the files of proc, then writes its threads, counters and totals. */
int imp_process_import(imp_run_t *run, imp_proc_t *proc);

#endif
