/* trace_writer.h: encoders for the mtdb trace format (see mtdb_format.h).
 *
 * Pure functions over caller-owned memory, inline because the recorder calls them on
 * every heap event. They never allocate, lock, or call into libc beyond memcpy/memset.
 * The recorder and the format tests use them; nothing else writes trace bytes.
 */
#ifndef MTDB_TRACE_WRITER_H
#define MTDB_TRACE_WRITER_H

#include "mtdb_format.h"

/* Largest encoding of one heap-event record (REALLOC: tag + 7 varints + weight). */
#define MTDB_MAX_EVENT_RECORD 96
/* Largest encoding of a STACK record of `depth` frames. */
#define MTDB_MAX_STACK_RECORD(depth) (1 + 10 + 10 * (size_t)(depth))

/* Delta state of the block being filled: reset when a block starts. */
typedef struct mtdb_enc {
    uint64_t last_ns;
    uint64_t last_addr;
} mtdb_enc_t;

static inline void mtdb_enc_reset(mtdb_enc_t *e, uint64_t base_ns)
{
    e->last_ns = base_ns;
    e->last_addr = 0;
}

static inline uint8_t *mtdb_enc_time(uint8_t *p, mtdb_enc_t *e, uint64_t ts_ns)
{
    p = mtdb_put_varint(p, mtdb_zigzag((int64_t)(ts_ns - e->last_ns)));
    e->last_ns = ts_ns;
    return p;
}

static inline uint8_t *mtdb_enc_addr(uint8_t *p, mtdb_enc_t *e, uint64_t addr)
{
    p = mtdb_put_varint(p, mtdb_zigzag((int64_t)(addr - e->last_addr)));
    e->last_addr = addr;
    return p;
}

static inline uint8_t *mtdb_enc_stackref(uint8_t *p, uint64_t stack_id, uint64_t weight)
{
    if (weight == 1)
        return mtdb_put_varint(p, stack_id << 1);
    p = mtdb_put_varint(p, stack_id << 1 | 1);
    return mtdb_put_varint(p, weight);
}

static inline uint8_t *mtdb_enc_alloc(uint8_t *p, mtdb_enc_t *e, unsigned func, uint64_t ts_ns,
                                      uint64_t addr, uint64_t size, uint64_t stack_id,
                                      uint64_t weight)
{
    *p++ = MTDB_TAG(MTDB_REC_ALLOC, func);
    p = mtdb_enc_time(p, e, ts_ns);
    p = mtdb_enc_addr(p, e, addr);
    p = mtdb_put_varint(p, size);
    return mtdb_enc_stackref(p, stack_id, weight);
}

/* free_func: MTDB_FREE_FUNC_*. stack_id is written only when with_stack. */
static inline uint8_t *mtdb_enc_free(uint8_t *p, mtdb_enc_t *e, unsigned free_func, uint64_t ts_ns,
                                     uint64_t addr, int with_stack, uint64_t stack_id)
{
    *p++ = MTDB_TAG(MTDB_REC_FREE, free_func | (with_stack ? MTDB_SUB_FREE_STACK : 0));
    p = mtdb_enc_time(p, e, ts_ns);
    p = mtdb_enc_addr(p, e, addr);
    return with_stack ? mtdb_enc_stackref(p, stack_id, 1) : p;
}

static inline uint8_t *mtdb_enc_realloc(uint8_t *p, mtdb_enc_t *e, unsigned func,
                                        uint64_t ts_before, uint64_t old_addr, uint64_t ts_after,
                                        uint64_t new_addr, uint64_t size, uint64_t stack_id,
                                        uint64_t weight)
{
    *p++ = MTDB_TAG(MTDB_REC_REALLOC, func);
    p = mtdb_enc_time(p, e, ts_before);
    p = mtdb_enc_addr(p, e, old_addr);
    p = mtdb_put_varint(p, ts_after - ts_before);
    e->last_ns = ts_after;
    p = mtdb_enc_addr(p, e, new_addr);
    p = mtdb_put_varint(p, size);
    return mtdb_enc_stackref(p, stack_id, weight);
}

static inline uint8_t *mtdb_enc_fail(uint8_t *p, mtdb_enc_t *e, unsigned func, uint64_t ts_ns,
                                     uint64_t size)
{
    *p++ = MTDB_TAG(MTDB_REC_FAIL, func);
    p = mtdb_enc_time(p, e, ts_ns);
    return mtdb_put_varint(p, size);
}

/* frames[0] is the innermost caller. Needs MTDB_MAX_STACK_RECORD(depth) bytes. */
static inline uint8_t *mtdb_enc_stack(uint8_t *p, const uintptr_t *frames, unsigned depth)
{
    *p++ = MTDB_TAG(MTDB_REC_STACK, 0);
    p = mtdb_put_varint(p, depth);
    uint64_t prev = 0;
    for (unsigned i = 0; i < depth; i++) {
        p = mtdb_put_varint(p, mtdb_zigzag((int64_t)(frames[i] - prev)));
        prev = frames[i];
    }
    return p;
}

/* A STACK record that takes its outermost `shared` frames (0 < shared <= depth, and at
 * most the previous STACK record's depth) from the previous STACK record of the same
 * block: only frames[0 .. depth - shared) are written. Needs MTDB_MAX_STACK_RECORD(depth)
 * bytes. */
static inline uint8_t *mtdb_enc_stack_shared(uint8_t *p, const uintptr_t *frames, unsigned depth,
                                             unsigned shared)
{
    *p++ = MTDB_TAG(MTDB_REC_STACK, MTDB_SUB_STACK_SHARED);
    p = mtdb_put_varint(p, depth);
    p = mtdb_put_varint(p, shared);
    uint64_t prev = 0;
    for (unsigned i = 0; i + shared < depth; i++) {
        p = mtdb_put_varint(p, mtdb_zigzag((int64_t)(frames[i] - prev)));
        prev = frames[i];
    }
    return p;
}

/* Needs MTDB_MAX_COUNTERS_RECORD bytes. */
#define MTDB_MAX_COUNTERS_RECORD (2 + 10 * MTDB_COUNTER_COUNT)
static inline uint8_t *mtdb_enc_counters(uint8_t *p, const uint64_t counters[MTDB_COUNTER_COUNT])
{
    *p++ = MTDB_TAG(MTDB_REC_COUNTERS, 0);
    p = mtdb_put_varint(p, MTDB_COUNTER_COUNT);
    for (int i = 0; i < MTDB_COUNTER_COUNT; i++)
        p = mtdb_put_varint(p, counters[i]);
    return p;
}

static inline uint8_t *mtdb_enc_string(uint8_t *p, const void *s, size_t len)
{
    p = mtdb_put_varint(p, len);
    if (len) /* an empty string may come as NULL (a module without a build id) */
        memcpy(p, s, len);
    return p + len;
}

/* ---- metadata records (layouts: the RECORDS table of mtdb_format.h) ---------------- */

/* The numbers that open a PROCESS record, in MTDB_PROC_FIELDS order. */
typedef struct mtdb_proc_facts {
    uint64_t pid, ppid, parent_nonce, mono_ns, wall_ns, clock_cost_ns;
    uint64_t argc; /* then argc strings, then exe, version, unwinder, settings strings */
} mtdb_proc_facts_t;

/* PROCESS (process file only), up to its strings: the caller adds argc argument
 * strings, then the EXE, RECORDER_VERSION, UNWINDER and SETTINGS strings with
 * mtdb_enc_string. Needs 71 bytes. */
static inline uint8_t *mtdb_enc_process_head(uint8_t *p, const mtdb_proc_facts_t *f)
{
    *p++ = MTDB_TAG(MTDB_REC_PROCESS, 0);
    const uint64_t v[] = {f->pid,     f->ppid,          f->parent_nonce, f->mono_ns,
                          f->wall_ns, f->clock_cost_ns, f->argc};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        p = mtdb_put_varint(p, v[i]);
    return p;
}

/* THREAD: the first record of a thread. Needs 31 bytes. */
static inline uint8_t *mtdb_enc_thread(uint8_t *p, uint64_t tid, uint64_t start_ns, uint32_t flags)
{
    *p++ = MTDB_TAG(MTDB_REC_THREAD, 0);
    p = mtdb_put_varint(p, tid);
    p = mtdb_put_varint(p, start_ns);
    return mtdb_put_varint(p, flags);
}

/* NAME: the thread's name. Needs 11 + len bytes. */
static inline uint8_t *mtdb_enc_name(uint8_t *p, const char *name, size_t len)
{
    *p++ = MTDB_TAG(MTDB_REC_NAME, 0);
    return mtdb_enc_string(p, name, len);
}

/* MARK of kind MTDB_MARK_* at ts_ns (a delta in e's block). Needs 21 + len bytes. */
static inline uint8_t *mtdb_enc_mark(uint8_t *p, mtdb_enc_t *e, unsigned kind, uint64_t ts_ns,
                                     const char *label, size_t len)
{
    *p++ = MTDB_TAG(MTDB_REC_MARK, kind & 0xF);
    p = mtdb_enc_time(p, e, ts_ns);
    return mtdb_enc_string(p, label, len);
}

/* STATE of kind MTDB_STATE_* at ts_ns (a delta in e's block); EXEC is followed by the
 * program path (mtdb_enc_string), FORKED by the child pid (a varint). Needs 11 bytes. */
static inline uint8_t *mtdb_enc_state(uint8_t *p, mtdb_enc_t *e, unsigned state, uint64_t ts_ns)
{
    *p++ = MTDB_TAG(MTDB_REC_STATE, state & 0xF);
    return mtdb_enc_time(p, e, ts_ns);
}

/* EXIT (process file only): how (MTDB_EXIT_*) at ts_ns (a delta in e's block), the exit
 * status. Needs 21 bytes. */
static inline uint8_t *mtdb_enc_exit(uint8_t *p, mtdb_enc_t *e, unsigned how, uint64_t ts_ns,
                                     uint64_t status)
{
    *p++ = MTDB_TAG(MTDB_REC_EXIT, how & 0xF);
    p = mtdb_enc_time(p, e, ts_ns);
    return mtdb_put_varint(p, status);
}

/* MODULES: the head, then `count` entries written with mtdb_enc_module. Needs 11 bytes. */
static inline uint8_t *mtdb_enc_modules_head(uint8_t *p, uint64_t count)
{
    *p++ = MTDB_TAG(MTDB_REC_MODULES, 0);
    return mtdb_put_varint(p, count);
}

/* MODULES head for a writer that learns the count only after writing the entries (the
 * recorder walks the loader's list once): the count is a 5-byte, non-minimal varint of 0,
 * *count_at says where it is, and mtdb_modules_set_count fills it in. Needs 6 bytes. */
#define MTDB_MODULES_COUNT_BYTES 5
static inline uint8_t *mtdb_enc_modules_head_open(uint8_t *p, uint8_t **count_at)
{
    *p++ = MTDB_TAG(MTDB_REC_MODULES, 0);
    *count_at = p;
    for (int i = 0; i < MTDB_MODULES_COUNT_BYTES; i++)
        *p++ = i < MTDB_MODULES_COUNT_BYTES - 1 ? 0x80 : 0;
    return p;
}

/* Writes count (< 2^32, which 5 varint bytes hold) at the place mtdb_enc_modules_head_open
 * reported, keeping the 5-byte width so nothing after it moves. */
static inline void mtdb_modules_set_count(uint8_t *count_at, uint32_t count)
{
    for (int i = 0; i < MTDB_MODULES_COUNT_BYTES; i++, count >>= 7)
        count_at[i] = (uint8_t)((count & 0x7F) | (i < MTDB_MODULES_COUNT_BYTES - 1 ? 0x80 : 0));
}

/* One MODULES entry: load base, end of the executable text (relative to base), the path
 * and the raw build-id bytes (id_len 0: none). Needs 40 + path_len + id_len bytes. */
#define MTDB_MAX_MODULE_ENTRY(path_len, id_len) (40 + (size_t)(path_len) + (size_t)(id_len))
static inline uint8_t *mtdb_enc_module(uint8_t *p, uint64_t base, uint64_t text_size,
                                       const char *path, size_t path_len, const void *id,
                                       size_t id_len)
{
    p = mtdb_put_varint(p, base);
    p = mtdb_put_varint(p, text_size);
    p = mtdb_enc_string(p, path, path_len);
    return mtdb_enc_string(p, id, id_len);
}

/* ---- headers ---------------------------------------------------------------------- */

typedef struct mtdb_file_params {
    uint32_t kind;
    uint32_t pid;
    uint64_t nonce;
    uint32_t stream;
    uint32_t chunk_first;
    uint32_t chunk_largest;
    uint64_t created_ns;
} mtdb_file_params_t;

static inline void mtdb_file_header_build(uint8_t out[MTDB_FILE_HEADER_BYTES],
                                          const mtdb_file_params_t *fp)
{
    memset(out, 0, MTDB_FILE_HEADER_BYTES);
    memcpy(out, MTDB_FILE_MAGIC, 8);
    mtdb_put_u32le(out + 8, MTDB_BYTE_ORDER_MARK);
    out[12] = MTDB_FORMAT_MAJOR & 0xFF, out[13] = MTDB_FORMAT_MAJOR >> 8;
    out[14] = MTDB_FORMAT_MINOR & 0xFF, out[15] = MTDB_FORMAT_MINOR >> 8;
    mtdb_put_u32le(out + 16, fp->kind);
    mtdb_put_u32le(out + 20, fp->pid);
    mtdb_put_u64le(out + 24, fp->nonce);
    mtdb_put_u32le(out + 32, fp->stream);
    mtdb_put_u32le(out + 36, fp->chunk_first);
    mtdb_put_u32le(out + 40, fp->chunk_largest);
    mtdb_put_u64le(out + 48, fp->created_ns);
    mtdb_put_u32le(out + 60, mtdb_crc32c(0, out, 60));
}

/* Starts an open block at hdr (8-aligned). Records go at hdr + MTDB_BLOCK_HEADER_BYTES. */
static inline void mtdb_block_open(uint8_t *hdr, uint32_t thread, uint32_t flags,
                                   uint64_t first_event_seq, uint64_t base_ns)
{
    memset(hdr + 4, 0, MTDB_BLOCK_HEADER_BYTES - 4);
    mtdb_put_u32le(hdr + 8, thread);
    mtdb_put_u32le(hdr + 12, flags);
    mtdb_put_u64le(hdr + 16, first_event_seq);
    mtdb_put_u64le(hdr + 24, base_ns);
    /* The magic goes last: a reader never sees a block whose fields are half set. */
    __atomic_store_n((uint32_t *)(void *)hdr, MTDB_BLOCK_MAGIC, __ATOMIC_RELEASE);
}

/* Publishes that payload_bytes of whole records follow the header. */
static inline void mtdb_block_commit(uint8_t *hdr, uint32_t payload_bytes)
{
    __atomic_store_n((uint32_t *)(void *)(hdr + 4), payload_bytes, __ATOMIC_RELEASE);
}

/* Seals a block: final length, event count, extra flags, both CRCs. The flags word
 * is stored last, so a block whose sealing was cut short still reads as open. */
static inline void mtdb_block_seal(uint8_t *hdr, uint32_t payload_bytes, uint32_t event_count,
                                   uint32_t extra_flags)
{
    uint8_t final_hdr[MTDB_BLOCK_HEADER_BYTES];
    memcpy(final_hdr, hdr, MTDB_BLOCK_HEADER_BYTES);
    mtdb_put_u32le(final_hdr + 4, payload_bytes);
    mtdb_put_u32le(final_hdr + 12, mtdb_get_u32le(hdr + 12) | extra_flags | MTDB_BLOCK_SEALED);
    mtdb_put_u32le(final_hdr + 32, event_count);
    mtdb_put_u32le(final_hdr + 36, mtdb_crc32c(0, hdr + MTDB_BLOCK_HEADER_BYTES, payload_bytes));
    mtdb_put_u32le(final_hdr + 44, mtdb_crc32c(0, final_hdr, 44));
    memcpy(hdr + 16, final_hdr + 16, MTDB_BLOCK_HEADER_BYTES - 16);
    mtdb_block_commit(hdr, payload_bytes);
    __atomic_store_n((uint32_t *)(void *)(hdr + 12), mtdb_get_u32le(final_hdr + 12),
                     __ATOMIC_RELEASE);
}

static inline uint32_t mtdb_block_span(uint32_t payload_bytes)
{
    uint32_t n = MTDB_BLOCK_HEADER_BYTES + payload_bytes;
    return (n + MTDB_BLOCK_ALIGN - 1) & ~(uint32_t)(MTDB_BLOCK_ALIGN - 1);
}

/* A PAD block: a sealed, empty block whose flags say "the rest of this chunk is unused". */
static inline void mtdb_block_pad(uint8_t *hdr, uint32_t thread)
{
    mtdb_block_open(hdr, thread, MTDB_BLOCK_PAD, 0, 0);
    mtdb_block_seal(hdr, 0, 0, 0);
}

#endif
