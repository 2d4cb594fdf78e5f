/* imp_stack_sites.h: the per-stack part of sql/55-derive.sql (site_labels, function_sets
 * and each stack's site and set), computed on the stack tree (imp_stack_sites.c). */
#ifndef IMP_STACK_SITES_H
#define IMP_STACK_SITES_H

#include "imp_db.h"
#include "imp_site_keys.h"
#include "imp_store.h"

/* After the load, with temp.frame_kinds made by the first part of 55-derive.sql: writes
 * the stacks of s, each with its site label and function set, the rows the file's
 * per-stack part would give (the load writes no stack row), and fills keys with each
 * stack's site (imp_site_keys_init: the caller
 * frees it). Frees the tree and its lookup map (imp_store_end_tree): no stack is added
 * after the load, and nothing after this reads them. */
int imp_stack_sites(imp_db_t *db, imp_store_t *s, imp_site_keys_t *keys);

#endif
