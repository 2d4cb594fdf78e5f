/* trace_pack.h: the packed form of a trace file (mtdb_format.h, PACKED FILES).
 *
 * trace_pack.c replaces a whole trace file by its packed form, atomically (a temporary
 * file in the same directory, renamed over it); trace_unpack.c checks a packed image and
 * unpacks its pieces for the reader. Knows nothing of the CLI or of SQLite. Never used by
 * the recorder: packing happens after the program has ended, by `mtdb record` or `mtdb
 * pack`, never on the program's threads.
 */
#ifndef MTDB_TRACE_PACK_H
#define MTDB_TRACE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "mtdb_format.h"

/* Results of mtdb_pack_file: 0 packed, positive = left as it was (not an error), negative
 * = failed (the file is left as it was). X(name, code, message). */
#define MTDB_PACK_RESULTS(X)                                                                       \
    X(MTDB_PACK_OK, 0, "packed")                                                                   \
    X(MTDB_PACK_ALREADY, 1, "already packed")                                                      \
    X(MTDB_PACK_NOT_TRACE, 2, "not a trace file (no trace magic)")                                 \
    X(MTDB_PACK_EIO, -1, "cannot read or write the file")                                          \
    X(MTDB_PACK_ENOMEM, -2, "out of memory")                                                       \
    X(MTDB_PACK_ECODEC, -3, "the compressor failed")
enum mtdb_pack_result {
#define MTDB_PACK_RESULT_ENUM(name, code, msg) name = code,
    MTDB_PACK_RESULTS(MTDB_PACK_RESULT_ENUM)
#undef MTDB_PACK_RESULT_ENUM
};
const char *mtdb_pack_strerror(int code);

/* zstd level of mtdb record and mtdb pack: level 3 packs a C++ workload's trace to
 * about 0.8 bytes per event at about 150 MB/s on one core (docs/performance.md). */
#define MTDB_PACK_LEVEL_DEFAULT 3

typedef struct mtdb_pack_stats {
    uint64_t raw_bytes;    /* the file before */
    uint64_t packed_bytes; /* the file after (0 when left as it was) */
} mtdb_pack_stats_t;

/* Replaces the trace file at path by its packed form (pieces of `chunk` bytes, codec
 * MTDB_PACK_CODEC_*, zstd at `level`), keeping its name and mode; every piece is
 * unpacked again and compared before
 * the file is replaced. The caller makes sure no process writes the file any more. On a
 * failure, why (when given) holds a one-line reason. */
int mtdb_pack_file(const char *path, uint32_t codec, int level, uint32_t chunk,
                   mtdb_pack_stats_t *st, char *why, size_t why_len);
/* The same, its pieces compressed by up to `lanes` threads (this one among them, at most
 * MTDB_PACK_LANES_MAX): the packed file is the same byte for byte. */
#define MTDB_PACK_LANES_MAX 8
int mtdb_pack_file_lanes(const char *path, uint32_t codec, int level, uint32_t chunk, int lanes,
                         mtdb_pack_stats_t *st, char *why, size_t why_len);

/* ---- unpacking (trace_unpack.c) ---- */

/* 1 when the len bytes at buf start with the packed magic. */
int mtdb_is_packed(const void *buf, uint64_t len);

typedef struct mtdb_packed {
    const uint8_t *file; /* the packed image, not owned */
    uint64_t file_bytes;
    uint64_t raw_bytes; /* the original's length */
    uint32_t codec, chunk, count, raw_crc, level;
    void *dctx;       /* the decompressor */
    uint8_t *content; /* codec 2: a piece's frame content, before joining */
    size_t content_cap;
} mtdb_packed_t;

/* Checks the packed header and piece table of the len bytes at buf: 0, or a negative
 * MTDB_READ_* code of trace_reader.h with a one-line reason in why. */
int mtdb_packed_open(const void *buf, uint64_t len, mtdb_packed_t *p, char *why, size_t why_len);
void mtdb_packed_close(mtdb_packed_t *p);
/* Bytes of the original that piece k holds, and where they start. */
uint64_t mtdb_packed_piece_bytes(const mtdb_packed_t *p, uint32_t k);
uint64_t mtdb_packed_piece_start(const mtdb_packed_t *p, uint32_t k);
/* Where piece k's frame claims to lie in the packed file. */
uint64_t mtdb_packed_frame_offset(const mtdb_packed_t *p, uint32_t k);
/* Unpacks piece k into out (mtdb_packed_piece_bytes(p, k) bytes): 0, or -1 when the
 * piece is lost, with why saying how (cut off, does not decompress, fails its checksum);
 * out is then undefined. */
int mtdb_packed_unpack(mtdb_packed_t *p, uint32_t k, uint8_t *out, char *why, size_t why_len);

#endif
