/* imp_threads.h: the threads of the process being imported (imp_threads.c). */
#ifndef IMP_THREADS_H
#define IMP_THREADS_H

#include "imp_types.h"

/* The thread of this number, created at first sight (file: where it was first seen);
 * NULL when out of memory. */
imp_thread_t *imp_thread_get(imp_pctx_t *p, uint32_t number, const char *file);
/* Writes the threads rows and their health counters. */
int imp_threads_write(imp_pctx_t *p);
void imp_threads_free(imp_pctx_t *p);
/* The global stack id of a thread-local stack id, 0 when unknown. */
int64_t imp_thread_stack(imp_thread_t *t, uint64_t local_id);
int imp_thread_set_stack(imp_thread_t *t, uint64_t local_id, int64_t stack_id);

#endif
