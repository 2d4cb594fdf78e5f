/* victim_daemon.c: a daemon-style program whose files must come out the same under the
 * recorder as without it.
 *
 * Usage: victim_daemon INPUT OUTPUT rw|wo. It closes every inherited descriptor from 3
 * to 1023, opens INPUT as fd 3 (read-write, or write-only for "wo") and OUTPUT as fd 4,
 * allocates from a 20-deep call chain built without unwind tables (so libunwind falls
 * back to guessing frames, the path where it validates addresses), then reads its input
 * and writes its output. It reports what it read and how many descriptors it holds.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>

#include "victim_common.h"

#define CHAIN_DEPTH 20
#define ROUNDS 200

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static long long chain_allocs;

/* No unwind tables for these frames (see CMakeLists.txt): libunwind must guess them. */
/* Each frame spans a page or more, so the frames' addresses are never all in libunwind's
 * small cache of pages it already validated. */
__attribute__((noinline)) static void chain(int depth, int round)
{
    if (depth > 0) {
        volatile char pad[4200];
        pad[0] = (char)depth;
        chain(depth - 1, round);
        pad[1] = pad[0];
        return;
    }
    void *p = malloc(VC_MARK(round % 64));
    vc_touch(p);
    free(p);
    chain_allocs++;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    vc_put("fds_start", count_fds());
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int in_flags = strcmp(argv[3], "wo") == 0 ? O_WRONLY | O_APPEND : O_RDWR;
    int in = open(argv[1], in_flags);
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in != 3 || out != 4)
        return 3;
    for (int r = 0; r < ROUNDS; r++)
        chain(CHAIN_DEPTH, r);
    char buf[256];
    ssize_t got = in_flags == O_RDWR ? read(in, buf, sizeof buf) : 0;
    if (in_flags != O_RDWR && write(in, "TAIL\n", 5) != 5)
        return 4;
    if (write(out, "OUTPUT\n", 7) != 7)
        return 5;
    vc_put("read_bytes", (long long)got);
    vc_put("allocs", chain_allocs);
    vc_put("fds_end", count_fds());
    return 0;
}
