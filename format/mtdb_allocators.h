/* mtdb_allocators.h: the symbols by which a program's own, linked-in allocator is known,
 * one table for `mtdb record` (which warns before the run) and `mtdb import` (which notes
 * it in import_problems). An allocator linked into a program or one of its libraries
 * serves that code without ever calling malloc, so LD_PRELOAD never sees those blocks.
 * Header only, no allocation; must never name a symbol the C library itself defines.
 */
#ifndef MTDB_ALLOCATORS_H
#define MTDB_ALLOCATORS_H

#include <string.h>

/* X(symbol, allocator). A defined symbol of this name in any symbol table of a module
 * means the allocator is linked into it. */
#define MTDB_ALLOCATOR_SYMBOLS(X)                                                                  \
    X("je_malloc", "jemalloc")                                                                     \
    X("je_mallocx", "jemalloc")                                                                    \
    X("_rjem_malloc", "jemalloc")                                                                  \
    X("_rjem_mallocx", "jemalloc")                                                                 \
    X("mallocx", "jemalloc")                                                                       \
    X("tc_malloc", "tcmalloc")                                                                     \
    X("mi_malloc", "mimalloc")                                                                     \
    X("rpmalloc", "rpmalloc")                                                                      \
    X("sn_malloc", "snmalloc")                                                                     \
    X("sn_rust_alloc", "snmalloc")                                                                 \
    X("GC_malloc", "the Boehm garbage collector")                                                  \
    X("xxmalloc", "Hoard")                                                                         \
    X("dlmalloc", "dlmalloc")

/* The allocator that symbol name belongs to, or NULL. */
static inline const char *mtdb_allocator_of(const char *name)
{
    static const char *const table[][2] = {
#define MTDB_ALLOCATOR_ROW(sym, who) {sym, who},
        MTDB_ALLOCATOR_SYMBOLS(MTDB_ALLOCATOR_ROW)
#undef MTDB_ALLOCATOR_ROW
    };
    if (!name || !strchr("jm_trsGxd", name[0]))
        return NULL; /* the first letters of the table: most names stop here */
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i][0]) == 0)
            return table[i][1];
    return NULL;
}

#endif
