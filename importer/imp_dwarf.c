/* imp_dwarf.c: libdw (dwfl offline) lookups behind imp_dwarf.h.
 *
 * The module is reported at bias 0, so a lookup address is the offset from the load
 * bias recorded in the trace. The functions around an address, inlined ones included,
 * come from an index of their compile unit (imp_cu_index.c), built at the unit's first
 * lookup; libdw's dwarf_getscopes, which walks the unit on every call, answers only
 * where the index cannot. Each inlined subroutine's call site gives the file and line
 * of the function around it.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imp_array.h"
#include "imp_cu_index.h"
#include "imp_demangle.h"
#include "imp_dwarf.h"
#include "imp_hashmap.h"

/* A module's function symbols sorted by address, read once: libdwfl's own address to
 * symbol lookup scans the whole table per call, which made a large stripped library
 * (thousands of frames, tens of thousands of symbols) take seconds. */
typedef struct imp_sym {
    uint64_t addr, size;
    const char *name; /* owned by libdwfl, valid while the module is open */
} imp_sym_t;

/* A compile unit's index, built at its first lookup (NULL: it could not be). */
typedef struct imp_unit {
    Dwarf *dbg;
    Dwarf_Off off;
    imp_cu_index_t *index;
} imp_unit_t;

struct imp_dwarf {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    imp_sym_t *syms;
    size_t nsyms;
    int syms_read;
    imp_unit_t *units;
    uint64_t nunits, capunits;
    imp_hashmap_t unit_by_key; /* imp_unit_key -> 1 + index in units */
};

static char *imp_debuginfo_path = NULL;
static const Dwfl_Callbacks imp_dwfl_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &imp_debuginfo_path,
};

static int imp_build_id_matches(Dwfl_Module *mod, const char *hex)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int len = dwfl_module_build_id(mod, &bits, &vaddr);
    if (!hex || len <= 0)
        return 1; /* nothing to compare */
    if ((size_t)len * 2 != strlen(hex))
        return 0;
    for (int i = 0; i < len; i++) {
        char two[3];
        snprintf(two, sizeof two, "%02x", bits[i]);
        if (memcmp(two, hex + 2 * i, 2))
            return 0;
    }
    return 1;
}

imp_dwarf_t *imp_dwarf_open(const char *path, const char *build_id_hex, char *why, size_t len)
{
    imp_dwarf_t *d = calloc(1, sizeof *d);
    if (d)
        imp_hashmap_init(&d->unit_by_key);
    if (!d || !(d->dwfl = dwfl_begin(&imp_dwfl_callbacks))) {
        snprintf(why, len, "libdw: cannot start");
        free(d);
        return NULL;
    }
    dwfl_report_begin(d->dwfl);
    d->mod = dwfl_report_elf(d->dwfl, path, path, -1, 0, false);
    dwfl_report_end(d->dwfl, NULL, NULL);
    if (!d->mod) {
        snprintf(why, len, "%s: %s", path, dwfl_errmsg(-1));
    } else if (!imp_build_id_matches(d->mod, build_id_hex)) {
        snprintf(why, len, "%s: build-id differs from the recorded one", path);
        d->mod = NULL;
    }
    if (!d->mod) {
        imp_dwarf_close(d);
        return NULL;
    }
    return d;
}

void imp_dwarf_close(imp_dwarf_t *d)
{
    if (!d)
        return;
    dwfl_end(d->dwfl);
    free(d->syms);
    for (uint64_t i = 0; i < d->nunits; i++)
        imp_cu_index_free(d->units[i].index);
    free(d->units);
    imp_hashmap_free(&d->unit_by_key);
    free(d);
}

static int imp_sym_cmp(const void *a, const void *b)
{
    const imp_sym_t *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->size < y->size ? 1 : x->size > y->size ? -1 : 0; /* the larger first */
}

/* Reads the module's function symbols into d->syms, sorted (once). */
static void imp_syms_read(imp_dwarf_t *d)
{
    d->syms_read = 1;
    int n = dwfl_module_getsymtab(d->mod);
    if (n <= 1 || !(d->syms = malloc((size_t)n * sizeof *d->syms)))
        return;
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        const char *name = dwfl_module_getsym_info(d->mod, i, &sym, &addr, NULL, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info);
        if (name && *name && sym.st_shndx != SHN_UNDEF &&
            (type == STT_FUNC || type == STT_GNU_IFUNC || type == STT_NOTYPE))
            d->syms[d->nsyms++] = (imp_sym_t){addr, sym.st_size, name};
    }
    qsort(d->syms, d->nsyms, sizeof *d->syms, imp_sym_cmp);
}

/* The function symbol covering addr: the last one starting at or before it, if addr is
 * inside its size (or, for a symbol of size 0, before the next one). */
static const char *imp_sym_find(imp_dwarf_t *d, uint64_t addr)
{
    if (!d->syms_read)
        imp_syms_read(d);
    size_t lo = 0, hi = d->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const imp_sym_t *s = &d->syms[lo - 1];
    while (s > d->syms && s[-1].addr == s->addr) /* the larger of equal starts */
        s--;
    if (s->size ? addr < s->addr + s->size : lo == d->nsyms || addr < d->syms[lo].addr)
        return s->name;
    return NULL;
}

/* The DIE that declares die's function: its abstract origin's, then its specification
 * (a member function defined outside its class is declared inside it). */
static void imp_declaring_die(Dwarf_Die *die, Dwarf_Die *out)
{
    *out = *die;
    for (int hops = 0; hops < 4; hops++) {
        Dwarf_Attribute mem, *a = dwarf_attr(out, DW_AT_abstract_origin, &mem);
        if (!a)
            a = dwarf_attr(out, DW_AT_specification, &mem);
        Dwarf_Die next;
        if (!a || !dwarf_formref_die(a, &next))
            return;
        *out = next;
    }
}

static uint64_t imp_unit_key(Dwarf *dbg, Dwarf_Off off)
{
    return imp_hash64(off ^ (uint64_t)(uintptr_t)dbg * 0x9E3779B97F4A7C15ULL) | 1;
}

/* The index of the unit whose DIE is cu, built at its first use; NULL when it cannot be
 * (the caller then asks libdw). A key two units share makes the second a linear find. */
static imp_cu_index_t *imp_unit_index(imp_dwarf_t *d, Dwarf_Die *cu)
{
    Dwarf *dbg = dwarf_cu_getdwarf(cu->cu);
    Dwarf_Off off = dwarf_dieoffset(cu);
    int added;
    uint64_t *slot = imp_hashmap_upsert(&d->unit_by_key, imp_unit_key(dbg, off), &added);
    if (!slot)
        return NULL;
    if (!added) {
        imp_unit_t *u = &d->units[*slot - 1];
        if (u->dbg == dbg && u->off == off)
            return u->index;
        for (uint64_t i = 0; i < d->nunits; i++)
            if (d->units[i].dbg == dbg && d->units[i].off == off)
                return d->units[i].index;
    }
    if (imp_grow((void **)&d->units, &d->capunits, d->nunits, sizeof *d->units))
        return NULL;
    d->units[d->nunits] = (imp_unit_t){dbg, off, imp_cu_index_build(cu)};
    if (added)
        *slot = d->nunits + 1;
    return d->units[d->nunits++].index;
}

/* The demangled name of a subprogram or inlined subroutine DIE. A C++ function without
 * linkage, such as one instantiated on a lambda of its caller, has no linkage name: the
 * namespaces and classes around its declaration are put before its name, as a demangled
 * name has them, so the standard library's std::function, std::thread and std::sort code
 * made for a user's lambda does not read as the user's own function. */
static char *imp_die_name(imp_dwarf_t *d, Dwarf_Die *die)
{
    Dwarf_Attribute mem;
    Dwarf_Attribute *a = dwarf_attr_integrate(die, DW_AT_linkage_name, &mem);
    if (!a)
        a = dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &mem);
    const char *name = a ? dwarf_formstring(a) : NULL;
    if (name)
        return imp_demangle(name);
    if (!(name = dwarf_diename(die)))
        return NULL;
    Dwarf_Die decl, cu;
    imp_declaring_die(die, &decl);
    imp_cu_index_t *x = dwarf_diecu(&decl, &cu, NULL, NULL) ? imp_unit_index(d, &cu) : NULL;
    const char *scope = x ? imp_cu_index_scope(x, dwarf_dieoffset(&decl)) : NULL;
    size_t n = scope ? strlen(scope) : 0;
    char *out = malloc(n + strlen(name) + 1);
    if (out)
        strcpy(stpcpy(out, scope ? scope : ""), name);
    return out;
}

static const char *imp_call_file(Dwarf_Die *cu, Dwarf_Die *inl, int *line)
{
    Dwarf_Attribute mem;
    Dwarf_Word file = 0, l = 0;
    dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &mem), &file);
    dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &mem), &l);
    *line = (int)l;
    Dwarf_Files *files;
    size_t n;
    if (dwarf_getsrcfiles(cu, &files, &n) != 0 || file >= n)
        return NULL;
    return dwarf_filesrc(files, file, NULL, NULL);
}

/* The next function (inlined or not) around die in the concrete tree, into *out. */
static int imp_outer_function(Dwarf_Die *die, Dwarf_Die *out)
{
    Dwarf_Die *chain = NULL;
    int n = dwarf_getscopes_die(die, &chain), found = 0;
    for (int i = 1; !found && i < n; i++) {
        int tag = dwarf_tag(&chain[i]);
        if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram) {
            *out = chain[i];
            found = 1;
        }
    }
    free(chain);
    return found;
}

/* One row per function from die outward, innermost first: an inlined subroutine's call
 * site is the file and line of the function it was inlined into. The function around
 * an inlined one is the next one out in the unit's index x (die being its function at),
 * or without an index, libdw's. */
static int imp_rows_outward(imp_dwarf_t *d, Dwarf_Die *cu, Dwarf_Die die, imp_cu_index_t *x,
                            int32_t at, const char *file, int line, imp_symbol_fn fn, void *ctx)
{
    Dwarf *dbg = dwarf_cu_getdwarf(cu->cu);
    int rows = 0, rc = 0, have = 1;
    while (have && rc >= 0 && rows < 64) {
        char *name = imp_die_name(d, &die);
        rc = fn(ctx, rows++, name, file, line);
        free(name);
        if (dwarf_tag(&die) != DW_TAG_inlined_subroutine)
            break;
        file = imp_call_file(cu, &die, &line);
        if (x)
            have = (at = imp_cu_index_outer(x, at)) >= 0 &&
                   dwarf_offdie(dbg, imp_cu_index_die(x, at), &die) != NULL;
        else
            have = imp_outer_function(&die, &die);
    }
    return rc < 0 ? rc : rows;
}

/* The rows of the functions around addr (imp_rows_outward): the innermost from the
 * unit's index, or from libdw's own walk where it has no answer (no index, scopes that
 * do not nest, an address outside every function). */
static int imp_lookup_scopes(imp_dwarf_t *d, Dwarf_Die *cu, Dwarf_Addr addr, const char *file,
                             int line, imp_symbol_fn fn, void *ctx)
{
    imp_cu_index_t *x = imp_unit_index(d, cu);
    int32_t at = x ? imp_cu_index_find(x, addr) : -1;
    Dwarf_Die die;
    if (at >= 0 && dwarf_offdie(dwarf_cu_getdwarf(cu->cu), imp_cu_index_die(x, at), &die))
        return imp_rows_outward(d, cu, die, x, at, file, line, fn, ctx);
    Dwarf_Die *scopes = NULL;
    int n = dwarf_getscopes(cu, addr, &scopes), have = 0;
    for (int i = 0; !have && i < n; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram)
            die = scopes[i], have = 1;
    }
    free(scopes);
    return have ? imp_rows_outward(d, cu, die, NULL, -1, file, line, fn, ctx) : 0;
}

/* addr is in the signal return trampoline: the unwind entry that covers it is marked as
 * a signal frame (augmentation "S"). Its code has no symbol outside libc's debug symbols
 * and no line; it stands between a signal handler and the code the signal interrupted. */
static int imp_in_signal_trampoline(imp_dwarf_t *d, Dwarf_Addr addr)
{
    Dwarf_Addr bias = 0, start, end;
    Dwarf_CFI *cfi = dwfl_module_eh_cfi(d->mod, &bias);
    Dwarf_Frame *frame = NULL;
    bool signal_frame = false;
    if (!cfi || dwarf_cfi_addrframe(cfi, addr - bias, &frame) != 0)
        return 0;
    int found = dwarf_frame_info(frame, &start, &end, &signal_frame) >= 0 && signal_frame;
    free(frame);
    return found;
}

int imp_dwarf_lookup(imp_dwarf_t *d, uint64_t offset, imp_symbol_fn fn, void *ctx)
{
    Dwarf_Addr addr = offset, bias = 0;
    if (imp_in_signal_trampoline(d, addr)) { /* named as debuggers name it */
        int rc = fn(ctx, 0, IMP_SIGNAL_FRAME_NAME, NULL, 0);
        return rc < 0 ? rc : 1;
    }
    Dwfl_Line *l = dwfl_module_getsrc(d->mod, addr);
    int line = 0;
    const char *file = l ? dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
    Dwarf_Die *cu = dwfl_module_addrdie(d->mod, addr, &bias);
    int rows = cu ? imp_lookup_scopes(d, cu, addr - bias, file, line, fn, ctx) : 0;
    if (rows != 0)
        return rows;
    const char *name = imp_sym_find(d, addr);
    if (!name && !file)
        return 0;
    char *dem = imp_demangle(name);
    int rc = fn(ctx, 0, dem, file, line);
    free(dem);
    return rc < 0 ? rc : 1;
}
