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
#include <pthread.h>
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

/* What packing one file needs: the source mapping, the output, the table of pieces and
 * the order in which the lanes write them. */
typedef struct pk_job {
    const uint8_t *raw;
    uint64_t raw_bytes;
    uint32_t codec, chunk, count;
    int level, fd;
    uint8_t *table;
    char *why;
    size_t why_len;
    /* Lanes take pieces in order (next), compress them side by side, and write them one
     * after another (written: pieces whose frames are in the file, ending at pos), so
     * the file is the same whatever the number of lanes. rc: the first failure. */
    pthread_mutex_t lock;
    pthread_cond_t turn;
    uint32_t next, written;
    uint64_t pos;
    int rc;
} pk_job_t;

/* One lane's codec state and buffers: a piece, its split form and their checks. */
typedef struct pk_lane {
    pk_job_t *j;
    uint8_t *frame, *check;
    uint8_t *content, *content_check; /* codec 2: a piece's frame content */
    size_t frame_cap;
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    pthread_t thread;
    int started;
} pk_lane_t;

/* Records the job's first failure (under its lock when lanes run). */
static int pk_fail(pk_job_t *j, int code, const char *what, int err)
{
    if (j->rc == 0 && j->why && j->why_len)
        snprintf(j->why, j->why_len, "%s%s%s", what, err ? ": " : "", err ? strerror(err) : "");
    if (j->rc == 0)
        j->rc = code;
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

/* The content of a piece's frame: the piece itself (codec 1) or its split form; 0 when
 * it cannot be made. */
static size_t pk_content(pk_lane_t *l, const uint8_t *src, size_t len, const uint8_t **content)
{
    if (l->j->codec != MTDB_PACK_CODEC_SPLIT) {
        *content = src;
        return len;
    }
    *content = l->content;
    return mtdb_split_piece(src, len, l->content);
}

/* 1 when the frame of n bytes unpacks to the len bytes at src. */
static int pk_unpacks_to(pk_lane_t *l, size_t n, const uint8_t *src, size_t len)
{
    pk_job_t *j = l->j;
    if (j->codec != MTDB_PACK_CODEC_SPLIT) {
        size_t back = ZSTD_decompressDCtx(l->dctx, l->check, j->chunk, l->frame, n);
        return !ZSTD_isError(back) && back == len && memcmp(l->check, src, len) == 0;
    }
    size_t back = ZSTD_decompressDCtx(l->dctx, l->content_check, MTDB_SPLIT_BOUND((size_t)j->chunk),
                                      l->frame, n);
    char why[128];
    return !ZSTD_isError(back) &&
           mtdb_join_piece(l->content_check, back, l->check, len, why, sizeof why) == 0 &&
           memcmp(l->check, src, len) == 0;
}

/* Compresses the piece at src into the lane's frame and checks that it unpacks to the
 * same bytes: the frame's length, or 0 after recording the failure (under the job's
 * lock). */
static size_t pk_compress(pk_lane_t *l, const uint8_t *src, size_t len)
{
    pk_job_t *j = l->j;
    const uint8_t *content;
    size_t content_len = pk_content(l, src, len, &content);
    const char *fail = NULL;
    int code = MTDB_PACK_ECODEC;
    size_t n = 0;
    if (!content_len) {
        fail = "out of memory", code = MTDB_PACK_ENOMEM;
    } else {
        n = ZSTD_compressCCtx(l->cctx, l->frame, l->frame_cap, content, content_len, j->level);
        if (ZSTD_isError(n))
            fail = ZSTD_getErrorName(n);
        else if (!pk_unpacks_to(l, n, src, len))
            fail = "a piece did not unpack to its original bytes";
    }
    if (!fail)
        return n;
    pthread_mutex_lock(&j->lock);
    pk_fail(j, code, fail, 0);
    pthread_cond_broadcast(&j->turn);
    pthread_mutex_unlock(&j->lock);
    return 0;
}

/* Takes pieces until none is left: compresses each, then, in piece order, writes its
 * frame at the end of the file and its table entry. */
static void *pk_lane_run(void *arg)
{
    pk_lane_t *l = arg;
    pk_job_t *j = l->j;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        uint32_t k = j->next;
        int stop = j->rc || k >= j->count;
        if (!stop)
            j->next++;
        pthread_mutex_unlock(&j->lock);
        if (stop)
            return NULL;
        const uint8_t *src = j->raw + (uint64_t)k * j->chunk;
        size_t len = (size_t)(j->raw_bytes - (uint64_t)k * j->chunk);
        len = len < j->chunk ? len : j->chunk;
        size_t n = pk_compress(l, src, len);
        uint32_t crc = n ? mtdb_crc32c(0, src, len) : 0;
        pthread_mutex_lock(&j->lock);
        while (n && !j->rc && j->written != k)
            pthread_cond_wait(&j->turn, &j->lock);
        if (n && !j->rc) {
            uint8_t *e = j->table + (uint64_t)k * MTDB_PACK_ENTRY_BYTES;
            mtdb_put_u64le(e, j->pos);
            mtdb_put_u32le(e + 8, (uint32_t)n);
            mtdb_put_u32le(e + 12, crc);
            if (pk_write_all(j, l->frame, n, j->pos) == 0)
                j->pos += n, j->written++;
            pthread_cond_broadcast(&j->turn);
        }
        pthread_mutex_unlock(&j->lock);
    }
}

static int pk_lane_init(pk_lane_t *l, pk_job_t *j)
{
    l->j = j;
    l->frame_cap = ZSTD_compressBound(MTDB_SPLIT_BOUND((size_t)j->chunk));
    l->frame = malloc(l->frame_cap);
    l->check = malloc(j->chunk);
    l->cctx = ZSTD_createCCtx();
    l->dctx = ZSTD_createDCtx();
    if (j->codec == MTDB_PACK_CODEC_SPLIT) {
        l->content = malloc(MTDB_SPLIT_BOUND((size_t)j->chunk));
        l->content_check = malloc(MTDB_SPLIT_BOUND((size_t)j->chunk));
    }
    int split_ok = j->codec != MTDB_PACK_CODEC_SPLIT || (l->content && l->content_check);
    return l->frame && l->check && l->cctx && l->dctx && split_ok ? 0 : -1;
}

static void pk_lane_free(pk_lane_t *l)
{
    free(l->frame);
    free(l->check);
    free(l->content);
    free(l->content_check);
    ZSTD_freeCCtx(l->cctx);
    ZSTD_freeDCtx(l->dctx);
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

/* Writes the packed form of j->raw into j->fd with up to `lanes` threads (this one
 * among them); *out_bytes its size. A lane that cannot start leaves its pieces to the
 * others. */
static int pk_write(pk_job_t *j, int lanes, uint64_t *out_bytes)
{
    size_t table = (size_t)j->count * MTDB_PACK_ENTRY_BYTES;
    pk_lane_t lane[MTDB_PACK_LANES_MAX] = {{0}};
    if (lanes < 1)
        lanes = 1;
    if (lanes > MTDB_PACK_LANES_MAX)
        lanes = MTDB_PACK_LANES_MAX;
    if ((uint32_t)lanes > j->count)
        lanes = j->count ? (int)j->count : 1;
    j->table = calloc(table ? table : 1, 1);
    int ok = j->table != NULL;
    for (int i = 0; i < lanes; i++)
        ok &= pk_lane_init(&lane[i], j) == 0;
    j->pos = MTDB_PACK_HEADER_BYTES + table;
    if (!ok)
        pk_fail(j, MTDB_PACK_ENOMEM, "out of memory", 0);
    else {
        for (int i = 1; i < lanes; i++)
            lane[i].started = pthread_create(&lane[i].thread, NULL, pk_lane_run, &lane[i]) == 0;
        pk_lane_run(&lane[0]);
        for (int i = 1; i < lanes; i++)
            if (lane[i].started)
                pthread_join(lane[i].thread, NULL);
    }
    for (int i = 0; i < lanes; i++)
        pk_lane_free(&lane[i]);
    int rc = j->rc;
    uint8_t h[MTDB_PACK_HEADER_BYTES];
    if (rc == 0) {
        pk_header(j, h);
        rc = pk_write_all(j, j->table, table, MTDB_PACK_HEADER_BYTES);
    }
    if (rc == 0)
        rc = pk_write_all(j, h, sizeof h, 0);
    *out_bytes = j->pos;
    return rc;
}

static void pk_job_free(pk_job_t *j)
{
    free(j->table);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->turn);
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
static int pk_replace(pk_job_t *j, const char *path, mode_t mode, int lanes, uint64_t *out_bytes)
{
    char tmp[PATH_MAX];
    j->fd = pk_open_temp(path, tmp, sizeof tmp);
    if (j->fd < 0)
        return pk_fail(j, MTDB_PACK_EIO, "cannot create a temporary file beside it", errno);
    int rc = pk_write(j, lanes, out_bytes);
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
    return mtdb_pack_file_lanes(path, codec, level, chunk, 1, st, why, why_len);
}

int mtdb_pack_file_lanes(const char *path, uint32_t codec, int level, uint32_t chunk, int lanes,
                         mtdb_pack_stats_t *st, char *why, size_t why_len)
{
    pk_job_t j = {.codec = codec,
                  .level = level,
                  .chunk = chunk,
                  .why = why,
                  .why_len = why_len,
                  .fd = -1,
                  .lock = PTHREAD_MUTEX_INITIALIZER,
                  .turn = PTHREAD_COND_INITIALIZER};
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
        rc = pk_replace(&j, path, s.st_mode, lanes, &st->packed_bytes);
        pk_job_free(&j);
        if (rc != 0)
            st->packed_bytes = 0;
    }
    if (m)
        munmap(m, (size_t)size);
    return rc;
}
