/* real_wrapped.c: a program linked with libreal_wrap.so that allocates through plain
 * malloc and free: every call must be recorded, and nothing said about a hidden allocator.
 */
#include <stdlib.h>

#include "victim_common.h"

void *je_malloc(size_t size); /* linked, so the library is needed, but never called */

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (long i = 0; i < n; i++) {
        void *p = malloc(VC_MARK(7));
        vc_touch(p);
        free(p);
    }
    vc_put("allocs", n);
    return argc > 5 ? je_malloc(1) != NULL : 0;
}
