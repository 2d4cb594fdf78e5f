/* imp_spool.h: the facts of every block the per-block derivation reads, kept in an
 * unnamed file beside the database while it loads.
 *
 * imp_derive.c makes every per-block table in one pass over the blocks; reading them back
 * from the database costs a row decode per block (about a third of that pass). The
 * pairing writes each block's facts here as it writes its row, in the same order; the
 * derivation maps the file and walks it instead. When the file cannot be made or
 * written, the derivation reads the database as before: the spool only saves time.
 */
#ifndef IMP_SPOOL_H
#define IMP_SPOOL_H

#include <stddef.h>
#include <stdint.h>

/* One block as its allocations row has it (0 for a NULL id). */
typedef struct imp_spool_block {
    uint32_t process_id, thread_id, stack_id, free_thread_id, free_stack_id;
    uint32_t ended; /* free_ns is not NULL */
    uint64_t size, weight, alloc_ns, free_ns;
} imp_spool_block_t;

typedef struct imp_spool {
    int fd;                 /* -1: no spool */
    imp_spool_block_t *buf; /* blocks not yet written */
    size_t nbuf;
    uint64_t count;               /* blocks added */
    const imp_spool_block_t *map; /* after imp_spool_map: count blocks */
    size_t map_bytes;
} imp_spool_t;

/* Opens an unnamed spool file in the directory of path (the database's); with path NULL,
 * or on failure, the spool is off (fd -1) and every later call does nothing. */
void imp_spool_open(imp_spool_t *s, const char *path);
void imp_spool_add(imp_spool_t *s, const imp_spool_block_t *b);
/* Writes what is buffered and maps the file: 0, or -1 when the spool is off or failed
 * (the caller then reads the database). Once mapped, returns 0 again. */
int imp_spool_map(imp_spool_t *s);
void imp_spool_close(imp_spool_t *s);

#endif
