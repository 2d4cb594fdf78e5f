/* imp_db.h: the loader: the one part of the importer that talks to SQLite.
 *
 * Opens the temporary database, applies the schema files before the load, takes rows
 * (imp_rows.h) inside one transaction through prepared statements, applied by a writer
 * thread (imp_writer.c) while the import goes on; after the load it runs what
 * imp_finish.c asks: schema files, scans and statements. Never decides what a row means.
 */
#ifndef IMP_DB_H
#define IMP_DB_H

#include <stddef.h>

#include "imp_rows.h"

typedef struct imp_db imp_db_t;

/* Creates path (which must not exist) with the pre-load schema and opens the load
 * transaction; threads 2 inserts on a writer thread. On failure writes a reason into msg. */
int imp_db_create(const char *path, int threads, imp_db_t **out, char *msg, size_t msg_len);

/* Inserts one row of table t; vals holds the table's column count of values. */
int imp_db_put(imp_db_t *db, enum imp_table t, const imp_value_t *vals);

/* Waits for the writer thread, commits the load and opens the transaction of what
 * comes after it (imp_finish.c). */
int imp_db_end_load(imp_db_t *db);

/* After the load: applies the embedded schema files (imp_sql.h) numbered [from, to). */
int imp_db_apply_files(imp_db_t *db, int from, int to);

/* After the load: runs SQL text (one or more statements). */
int imp_db_exec(imp_db_t *db, const char *sql);

/* After the load: ANALYZE, then commits. */
int imp_db_end(imp_db_t *db);

/* After the load: calls fn for every row of a query (values valid during the call);
 * fn returns 0 to go on. Returns 0, fn's code, or IMP_EDB. */
typedef int (*imp_db_row_fn)(void *ctx, const imp_value_t *cols, int ncols);
int imp_db_scan(imp_db_t *db, const char *sql, imp_db_row_fn fn, void *ctx);

/* After the load: *out = the integer in the first column of a one-row query (a max, a
 * count, an EXISTS), 0 when it is NULL, not an integer, or there is no row. Returns 0 or
 * IMP_EDB. */
int imp_db_scan_int(imp_db_t *db, const char *sql, int64_t *out);

/* After the load: runs a statement with n bound values; the statement is prepared once
 * per distinct sql pointer (a few kept). */
int imp_db_run(imp_db_t *db, const char *sql, const imp_value_t *vals, int n);

/* The rows of one table, sent IMP_DB_BATCH (32) to a statement (1.45 times faster than a
 * statement per row): the load's largest tables, and after it the per-stack ones. The
 * values are copied. Opened with the table's name and column count; closed once, which sends the
 * rows left (unless rc, an error already met, is not 0), frees the rows and returns rc
 * or the first error. NULL rows (open failed) close to IMP_ENOMEM. */
typedef struct imp_db_rows imp_db_rows_t;
imp_db_rows_t *imp_db_rows_open(imp_db_t *db, const char *table, int ncols, int flags);

/* A flag of imp_db_rows_open: the table is empty, only these rows go into it, and their
 * first column is its INTEGER PRIMARY KEY. A row whose id is one above every id sent
 * before it is sent without it: SQLite gives it that same id (its next rowid) and
 * appends it without first probing the table for the id (a load of 13 M such rows:
 * 3.8 -> 2.75 s). Other rows are sent with their id. */
#define IMP_DB_ROWS_NEW_IDS 1
int imp_db_rows_add(imp_db_rows_t *r, const imp_value_t *vals);
int imp_db_rows_close(imp_db_rows_t *r, int rc);

/* Closes the database (rolling back an unfinished load). */
void imp_db_close(imp_db_t *db);

/* Async-signal-safe: makes the running statement fail soon with an interrupt. */
void imp_db_interrupt(imp_db_t *db);

/* Seconds spent inserting (on the writer thread while it runs: known once it stopped). */
double imp_db_insert_seconds(const imp_db_t *db);

/* Seconds imp_db_put waited for the writer thread so far. */
double imp_db_wait_seconds(const imp_db_t *db);

/* The last SQLite message. */
const char *imp_db_errmsg(const imp_db_t *db);

#endif
