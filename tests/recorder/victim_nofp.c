/* victim_nofp.c: allocations from optimized code built without frame pointers.
 *
 * Built -O2 -fomit-frame-pointer -mno-red-zone: rbp is an ordinary register here. A
 * recursive function allocates at every level, as such code does; at the bottom, each
 * allocation is made with rbp holding a value a frame-pointer walker must survive (the
 * top of the address space, misaligned and stray pointers, small integers), as seen in
 * real programs. Reports how many blocks it made and freed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "victim_common.h"

#define ROUNDS 64
#define DEPTH 24

static const uintptr_t hostile[] = {
    0xfffffffffffffff8u, 0xfffffffffffffff0u, 0xffffffffffffffffu, 0x7ffffffffffffff8u,
    0x0000000000000010u, 0x0000000000001001u, 0x8000000000000000u, 0xffff800000000000u,
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

static long allocs, frees;

/* malloc(size) called with rbp = value (x86-64; elsewhere a plain call). */
__attribute__((noinline)) static void *malloc_with_rbp(uintptr_t value, size_t size)
{
#if defined(__x86_64__)
    void *p;
    __asm__ volatile("push %%rbp\n\t"
                     "push %%rbx\n\t"
                     "mov %%rsp, %%rbx\n\t"
                     "and $-16, %%rsp\n\t"
                     "mov %%rsi, %%rbp\n\t"
                     "call malloc@PLT\n\t"
                     "mov %%rbx, %%rsp\n\t"
                     "pop %%rbx\n\t"
                     "pop %%rbp"
                     : "=a"(p), "+S"(value), "+D"(size)
                     :
                     : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc", "xmm0", "xmm1",
                       "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    return p;
#else
    (void)value;
    return malloc(size);
#endif
}

static void counted_free(void *p)
{
    free(p);
    frees += p != NULL;
}

__attribute__((noinline)) static uintptr_t recurse(int depth, unsigned round)
{
    void *p = malloc(VC_MARK(depth));
    vc_touch(p);
    allocs += p != NULL;
    uintptr_t below = 0;
    if (depth > 0) {
        below = recurse(depth - 1, round);
    } else {
        void *q = malloc_with_rbp(hostile[round % NHOSTILE], VC_MARK(100));
        vc_touch(q);
        allocs += q != NULL;
        counted_free(q);
    }
    counted_free(p);
    return below + (uintptr_t)p % 7 + (uintptr_t)depth;
}

int main(void)
{
    uintptr_t sum = 0;
    for (unsigned r = 0; r < ROUNDS; r++)
        sum += recurse(DEPTH, r);
    vc_put("allocs", allocs);
    vc_put("frees", frees);
    vc_put("sum_low_bit", (long long)(sum & 1));
    return 0;
}
