/* rec_real.c: the real allocator functions, and the pool that serves calls made before
 * they are known.
 *
 * dlsym(RTLD_NEXT, ...) itself calls calloc, which lands back in our hooks before any
 * real function is resolved. Those early calls are served from a static bump pool;
 * free() ignores pool pointers forever. Never calls malloc; never locks.
 */
#include <dlfcn.h>
#include <errno.h>

#include "rec_internal.h"

rec_real_fns_t rec_real;

#define BOOT_HEADER 16 /* size of the block, kept before it for realloc */

_Alignas(64) uint8_t rec_boot_pool[REC_BOOT_POOL_BYTES];
static size_t boot_used; /* atomic bump offset */

void *rec_boot_alloc(size_t size, size_t align)
{
    if (align < BOOT_HEADER)
        align = BOOT_HEADER;
    if (size > REC_BOOT_POOL_BYTES || (align & (align - 1)))
        return NULL;
    size_t old = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
    size_t start, end;
    do {
        start = (old + BOOT_HEADER + align - 1) & ~(align - 1);
        end = start + ((size + 15) & ~(size_t)15);
        if (end > REC_BOOT_POOL_BYTES)
            return NULL;
    } while (
        !__atomic_compare_exchange_n(&boot_used, &old, end, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    memcpy(rec_boot_pool + start - BOOT_HEADER, &size, sizeof size);
    return rec_boot_pool + start; /* static storage: already zero, as calloc needs */
}

size_t rec_boot_size(const void *p)
{
    size_t size;
    memcpy(&size, (const uint8_t *)p - BOOT_HEADER, sizeof size);
    return size;
}

#define RESOLVE(name)                                                                              \
    do {                                                                                           \
        void *fn = dlsym(RTLD_NEXT, #name);                                                        \
        if (!fn)                                                                                   \
            missing = #name;                                                                       \
        memcpy(&next.name, &fn, sizeof fn);                                                        \
    } while (0)

/* Publishes all pointers at once per field; the hooks test rec_real.free last. */
int rec_real_resolve(void)
{
    if (__atomic_load_n(&rec_real.free, __ATOMIC_ACQUIRE))
        return 0;
    rec_real_fns_t next = {0};
    const char *missing = NULL;
    RESOLVE(malloc);
    RESOLVE(calloc);
    RESOLVE(realloc);
    RESOLVE(posix_memalign);
    RESOLVE(aligned_alloc);
    RESOLVE(memalign);
    RESOLVE(valloc);
    RESOLVE(pvalloc);
    RESOLVE(reallocarray);
    RESOLVE(free);
    if (missing) {
        rec_warn_once("cannot find the real allocator function ", missing);
        return -ENOENT;
    }
    rec_real.malloc = next.malloc;
    rec_real.calloc = next.calloc;
    rec_real.realloc = next.realloc;
    rec_real.posix_memalign = next.posix_memalign;
    rec_real.aligned_alloc = next.aligned_alloc;
    rec_real.memalign = next.memalign;
    rec_real.valloc = next.valloc;
    rec_real.pvalloc = next.pvalloc;
    rec_real.reallocarray = next.reallocarray;
    __atomic_store_n(&rec_real.free, next.free, __ATOMIC_RELEASE);
    return 0;
}
