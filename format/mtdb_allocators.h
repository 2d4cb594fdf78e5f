/* mtdb_allocators.h: the symbols by which a program's own, linked-in allocator is known,
 * one table for `mtdb record` (which warns before the run) and `mtdb import` (which notes
 * it in import_problems). An allocator linked into a program or one of its libraries
 * serves that code without ever calling malloc, so LD_PRELOAD never sees those blocks.
 * Header only (its users link libelf), no allocation; must never name a symbol the C
 * library itself defines.
 */
#ifndef MTDB_ALLOCATORS_H
#define MTDB_ALLOCATORS_H

#include <gelf.h>
#include <string.h>

/* A process that ran this long without a heap call the recorder saw is suspect. */
#define MTDB_QUIET_NS 500000000ULL

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

/* What the ELF file's symbol tables say: the allocator that one of its defined symbols
 * names, or NULL (*symbol gets that symbol, valid until elf_end), and whether its
 * dynamic symbols define malloc (*exports_malloc). */
static inline const char *mtdb_elf_allocator_facts(Elf *elf, const char **symbol,
                                                   int *exports_malloc)
{
    const char *who = NULL;
    *exports_malloc = 0;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; data && i < count; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
                continue;
            const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
            if (!who && (who = mtdb_allocator_of(name)) != NULL)
                *symbol = name;
            *exports_malloc |= sh.sh_type == SHT_DYNSYM && name && strcmp(name, "malloc") == 0;
        }
    }
    return who;
}

/* The allocator linked into the ELF file that hides blocks from the recorder, or NULL. A
 * shared library that also exports malloc hides nothing unless it is the program itself:
 * LD_PRELOAD comes first, so the program's malloc calls reach the recorder, which then
 * calls the library's malloc. */
static inline int mtdb_allocator_hides(const char *who, int is_program, int exports_malloc)
{
    return who && (is_program || !exports_malloc);
}

/* The allocator linked into the ELF file, or NULL; *symbol as above. */
static inline const char *mtdb_elf_allocator(Elf *elf, int is_program, const char **symbol)
{
    int exports_malloc;
    const char *who = mtdb_elf_allocator_facts(elf, symbol, &exports_malloc);
    return mtdb_allocator_hides(who, is_program, exports_malloc) ? who : NULL;
}

#endif
