/* real_daemon.c: a daemon-style program: it closes every descriptor it inherited (3..1023),
 * opens its input on fd 3 (O_RDWR) and its output on fd 4, and, for each piece of input it
 * reads, lets several threads allocate from a 20-deep call chain before it writes the
 * piece out in upper case. A recorder that owns or reuses descriptors behind its back
 * changes what it reads or writes.
 *
 *   real_daemon IN OUT   reports bytes_read, allocs, frees, in_fd, out_fd on stdout.
 */
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "victim_common.h"

#define THREADS 4
#define PER_THREAD 8
#define DEPTH 20
#define PIECE 16

static long allocs, frees;

/* DEPTH frames down, then malloc; the work after each call keeps every frame. */
__attribute__((noinline)) static void *chain(int depth, size_t size)
{
    if (depth == 0)
        return malloc(size);
    void *p = chain(depth - 1, size);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

static void *worker(void *arg)
{
    intptr_t k = (intptr_t)arg;
    void *blocks[PER_THREAD];
    for (int i = 0; i < PER_THREAD; i++) {
        blocks[i] = chain(DEPTH, VC_MARK(k));
        vc_touch(blocks[i]);
    }
    for (int i = 0; i < PER_THREAD; i++)
        free(blocks[i]);
    __atomic_add_fetch(&allocs, PER_THREAD, __ATOMIC_RELAXED);
    __atomic_add_fetch(&frees, PER_THREAD, __ATOMIC_RELAXED);
    return NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0)
            return -1;
        buf += n, len -= (size_t)n;
    }
    return 0;
}

static void allocate_in_threads(void)
{
    pthread_t pt[THREADS];
    for (intptr_t k = 0; k < THREADS; k++)
        pthread_create(&pt[k], NULL, worker, (void *)k);
    for (int k = 0; k < THREADS; k++)
        pthread_join(pt[k], NULL);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int in = open(argv[1], O_RDWR), out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || write_all(out, "OUTPUT\n", 7))
        return 3;
    long total = 0;
    char buf[PIECE];
    for (ssize_t n; (n = read(in, buf, sizeof buf)) > 0;) {
        total += n;
        allocate_in_threads();
        for (ssize_t i = 0; i < n; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        if (write_all(out, buf, (size_t)n))
            return 4;
    }
    char line[64];
    int len = snprintf(line, sizeof line, "END %ld\n", total);
    if (write_all(out, line, (size_t)len) || close(out) || close(in))
        return 5;
    vc_put("in_fd", in);
    vc_put("out_fd", out);
    vc_put("bytes_read", total);
    vc_put("allocs", allocs);
    vc_put("frees", frees);
    return 0;
}
