/* imp_cu_index.h: one compile unit's functions, read in one walk of its DIEs.
 *
 * libdw finds the functions around an address (dwarf_getscopes) and the scopes around a
 * declaration (dwarf_getscopes_die) by walking the unit from its start on every call: a
 * program whose source file holds thousands of functions took seconds to symbolize, and
 * each inlined level cost another walk. Here a unit is walked once: its subprograms and
 * inlined subroutines with their address ranges and the function each is inside, and,
 * for C++, the namespaces and classes around each function it declares.
 */
#ifndef IMP_CU_INDEX_H
#define IMP_CU_INDEX_H

#include <elfutils/libdw.h>
#include <stdint.h>

typedef struct imp_cu_index imp_cu_index_t;

/* Walks the unit whose DIE is cu; NULL when out of memory. */
imp_cu_index_t *imp_cu_index_build(Dwarf_Die *cu);
void imp_cu_index_free(imp_cu_index_t *x);

/* The innermost function (subprogram or inlined subroutine) whose ranges hold addr (an
 * address of the unit's own DWARF): an index for the two calls below, or -1 when none
 * does. */
int32_t imp_cu_index_find(const imp_cu_index_t *x, Dwarf_Addr addr);

/* Function i's DIE offset, and the function it is inside (-1: none). */
Dwarf_Off imp_cu_index_die(const imp_cu_index_t *x, int32_t i);
int32_t imp_cu_index_outer(const imp_cu_index_t *x, int32_t i);

/* C++: the namespaces, classes and functions around the function declared or defined
 * by the DIE at off, as names are written ("std::vector<int>::", "main()::{lambda}::");
 * "" at file scope. NULL when off is no subprogram of this unit, or the unit is not C++. */
const char *imp_cu_index_scope(const imp_cu_index_t *x, Dwarf_Off off);

#endif
