/* bench_status.h: the process's resident memory right now, from /proc/self/status.
 * Read with open/read into a stack buffer: never allocates, so a recorder sees nothing.
 */
#ifndef BENCH_STATUS_H
#define BENCH_STATUS_H

typedef struct bench_rss {
    unsigned long total_kb, anon_kb, file_kb, shmem_kb; /* VmRSS, RssAnon, RssFile, RssShmem */
} bench_rss_t;

/* Returns 0 (BENCH_OK) or BENCH_EIO; fields the kernel does not report stay 0. */
int bench_read_rss(bench_rss_t *out);

#endif
