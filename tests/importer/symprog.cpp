// symprog.cpp: the symbol test's program: known functions, an inlined function and a
// C++ method each allocate a block of a unique size and leak it. Line numbers below
// are asserted by test_import_symbols.c: keep the SYMPROG_LINE markers where they are.
#include <cstdlib>

extern "C" __attribute__((noinline)) void *leaf_alloc(size_t n)
{
    void *p = malloc(n); // SYMPROG_LINE leaf
    asm volatile("" ::"r"(p) : "memory");
    return p;
}

static inline __attribute__((always_inline)) void *inlined_alloc(size_t n)
{
    return malloc(n); // SYMPROG_LINE inlined
}

__attribute__((noinline)) void *outer_with_inline(size_t n)
{
    void *p = inlined_alloc(n); // SYMPROG_LINE outer
    asm volatile("" ::"r"(p) : "memory");
    return p;
}

struct Widget {
    void *make(size_t n);
};

__attribute__((noinline)) void *Widget::make(size_t n)
{
    void *p = malloc(n); // SYMPROG_LINE method
    asm volatile("" ::"r"(p) : "memory");
    return p;
}

int main()
{
    Widget w;
    void *volatile a = leaf_alloc(12345);
    void *volatile b = outer_with_inline(23456);
    void *volatile c = w.make(34567);
    (void)a, (void)b, (void)c;
    return 0;
}
