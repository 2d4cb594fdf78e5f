/* imp_merge.h: k-way merge of one process's trace files into one time order.
 *
 * Each file is in time order on its own; the merge always yields the record with the
 * smallest (time, free-before-alloc, file) key. A REALLOC comes out twice: its free
 * half at the first time, its allocation half at the second. Records without a time
 * of their own take their block's running time, never earlier than the record before
 * them in the same file.
 */
#ifndef IMP_MERGE_H
#define IMP_MERGE_H

#include <stdint.h>

#include "trace_reader.h"

typedef struct imp_cursor {
    mtdb_reader_t *reader;
    const char *path;
    mtdb_record_t rec;
    uint64_t key;
    int order; /* 0: a free (sorts first on equal times), 1: anything else */
    int half;  /* REALLOC: 0 = free half pending, 1 = allocation half */
    int index;
} imp_cursor_t;

typedef struct imp_merge {
    imp_cursor_t *cursors;
    imp_cursor_t **heap;
    int ncursors, nheap;
    double parse_s; /* seconds spent decoding (estimated from one record in 64) */
    uint64_t decoded;
    int fatal; /* a reader returned a fatal error (negative code) */
    const char *fatal_path;
} imp_merge_t;

/* Takes ownership of the readers; primes every cursor. */
int imp_merge_start(imp_merge_t *m, mtdb_reader_t **readers, const char **paths, int n);

/* The next cursor in time order (its rec and half say what to apply), or NULL at the end. */
imp_cursor_t *imp_merge_peek(imp_merge_t *m);

/* Moves the cursor returned by imp_merge_peek to its next record. */
void imp_merge_advance(imp_merge_t *m);

/* Closes every reader. */
void imp_merge_end(imp_merge_t *m);

#endif
