/* rec_hooks.c: the exported heap functions. Thin: make sure the real function is known,
 * call it, record what happened.
 *
 * Edge semantics recorded as they happen: free(NULL) is no event; realloc(NULL, n) is an
 * allocation; realloc(p, 0) that returns NULL freed p (glibc); a failed allocation is a
 * FAIL record, and a failed realloc leaves the old block alive. Times: a free is stamped
 * before the real free, an allocation after the real call returns, a realloc both.
 */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "rec_internal.h"

#define EXPORT __attribute__((visibility("default")))
#define SITE() ((uintptr_t)__builtin_return_address(0))

static inline int real_ready(void)
{
    return REC_LIKELY(__atomic_load_n(&rec_real.free, __ATOMIC_ACQUIRE) != NULL);
}

/* Before the real functions are known: start up (unless this thread is already doing
 * so) and report whether they are known now. */
static REC_NOINLINE int bootstrap(void)
{
    rec_init();
    return __atomic_load_n(&rec_real.free, __ATOMIC_ACQUIRE) != NULL;
}

static void *boot_or_enomem(size_t size, size_t align)
{
    void *p = rec_boot_alloc(size, align);
    if (!p)
        errno = ENOMEM;
    return p;
}

static inline void record_result(unsigned func, void *p, size_t size, uintptr_t site)
{
    if (REC_LIKELY(p != NULL))
        rec_on_alloc(func, p, size, site);
    else
        rec_on_fail(func, size);
}

EXPORT void *malloc(size_t size)
{
    if (!real_ready() && !bootstrap())
        return boot_or_enomem(size, 16);
    void *p = rec_real.malloc(size);
    record_result(MTDB_FUNC_MALLOC, p, size, SITE());
    return p;
}

EXPORT void free(void *p)
{
    if (!p || rec_boot_owns(p))
        return; /* pool blocks are never returned: they are few and small */
    if (!real_ready() && !bootstrap())
        return;
    rec_on_free(MTDB_FREE_FUNC_FREE, p, 0);
    rec_real.free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
    size_t total;
    int overflow = __builtin_mul_overflow(n, size, &total);
    if (!real_ready() && !bootstrap()) {
        if (overflow) {
            errno = ENOMEM;
            return NULL;
        }
        return boot_or_enomem(total, 16);
    }
    void *p = rec_real.calloc(n, size);
    record_result(MTDB_FUNC_CALLOC, p, overflow ? SIZE_MAX : total, SITE());
    return p;
}

/* realloc and reallocarray share this; reallocarray checks n * elem itself and calls the
 * real realloc, because glibc's reallocarray calls realloc through the PLT, which would
 * land in our realloc and record the call twice. */
static void *realloc_common(unsigned func, void *old, size_t size, int overflow, uintptr_t site)
{
    if (overflow) {
        errno = ENOMEM;
        if (real_ready() || bootstrap())
            rec_on_fail(func, SIZE_MAX);
        return NULL;
    }
    if (!real_ready() && !bootstrap()) {
        void *p = boot_or_enomem(size, 16);
        if (p && old)
            memcpy(p, old, rec_boot_size(old) < size ? rec_boot_size(old) : size);
        return p;
    }
    if (old && rec_boot_owns(old)) { /* move a bootstrap block into the real heap */
        void *p = rec_real.malloc(size);
        if (p)
            memcpy(p, old, rec_boot_size(old) < size ? rec_boot_size(old) : size);
        record_result(func, p, size, site);
        return p;
    }
    if (!old) {
        void *p = rec_real.realloc(NULL, size);
        record_result(func, p, size, site);
        return p;
    }
    uint64_t before = rec_now_ns();
    void *p = rec_real.realloc(old, size);
    if (p)
        rec_on_realloc(func, old, p, size, before, site);
    else if (size == 0) /* glibc freed old and returned NULL */
        rec_on_free(mtdb_free_func_encode(func), old, before);
    else
        rec_on_fail(func, size);
    return p;
}

EXPORT void *realloc(void *old, size_t size)
{
    return realloc_common(MTDB_FUNC_REALLOC, old, size, 0, SITE());
}

EXPORT void *reallocarray(void *old, size_t n, size_t elem)
{
    size_t total;
    int overflow = __builtin_mul_overflow(n, elem, &total);
    return realloc_common(MTDB_FUNC_REALLOCARRAY, old, total, overflow, SITE());
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (!real_ready() && !bootstrap()) {
        void *p = rec_boot_alloc(size, align);
        if (!p)
            return ENOMEM;
        *out = p;
        return 0;
    }
    int rc = rec_real.posix_memalign(out, align, size);
    if (rc == 0)
        rec_on_alloc(MTDB_FUNC_POSIX_MEMALIGN, *out, size, SITE());
    else
        rec_on_fail(MTDB_FUNC_POSIX_MEMALIGN, size);
    return rc;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
    if (!real_ready() && !bootstrap())
        return boot_or_enomem(size, align);
    void *p = rec_real.aligned_alloc(align, size);
    record_result(MTDB_FUNC_ALIGNED_ALLOC, p, size, SITE());
    return p;
}

EXPORT void *memalign(size_t align, size_t size)
{
    if (!real_ready() && !bootstrap())
        return boot_or_enomem(size, align);
    void *p = rec_real.memalign(align, size);
    record_result(MTDB_FUNC_MEMALIGN, p, size, SITE());
    return p;
}

EXPORT void *valloc(size_t size)
{
    if (!real_ready() && !bootstrap())
        return boot_or_enomem(size, 4096);
    void *p = rec_real.valloc(size);
    record_result(MTDB_FUNC_VALLOC, p, size, SITE());
    return p;
}

EXPORT void *pvalloc(size_t size)
{
    if (!real_ready() && !bootstrap())
        return boot_or_enomem(size, 4096);
    void *p = rec_real.pvalloc(size);
    record_result(MTDB_FUNC_PVALLOC, p, size, SITE());
    return p;
}
