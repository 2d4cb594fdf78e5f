/* trace_build.h: builds mtdb trace images in memory for the format tests.
 *
 * Wraps trace_writer.h with chunk and block bookkeeping and remembers every record it
 * writes (offset, block, decoded values), so a test can compare what the reader returns
 * with what was written. Test code only: aborts on misuse instead of reporting.
 */
#ifndef TB_TRACE_BUILD_H
#define TB_TRACE_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "trace_reader.h"
#include "trace_writer.h"

#define TB_MAX_RECS 4096
#define TB_MAX_THREADS 16
#define TB_MAX_FRAMES 16

/* One record as written. */
typedef struct tb_rec {
    uint64_t offset, end;      /* bytes of the record */
    uint64_t block, block_end; /* its block's header offset and payload end */
    int sealed;                /* its block was sealed */
    uint8_t type, sub;
    uint32_t thread;
    uint64_t seq, ts, ts2, addr, old_addr, size, stack_id, weight, value, tid, tflags;
    int has_stack;
    uint32_t depth;
    uint64_t frames[TB_MAX_FRAMES];
    const char *str; /* NAME, MARK, STATE exec */
} tb_rec_t;

/* One block as written. */
typedef struct tb_block {
    uint64_t offset, payload_end;
    uint32_t thread, events;
    int sealed;
} tb_block_t;

typedef struct tb {
    uint8_t *buf;
    size_t size; /* reserved bytes: whole chunks */
    uint32_t first, largest;
    unsigned chunk_k;
    uint64_t chunk_start, chunk_end;
    uint64_t pos; /* next block offset */
    /* the open block */
    int in_block;
    uint64_t blk;
    uint8_t *rp;
    uint32_t blk_thread, blk_events;
    uint64_t blk_first_rec;
    mtdb_enc_t enc;
    uint64_t next_seq[TB_MAX_THREADS];
    uint64_t stacks[TB_MAX_THREADS];
    tb_rec_t recs[TB_MAX_RECS];
    size_t nrec;
    tb_block_t blocks[256];
    size_t nblock;
    uint64_t events;
} tb_t;

void tb_init(tb_t *t, uint32_t kind, uint32_t first, uint32_t largest);
void tb_free(tb_t *t);
/* Starts a block; pads to the next chunk when fewer than `room` bytes are left. */
void tb_begin(tb_t *t, uint32_t thread, uint32_t flags, uint64_t base_ns, uint32_t room);
void tb_seal(tb_t *t, uint32_t extra_flags);
void tb_leave_open(tb_t *t); /* the block stays open: the file's last block */
void tb_pad(tb_t *t);        /* PAD block to the end of the chunk */

tb_rec_t *tb_alloc(tb_t *t, unsigned func, uint64_t ts, uint64_t addr, uint64_t size,
                   uint64_t stack, uint64_t weight);
tb_rec_t *tb_free_rec(tb_t *t, unsigned free_func, uint64_t ts, uint64_t addr, int with_stack,
                      uint64_t stack);
tb_rec_t *tb_realloc(tb_t *t, unsigned func, uint64_t ts, uint64_t old_addr, uint64_t ts2,
                     uint64_t addr, uint64_t size, uint64_t stack, uint64_t weight);
tb_rec_t *tb_fail(tb_t *t, unsigned func, uint64_t ts, uint64_t size);
tb_rec_t *tb_stack(tb_t *t, const uintptr_t *frames, unsigned depth);
/* A STACK record sharing its outer `shared` frames with the block's previous one: frames
 * are the whole stack (what the reader must return), the outer ones equal to that
 * record's outer ones. */
tb_rec_t *tb_stack_shared(tb_t *t, const uintptr_t *frames, unsigned depth, unsigned shared);
tb_rec_t *tb_thread(tb_t *t, uint64_t tid, uint64_t start_ns, uint64_t flags);
tb_rec_t *tb_name(tb_t *t, const char *name);
tb_rec_t *tb_counters(tb_t *t, uint64_t base);
tb_rec_t *tb_modules(tb_t *t, unsigned count);
tb_rec_t *tb_mark(tb_t *t, unsigned kind, uint64_t ts, const char *label);
tb_rec_t *tb_state(tb_t *t, unsigned state, uint64_t ts, const char *path, uint64_t pid);
tb_rec_t *tb_process(tb_t *t);
tb_rec_t *tb_exit(tb_t *t, unsigned how, uint64_t ts, uint64_t status);
/* Raw bytes as one record (for malformed records); counted as a heap event if heap. */
tb_rec_t *tb_raw(tb_t *t, const uint8_t *bytes, size_t len, int heap);

/* The written record at offset, or NULL. */
const tb_rec_t *tb_find(const tb_t *t, uint64_t offset);
/* 1 when rec equals the written record w in every field its type defines. */
int tb_same(const tb_rec_t *w, const mtdb_record_t *rec);

/* A small file with every record type, two threads, a PAD and three chunks.
 * last_open: leave the last block open (with records) instead of sealed. */
void tb_build_sample(tb_t *t, int last_open);

/* Reads a whole image: counts records, checks each against what was written. */
typedef struct tb_read {
    int open_rc;
    int next_rc;
    uint64_t records, heap_events, mismatches, unknown;
    uint64_t diags, diag_lost, diag_skipped;
    uint64_t stack_mismatches;
    unsigned diag_kinds; /* bit per MTDB_DIAG_* seen */
    mtdb_read_stats_t stats;
    char first_diag[160];
} tb_read_t;
void tb_read_image(const tb_t *t, const uint8_t *buf, size_t len, tb_read_t *out);

#endif
