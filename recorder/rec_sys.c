/* rec_sys.c: the few system helpers the recorder needs, written without malloc or stdio.
 *
 * Memory comes from mmap; numbers are formatted by hand; writes retry on EINTR and on
 * short counts. Nothing here takes a lock.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rec_internal.h"

void *rec_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void rec_unmap(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}

int rec_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        p += n, len -= (size_t)n;
    }
    return 0;
}

size_t rec_fmt_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

size_t rec_fmt_hex(char *out, uint64_t v, int width)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = width - 1; i >= 0; i--, v >>= 4)
        out[i] = digits[v & 15];
    return (size_t)width;
}

size_t rec_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = 0;
    while (src[n] && n + 1 < cap) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = 0;
    return n;
}

pid_t rec_gettid(void)
{
    return (pid_t)syscall(SYS_gettid);
}
