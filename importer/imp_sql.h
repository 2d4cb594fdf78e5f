/* imp_sql.h: the schema files of sql/, embedded at build time (imp_embed_sql.cmake).
 *
 * Files are in load order; a name's leading number says when it applies: below 50
 * before the bulk load, 50 and above after it. Never hand-edit the generated table.
 */
#ifndef IMP_SQL_H
#define IMP_SQL_H

typedef struct imp_sql_file {
    const char *name; /* "10-tables-processes.sql" */
    const char *text;
} imp_sql_file_t;

extern const imp_sql_file_t imp_sql_files[];
extern const int imp_sql_file_count;

/* First file number applied after the bulk load (indexes, views). */
#define IMP_SQL_AFTER_LOAD 50
/* 51-fork-inherited.sql: run by imp_finish.c only when a fork child needs it. */
#define IMP_SQL_FORK_INHERITED 51
/* 55-derive.sql: its per-stack part, between these marks, computed by imp_stack_sites.c. */
#define IMP_SQL_DERIVE 55
#define IMP_SQL_PER_STACK_BEGIN "-- [per-stack part]"
#define IMP_SQL_PER_STACK_END "-- [end of the per-stack part]"
/* 56-derive-blocks.sql: computed by imp_derive.c and imp_site_keys.c instead (same rows,
 * one pass). */
#define IMP_SQL_DERIVE_BLOCKS 56
/* Above every file's number. */
#define IMP_SQL_LAST 999

#endif
