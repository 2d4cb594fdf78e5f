/* rec_stream.c: a stream file, written through shared mappings of its chunks.
 *
 * Records land in a MAP_SHARED mapping, so every committed record is in the page cache
 * the moment it is written and survives SIGKILL, _exit and crashes. Each chunk is
 * reserved on disk (fallocate) before it is mapped: a full disk or a file size limit
 * is an error code here, never SIGBUS or SIGXFSZ in the host. No descriptor is held
 * between chunks. One thread writes a stream at a time; nothing here locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* rename(): a system call, no stream is used */
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rec_internal.h"

const char *rec_errno_text(int err)
{
    const char *text = strerrordesc_np(err); /* untranslated: no locale, no malloc */
    return text ? text : "unknown error";
}

/* err: a (positive) errno value, for the message. */
static void stream_fail(rec_stream_t *s, const char *what, int err)
{
    s->failed = 1;
    char num[24];
    num[rec_fmt_u64(num, (uint64_t)err)] = 0;
    char msg[REC_PATH_MAX + 160];
    size_t n = rec_strlcpy(msg, what, sizeof msg);
    n += rec_strlcpy(msg + n, s->path, sizeof msg - n);
    n += rec_strlcpy(msg + n, " (", sizeof msg - n);
    n += rec_strlcpy(msg + n, rec_errno_text(err), sizeof msg - n);
    n += rec_strlcpy(msg + n, ", errno ", sizeof msg - n);
    n += rec_strlcpy(msg + n, num, sizeof msg - n);
    rec_strlcpy(msg + n, "); events from now on are counted as dropped", sizeof msg - n);
    rec_warn_once("trace write failed: ", msg);
}

/* Reserves [offset, offset+bytes) on disk; refuses to pass RLIMIT_FSIZE itself, since
 * the kernel would answer with SIGXFSZ. */
int rec_reserve_disk(int fd, uint64_t offset, uint64_t bytes)
{
    int fault = rec_fault_next();
    if (fault)
        return fault;
    struct rlimit lim;
    if (getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
        offset + bytes > (uint64_t)lim.rlim_cur)
        return -EFBIG;
    if (rec_fallocate(fd, 0, (off_t)offset, (off_t)bytes) == 0)
        return 0;
    if (errno != EOPNOTSUPP)
        return -errno;
    /* File systems without fallocate: write the zeros ourselves. */
    static const uint8_t zeros[4096];
    for (uint64_t done = 0; done < bytes; done += sizeof zeros)
        if (rec_pwrite(fd, zeros, sizeof zeros, (off_t)(offset + done)) != (ssize_t)sizeof zeros)
            return errno ? -errno : -EIO;
    return 0;
}

static int map_chunk(rec_stream_t *s, int fd, uint64_t offset, uint64_t bytes)
{
    int err = rec_reserve_disk(fd, offset, bytes);
    if (err)
        return err;
    if ((err = rec_fault_next()))
        return err;
    void *m =
        mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, (off_t)offset);
    if (m == MAP_FAILED)
        return -errno;
    /* MAP_POPULATE maps a shared file's pages read-only, so each page's first record
     * still takes a write fault in the event path; populating them writable here takes
     * all of them in one call (Linux 5.14; older kernels keep the faults). */
    int saved = errno;
    madvise(m, bytes, MADV_POPULATE_WRITE);
    errno = saved;
    s->map = m;
    s->chunk_offset = offset;
    s->chunk_bytes = bytes;
    s->used = 0;
    return 0;
}

size_t rec_stream_path(char *out, size_t cap, uint32_t index)
{
    size_t n = rec_strlcpy(out, rec_proc.settings.output, cap);
    n += rec_strlcpy(out + n, "/" MTDB_FILE_PREFIX, cap - n);
    n += rec_fmt_u64(out + n, (uint64_t)rec_proc.pid);
    out[n++] = '-';
    n += rec_fmt_hex(out + n, rec_proc.nonce, 16);
    out[n++] = '-';
    char idx[24];
    size_t w = rec_fmt_u64(idx, index);
    for (; w < 4; w++)
        out[n++] = '0';
    idx[rec_fmt_u64(idx, index)] = 0;
    n += rec_strlcpy(out + n, idx, cap - n);
    n += rec_strlcpy(out + n, MTDB_STREAM_SUFFIX, cap - n);
    return n;
}

/* The file appears under its name only once its header is written (created as .tmp,
 * then renamed), so a process that dies meanwhile leaves no headerless trace file. */
int rec_stream_create(rec_stream_t *s, uint32_t index)
{
    memset(s, 0, sizeof *s);
    size_t n = rec_stream_path(s->path, sizeof s->path, index);
    char tmp[REC_PATH_MAX + 8];
    memcpy(tmp, s->path, n);
    memcpy(tmp + n, ".tmp", 5);
    s->index = index;
    s->chunk_first = 64 * 1024;
    s->chunk_largest = rec_proc.settings.chunk_largest;
    int fault = rec_fault_next();
    int fd = fault ? -1 : rec_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = fault ? fault : -errno;
        stream_fail(s, "cannot create ", -err);
        return err;
    }
    rec_owner_new_file(fd); /* the program is giving up root: the file goes with it */
    int err = map_chunk(s, fd, 0, s->chunk_first);
    rec_close(fd);
    if (!err) {
        mtdb_file_params_t fp = {
            MTDB_FILE_KIND_STREAM, (uint32_t)rec_proc.pid, rec_proc.nonce, index,
            s->chunk_first,        s->chunk_largest,       rec_now_ns()};
        mtdb_file_header_build(s->map, &fp);
        s->used = MTDB_FILE_HEADER_BYTES;
        if (rename(tmp, s->path) != 0)
            err = -errno;
    }
    if (err) {
        unlink(tmp);
        rec_stream_release_map(s);
        stream_fail(s, "cannot grow ", -err);
        return err;
    }
    rec_log(2, "debug: new stream ", s->path, NULL);
    return 0;
}

/* Maps the next chunk; only on success is the current one closed with a PAD block, so a
 * failure leaves the current chunk's reserve free for the thread's last block. */
static int next_chunk(rec_stream_t *s)
{
    uint64_t offset = s->chunk_offset + s->chunk_bytes;
    uint64_t bytes = mtdb_chunk_bytes(s->chunk_first, s->chunk_largest, s->chunk_no + 1);
    int fault = rec_fault_next();
    int fd = fault ? -1 : rec_open(s->path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) {
        int err = fault ? fault : -errno;
        stream_fail(s, "cannot reopen ", -err);
        return err;
    }
    uint8_t *old = s->map;
    uint64_t old_bytes = s->chunk_bytes;
    uint32_t old_used = s->used;
    int err = map_chunk(s, fd, offset, bytes);
    rec_close(fd);
    if (err) {
        stream_fail(s, "cannot grow ", -err);
        return err;
    }
    mtdb_block_pad(old + old_used, 0);
    munmap(old, old_bytes);
    s->chunk_no++;
    rec_log_num(2, "debug: stream grew to chunk ", s->chunk_no, NULL);
    return 0;
}

uint8_t *rec_stream_room(rec_stream_t *s, uint32_t need)
{
    if (!s->map || s->failed)
        return NULL;
    while ((uint64_t)s->used + need + REC_CHUNK_RESERVE > s->chunk_bytes) {
        if (need + REC_CHUNK_RESERVE + MTDB_BLOCK_HEADER_BYTES > s->chunk_largest)
            return NULL; /* can never fit: the caller counts the record as dropped */
        if (next_chunk(s) < 0)
            return NULL;
    }
    return s->map + s->used;
}

uint8_t *rec_stream_reserve_room(rec_stream_t *s, uint32_t need)
{
    if (!s->map || (uint64_t)s->used + need > s->chunk_bytes)
        return NULL;
    return s->map + s->used;
}

void rec_stream_advance(rec_stream_t *s, uint32_t span)
{
    s->used += span;
}

void rec_stream_release_map(rec_stream_t *s)
{
    if (s->map)
        munmap(s->map, s->chunk_bytes);
    s->map = NULL;
}
