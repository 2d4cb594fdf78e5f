/* imp_scan.h: the trace files of a directory, by process image (imp_scan.c). */
#ifndef IMP_SCAN_H
#define IMP_SCAN_H

#include <stddef.h>

#include "imp_types.h"

/* Fills run->procs from the headers of the trace files in dir; msg says why on failure. */
int imp_scan_dir(imp_run_t *run, const char *dir, char *msg, size_t msg_len);
void imp_scan_free(imp_run_t *run);

#endif
