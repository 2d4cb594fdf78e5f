/* rec_sys.c: the few system helpers the recorder needs, written without malloc or stdio.
 *
 * Memory comes from mmap; numbers are formatted by hand; writes retry on EINTR and on
 * short counts. Nothing here takes a lock. File calls go through syscall(2), which is
 * not a cancellation point, where the C library's open, read, write, close and
 * fallocate are: with a cancellation pending (pthread_cancel, deferred), the first of
 * them in a malloc would end the thread inside that malloc.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rec_internal.h"

int rec_open(const char *path, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

ssize_t rec_read(int fd, void *buf, size_t n)
{
    return (ssize_t)syscall(SYS_read, fd, buf, n);
}

ssize_t rec_write(int fd, const void *buf, size_t n)
{
    return (ssize_t)syscall(SYS_write, fd, buf, n);
}

ssize_t rec_pwrite(int fd, const void *buf, size_t n, off_t offset)
{
    return (ssize_t)syscall(SYS_pwrite64, fd, buf, n, offset);
}

int rec_close(int fd)
{
    return (int)syscall(SYS_close, fd);
}

int rec_fallocate(int fd, int mode, off_t offset, off_t len)
{
    return (int)syscall(SYS_fallocate, fd, mode, offset, len);
}

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
        ssize_t n = rec_write(fd, p, len);
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
