/* real_hidden.c: a program whose allocations go to the allocator linked into its library
 * (libreal_bump.so, je_malloc): the recorder cannot see them. It makes no malloc call
 * of its own and reports its count with write(2).
 */
#include <stdlib.h>

#include "victim_common.h"

void *je_malloc(size_t size);
void je_free(void *p);

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (long i = 0; i < n; i++) {
        void *p = je_malloc(64);
        vc_touch(p);
        je_free(p);
    }
    vc_put("je_allocs", n);
    return 0;
}
