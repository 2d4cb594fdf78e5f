/* imp_fault_preload.c: fault injection for the importer, in the spirit of SQLite's
 * fault loops. Preloaded into the real `mtdb import`; MTDB_TEST_FAIL_WHAT names a kind
 * of call and MTDB_TEST_FAIL_AT=N makes its N-th call (1-based) fail, and every later
 * one, as a full disk or an exhausted heap would:
 *   alloc   malloc/calloc/realloc called from the mtdb program itself (the importer's
 *           own allocations; libc's and SQLite's are left alone): NULL, ENOMEM
 *   write   write/pwrite/pwrite64 on any file but stdout and stderr: -1, ENOSPC
 *   sync    fsync/fdatasync: -1, EIO
 *   publish link/rename: -1, EIO
 *   step    sqlite3_step called from the mtdb program (the importer's statements;
 *           sqlite3_exec's own steps inside SQLite are left alone): SQLITE_IOERR
 * It prints one line "fault: <what> <N> hit" on stderr at the first failed call, so the
 * loop knows when N has passed the last call. Tests only; never in the product.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static char what[16];
static long fail_at;
static atomic_long calls;
static atomic_int said;
static uintptr_t prog_lo, prog_hi; /* the text of the main program */

static int find_program(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            prog_lo = info->dlpi_addr + ph->p_vaddr;
            prog_hi = prog_lo + ph->p_memsz;
        }
    }
    return 1; /* the first object is the program */
}

__attribute__((constructor)) static void fault_init(void)
{
    const char *w = getenv("MTDB_TEST_FAIL_WHAT"), *n = getenv("MTDB_TEST_FAIL_AT");
    dl_iterate_phdr(find_program, NULL);
    if (w && n) {
        snprintf(what, sizeof what, "%s", w);
        fail_at = atol(n);
    }
}

/* Counts a call of kind w; returns 1 when it must fail. */
static int must_fail(const char *w)
{
    if (fail_at <= 0 || strcmp(w, what) != 0)
        return 0;
    if (atomic_fetch_add(&calls, 1) + 1 < fail_at)
        return 0;
    if (!atomic_exchange(&said, 1)) {
        char line[64];
        int len = snprintf(line, sizeof line, "fault: %s %ld hit\n", what, fail_at);
        ssize_t ignored = syscall(SYS_write, 2, line, (size_t)len); /* raw: not our own write() */
        (void)ignored;
    }
    return 1;
}

static int from_program(const void *ret)
{
    return (uintptr_t)ret >= prog_lo && (uintptr_t)ret < prog_hi;
}

void *malloc(size_t n)
{
    if (from_program(__builtin_return_address(0)) && must_fail("alloc"))
        return errno = ENOMEM, NULL;
    return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
    if (from_program(__builtin_return_address(0)) && must_fail("alloc"))
        return errno = ENOMEM, NULL;
    return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
    if (from_program(__builtin_return_address(0)) && must_fail("alloc"))
        return errno = ENOMEM, NULL;
    return __libc_realloc(p, n);
}

/* The next definition of name (libc's), looked up once. */
#define NEXT(name)                                                                                 \
    ({                                                                                             \
        static __typeof__(&name) next_;                                                            \
        if (!next_)                                                                                \
            next_ = (__typeof__(&name))dlsym(RTLD_NEXT, #name);                                    \
        next_;                                                                                     \
    })

ssize_t write(int fd, const void *buf, size_t n)
{
    if (fd > 2 && must_fail("write"))
        return errno = ENOSPC, -1;
    return NEXT(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (must_fail("write"))
        return errno = ENOSPC, -1;
    return NEXT(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    if (must_fail("write"))
        return errno = ENOSPC, -1;
    return NEXT(pwrite64)(fd, buf, n, off);
}

int fsync(int fd)
{
    if (must_fail("sync"))
        return errno = EIO, -1;
    return NEXT(fsync)(fd);
}

int fdatasync(int fd)
{
    if (must_fail("sync"))
        return errno = EIO, -1;
    return NEXT(fdatasync)(fd);
}

int link(const char *from, const char *to)
{
    if (must_fail("publish"))
        return errno = EIO, -1;
    return NEXT(link)(from, to);
}

int rename(const char *from, const char *to)
{
    if (must_fail("publish"))
        return errno = EIO, -1;
    return NEXT(rename)(from, to);
}

typedef struct sqlite3_stmt sqlite3_stmt;
int sqlite3_step(sqlite3_stmt *stmt)
{
    static int (*real)(sqlite3_stmt *);
    if (!real)
        real = (int (*)(sqlite3_stmt *))dlsym(RTLD_NEXT, "sqlite3_step");
    if (from_program(__builtin_return_address(0)) && must_fail("step"))
        return 10; /* SQLITE_IOERR */
    return real(stmt);
}

/* A real failed step leaves its message on the handle; the injected one says what it is. */
typedef struct sqlite3 sqlite3;
const char *sqlite3_errmsg(sqlite3 *db)
{
    static const char *(*real)(sqlite3 *);
    if (!real)
        real = (const char *(*)(sqlite3 *))dlsym(RTLD_NEXT, "sqlite3_errmsg");
    if (said && !strcmp(what, "step"))
        return "disk I/O error (injected)";
    return real(db);
}
