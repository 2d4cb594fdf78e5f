/* trace_unpack.c: checks a packed trace image and unpacks its pieces (trace_pack.h).
 *
 * Every offset and length of the header and the piece table is checked against the
 * image before it is used; a piece that is cut off, does not decompress to exactly its
 * size or fails its checksum is reported lost and the others still unpack. Must never
 * write to the image or allocate in proportion to what the header claims.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "trace_pack.h"
#include "trace_reader.h"
#include "trace_split.h"

int mtdb_is_packed(const void *buf, uint64_t len)
{
    return len >= 8 && memcmp(buf, MTDB_PACK_MAGIC, 8) == 0;
}

static const uint8_t *pk_entry(const mtdb_packed_t *p, uint32_t k)
{
    return p->file + MTDB_PACK_HEADER_BYTES + (uint64_t)k * MTDB_PACK_ENTRY_BYTES;
}

uint64_t mtdb_packed_piece_start(const mtdb_packed_t *p, uint32_t k)
{
    return (uint64_t)k * p->chunk;
}

uint64_t mtdb_packed_piece_bytes(const mtdb_packed_t *p, uint32_t k)
{
    uint64_t start = mtdb_packed_piece_start(p, k);
    uint64_t left = p->raw_bytes > start ? p->raw_bytes - start : 0;
    return left < p->chunk ? left : p->chunk;
}

uint64_t mtdb_packed_frame_offset(const mtdb_packed_t *p, uint32_t k)
{
    return mtdb_get_u64le(pk_entry(p, k));
}

/* The header's own fields: 0, or a reader error code with why filled. */
static int pk_check_header(const uint8_t *h, uint64_t len, char *why, size_t why_len)
{
    if (len < MTDB_PACK_HEADER_BYTES) {
        snprintf(why, why_len, "packed file is %llu bytes, shorter than its %d-byte header",
                 (unsigned long long)len, MTDB_PACK_HEADER_BYTES);
        return MTDB_READ_EHEADER;
    }
    if (mtdb_get_u32le(h + 8) != MTDB_BYTE_ORDER_MARK) {
        snprintf(why, why_len, "packed file's byte-order mark is 0x%08x, expected 0x%08x",
                 mtdb_get_u32le(h + 8), MTDB_BYTE_ORDER_MARK);
        return MTDB_READ_EHEADER;
    }
    unsigned major = mtdb_get_u16le(h + 12), minor = mtdb_get_u16le(h + 14);
    if (major != MTDB_PACK_MAJOR) {
        snprintf(why, why_len,
                 "packed form version %u.%u is not supported (this reader reads %d.x)", major,
                 minor, MTDB_PACK_MAJOR);
        return MTDB_READ_EVERSION;
    }
    if (mtdb_crc32c(0, h, 60) != mtdb_get_u32le(h + 60)) {
        snprintf(why, why_len, "packed file's header fails its checksum");
        return MTDB_READ_EHEADER;
    }
    return 0;
}

/* The fields that size everything else, then the piece table's bounds and checksum. */
static int pk_check_layout(mtdb_packed_t *p, const uint8_t *h, char *why, size_t why_len)
{
    uint32_t codec = mtdb_get_u32le(h + 16);
    if (codec != MTDB_PACK_CODEC_ZSTD && codec != MTDB_PACK_CODEC_SPLIT) {
        snprintf(why, why_len,
                 "packed file uses codec %u; this reader knows zstd (%d) and split zstd (%d)",
                 codec, MTDB_PACK_CODEC_ZSTD, MTDB_PACK_CODEC_SPLIT);
        return MTDB_READ_EVERSION;
    }
    p->codec = codec;
    p->chunk = mtdb_get_u32le(h + 20), p->raw_bytes = mtdb_get_u64le(h + 24);
    p->count = mtdb_get_u32le(h + 32), p->raw_crc = mtdb_get_u32le(h + 36);
    p->level = mtdb_get_u32le(h + 44);
    int pow2 = p->chunk && !(p->chunk & (p->chunk - 1));
    if (!pow2 || p->chunk < MTDB_PACK_CHUNK_MIN || p->chunk > MTDB_PACK_CHUNK_MAX ||
        (p->raw_bytes + p->chunk - 1) / p->chunk != p->count) {
        snprintf(why, why_len,
                 "packed file's header is inconsistent: %u pieces of %u bytes for %llu bytes",
                 p->count, p->chunk, (unsigned long long)p->raw_bytes);
        return MTDB_READ_EHEADER;
    }
    uint64_t table = (uint64_t)p->count * MTDB_PACK_ENTRY_BYTES;
    if (table > p->file_bytes - MTDB_PACK_HEADER_BYTES) {
        snprintf(why, why_len, "packed file is cut off inside its piece table");
        return MTDB_READ_EHEADER;
    }
    if (mtdb_crc32c(0, h + MTDB_PACK_HEADER_BYTES, (size_t)table) != mtdb_get_u32le(h + 40)) {
        snprintf(why, why_len, "packed file's piece table fails its checksum");
        return MTDB_READ_EHEADER;
    }
    return 0;
}

int mtdb_packed_open(const void *buf, uint64_t len, mtdb_packed_t *p, char *why, size_t why_len)
{
    memset(p, 0, sizeof *p);
    p->file = buf, p->file_bytes = len;
    int rc = pk_check_header(buf, len, why, why_len);
    if (rc == 0)
        rc = pk_check_layout(p, buf, why, why_len);
    if (rc != 0)
        return rc;
    p->dctx = ZSTD_createDCtx();
    if (!p->dctx) {
        snprintf(why, why_len, "out of memory");
        return MTDB_READ_ENOMEM;
    }
    return 0;
}

void mtdb_packed_close(mtdb_packed_t *p)
{
    ZSTD_freeDCtx(p->dctx);
    p->dctx = NULL;
    free(p->content);
    p->content = NULL, p->content_cap = 0;
}

/* Decompresses the frame of piece k (bytes at at) into dst (cap bytes): its length, or -1
 * with why filled. */
static int64_t pk_decompress(mtdb_packed_t *p, uint64_t at, uint64_t bytes, void *dst, size_t cap,
                             char *why, size_t why_len)
{
    size_t got = ZSTD_decompressDCtx(p->dctx, dst, cap, p->file + at, (size_t)bytes);
    if (ZSTD_isError(got)) {
        snprintf(why, why_len, "does not decompress (%s)", ZSTD_getErrorName(got));
        return -1;
    }
    return (int64_t)got;
}

/* Codec 2: the frame's content into p->content (at most MTDB_SPLIT_BOUND(want) bytes),
 * joined into out. */
static int pk_unpack_split(mtdb_packed_t *p, uint64_t at, uint64_t bytes, uint8_t *out,
                           uint64_t want, char *why, size_t why_len)
{
    size_t cap = MTDB_SPLIT_BOUND((size_t)want);
    if (p->content_cap < cap) {
        uint8_t *c = realloc(p->content, cap);
        if (!c) {
            snprintf(why, why_len, "cannot be unpacked: out of memory");
            return -1;
        }
        p->content = c, p->content_cap = cap;
    }
    int64_t got = pk_decompress(p, at, bytes, p->content, cap, why, why_len);
    if (got < 0)
        return -1;
    char how[96];
    if (mtdb_join_piece(p->content, (size_t)got, out, (size_t)want, how, sizeof how) != 0) {
        snprintf(why, why_len, "does not rebuild (%s)", how);
        return -1;
    }
    return 0;
}

int mtdb_packed_unpack(mtdb_packed_t *p, uint32_t k, uint8_t *out, char *why, size_t why_len)
{
    const uint8_t *e = pk_entry(p, k);
    uint64_t at = mtdb_get_u64le(e), bytes = mtdb_get_u32le(e + 8);
    uint64_t want = mtdb_packed_piece_bytes(p, k);
    uint64_t table_end = MTDB_PACK_HEADER_BYTES + (uint64_t)p->count * MTDB_PACK_ENTRY_BYTES;
    if (at < table_end || at > p->file_bytes || bytes > p->file_bytes - at) {
        snprintf(why, why_len, "is cut off by the end of the file");
        return -1;
    }
    if (p->codec == MTDB_PACK_CODEC_SPLIT) {
        if (pk_unpack_split(p, at, bytes, out, want, why, why_len) != 0)
            return -1;
    } else {
        int64_t got = pk_decompress(p, at, bytes, out, (size_t)want, why, why_len);
        if (got < 0)
            return -1;
        if ((uint64_t)got != want) {
            snprintf(why, why_len, "decompresses to %lld bytes, not %llu", (long long)got,
                     (unsigned long long)want);
            return -1;
        }
    }
    if (mtdb_crc32c(0, out, (size_t)want) != mtdb_get_u32le(e + 12)) {
        snprintf(why, why_len, "fails its checksum");
        return -1;
    }
    return 0;
}
