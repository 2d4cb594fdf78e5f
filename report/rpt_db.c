/* rpt_db.c: opens an mtdb database read-only and hands out rows; the only file of
 * report/ that includes sqlite3.h.
 *
 * A file that is not SQLite, or is SQLite but not mtdb's (PRAGMA application_id), is
 * refused with a sentence naming it. Must never write to a database.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "rpt_db.h"

struct rpt_db {
    sqlite3 *handle;
    char path[4096];
    char message[1024];
};

struct rpt_rows {
    rpt_db_t *db;
    sqlite3_stmt *stmt;
};

int rpt_db_fail(rpt_db_t *db, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->message, sizeof db->message, fmt, ap);
    va_end(ap);
    return code;
}

const char *rpt_db_message(const rpt_db_t *db)
{
    return db ? db->message : "";
}

static int rpt_db_check_identity(rpt_db_t *db, const char *path, char *err, size_t errlen)
{
    long long app_id = 0, version = 0;
    int rc = rpt_db_scalar(db, "PRAGMA application_id", &app_id);
    if (rc == RPT_OK)
        rc = rpt_db_scalar(db, "PRAGMA user_version", &version);
    if (rc != RPT_OK) {
        snprintf(err, errlen, "%s: not an mtdb database (%s)", path, db->message);
        return RPT_E_FOREIGN;
    }
    if (app_id != MTDB_APPLICATION_ID) {
        snprintf(err, errlen,
                 "%s: not an mtdb database (SQLite application_id %lld, expected %d: "
                 "make one with 'mtdb import')",
                 path, app_id, MTDB_APPLICATION_ID);
        return RPT_E_FOREIGN;
    }
    if (version != MTDB_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s: schema version %lld, this mtdb reads version %d: import the trace "
                 "again with this mtdb ('mtdb import')",
                 path, version, MTDB_SCHEMA_VERSION);
        return RPT_E_SCHEMA;
    }
    return RPT_OK;
}

int rpt_db_open(const char *path, rpt_db_t **out, char *err, size_t errlen)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: no such database file", path);
        return RPT_E_OPEN;
    }
    rpt_db_t *db = calloc(1, sizeof *db);
    if (!db)
        return snprintf(err, errlen, "%s: out of memory", path), RPT_E_NOMEM;
    if (sqlite3_open_v2(path, &db->handle, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->handle));
        rpt_db_close(db);
        return RPT_E_OPEN;
    }
    snprintf(db->path, sizeof db->path, "%s", path);
    int rc = rpt_db_check_identity(db, path, err, errlen);
    if (rc != RPT_OK) {
        rpt_db_close(db);
        return rc;
    }
    *out = db;
    return RPT_OK;
}

void rpt_db_close(rpt_db_t *db)
{
    if (!db)
        return;
    sqlite3_close(db->handle);
    free(db);
}

static int rpt_rows_wrap(rpt_db_t *db, sqlite3_stmt *stmt, rpt_rows_t **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out) {
        sqlite3_finalize(stmt);
        return rpt_db_fail(db, RPT_E_NOMEM, "out of memory");
    }
    (*out)->db = db;
    (*out)->stmt = stmt;
    return RPT_OK;
}

int rpt_rows_open(rpt_db_t *db, const char *sql, rpt_rows_t **out)
{
    sqlite3_stmt *stmt = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(db->handle, sql, -1, &stmt, NULL) != SQLITE_OK)
        return rpt_db_fail(db, RPT_E_SQL, "%s", sqlite3_errmsg(db->handle));
    return rpt_rows_wrap(db, stmt, out);
}

int rpt_rows_open_next(rpt_db_t *db, const char **sql, rpt_rows_t **out)
{
    sqlite3_stmt *stmt = NULL;
    *out = NULL;
    while (**sql && !stmt) {
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db->handle, *sql, -1, &stmt, &tail) != SQLITE_OK)
            return rpt_db_fail(db, RPT_E_SQL, "%s", sqlite3_errmsg(db->handle));
        *sql = tail;
    }
    return stmt ? rpt_rows_wrap(db, stmt, out) : RPT_OK;
}

int rpt_rows_bind_int(rpt_rows_t *rows, int index, long long value)
{
    if (sqlite3_bind_int64(rows->stmt, index, value) != SQLITE_OK)
        return rpt_db_fail(rows->db, RPT_E_SQL, "%s", sqlite3_errmsg(rows->db->handle));
    return RPT_OK;
}

int rpt_rows_bind_text(rpt_rows_t *rows, int index, const char *value)
{
    if (sqlite3_bind_text(rows->stmt, index, value, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        return rpt_db_fail(rows->db, RPT_E_SQL, "%s", sqlite3_errmsg(rows->db->handle));
    return RPT_OK;
}

int rpt_rows_next(rpt_rows_t *rows)
{
    int rc = sqlite3_step(rows->stmt);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return rpt_db_fail(rows->db, RPT_E_SQL, "%s", sqlite3_errmsg(rows->db->handle));
}

void rpt_rows_close(rpt_rows_t *rows)
{
    if (!rows)
        return;
    sqlite3_finalize(rows->stmt);
    free(rows);
}

void rpt_rows_reset(rpt_rows_t *rows)
{
    sqlite3_reset(rows->stmt);
}

int rpt_rows_count(rpt_rows_t *rows)
{
    return sqlite3_column_count(rows->stmt);
}
const char *rpt_rows_name(rpt_rows_t *rows, int col)
{
    return sqlite3_column_name(rows->stmt, col);
}

rpt_type_t rpt_rows_type(rpt_rows_t *rows, int col)
{
    switch (sqlite3_column_type(rows->stmt, col)) {
    case SQLITE_INTEGER:
        return RPT_INT;
    case SQLITE_FLOAT:
        return RPT_REAL;
    case SQLITE_NULL:
        return RPT_NULL;
    default:
        return RPT_STR;
    }
}

long long rpt_rows_int(rpt_rows_t *rows, int col)
{
    return sqlite3_column_int64(rows->stmt, col);
}
double rpt_rows_real(rpt_rows_t *rows, int col)
{
    return sqlite3_column_double(rows->stmt, col);
}
const char *rpt_rows_text(rpt_rows_t *rows, int col)
{
    const unsigned char *s = sqlite3_column_text(rows->stmt, col);
    return s ? (const char *)s : "";
}

int rpt_db_scalar(rpt_db_t *db, const char *sql, long long *value)
{
    rpt_rows_t *rows;
    int rc = rpt_rows_open(db, sql, &rows);
    if (rc != RPT_OK)
        return rc;
    rc = rpt_rows_next(rows);
    *value = rc == 1 ? rpt_rows_int(rows, 0) : 0;
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

int rpt_db_has_view(rpt_db_t *db, const char *name)
{
    rpt_rows_t *rows;
    if (rpt_rows_open(db,
                      "SELECT 1 FROM sqlite_schema WHERE name = ?1 AND type IN "
                      "('view', 'table')",
                      &rows) != RPT_OK)
        return 0;
    sqlite3_bind_text(rows->stmt, 1, name, -1, SQLITE_STATIC);
    int found = rpt_rows_next(rows) == 1;
    rpt_rows_close(rows);
    return found;
}

int rpt_db_has_column(rpt_db_t *db, const char *view, const char *column)
{
    rpt_rows_t *rows;
    if (rpt_rows_open(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", &rows) != RPT_OK)
        return 0;
    sqlite3_bind_text(rows->stmt, 1, view, -1, SQLITE_STATIC);
    sqlite3_bind_text(rows->stmt, 2, column, -1, SQLITE_STATIC);
    int found = rpt_rows_next(rows) == 1;
    rpt_rows_close(rows);
    return found;
}

const char *rpt_db_path(const rpt_db_t *db)
{
    return db->path;
}

int rpt_db_attach(rpt_db_t *db, const char *path, const char *as)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db->handle, "ATTACH DATABASE ?1 AS ?2", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, as, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return rpt_db_fail(db, RPT_E_OPEN, "%s: %s", path, sqlite3_errmsg(db->handle));
    return RPT_OK;
}
