/* mtdb_format.h: the one definition of the mtdb trace file format.
 *
 * The recorder writes it, `mtdb dump` and the importer read it; all of them include
 * this header and nothing else defines a byte of the format. docs/format.md explains
 * the same layout in prose. Numbers here are on disk forever: never renumber a tag,
 * never reuse a bit, add new ones at the end and bump MTDB_FORMAT_MINOR.
 *
 * Must stay dependency-free and allocation-free: the recorder includes it in its hooks.
 *
 * ------------------------------------------------------------------------------------
 * Byte order: every fixed-width integer is little-endian. Variable-length integers are
 * LEB128 (7 bits per byte, low bits first, high bit = more follows), at most 10 bytes.
 * Signed values are zigzag-mapped before LEB128: (v << 1) ^ (v >> 63).
 *
 * A trace directory holds, per recorded process image, one process file
 *      mtdb-<pid>-<nonce16hex>.proc
 * and one or more stream files
 *      mtdb-<pid>-<nonce16hex>-<stream4>.trace
 * Both kinds share the layout: a 64-byte file header, then chunks of blocks.
 *
 * FILE HEADER (64 bytes at offset 0)
 *   OFFSET SIZE MEANING
 *      0     8  magic "MTDBTRC\n"
 *      8     4  byte-order mark 0x0A0B0C0D (reads 0D 0C 0B 0A on disk)
 *     12     2  format major version; a reader refuses a major it does not know
 *     14     2  format minor version; a reader accepts any minor of its major
 *     16     4  file kind: 1 = process file, 2 = stream file
 *     20     4  pid of the recorded process
 *     24     8  process nonce: random, distinguishes images (exec keeps the pid)
 *     32     4  stream index (0 for the process file)
 *     36     4  first chunk size in bytes (power of two, >= 4096)
 *     40     4  largest chunk size in bytes (power of two, >= first)
 *     44     4  reserved, 0
 *     48     8  creation time, CLOCK_MONOTONIC ns
 *     56     4  reserved, 0
 *     60     4  CRC-32C of bytes 0..59
 *
 * CHUNKS. The file grows in chunks: chunk k is min(first << k, largest) bytes and
 * starts where chunk k-1 ends; chunk 0 starts at offset 0 and holds the file header.
 * The writer reserves each chunk on disk before mapping it, so a full disk is a clean
 * error, never SIGBUS. Blocks never straddle a chunk boundary. A writer that moves on
 * to the next chunk closes the current one with a PAD block covering the rest of it.
 *
 * BLOCK HEADER (48 bytes, 8-byte aligned, followed by payload_bytes of records)
 *   OFFSET SIZE MEANING
 *      0     4  magic MTDB_BLOCK_MAGIC ("MBLK")
 *      4     4  payload_bytes: bytes of whole records that follow. While the block is
 *               open the writer raises it after every record (a plain release store),
 *               so a reader of a killed process sees exactly the complete records.
 *      8     4  thread number: per-process serial of the writing thread (1, 2, ...);
 *               0 for process-level blocks (the process file)
 *     12     4  flags, MTDB_BLOCK_*
 *     16     8  first_event_seq: the thread's event ordinal (0-based) of the first
 *               heap event in this block; a gap between blocks is a count of lost events
 *     24     8  base_ns: CLOCK_MONOTONIC ns that the first record's time delta is from
 *     32     4  event_count: heap events in the block (valid when SEALED)
 *     36     4  CRC-32C of the payload (valid when SEALED)
 *     40     4  reserved, 0
 *     44     4  CRC-32C of header bytes 0..43 (valid when SEALED)
 * The next block starts at the next multiple of 8 after the payload.
 *
 * Torn tail or damage? A SEALED block must pass both CRCs: failure is damage, and the
 * reader resynchronises at the next 8-aligned MTDB_BLOCK_MAGIC whose sealed header
 * checks. An open (unsealed) block is legal only as the last block of the file (a
 * process that died or is still writing); its records are decoded up to
 * payload_bytes and must parse exactly. After the last block the file holds zeros.
 *
 * RECORDS. One tag byte, then fields. Low 4 bits of the tag: record type. High 4 bits:
 * a type-specific "sub" value (the allocation function for heap events). Times are
 * zigzag deltas in ns from the previous record's time in the same block (the first
 * from base_ns). Addresses are zigzag deltas from the previous address in the block
 * (starting at 0). Strings are a LEB128 length then that many bytes, no terminator.
 *
 *   ALLOC    sub=function  dt, addr_delta, size, stackref
 *   FREE     sub=function  dt, addr_delta [, stackref if MTDB_SUB_FREE_STACK set]
 *   REALLOC  sub=function  dt_before, old_addr_delta, dt_after (>= 0, from dt_before),
 *                          new_addr_delta, size, stackref
 *            a realloc that moved or stayed: frees old (at the first time) and
 *            allocates new (at the second time), linked.
 *   FAIL     sub=function  dt, size       a failed allocation: counted, no block
 *   STACK    sub=0         depth, then depth zigzag ip deltas (first from 0), innermost
 *                          first; defines the thread's next stack id (1, 2, ...)
 *            sub=1         (MTDB_SUB_STACK_SHARED, format 2.0) depth, shared, then
 *                          depth - shared zigzag ip deltas (first from 0): its own
 *                          innermost frames; its outermost `shared` frames are those of
 *                          the previous STACK record of the same block (0 < shared <=
 *                          that record's depth; none before it in the block: damage).
 *                          Deep stacks of one thread mostly differ in a few inner
 *                          frames: this keeps their common outer frames once per block.
 *   THREAD   sub=0         tid, start_ns(absolute), flags; first record of a thread
 *   NAME     sub=0         string: the thread's name (pthread_setname_np, prctl)
 *   COUNTERS sub=0         count (<= 64), then count varints (health counters,
 *                          cumulative, in MTDB_COUNTER_LIST order; a reader keeps
 *                          those it knows and skips the rest, so counters can be added)
 *   MODULES  sub=0         count, then per module: base, text_size, path string,
 *                          build-id string (raw bytes); a full snapshot of the map
 *   MARK     sub=kind      dt, label string  (API: phase begin/end, point)
 *   STATE    sub=state     dt              (paused / resumed / exec / fork)
 *   PROCESS  sub=0         process facts (proc file only): see MTDB_PROC_* order
 *   EXIT     sub=how       dt, status       (proc file only)
 *
 * stackref = (stack_id << 1) | has_weight, then the weight varint when has_weight.
 * stack_id 0 means "no stack captured"; weight is how many allocations of this call
 * site this record stands for (sampling), 1 when absent.
 */
#ifndef MTDB_FORMAT_H
#define MTDB_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* File names in a trace directory (see the top of this header): MTDB_FILE_PREFIX, pid,
 * '-', 16 hex digits of nonce, then MTDB_PROC_SUFFIX, or '-', the stream number and
 * MTDB_STREAM_SUFFIX. MTDB_DEFAULT_DIR is the directory when none is named. */
#define MTDB_FILE_PREFIX "mtdb-"
#define MTDB_PROC_SUFFIX ".proc"
#define MTDB_STREAM_SUFFIX ".trace"
#define MTDB_DEFAULT_DIR "mtdb-out"

#define MTDB_FILE_MAGIC "MTDBTRC\n"
#define MTDB_BYTE_ORDER_MARK 0x0A0B0C0Du
#define MTDB_FORMAT_MAJOR 2
#define MTDB_FORMAT_MINOR 1
/* The oldest major a reader of this header still reads (1: no shared STACK records). */
#define MTDB_FORMAT_OLDEST_MAJOR 1
#define MTDB_FILE_HEADER_BYTES 64
#define MTDB_FILE_KIND_PROCESS 1
#define MTDB_FILE_KIND_STREAM 2

#define MTDB_BLOCK_MAGIC 0x4B4C424Du /* "MBLK" little-endian */
#define MTDB_BLOCK_HEADER_BYTES 48
#define MTDB_BLOCK_ALIGN 8
#define MTDB_BLOCK_MAX_PAYLOAD (1u << 20) /* reader's sanity cap */

/* Block flags. */
#define MTDB_BLOCK_SEALED 0x1u       /* CRCs and event_count are valid */
#define MTDB_BLOCK_PAD 0x2u          /* no records: skip to the next chunk */
#define MTDB_BLOCK_THREAD_FIRST 0x4u /* starts a thread: its stack ids restart at 1 */
#define MTDB_BLOCK_THREAD_LAST 0x8u  /* the thread ended cleanly in this block */
#define MTDB_BLOCK_LATE 0x10u        /* events after the thread's recorder state closed */

/* Record types (low 4 bits of the tag). */
enum mtdb_rec_type {
    MTDB_REC_ALLOC = 1,
    MTDB_REC_FREE = 2,
    MTDB_REC_REALLOC = 3,
    MTDB_REC_FAIL = 4,
    MTDB_REC_STACK = 5,
    MTDB_REC_THREAD = 6,
    MTDB_REC_NAME = 7,
    MTDB_REC_COUNTERS = 8,
    MTDB_REC_MODULES = 9,
    MTDB_REC_MARK = 10,
    MTDB_REC_STATE = 11,
    MTDB_REC_PROCESS = 12,
    MTDB_REC_EXIT = 13,
};
#define MTDB_TAG(type, sub) ((uint8_t)(((sub) << 4) | (type)))
#define MTDB_TAG_TYPE(tag) ((tag)&0x0Fu)
#define MTDB_TAG_SUB(tag) ((tag) >> 4)

/* Allocation functions (sub of ALLOC, FREE, REALLOC, FAIL). */
#define MTDB_FUNC_LIST(X)                                                                          \
    X(MALLOC, 1, "malloc")                                                                         \
    X(CALLOC, 2, "calloc")                                                                         \
    X(REALLOC, 3, "realloc")                                                                       \
    X(REALLOCARRAY, 4, "reallocarray")                                                             \
    X(POSIX_MEMALIGN, 5, "posix_memalign")                                                         \
    X(ALIGNED_ALLOC, 6, "aligned_alloc")                                                           \
    X(MEMALIGN, 7, "memalign")                                                                     \
    X(VALLOC, 8, "valloc")                                                                         \
    X(PVALLOC, 9, "pvalloc")                                                                       \
    X(FREE, 10, "free")
enum mtdb_func {
#define MTDB_FUNC_ENUM(name, num, str) MTDB_FUNC_##name = num,
    MTDB_FUNC_LIST(MTDB_FUNC_ENUM)
#undef MTDB_FUNC_ENUM
};
/* FREE records: the sub is the function that freed (FREE, REALLOC, REALLOCARRAY),
 * plus this bit when a stackref follows. */
#define MTDB_SUB_FREE_STACK 0x8u
#define MTDB_SUB_STACK_SHARED 0x1u
#define MTDB_SUB_FREE_FUNC(sub) ((sub)&0x7u)
/* A FREE's function is stored in 3 bits: FREE maps to 0. */
#define MTDB_FREE_FUNC_FREE 0
#define MTDB_FREE_FUNC_REALLOC 1
#define MTDB_FREE_FUNC_REALLOCARRAY 2

/* The 3-bit function of a FREE record for the function that freed (MTDB_FUNC_REALLOC,
 * MTDB_FUNC_REALLOCARRAY, anything else is free), and back: a FREE record's sub to its
 * MTDB_FUNC_* (an unknown 3-bit value reads as free; the reader rejects those). */
static inline unsigned mtdb_free_func_encode(unsigned func)
{
    return func == MTDB_FUNC_REALLOC        ? MTDB_FREE_FUNC_REALLOC
           : func == MTDB_FUNC_REALLOCARRAY ? MTDB_FREE_FUNC_REALLOCARRAY
                                            : MTDB_FREE_FUNC_FREE;
}
static inline unsigned mtdb_free_func_decode(unsigned sub)
{
    switch (MTDB_SUB_FREE_FUNC(sub)) {
    case MTDB_FREE_FUNC_REALLOC:
        return MTDB_FUNC_REALLOC;
    case MTDB_FREE_FUNC_REALLOCARRAY:
        return MTDB_FUNC_REALLOCARRAY;
    default:
        return MTDB_FUNC_FREE;
    }
}

/* MARK kinds. */
#define MTDB_MARK_POINT 0
#define MTDB_MARK_PHASE_BEGIN 1
#define MTDB_MARK_PHASE_END 2

/* STATE values. */
#define MTDB_STATE_PAUSED 1
#define MTDB_STATE_RESUMED 2
#define MTDB_STATE_EXEC 3   /* followed by the program path string */
#define MTDB_STATE_FORKED 4 /* followed by the child pid */

/* EXIT how. */
#define MTDB_EXIT_ATEXIT 1    /* exit() or return from main: the recorder's handler ran */
#define MTDB_EXIT_EXIT_CALL 2 /* _exit/_Exit called directly */

/* THREAD flags. */
#define MTDB_THREAD_MAIN 0x1u       /* the process's initial thread */
#define MTDB_THREAD_FORK_CHILD 0x2u /* the thread that called fork, in the child */

/* Health counters, written cumulatively in COUNTERS records (per thread, or per
 * process in the proc file). The order is the on-disk order. */
#define MTDB_COUNTER_LIST(X)                                                                       \
    X(EVENTS, "events", "heap events recorded")                                                    \
    X(BYTES_WRITTEN, "bytes_written", "trace bytes this thread wrote")                             \
    X(DROPPED_WRITE_ERROR, "dropped_write_error", "events lost: trace write failed")               \
    X(DROPPED_REENTRY_FULL, "dropped_reentry_full", "events lost: re-entry queue full")            \
    X(REENTRANT, "reentrant", "events recorded without stack: re-entered hook")                    \
    X(STACKS, "stacks", "distinct stacks this thread defined")                                     \
    X(STACKS_TRUNCATED, "stacks_truncated", "stacks cut at the depth limit")                       \
    X(STACKS_SAMPLED_OUT, "stacks_sampled_out", "allocations given only their call site's frame")  \
    X(RECORDER_NS, "recorder_ns", "estimated ns spent inside the recorder")                        \
    X(UNWIND_NS, "unwind_ns", "estimated ns spent unwinding stacks")                               \
    X(PAUSED_ALLOCS, "paused_allocs", "allocations not recorded while paused")                     \
    X(LATE_EVENTS, "late_events", "events after the thread's recorder state closed")               \
    X(STARTUP_PASSTHROUGH, "startup_passthrough",                                                  \
      "events not recorded: they came while the recorder was starting (process level)")           \
    X(STACK_TABLE_RESETS, "stack_table_resets",                                                    \
      "times the thread's stack table reached MTDB_STACK_TABLE_KB and was cleared")           \
    X(UNWIND_REUSED, "unwind_reused",                                                              \
      "stack walks that copied their outer frames from the thread's previous walk")                \
    X(UNWIND_FALLBACK, "unwind_fallback",                                                          \
      "stack walks left to unw_backtrace: a frame the cached walker does not follow")             \
    X(UNWIND_RULES_READ, "unwind_rules_read", "unwind rules read from .eh_frame (cache misses)")   \
    X(UNWIND_MISMATCH, "unwind_mismatch",                                                          \
      "MTDB_STACK_CACHE=verify: cached walks that differed from unw_backtrace's")
#define MTDB_MAX_COUNTERS 64 /* a reader's cap on a COUNTERS record's count */
enum mtdb_counter {
#define MTDB_COUNTER_ENUM(name, str, doc) MTDB_COUNTER_##name,
    MTDB_COUNTER_LIST(MTDB_COUNTER_ENUM)
#undef MTDB_COUNTER_ENUM
        MTDB_COUNTER_COUNT
};

/* PROCESS record fields, in order. Strings are LEB128-length-prefixed. */
#define MTDB_PROC_FIELDS(X)                                                                        \
    X(PID, "varint")                                                                               \
    X(PPID, "varint")                                                                              \
    X(PARENT_NONCE, "varint: nonce of the image that forked us, 0 if none known")                  \
    X(MONO_NS, "varint: CLOCK_MONOTONIC anchor")                                                   \
    X(WALL_NS, "varint: CLOCK_REALTIME at the same instant")                                       \
    X(CLOCK_COST_NS, "varint: measured cost of one timestamp")                                     \
    X(ARGV, "varint count, then that many strings")                                                \
    X(EXE, "string: /proc/self/exe")                                                               \
    X(RECORDER_VERSION, "string")                                                                  \
    X(UNWINDER, "string: unwinder name and version")                                               \
    X(SETTINGS, "string: the effective settings, MTDB_X=value lines")

/* ---- LEB128 and zigzag, shared by writer and reader ---------------------------- */

static inline uint64_t mtdb_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t mtdb_unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Writes v at p (room for 10 bytes needed); returns the new end. */
static inline uint8_t *mtdb_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Reads a varint from [*pp, end). Returns 0 and advances *pp, or -1 when the bytes
 * run out or the value takes more than 10 bytes. */
static inline int mtdb_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

static inline void mtdb_put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}
static inline void mtdb_put_u64le(uint8_t *p, uint64_t v)
{
    mtdb_put_u32le(p, (uint32_t)v);
    mtdb_put_u32le(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t mtdb_get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t mtdb_get_u64le(const uint8_t *p)
{
    return (uint64_t)mtdb_get_u32le(p) | (uint64_t)mtdb_get_u32le(p + 4) << 32;
}
static inline uint16_t mtdb_get_u16le(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* PACKED FILES. After the program has ended, `mtdb record` (or `mtdb pack`) may replace a
 * trace file by its packed form under the same name: the original bytes cut into pieces
 * of pack_chunk bytes (the last one shorter), each compressed alone, so that damage to
 * one piece loses only that piece. The reader tells the two forms apart by the magic and
 * unpacks before decoding: every consumer sees the original bytes. Never written by
 * the recorder.
 *
 * PACKED HEADER (64 bytes at offset 0)
 *   OFFSET SIZE MEANING
 *      0     8  magic "MTDBPAK\n"
 *      8     4  byte-order mark 0x0A0B0C0D
 *     12     2  packed form major version (1); a reader refuses a major it does not know
 *     14     2  packed form minor version (1)
 *     16     4  codec: 1 = zstd (each piece one zstd frame holding its size); 2 = split
 *               zstd (1.1: each piece one zstd frame holding a form byte, then the
 *               piece as it is (form 0) or its bytes grouped by field (form 1, see
 *               trace_split.h and docs/format.md "Split pieces"))
 *     20     4  pack_chunk: bytes of the original per piece (power of two, 4096..2^24)
 *     24     8  raw_bytes: length of the original file
 *     32     4  piece_count: ceil(raw_bytes / pack_chunk)
 *     36     4  CRC-32C of the original file's raw_bytes bytes
 *     40     4  CRC-32C of the piece table
 *     44     4  compression level used (informative)
 *     48    12  reserved, 0
 *     60     4  CRC-32C of bytes 0..59
 * PIECE TABLE (piece_count entries of 16 bytes, at offset 64)
 *      0     8  offset in this file of the piece's compressed frame
 *      8     4  compressed bytes of the frame
 *     12     4  CRC-32C of the piece's original bytes
 * The frames follow the table in piece order. */
#define MTDB_PACK_MAGIC "MTDBPAK\n"
#define MTDB_PACK_MAJOR 1
#define MTDB_PACK_MINOR 1
#define MTDB_PACK_HEADER_BYTES 64
#define MTDB_PACK_ENTRY_BYTES 16
#define MTDB_PACK_CODEC_ZSTD 1
#define MTDB_PACK_CODEC_SPLIT 2 /* packed 1.1 */
#define MTDB_PACK_CHUNK_MIN 4096u
#define MTDB_PACK_CHUNK_MAX (1u << 24) /* bounds what a tiny damaged file can unpack to */
#define MTDB_PACK_CHUNK_DEFAULT (1u << 20)

/* Size of chunk k of a file whose first chunk is `first` and largest `largest`. */
static inline uint64_t mtdb_chunk_bytes(uint32_t first, uint32_t largest, unsigned k)
{
    uint64_t size = k >= 32 ? (uint64_t)largest : (uint64_t)first << k;
    return size > largest ? largest : size;
}

/* CRC-32C (Castagnoli), format/crc32c.c. */
uint32_t mtdb_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
