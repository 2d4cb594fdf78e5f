/* imp_dwarf.h: offline symbolization of one module with elfutils libdw.
 *
 * Opens the module's file (checking its build-id against the recorded one) and its
 * separate debug info where installed, and turns an offset from the load bias into
 * function, file and line, inlined functions expanded innermost first, C++ names
 * demangled. Never maps a live process: files only.
 */
#ifndef IMP_DWARF_H
#define IMP_DWARF_H

#include <stddef.h>
#include <stdint.h>

typedef struct imp_dwarf imp_dwarf_t;

/* One symbol row: depth 0 is the innermost function; file NULL and line 0 if unknown. */
typedef int (*imp_symbol_fn)(void *ctx, int depth, const char *function, const char *file,
                             int line);

/* Opens path; build_id_hex may be NULL (not checked). On failure returns NULL and why. */
imp_dwarf_t *imp_dwarf_open(const char *path, const char *build_id_hex, char *why, size_t len);

/* The function name given to the kernel's signal return trampoline, the frame between a
 * signal handler and the code it interrupted. */
#define IMP_SIGNAL_FRAME_NAME "<signal handler called>"

/* Looks up address `offset` (already adjusted for return addresses). Returns the number
 * of rows given to fn (0: unknown address), or fn's negative code. */
int imp_dwarf_lookup(imp_dwarf_t *d, uint64_t offset, imp_symbol_fn fn, void *ctx);

void imp_dwarf_close(imp_dwarf_t *d);

#endif
