/* real_bump.c: libreal_bump.so, a tiny allocator linked into a program the way jemalloc
 * is linked into rustc's driver: it exports jemalloc's prefixed names (je_malloc, ...)
 * and serves blocks from its own static arena. Must never call malloc or free.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BUMP_ARENA (1u << 20)

static unsigned char arena[BUMP_ARENA] __attribute__((aligned(16)));
static size_t used;

__attribute__((visibility("default"))) void *je_malloc(size_t size)
{
    size_t at = __atomic_fetch_add(&used, (size + 15) & ~(size_t)15, __ATOMIC_RELAXED);
    return at + size <= BUMP_ARENA ? arena + at : NULL;
}

__attribute__((visibility("default"))) void *je_calloc(size_t n, size_t size)
{
    void *p = n && size > SIZE_MAX / n ? NULL : je_malloc(n * size);
    return p ? memset(p, 0, n * size) : NULL;
}

__attribute__((visibility("default"))) void je_free(void *p)
{
    (void)p; /* a bump allocator never reuses */
}
