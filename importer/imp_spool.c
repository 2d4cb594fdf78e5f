/* imp_spool.c: the blocks' facts beside the database (imp_spool.h).
 *
 * The file is made with O_TMPFILE, so it has no name and goes away with its descriptor,
 * whatever ends the import; where the file system cannot, a named file is unlinked at
 * once. Any failure turns the spool off for good: a write error never fails an import.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "imp_spool.h"

#define IMP_SPOOL_BUF 8192 /* blocks per write: 448 KiB */

static void imp_spool_off(imp_spool_t *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    free(s->buf);
    s->buf = NULL;
}

void imp_spool_open(imp_spool_t *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    if (!path)
        return;
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int n = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash - path + 1), path)
                  : snprintf(dir, sizeof dir, ".");
    if (n < 0 || n >= (int)sizeof dir)
        return;
    s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        char name[PATH_MAX + 32];
        if (snprintf(name, sizeof name, "%s/.mtdb-spool-XXXXXX", dir) < (int)sizeof name &&
            (s->fd = mkostemp(name, O_CLOEXEC)) >= 0)
            unlink(name);
    }
    if (s->fd >= 0 && !(s->buf = malloc(IMP_SPOOL_BUF * sizeof *s->buf)))
        imp_spool_off(s);
}

static int imp_spool_flush(imp_spool_t *s)
{
    const char *p = (const char *)s->buf;
    size_t left = s->nbuf * sizeof *s->buf;
    while (left) {
        ssize_t w = write(s->fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, left -= (size_t)w;
    }
    s->nbuf = 0;
    return 0;
}

void imp_spool_add(imp_spool_t *s, const imp_spool_block_t *b)
{
    if (s->fd < 0)
        return;
    s->buf[s->nbuf++] = *b;
    s->count++;
    if (s->nbuf == IMP_SPOOL_BUF && imp_spool_flush(s))
        imp_spool_off(s);
}

int imp_spool_map(imp_spool_t *s)
{
    if (s->map)
        return 0;
    if (s->fd < 0 || imp_spool_flush(s)) {
        imp_spool_off(s);
        return -1;
    }
    free(s->buf);
    s->buf = NULL;
    s->map_bytes = (size_t)s->count * sizeof *s->map;
    if (!s->map_bytes)
        return 0;
    void *m = mmap(NULL, s->map_bytes, PROT_READ, MAP_PRIVATE | MAP_POPULATE, s->fd, 0);
    if (m == MAP_FAILED) {
        s->map_bytes = 0;
        imp_spool_off(s);
        return -1;
    }
    s->map = m;
    return 0;
}

void imp_spool_close(imp_spool_t *s)
{
    if (s->map)
        munmap((void *)s->map, s->map_bytes);
    s->map = NULL;
    imp_spool_off(s);
}
