/* record_libs.h: finds an allocator linked into a program or into the libraries it needs.
 *
 * Follows DT_NEEDED as the dynamic loader would (RPATH, LD_LIBRARY_PATH, RUNPATH,
 * /etc/ld.so.conf, the default directories) and looks for the symbols of
 * format/mtdb_allocators.h. Reads files only: never runs the program or its loader.
 */
#ifndef RECORD_LIBS_H
#define RECORD_LIBS_H

#include <limits.h>

typedef struct record_hidden_alloc {
    char module[PATH_MAX]; /* the program or library that defines the symbol */
    char symbol[64];
    const char *allocator; /* "jemalloc", ... */
} record_hidden_alloc_t;

/* 1 and *out filled when program or a library it needs has a known allocator linked in;
 * 0 when none was found (or program is not a readable ELF file). */
int record_find_hidden_allocator(const char *program, record_hidden_alloc_t *out);

#endif
