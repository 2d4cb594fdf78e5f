/* record_trim.c: after the run, the trace files give back the disk space the recorder
 * reserved ahead and never used.
 *
 * The recorder reserves each chunk of a stream file before it maps it (a full disk must
 * show up as a counted loss, never as SIGBUS in the program), so a thread that ended
 * early leaves most of its last chunk on disk as zeros, and a chunk closed by a PAD block
 * keeps its zero tail. Zeros read as a clean end and PAD tails are never read (see
 * docs/format.md), so trimming changes no byte the reader sees: the zeros after the
 * last block and the last non-zero byte are cut off, and whole pages of zeros inside the
 * file become holes. Only the files of processes that have ended are
 * touched: a process still running (a daemon that outlived the launched program) may
 * write into its mapped files, and cutting them would kill it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mtdb_format.h"
#include "trace_extent.h"
#include "record.h"

#define TRIM_PAGE 4096u
#define TRIM_MIN_HOLE (16u * TRIM_PAGE) /* smaller zero runs are not worth a syscall */

static int page_is_zero(const uint8_t *p, size_t n)
{
    static const uint8_t zeros[TRIM_PAGE];
    return memcmp(p, zeros, n) == 0;
}

/* Holes for the runs of whole zero pages in [0, end); 0 or -errno. */
static int punch_zero_pages(int fd, const uint8_t *m, uint64_t end)
{
    uint64_t run = 0, pages = end / TRIM_PAGE;
    for (uint64_t pg = 0; pg <= pages; pg++) {
        int zero = pg < pages && page_is_zero(m + pg * TRIM_PAGE, TRIM_PAGE);
        if (zero)
            continue;
        uint64_t from = run * TRIM_PAGE, to = pg * TRIM_PAGE;
        if (to - from >= TRIM_MIN_HOLE &&
            fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from,
                      (off_t)(to - from)) != 0)
            return -errno;
        run = pg + 1;
    }
    return 0;
}

/* Trims one file; bytes of file size given back into *freed. 0 or -errno. */
static int trim_file(const char *dir, const char *name, uint64_t *freed)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return -ENAMETOOLONG;
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = fstat(fd, &st) == 0 ? 0 : -errno;
    uint64_t size = rc == 0 ? (uint64_t)st.st_size : 0;
    const uint8_t *m = size ? mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
    if (m == MAP_FAILED)
        rc = -errno, m = NULL;
    if (m) {
        /* past the last block and the last non-zero byte (a block's payload may end in
         * zeros; bytes of a writer killed inside a block header are not zero) */
        uint64_t end = size, blocks_end = mtdb_trace_data_end(m, size);
        while (end > blocks_end && m[end - 1] == 0)
            end--;
        end = (end + 7) & ~(uint64_t)7;
        end = end < size ? end : size;
        if (end < size)
            (void)punch_zero_pages(fd, m, end); /* no hole support: only the cut below */
        munmap((void *)m, size);
        if (end < size && ftruncate(fd, (off_t)end) == 0)
            *freed += size - end;
        else if (end < size)
            rc = -errno;
    }
    close(fd);
    return rc;
}

uint64_t record_trim_traces(const char *dir, const record_names_t *before,
                            const record_names_t *after)
{
    uint64_t freed = 0;
    for (size_t i = 0; i < after->count; i++) {
        const char *name = after->names[i];
        if (record_names_contain(before, name) || !record_writer_ended(name))
            continue;
        (void)trim_file(dir, name, &freed); /* a file left whole still reads the same */
    }
    return freed;
}
