/* real_wrap.c: libreal_wrap.so, an allocator library the way a shared libjemalloc is one:
 * it exports its own API (je_malloc, served from a static arena) and also malloc, calloc,
 * realloc and free (handed to the C library's __libc_* functions). LD_PRELOAD comes before
 * it, so the program's malloc calls still reach the recorder: nothing is hidden.
 */
#include <stddef.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

static unsigned char arena[1 << 16] __attribute__((aligned(16)));
static size_t used;

__attribute__((visibility("default"))) void *je_malloc(size_t size)
{
    size_t at = __atomic_fetch_add(&used, (size + 15) & ~(size_t)15, __ATOMIC_RELAXED);
    return at + size <= sizeof arena ? arena + at : NULL;
}

__attribute__((visibility("default"))) void *malloc(size_t size)
{
    return __libc_malloc(size);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
    return __libc_calloc(n, size);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t size)
{
    return __libc_realloc(p, size);
}

__attribute__((visibility("default"))) void free(void *p)
{
    __libc_free(p);
}
