/* trace_pack.c: replaces a trace file by its packed form (trace_pack.h).
 *
 * The packed bytes go to a temporary file in the same directory, which is synced and
 * renamed over the original only once every piece has been unpacked again and compared:
 * a crash leaves either the original or the whole packed file, never half of one.
 * Memory stays bounded by a few pieces whatever the file's size. Must never touch a
 * file that is not a whole trace file, nor run inside a traced program.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "trace_pack.h"
#include "trace_split.h"

const char *mtdb_pack_strerror(int code)
{
    switch (code) {
#define PK_RESULT_CASE(name, num, msg)                                                             \
    case num:                                                                                      \
        return msg;
        MTDB_PACK_RESULTS(PK_RESULT_CASE)
#undef PK_RESULT_CASE
    }
    return "unknown packing result";
}

/* What packing one file needs: the source mapping, the output and the codec state. */
typedef struct pk_job {
    const uint8_t *raw;
    uint64_t raw_bytes;
    uint32_t codec, chunk, count;
    int level, fd;
    uint8_t *table, *frame, *check;
    uint8_t *content, *content_check; /* codec 2: a piece's frame content */
    size_t frame_cap;
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    char *why;
    size_t why_len;
} pk_job_t;

static int pk_fail(pk_job_t *j, int code, const char *what, int err)
{
    if (j->why && j->why_len)
        snprintf(j->why, j->why_len, "%s%s%s", what, err ? ": " : "", err ? strerror(err) : "");
    return code;
}

static int pk_write_all(pk_job_t *j, const void *buf, size_t len, uint64_t at)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(j->fd, p, len, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return pk_fail(j, MTDB_PACK_EIO, "cannot write the packed file", n < 0 ? errno : EIO);
        p += n, len -= (size_t)n, at += (uint64_t)n;
    }
    return 0;
}

/* The content of piece k's frame: the piece itself (codec 1) or its split form. */
static int pk_content(pk_job_t *j, const uint8_t *src, size_t len, const uint8_t **content,
                      size_t *content_len)
{
    *content = src, *content_len = len;
    if (j->codec != MTDB_PACK_CODEC_SPLIT)
        return 0;
    *content = j->content;
    *content_len = mtdb_split_piece(src, len, j->content);
    return *content_len ? 0 : pk_fail(j, MTDB_PACK_ENOMEM, "out of memory", 0);
}

/* 1 when the frame of n bytes unpacks to the len bytes at src. */
static int pk_unpacks_to(pk_job_t *j, size_t n, const uint8_t *src, size_t len)
{
    if (j->codec != MTDB_PACK_CODEC_SPLIT) {
        size_t back = ZSTD_decompressDCtx(j->dctx, j->check, j->chunk, j->frame, n);
        return !ZSTD_isError(back) && back == len && memcmp(j->check, src, len) == 0;
    }
    size_t back = ZSTD_decompressDCtx(j->dctx, j->content_check, MTDB_SPLIT_BOUND((size_t)j->chunk), j->frame, n);
    char why[128];
    return !ZSTD_isError(back) &&
           mtdb_join_piece(j->content_check, back, j->check, len, why, sizeof why) == 0 &&
           memcmp(j->check, src, len) == 0;
}

/* Compresses piece k, checks it unpacks to the same bytes, writes it at *pos. */
static int pk_piece(pk_job_t *j, uint32_t k, uint64_t *pos)
{
    const uint8_t *src = j->raw + (uint64_t)k * j->chunk;
    size_t len = (size_t)(j->raw_bytes - (uint64_t)k * j->chunk);
    len = len < j->chunk ? len : j->chunk;
    const uint8_t *content;
    size_t content_len;
    int rc = pk_content(j, src, len, &content, &content_len);
    if (rc)
        return rc;
    size_t n = ZSTD_compressCCtx(j->cctx, j->frame, j->frame_cap, content, content_len, j->level);
    if (ZSTD_isError(n))
        return pk_fail(j, MTDB_PACK_ECODEC, ZSTD_getErrorName(n), 0);
    if (!pk_unpacks_to(j, n, src, len))
        return pk_fail(j, MTDB_PACK_ECODEC, "a piece did not unpack to its original bytes", 0);
    uint8_t *e = j->table + (uint64_t)k * MTDB_PACK_ENTRY_BYTES;
    mtdb_put_u64le(e, *pos);
    mtdb_put_u32le(e + 8, (uint32_t)n);
    mtdb_put_u32le(e + 12, mtdb_crc32c(0, src, len));
    rc = pk_write_all(j, j->frame, n, *pos);
    *pos += n;
    return rc;
}

static void pk_header(const pk_job_t *j, uint8_t *h)
{
    memset(h, 0, MTDB_PACK_HEADER_BYTES);
    memcpy(h, MTDB_PACK_MAGIC, 8);
    mtdb_put_u32le(h + 8, MTDB_BYTE_ORDER_MARK);
    h[12] = MTDB_PACK_MAJOR, h[14] = MTDB_PACK_MINOR;
    mtdb_put_u32le(h + 16, j->codec);
    mtdb_put_u32le(h + 20, j->chunk);
    mtdb_put_u64le(h + 24, j->raw_bytes);
    mtdb_put_u32le(h + 32, j->count);
    mtdb_put_u32le(h + 36, mtdb_crc32c(0, j->raw, (size_t)j->raw_bytes));
    size_t table = (size_t)j->count * MTDB_PACK_ENTRY_BYTES;
    mtdb_put_u32le(h + 40, mtdb_crc32c(0, j->table, table));
    mtdb_put_u32le(h + 44, (uint32_t)j->level);
    mtdb_put_u32le(h + 60, mtdb_crc32c(0, h, 60));
}

/* Writes the packed form of j->raw into j->fd; *out_bytes its size. */
static int pk_write(pk_job_t *j, uint64_t *out_bytes)
{
    size_t table = (size_t)j->count * MTDB_PACK_ENTRY_BYTES;
    j->frame_cap = ZSTD_compressBound(MTDB_SPLIT_BOUND((size_t)j->chunk));
    j->table = calloc(table ? table : 1, 1);
    j->frame = malloc(j->frame_cap);
    j->check = malloc(j->chunk);
    j->cctx = ZSTD_createCCtx();
    j->dctx = ZSTD_createDCtx();
    if (j->codec == MTDB_PACK_CODEC_SPLIT) {
        j->content = malloc(MTDB_SPLIT_BOUND((size_t)j->chunk));
        j->content_check = malloc(MTDB_SPLIT_BOUND((size_t)j->chunk));
    }
    int split_ok = j->codec != MTDB_PACK_CODEC_SPLIT || (j->content && j->content_check);
    if (!j->table || !j->frame || !j->check || !j->cctx || !j->dctx || !split_ok)
        return pk_fail(j, MTDB_PACK_ENOMEM, "out of memory", 0);
    uint64_t pos = MTDB_PACK_HEADER_BYTES + table;
    int rc = 0;
    for (uint32_t k = 0; rc == 0 && k < j->count; k++)
        rc = pk_piece(j, k, &pos);
    uint8_t h[MTDB_PACK_HEADER_BYTES];
    pk_header(j, h);
    if (rc == 0)
        rc = pk_write_all(j, j->table, table, MTDB_PACK_HEADER_BYTES);
    if (rc == 0)
        rc = pk_write_all(j, h, sizeof h, 0);
    *out_bytes = pos;
    return rc;
}

static void pk_job_free(pk_job_t *j)
{
    free(j->table);
    free(j->frame);
    free(j->check);
    free(j->content);
    free(j->content_check);
    ZSTD_freeCCtx(j->cctx);
    ZSTD_freeDCtx(j->dctx);
}

/* A temporary name beside path that no trace directory listing takes for a trace file
 * (they start with "mtdb-"); its descriptor, or -1. */
static int pk_open_temp(const char *path, char *tmp, size_t len)
{
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(tmp, len, "%.*s.%s.pack-XXXXXX", dir_len, path, slash ? slash + 1 : path) >=
        (int)len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkostemp(tmp, O_CLOEXEC);
}

/* Packs the mapped trace into a temporary file and renames it over path. */
static int pk_replace(pk_job_t *j, const char *path, mode_t mode, uint64_t *out_bytes)
{
    char tmp[PATH_MAX];
    j->fd = pk_open_temp(path, tmp, sizeof tmp);
    if (j->fd < 0)
        return pk_fail(j, MTDB_PACK_EIO, "cannot create a temporary file beside it", errno);
    int rc = pk_write(j, out_bytes);
    if (rc == 0 && (fchmod(j->fd, mode & 07777) != 0 || fsync(j->fd) != 0))
        rc = pk_fail(j, MTDB_PACK_EIO, "cannot sync the packed file", errno);
    if (close(j->fd) != 0 && rc == 0)
        rc = pk_fail(j, MTDB_PACK_EIO, "cannot close the packed file", errno);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = pk_fail(j, MTDB_PACK_EIO, "cannot rename the packed file over it", errno);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* What the file at fd holds: 0 a trace file to pack, or MTDB_PACK_ALREADY / NOT_TRACE. */
static int pk_classify(const uint8_t *m, uint64_t size)
{
    if (mtdb_is_packed(m, size))
        return MTDB_PACK_ALREADY;
    if (size < MTDB_FILE_HEADER_BYTES || memcmp(m, MTDB_FILE_MAGIC, 8) != 0)
        return MTDB_PACK_NOT_TRACE;
    return 0;
}

int mtdb_pack_file(const char *path, uint32_t codec, int level, uint32_t chunk,
                   mtdb_pack_stats_t *st, char *why, size_t why_len)
{
    pk_job_t j = {
        .codec = codec, .level = level, .chunk = chunk, .why = why, .why_len = why_len, .fd = -1};
    *st = (mtdb_pack_stats_t){0};
    if (codec != MTDB_PACK_CODEC_ZSTD && codec != MTDB_PACK_CODEC_SPLIT)
        return pk_fail(&j, MTDB_PACK_ECODEC, "unknown codec", 0);
    if (chunk < MTDB_PACK_CHUNK_MIN || chunk > MTDB_PACK_CHUNK_MAX || (chunk & (chunk - 1)))
        return pk_fail(&j, MTDB_PACK_ECODEC, "piece size is not a power of two in range", 0);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return pk_fail(&j, MTDB_PACK_EIO, "cannot open", errno);
    struct stat s;
    int err = fstat(fd, &s) != 0 ? errno : !S_ISREG(s.st_mode) ? EINVAL : 0;
    if (err) {
        close(fd);
        return pk_fail(&j, MTDB_PACK_EIO, "cannot open as a regular file", err);
    }
    uint64_t size = (uint64_t)s.st_size;
    void *m = size ? mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    err = m == MAP_FAILED ? errno : 0;
    close(fd);
    if (err)
        return pk_fail(&j, MTDB_PACK_EIO, "cannot map", err);
    int rc = m ? pk_classify(m, size) : MTDB_PACK_NOT_TRACE;
    st->raw_bytes = size;
    if (rc == 0) {
        j.raw = m, j.raw_bytes = size, j.count = (uint32_t)((size + chunk - 1) / chunk);
        rc = pk_replace(&j, path, s.st_mode, &st->packed_bytes);
        pk_job_free(&j);
        if (rc != 0)
            st->packed_bytes = 0;
    }
    if (m)
        munmap(m, (size_t)size);
    return rc;
}
