/* trace_reader.h: decodes one mtdb trace file (see mtdb_format.h) record by record.
 *
 * Used by `mtdb dump` and the importer. Knows nothing of SQLite or of the CLI. Every
 * length read from the file is checked against what is left; damage never crashes,
 * loops or allocates without bound. Damage that can be stepped over (a bad block, a
 * torn tail) is reported through the diagnostic callback with the file, the offset and
 * what was skipped, and decoding goes on; only an unreadable file or header is fatal.
 */
#ifndef MTDB_TRACE_READER_H
#define MTDB_TRACE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "mtdb_format.h"

/* Reader error codes: 0 is success, negative values are failures. */
#define MTDB_READ_ERRORS(X)                                                                        \
    X(MTDB_READ_OK, 0, "ok")                                                                       \
    X(MTDB_READ_EIO, -1, "cannot open or map the file")                                            \
    X(MTDB_READ_ENOTTRACE, -2, "not an mtdb trace file (bad magic)")                               \
    X(MTDB_READ_EVERSION, -3, "unsupported trace format version")                                  \
    X(MTDB_READ_EHEADER, -4, "damaged file header")                                                \
    X(MTDB_READ_ENOMEM, -5, "out of memory")
enum mtdb_read_error {
#define MTDB_READ_ERR_ENUM(name, num, msg) name = num,
    MTDB_READ_ERRORS(MTDB_READ_ERR_ENUM)
#undef MTDB_READ_ERR_ENUM
};
const char *mtdb_read_strerror(int code);

/* What kind of damage a diagnostic reports: X(ID, name), numbered from 1 in this order.
 * The name is what `mtdb dump` prints and import_problems.kind holds. */
#define MTDB_DIAG_LIST(X)                                                                          \
    X(BAD_BLOCK, "bad_block")        /* a sealed block failed its checksum: skipped */             \
    X(BAD_RECORD, "bad_record")      /* a record did not parse: rest of its block skipped */       \
    X(TORN_TAIL, "torn_tail")        /* the last, open block ended mid-record or was cut short */  \
    X(EVENT_GAP, "event_gap")        /* a thread's event sequence jumped: events lost */           \
    X(GARBAGE, "garbage")            /* bytes that are not a block where one was expected */       \
    X(TRUNCATED, "truncated")        /* the file ends inside a block */                            \
    X(BAD_PIECE, "bad_packed_piece") /* a packed file's piece is lost: its bytes read as zeros */
enum mtdb_diag_kind {
    MTDB_DIAG_NONE_ = 0,
#define MTDB_DIAG_ENUM(id, name) MTDB_DIAG_##id,
    MTDB_DIAG_LIST(MTDB_DIAG_ENUM)
#undef MTDB_DIAG_ENUM
        MTDB_DIAG_END_ /* one past the last kind */
};

typedef struct mtdb_diag {
    enum mtdb_diag_kind kind;
    const char *path;
    uint64_t offset;        /* file offset where the damage starts */
    uint64_t bytes_skipped; /* bytes not decoded because of it */
    uint64_t events_lost;   /* heap events known lost (from sequence numbers), or 0 */
    uint32_t thread;        /* thread number concerned, 0 if unknown */
    char message[160];      /* one line, no trailing newline */
    /* Added in 1.0: message without its "FILE: offset N: " prefix. */
    char detail[160];
} mtdb_diag_t;

typedef void (*mtdb_diag_fn)(void *ctx, const mtdb_diag_t *diag);

typedef struct mtdb_file_info {
    uint32_t kind; /* MTDB_FILE_KIND_* */
    uint16_t major, minor;
    uint32_t pid;
    uint64_t nonce;
    uint32_t stream;
    uint32_t chunk_first, chunk_largest;
    uint64_t created_ns;
    uint64_t file_bytes;
} mtdb_file_info_t;

typedef struct mtdb_module {
    uint64_t base;      /* load address (dlpi_addr) */
    uint64_t text_size; /* bytes from base covered by its executable segments' end */
    const char *path;   /* not NUL-terminated; path_len bytes */
    uint32_t path_len;
    const uint8_t *build_id; /* raw bytes */
    uint32_t build_id_len;
} mtdb_module_t;

typedef struct mtdb_process_info {
    uint64_t pid, ppid, parent_nonce;
    uint64_t mono_ns, wall_ns, clock_cost_ns;
    uint32_t argc;
    const char **argv; /* argc pointers, each NUL-terminated (reader-owned copies) */
    const char *exe, *recorder_version, *unwinder, *settings; /* NUL-terminated */
} mtdb_process_info_t;

/* One decoded record. Pointers stay valid until the next mtdb_reader_next call. */
typedef struct mtdb_record {
    uint8_t type;         /* MTDB_REC_* */
    uint8_t sub;          /* the tag's high 4 bits */
    uint32_t thread;      /* thread number from the block header */
    uint32_t block_flags; /* flags of the block the record came from */
    uint64_t offset;      /* file offset of the record's tag byte */
    uint64_t seq;         /* heap events: the thread's event ordinal */
    uint64_t ts_ns;       /* absolute CLOCK_MONOTONIC ns; REALLOC: the "before" time */
    uint64_t ts2_ns;      /* REALLOC: the "after" time */
    uint64_t addr;        /* ALLOC/FREE: the block; REALLOC: the new block */
    uint64_t old_addr;    /* REALLOC: the old block */
    uint64_t size;        /* ALLOC/REALLOC/FAIL: requested bytes */
    uint64_t stack_id;    /* 0 = none */
    uint64_t weight;      /* allocations this record stands for (1 unless sampled) */
    int has_stack;        /* FREE: whether a stackref was present */
    /* STACK */
    uint32_t depth;
    const uint64_t *frames; /* innermost first; reader-owned */
    /* THREAD */
    uint64_t tid, thread_flags;
    /* NAME, MARK label, STATE exec path: bytes, not NUL-terminated */
    const uint8_t *str;
    uint32_t str_len;
    /* STATE FORKED: child pid; EXIT: status */
    uint64_t value;
    /* COUNTERS */
    uint32_t counter_count; /* how many were present (may exceed or be below ours) */
    uint64_t counters[MTDB_COUNTER_COUNT];
    /* MODULES */
    uint32_t module_count;
    const mtdb_module_t *modules; /* reader-owned */
    /* PROCESS */
    const mtdb_process_info_t *process; /* reader-owned */
    /* Added in 1.0. */
    uint64_t block_offset;   /* file offset of the header of the record's block */
    int stack_ids_uncertain; /* records of this thread were lost earlier (and no THREAD_FIRST
                                block came since): STACK ids counted here may be shifted */
} mtdb_record_t;

typedef struct mtdb_reader mtdb_reader_t;

/* Opens and maps path and checks its file header. On failure returns a negative code
 * and, when msg is given, writes a one-line reason naming the file. A packed file
 * (trace_pack.h) is unpacked into memory: records, offsets and diagnostics are those of
 * the original bytes; a lost piece is reported (MTDB_DIAG_BAD_PIECE) by the first
 * mtdb_reader_next and reads as zeros. */
int mtdb_reader_open(const char *path, mtdb_reader_t **out, char *msg, size_t msg_len);
/* Same over a caller's buffer (not copied: it must outlive the reader); name is used in
 * messages. For tests and fuzzing. */
int mtdb_reader_open_mem(const void *buf, size_t len, const char *name, mtdb_reader_t **out,
                         char *msg, size_t msg_len);
void mtdb_reader_close(mtdb_reader_t *r);
const mtdb_file_info_t *mtdb_reader_info(const mtdb_reader_t *r);
void mtdb_reader_set_diag(mtdb_reader_t *r, mtdb_diag_fn fn, void *ctx);

/* Decodes the next record: 1 = rec filled, 0 = end of file, negative = fatal error. */
int mtdb_reader_next(mtdb_reader_t *r, mtdb_record_t *rec);

/* Totals after (or during) reading. */
typedef struct mtdb_read_stats {
    uint64_t blocks, sealed_blocks, open_blocks, bad_blocks;
    uint64_t records, heap_events;
    uint64_t bytes_skipped, events_lost;
    int clean_end;        /* 1 when the file ended on a sealed or well-formed block */
    uint64_t diagnostics; /* added in 1.0: diagnostics reported */
} mtdb_read_stats_t;
const mtdb_read_stats_t *mtdb_reader_stats(const mtdb_reader_t *r);

/* Names: "ALLOC", "FREE", ... for MTDB_REC_*, "?" otherwise; "bad_block", ... for
 * MTDB_DIAG_* (MTDB_DIAG_LIST), "?" otherwise. Added in 1.0. */
const char *mtdb_rec_type_name(unsigned type);
const char *mtdb_diag_kind_name(enum mtdb_diag_kind kind);

#endif
