/* mtdb_names.h: names derived from the format's lists (mtdb_format.h), in one place for
 * every reader of traces: `mtdb dump`, `mtdb record`'s checks and the importer.
 *
 * Pure lookups over the X-macro tables: never allocate, never fail. Not for the recorder,
 * which needs no names (it includes mtdb_format.h alone).
 */
#ifndef MTDB_NAMES_H
#define MTDB_NAMES_H

/* "malloc", "free", ... for an MTDB_FUNC_* number (MTDB_FUNC_LIST); NULL for a number the
 * list does not hold, so each caller says "unknown" its own way. */
const char *mtdb_func_name(unsigned func);

/* The heap function a record of type MTDB_REC_{ALLOC,FREE,REALLOC,FAIL} with this sub
 * names: the sub itself, except FREE records, whose sub holds the freeing function in
 * 3 bits (mtdb_free_func_decode). */
unsigned mtdb_record_func(unsigned type, unsigned sub);

/* The file kind a trace directory entry's name says: MTDB_FILE_KIND_PROCESS for
 * mtdb-*.proc, MTDB_FILE_KIND_STREAM for mtdb-*.trace, 0 for any other name. */
int mtdb_trace_file_kind(const char *name);

#endif
