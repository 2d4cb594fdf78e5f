/* imp_site_keys.h: which site each stack belongs to, and site_totals summed in C.
 *
 * stack_sites gives every stack a class, a site and a location; a recursive program has
 * millions of stacks and a handful of sites. The per-block derivation (imp_derive.c)
 * groups its per-site rows by (site, location), and site_totals groups stack_totals by
 * (class, site, location): in sql/56-derive-blocks.sql both are sorts of every stack by
 * text. Here each distinct key is interned once as imp_stack_sites.c writes stack_sites,
 * in stack order (the rows are not read back), so a stack maps to its site by index and
 * the sums are hash groups.
 */
#ifndef IMP_SITE_KEYS_H
#define IMP_SITE_KEYS_H

#include <stdint.h>

#include "imp_db.h"
#include "imp_hashmap.h"
#include "imp_texts.h"

/* A (class, site, location), and the lowest stack id of the same (site, location) in any
 * class (the representative imp_derive.c groups by). */
typedef struct imp_site_key {
    char *class_name, *site, *location; /* site '(no stack)' when stack_sites has none */
    int64_t rep;
} imp_site_key_t;

typedef struct imp_site_keys {
    int64_t nstacks;
    /* per stack (index stack_id - 1): key index + 1 (0: no row), module and path as their
     * numbers in texts (0: NULL) */
    uint32_t *stack_site, *stack_module, *stack_path;
    imp_site_key_t *keys;
    uint32_t nkeys, capkeys;
    imp_texts_t texts;            /* modules and paths, each once */
    imp_hashmap_t by_key, by_rep; /* text hashes -> key index + 1 */
    uint32_t nostack;             /* key index + 1 of ('unknown', '(no stack)', NULL) */
} imp_site_keys_t;

/* Empty keys for stack ids 1..nstacks. 0, or IMP_ENOMEM (free k either way). */
int imp_site_keys_init(imp_site_keys_t *k, int64_t nstacks);

/* Adds the stack_sites row of stack id (its class, site, location, module and path, NULL
 * for NULL), in the order of stack ids (imp_site_keys_copy for a stack whose row an
 * earlier stack has). 0, or IMP_ENOMEM. */
int imp_site_keys_add(imp_site_keys_t *k, int64_t id, const char *cls, const char *site,
                      const char *loc, const char *module, const char *path);
/* Gives stack id the key, module and path of stack from (added before, same row). */
void imp_site_keys_copy(imp_site_keys_t *k, int64_t id, int64_t from);
void imp_site_keys_free(imp_site_keys_t *k);

/* The key index + 1 of stack_id (0: no stack): its row's, else the no-stack key. 0 only
 * when out of memory. */
uint32_t imp_site_keys_of(imp_site_keys_t *k, int64_t stack_id);

/* Writes site_totals from n stack_totals rows: group_keys holds 4 values per row, of
 * which the first two are its process_id and stack_id; vals ncols values per row, each
 * summed (kinds 0), or the lowest (-1) or highest (+1) kept, NULLs (null_value) left
 * out. 0, or an IMP_* error. */
int imp_site_totals_write(imp_db_t *db, imp_site_keys_t *k, const int64_t *group_keys,
                          const int64_t *vals, uint64_t n, int ncols, const int *kinds,
                          int64_t null_value);

/* Writes site_top_stacks from the same rows: per process and (site, location), its
 * stacks and the heaviest of them by bytes, by live bytes and by bytes freed at exit.
 * cols: the columns of vals holding bytes, blocks, live bytes and exit bytes. 0, or an
 * IMP_* error. */
int imp_site_top_stacks_write(imp_db_t *db, imp_site_keys_t *k, const int64_t *group_keys,
                              const int64_t *vals, uint64_t n, int ncols, const int cols[4]);

#endif
