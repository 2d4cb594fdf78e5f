/* bench_status.c: reads VmRSS and its parts from /proc/self/status. Must not allocate
 * (the workload calls it while a recorder watches every heap call).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_error.h"
#include "bench_status.h"

/* The kB number after "name:" in text, or 0. */
static unsigned long find_kb(const char *text, const char *name)
{
    const char *at = strstr(text, name);
    return at ? strtoul(at + strlen(name), NULL, 10) : 0;
}

int bench_read_rss(bench_rss_t *out)
{
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return BENCH_EIO;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return BENCH_EIO;
    buf[n] = 0;
    out->total_kb = find_kb(buf, "\nVmRSS:");
    out->anon_kb = find_kb(buf, "\nRssAnon:");
    out->file_kb = find_kb(buf, "\nRssFile:");
    out->shmem_kb = find_kb(buf, "\nRssShmem:");
    return BENCH_OK;
}
