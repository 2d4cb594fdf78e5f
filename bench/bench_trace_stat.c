/* bench_trace_stat.c: how many bytes a trace directory takes, and for how many events.
 *
 *   bench_trace_stat DIR   ->  files=N disk_bytes=B used_bytes=U events=E open_blocks=K
 *                              packed_files=P
 *
 * disk_bytes: blocks the files occupy (chunks are reserved ahead, so this rounds up);
 * used_bytes: file headers plus the spans of all non-PAD blocks, found by walking the
 * block headers of mtdb_format.h; of a packed file (trace_pack.h), those of its unpacked
 * bytes. Read-only; it never trusts a length past the file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_error.h"
#include "mtdb_format.h"
#include "trace_pack.h"

typedef struct ts_totals {
    unsigned long long files, disk_bytes, used_bytes, events, open_blocks, packed_files;
} ts_totals_t;

/* Walks the blocks of one chunk [start, end) from `at`; adds their spans and events. */
static void walk_chunk(const uint8_t *m, uint64_t at, uint64_t end, ts_totals_t *t)
{
    while (at + MTDB_BLOCK_HEADER_BYTES <= end) {
        const uint8_t *b = m + at;
        uint32_t flags = mtdb_get_u32le(b + 12);
        if (mtdb_get_u32le(b) != MTDB_BLOCK_MAGIC || (flags & MTDB_BLOCK_PAD))
            return;
        uint64_t span = MTDB_BLOCK_HEADER_BYTES + ((mtdb_get_u32le(b + 4) + 7ull) & ~7ull);
        if (at + span > end)
            return;
        t->used_bytes += span;
        if (flags & MTDB_BLOCK_SEALED)
            t->events += mtdb_get_u32le(b + 32);
        else
            t->open_blocks++;
        at += span;
    }
}

static void walk_file(const uint8_t *m, uint64_t size, ts_totals_t *t)
{
    if (size < MTDB_FILE_HEADER_BYTES || memcmp(m, MTDB_FILE_MAGIC, 8) != 0)
        return;
    uint32_t first = mtdb_get_u32le(m + 36), largest = mtdb_get_u32le(m + 40);
    if (first < 4096 || largest < first)
        return;
    t->used_bytes += MTDB_FILE_HEADER_BYTES;
    uint64_t start = 0;
    for (unsigned k = 0; start < size; k++) {
        uint64_t end = start + mtdb_chunk_bytes(first, largest, k);
        walk_chunk(m, k == 0 ? MTDB_FILE_HEADER_BYTES : start, end < size ? end : size, t);
        start = end;
    }
}

/* A packed file: its pieces unpacked into memory, then walked as a raw file (lost
 * pieces read as zeros, as the reader gives them). */
static int walk_packed(const uint8_t *m, uint64_t size, ts_totals_t *t)
{
    mtdb_packed_t p;
    char why[160];
    if (mtdb_packed_open(m, size, &p, why, sizeof why) != 0)
        return BENCH_OK; /* not a file we can read: counted on disk only */
    uint8_t *raw = calloc(1, p.raw_bytes ? (size_t)p.raw_bytes : 1);
    if (!raw) {
        mtdb_packed_close(&p);
        return BENCH_ENOMEM;
    }
    for (uint32_t k = 0; k < p.count; k++) {
        uint8_t *at = raw + mtdb_packed_piece_start(&p, k);
        if (mtdb_packed_unpack(&p, k, at, why, sizeof why) != 0)
            memset(at, 0, (size_t)mtdb_packed_piece_bytes(&p, k));
    }
    t->packed_files++;
    walk_file(raw, p.raw_bytes, t);
    free(raw);
    mtdb_packed_close(&p);
    return BENCH_OK;
}

static int stat_file(int dirfd, const char *name, ts_totals_t *t)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return BENCH_EIO;
    }
    t->files++;
    t->disk_bytes += (unsigned long long)st.st_blocks * 512;
    void *m = st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (m == MAP_FAILED)
        return BENCH_EIO;
    int rc = BENCH_OK;
    if (m && mtdb_is_packed(m, (uint64_t)st.st_size))
        rc = walk_packed(m, (uint64_t)st.st_size, t);
    else if (m)
        walk_file(m, (uint64_t)st.st_size, t);
    if (m)
        munmap(m, (size_t)st.st_size);
    return rc;
}

static int is_trace_name(const char *name)
{
    size_t n = strlen(name);
    return strncmp(name, "mtdb-", 5) == 0 && ((n > 6 && strcmp(name + n - 6, ".trace") == 0) ||
                                              (n > 5 && strcmp(name + n - 5, ".proc") == 0));
}

static int stat_dir(const char *path, ts_totals_t *t)
{
    DIR *d = opendir(path);
    if (!d)
        return BENCH_EIO;
    int rc = BENCH_OK;
    for (struct dirent *e; rc == BENCH_OK && (e = readdir(d));)
        if (is_trace_name(e->d_name))
            rc = stat_file(dirfd(d), e->d_name, t);
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: bench_trace_stat DIR\n", stderr);
        return 2;
    }
    ts_totals_t t = {0};
    int rc = stat_dir(argv[1], &t);
    if (rc != BENCH_OK) {
        fprintf(stderr, "bench_trace_stat: error: %s: %s\n", argv[1], bench_strerror(rc));
        return 1;
    }
    printf("files=%llu disk_bytes=%llu used_bytes=%llu events=%llu open_blocks=%llu "
           "packed_files=%llu\n",
           t.files, t.disk_bytes, t.used_bytes, t.events, t.open_blocks, t.packed_files);
    return 0;
}
