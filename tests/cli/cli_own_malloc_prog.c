/* cli_own_malloc_prog.c: an executable that defines malloc itself, as programs with a
 * statically linked allocator do; `mtdb record` must warn about it. Forwards to glibc so
 * that it still runs (glibc's free accepts the blocks).
 */
#include <stddef.h>

void *__libc_malloc(size_t size);

void *malloc(size_t size)
{
    return __libc_malloc(size);
}

int main(void)
{
    return 0;
}
