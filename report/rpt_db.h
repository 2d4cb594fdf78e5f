/* rpt_db.h: the report library's only door to SQLite: open, check, and read rows.
 *
 * rpt_db.c is the one file of report/ that includes sqlite3.h; the rest reads rows
 * through this interface. Everything here is read-only: it must never write a database.
 */
#ifndef MTDB_RPT_DB_H
#define MTDB_RPT_DB_H

#include "rpt.h"

/* mtdb databases: PRAGMA application_id and user_version, read from sql/00-pragmas.sql
 * at build time (mtdb_schema.h). */
#include "mtdb_schema.h"

typedef enum rpt_type { RPT_NULL, RPT_INT, RPT_REAL, RPT_STR } rpt_type_t;

typedef struct rpt_rows rpt_rows_t;

/* Prepares one statement; ?1.. are bound with rpt_rows_bind_int. */
int rpt_rows_open(rpt_db_t *db, const char *sql, rpt_rows_t **out);
int rpt_rows_bind_int(rpt_rows_t *rows, int index, long long value);
int rpt_rows_bind_text(rpt_rows_t *rows, int index, const char *value);
/* 1: a row is ready, 0: no more rows, < 0: an error (message on the db). */
int rpt_rows_next(rpt_rows_t *rows);
void rpt_rows_close(rpt_rows_t *rows);
/* Makes a statement ready to run again with new bindings. */
void rpt_rows_reset(rpt_rows_t *rows);

int rpt_rows_count(rpt_rows_t *rows); /* columns */
const char *rpt_rows_name(rpt_rows_t *rows, int col);
rpt_type_t rpt_rows_type(rpt_rows_t *rows, int col);
long long rpt_rows_int(rpt_rows_t *rows, int col);
double rpt_rows_real(rpt_rows_t *rows, int col);
const char *rpt_rows_text(rpt_rows_t *rows, int col); /* "" for NULL */

/* Runs a statement and returns the first column of its first row (0 when none). */
int rpt_db_scalar(rpt_db_t *db, const char *sql, long long *value);
/* 1 when a view or table of that name exists. */
int rpt_db_has_view(rpt_db_t *db, const char *name);
/* 1 when the view or table has that column. */
int rpt_db_has_column(rpt_db_t *db, const char *view, const char *column);
/* Sets the db's message (printf-style) and returns code. */
int rpt_db_fail(rpt_db_t *db, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* For rpt_run_sql: each statement of a script in turn. */
int rpt_rows_open_next(rpt_db_t *db, const char **sql, rpt_rows_t **out);

/* Attaches another (already checked) database file under schema name as. */
int rpt_db_attach(rpt_db_t *db, const char *path, const char *as);
/* The file the database was opened from. */
const char *rpt_db_path(const rpt_db_t *db);

#endif
