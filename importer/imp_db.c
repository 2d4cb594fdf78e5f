/* imp_db.c: the loader, the only importer file that includes sqlite3.h.
 *
 * One transaction for the whole load, one prepared INSERT per table, journal and
 * fsync off (the file is a temporary that is renamed only when complete); indexes,
 * ANALYZE and views come after the load. Must never interpret trace data.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "imp_array.h"
#include "imp_clock.h"
#include "imp_db.h"
#include "imp_error.h"
#include "imp_sql.h"
#include "imp_writer.h"

/* Rows of the tables a load sends most rows to (blocks; the stack tree's nodes: 9.4 M rows
 * for a program with 2 M distinct stacks) go in by IMP_DB_BATCH per statement: one
 * sqlite3_step for 32 rows instead of 32 was measured 1.45x faster here. Their values are
 * copied (text into short fixed slots), since callers' text is only borrowed. */
#define IMP_DB_BATCH 32
#define IMP_DB_BATCHED 2
static const enum imp_table imp_db_batched[IMP_DB_BATCHED] = {IMP_T_BLOCK, IMP_T_STACK_NODE};
#define IMP_DB_TEXT_SLOT 32
#define IMP_DB_RUN_CACHE 16

struct imp_db {
    sqlite3 *sql;
    sqlite3_stmt *insert[IMP_T_COUNT];
    imp_db_rows_t *batched[IMP_DB_BATCHED]; /* the rows of imp_db_batched[b] */
    imp_writer_t *writer; /* applies the rows on a second thread during the load */
    double insert_s, wait_s;
    int in_load;
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } run_cache[IMP_DB_RUN_CACHE];
};

struct imp_db_rows {
    imp_db_t *db;
    sqlite3_stmt *batch, *one;
    int ncols, nrows;
    int new_ids;                     /* IMP_DB_ROWS_NEW_IDS */
    int64_t last_id;                 /* then: the largest id sent, which SQLite's next is above */
    imp_value_t *vals;               /* IMP_DB_BATCH rows */
    char (*slots)[IMP_DB_TEXT_SLOT]; /* a text copy per value; longer ones malloc'ed */
};

static const struct {
    const char *name;
    int columns;
} imp_table_descs[IMP_T_COUNT] = {
#define IMP_TABLE_DESC(id, name, cols) {name, cols},
    IMP_TABLES(IMP_TABLE_DESC)
#undef IMP_TABLE_DESC
};

static int imp_db_insert(void *ctx, enum imp_table t, const imp_value_t *vals);
static void imp_db_drop_cache(imp_db_t *db);

/* The page cache is small on purpose: the load appends, and the passes after it read
 * each table once, so a larger cache is only memory touched for the first time (the
 * 400,000-block import of bench_workload: 0.61 s with 8 MiB, 0.67 s with 32 MiB; no
 * trace measured imported slower). 128 pages of 64 KiB still hold every table's path
 * from root to its last leaf while rows go to a dozen tables at once. */
static const char imp_load_pragmas[] = "PRAGMA journal_mode = OFF;"
                                       "PRAGMA synchronous = OFF;"
                                       "PRAGMA locking_mode = EXCLUSIVE;"
                                       "PRAGMA cache_size = -8192;"
                                       "PRAGMA threads = 2;";

static int imp_db_fail(imp_db_t *db, char *msg, size_t msg_len, const char *what)
{
    int sys = db->sql ? sqlite3_system_errno(db->sql) : 0; /* the reason behind an I/O error */
    if (msg)
        snprintf(msg, msg_len, "%s: %s%s%s", what, sqlite3_errmsg(db->sql), sys ? ": " : "",
                 sys ? strerror(sys) : "");
    return IMP_EDB;
}

/* Applies the embedded schema files whose number is in [from, to). */
static int imp_db_apply(imp_db_t *db, int from, int to, char *msg, size_t msg_len)
{
    for (int i = 0; i < imp_sql_file_count; i++) {
        int number = atoi(imp_sql_files[i].name);
        if (number < from || number >= to)
            continue;
        if (sqlite3_exec(db->sql, imp_sql_files[i].text, NULL, NULL, NULL) != SQLITE_OK)
            return imp_db_fail(db, msg, msg_len, imp_sql_files[i].name);
    }
    return 0;
}

static sqlite3_stmt *imp_db_rows_stmt(imp_db_t *db, const char *table, int ncols, int rows);

static int imp_db_prepare_inserts(imp_db_t *db, char *msg, size_t msg_len)
{
    for (int t = 0; t < IMP_T_COUNT; t++) {
        db->insert[t] =
            imp_db_rows_stmt(db, imp_table_descs[t].name, imp_table_descs[t].columns, 1);
        if (!db->insert[t] && sqlite3_errcode(db->sql) != SQLITE_OK)
            return imp_db_fail(db, msg, msg_len, imp_table_descs[t].name);
        if (!db->insert[t]) {
            if (msg)
                snprintf(msg, msg_len, "%s: out of memory", imp_table_descs[t].name);
            return IMP_ENOMEM;
        }
    }
    for (int b = 0; b < IMP_DB_BATCHED; b++) {
        enum imp_table t = imp_db_batched[b];
        db->batched[b] = imp_db_rows_open(db, imp_table_descs[t].name, imp_table_descs[t].columns,
                                          IMP_DB_ROWS_NEW_IDS);
        if (!db->batched[b] && sqlite3_errcode(db->sql) != SQLITE_OK)
            return imp_db_fail(db, msg, msg_len, "batched insert");
        if (!db->batched[b]) {
            if (msg)
                snprintf(msg, msg_len, "batched insert: out of memory");
            return IMP_ENOMEM;
        }
    }
    return 0;
}

/* Pages of the cache (imp_load_pragmas' cache_size: 8 MiB of sql/00-pragmas.sql's 64 KiB
 * pages), each with room for SQLite's header. The cache is configured before the first
 * connection, so before the page size is known: a larger page size there would leave
 * these slots unused (SQLite then takes every page from malloc), never break a load. */
#define IMP_DB_PAGE_SLOT (65536 + 512)
#define IMP_DB_PAGE_SLOTS 136

/* Gives SQLite's page cache one piece of huge-page memory (imp_huge), once per process and
 * kept for its life: touched a 4 KiB page at a time, the cache cost an import of 400,000
 * blocks 2,000 page faults. Refused, like MEMSTATUS, once SQLite is initialized; pages
 * beyond it come from malloc as before. */
static void imp_db_page_memory(void)
{
    static void *slots;
    if (slots)
        return;
    slots = imp_calloc_big(IMP_DB_PAGE_SLOTS, IMP_DB_PAGE_SLOT);
    if (slots && sqlite3_config(SQLITE_CONFIG_PAGECACHE, slots, IMP_DB_PAGE_SLOT,
                                IMP_DB_PAGE_SLOTS) != SQLITE_OK) {
        free(slots);
        slots = NULL;
    }
}

int imp_db_create(const char *path, int threads, imp_db_t **out, char *msg, size_t msg_len)
{
    imp_db_t *db = calloc(1, sizeof *db);
    if (!db)
        return IMP_ENOMEM;
    /* No memory statistics: they take a mutex on every allocation. Refused (harmless)
     * when SQLite was already initialized by another part of the program. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    imp_db_page_memory();
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &db->sql, flags, NULL) ? IMP_EDB : 0;
    if (rc)
        rc = imp_db_fail(db, msg, msg_len, path);
    /* The page size first: a cache size in KiB is turned into pages when it is set. */
    if (!rc)
        rc = imp_db_apply(db, 0, 10, msg, msg_len);
    if (!rc && sqlite3_exec(db->sql, imp_load_pragmas, NULL, NULL, NULL))
        rc = imp_db_fail(db, msg, msg_len, "pragmas");
    /* The tables in the load's transaction: one statement at a time, each CREATE would
     * be a transaction of its own, its pages written at its commit. */
    if (!rc && sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL))
        rc = imp_db_fail(db, msg, msg_len, "begin");
    if (!rc)
        rc = imp_db_apply(db, 10, IMP_SQL_AFTER_LOAD, msg, msg_len);
    if (!rc)
        rc = imp_db_prepare_inserts(db, msg, msg_len);
    if (!rc && threads > 1 && (rc = imp_writer_start(&db->writer, imp_db_insert, db)) && msg)
        snprintf(msg, msg_len, "cannot start the writer thread");
    if (rc) {
        imp_db_close(db);
        return rc;
    }
    db->in_load = 1;
    *out = db;
    return 0;
}

static void imp_db_bind(sqlite3_stmt *st, int col, const imp_value_t *v)
{
    if (v->type == IMP_V_INT)
        sqlite3_bind_int64(st, col, v->i);
    else if (v->type == IMP_V_TEXT)
        sqlite3_bind_text(st, col, v->s, v->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

static int imp_db_insert_one(imp_db_t *db, enum imp_table t, const imp_value_t *vals)
{
    sqlite3_stmt *st = db->insert[t];
    for (int c = 0; c < imp_table_descs[t].columns; c++)
        imp_db_bind(st, c + 1, &vals[c]);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : IMP_EDB;
}

static int imp_db_flush_all(imp_db_t *db)
{
    int rc = 0;
    for (int b = 0; b < IMP_DB_BATCHED; b++) {
        rc = imp_db_rows_close(db->batched[b], rc);
        db->batched[b] = NULL;
    }
    return rc;
}

/* Runs on the writer thread when there is one. */
static int imp_db_insert(void *ctx, enum imp_table t, const imp_value_t *vals)
{
    imp_db_t *db = ctx;
    for (int b = 0; b < IMP_DB_BATCHED; b++)
        if (imp_db_batched[b] == t)
            return imp_db_rows_add(db->batched[b], vals);
    return imp_db_insert_one(db, t, vals);
}

int imp_db_put(imp_db_t *db, enum imp_table t, const imp_value_t *vals)
{
    if (db->writer)
        return imp_writer_put(db->writer, t, imp_table_descs[t].columns, vals);
    double t0 = imp_clock_now_s();
    int rc = imp_db_insert(db, t, vals);
    double spent = imp_clock_now_s() - t0;
    db->insert_s += spent;
    db->wait_s += spent; /* without a writer thread the import waits for every insert */
    return rc;
}

/* Waits for the writer thread to apply everything and ends it, then writes the rows
 * still waiting for a full batch. */
static int imp_db_stop_writer(imp_db_t *db)
{
    if (!db->writer)
        return imp_db_flush_all(db);
    double busy, wait;
    int rc = imp_writer_stop(db->writer, &busy, &wait);
    db->writer = NULL;
    db->insert_s += busy, db->wait_s += wait;
    return rc ? rc : imp_db_flush_all(db);
}

int imp_db_end_load(imp_db_t *db)
{
    int rc = imp_db_stop_writer(db);
    if (rc)
        return rc;
    for (int t = 0; t < IMP_T_COUNT; t++) {
        sqlite3_finalize(db->insert[t]);
        db->insert[t] = NULL;
    }
    if (sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL))
        return IMP_EDB;
    db->in_load = 0;
    return sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL) ? IMP_EDB : 0;
}

int imp_db_apply_files(imp_db_t *db, int from, int to)
{
    imp_db_drop_cache(db);
    return imp_db_apply(db, from, to, NULL, 0);
}

int imp_db_exec(imp_db_t *db, const char *sql)
{
    imp_db_drop_cache(db);
    return sqlite3_exec(db->sql, sql, NULL, NULL, NULL) ? IMP_EDB : 0;
}

int imp_db_end(imp_db_t *db)
{
    imp_db_drop_cache(db);
    return sqlite3_exec(db->sql, "PRAGMA analysis_limit = 1000; ANALYZE; COMMIT", NULL, NULL,
                        NULL)
               ? IMP_EDB
               : 0;
}

static void imp_db_value(sqlite3_stmt *st, int col, imp_value_t *v)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        *v = imp_v_null();
        break;
    case SQLITE_TEXT:
        *v = imp_v_text((const char *)sqlite3_column_text(st, col));
        break;
    case SQLITE_FLOAT: /* truncated: callers scale REAL values in SQL first */
        *v = imp_v_int((int64_t)sqlite3_column_double(st, col));
        break;
    default:
        *v = imp_v_int(sqlite3_column_int64(st, col));
    }
}

int imp_db_scan(imp_db_t *db, const char *sql, imp_db_row_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL))
        return IMP_EDB;
    int ncols = sqlite3_column_count(st), rc = 0, step;
    imp_value_t cols[IMP_MAX_COLUMNS];
    if (ncols > IMP_MAX_COLUMNS)
        ncols = IMP_MAX_COLUMNS;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < ncols; c++)
            imp_db_value(st, c, &cols[c]);
        rc = fn(ctx, cols, ncols);
    }
    if (!rc && step != SQLITE_DONE)
        rc = IMP_EDB;
    sqlite3_finalize(st);
    return rc;
}

static int imp_db_int_row(void *ctx, const imp_value_t *cols, int ncols)
{
    *(int64_t *)ctx = ncols > 0 && cols[0].type == IMP_V_INT ? cols[0].i : 0;
    return 0;
}

int imp_db_scan_int(imp_db_t *db, const char *sql, int64_t *out)
{
    *out = 0;
    return imp_db_scan(db, sql, imp_db_int_row, out);
}

static sqlite3_stmt *imp_db_cached(imp_db_t *db, const char *sql)
{
    for (int i = 0; i < IMP_DB_RUN_CACHE; i++)
        if (db->run_cache[i].sql == sql)
            return db->run_cache[i].st;
    for (int i = 0; i < IMP_DB_RUN_CACHE; i++) {
        if (db->run_cache[i].sql)
            continue;
        if (sqlite3_prepare_v2(db->sql, sql, -1, &db->run_cache[i].st, NULL))
            return NULL;
        db->run_cache[i].sql = sql;
        return db->run_cache[i].st;
    }
    return NULL;
}

int imp_db_run(imp_db_t *db, const char *sql, const imp_value_t *vals, int n)
{
    sqlite3_stmt *st = imp_db_cached(db, sql);
    if (!st)
        return IMP_EDB;
    for (int c = 0; c < n; c++)
        imp_db_bind(st, c + 1, &vals[c]);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : IMP_EDB;
}

/* "INSERT INTO table VALUES(?,...)" with rows rows of ncols values, prepared to be kept
 * (NULL when out of memory or refused). */
static sqlite3_stmt *imp_db_rows_stmt(imp_db_t *db, const char *table, int ncols, int rows)
{
    size_t cap = strlen(table) + 32 + (size_t)rows * ((size_t)ncols * 2 + 3);
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    size_t n = (size_t)snprintf(sql, cap, "INSERT INTO %s VALUES", table);
    for (int r = 0; r < rows; r++) {
        n += (size_t)snprintf(sql + n, cap - n, "%s(?", r ? "," : "");
        for (int c = 1; c < ncols; c++)
            n += (size_t)snprintf(sql + n, cap - n, ",?");
        n += (size_t)snprintf(sql + n, cap - n, ")");
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        st = NULL;
    }
    free(sql);
    return st;
}

imp_db_rows_t *imp_db_rows_open(imp_db_t *db, const char *table, int ncols, int flags)
{
    imp_db_rows_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->db = db, r->ncols = ncols, r->new_ids = flags & IMP_DB_ROWS_NEW_IDS;
    r->vals = calloc((size_t)IMP_DB_BATCH * (size_t)ncols, sizeof *r->vals);
    r->slots = calloc((size_t)IMP_DB_BATCH * (size_t)ncols, sizeof *r->slots);
    r->batch = imp_db_rows_stmt(db, table, ncols, IMP_DB_BATCH);
    r->one = imp_db_rows_stmt(db, table, ncols, 1);
    if (!r->vals || !r->slots || !r->batch || !r->one) {
        imp_db_rows_close(r, IMP_EDB);
        return NULL;
    }
    return r;
}

static void imp_db_rows_drop_text(imp_db_rows_t *r)
{
    for (int i = 0; i < r->nrows * r->ncols; i++)
        if (r->vals[i].type == IMP_V_TEXT && r->vals[i].s != r->slots[i])
            free((char *)r->vals[i].s);
    r->nrows = 0;
}

/* The rows held: all at once when the batch is full, else one by one (the last ones). */
static int imp_db_rows_send(imp_db_rows_t *r)
{
    int full = r->nrows == IMP_DB_BATCH, rc = 0;
    sqlite3_stmt *st = full ? r->batch : r->one;
    for (int row = 0; !rc && row < r->nrows; row++) {
        for (int c = 0; c < r->ncols; c++)
            imp_db_bind(st, (full ? row * r->ncols : 0) + c + 1, &r->vals[row * r->ncols + c]);
        if (full && row < r->nrows - 1)
            continue;
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : IMP_EDB;
        sqlite3_reset(st);
    }
    imp_db_rows_drop_text(r);
    return rc;
}

int imp_db_rows_add(imp_db_rows_t *r, const imp_value_t *vals)
{
    int at = r->nrows++ * r->ncols;
    imp_value_t *to = &r->vals[at];
    for (int c = 0; c < r->ncols; c++)
        to[c] = vals[c].type == IMP_V_TEXT ? imp_v_null() : vals[c];
    if (r->new_ids && vals[0].type == IMP_V_INT) {
        if (vals[0].i == r->last_id + 1)
            to[0] = imp_v_null(); /* SQLite's next rowid: the same id */
        if (vals[0].i > r->last_id)
            r->last_id = vals[0].i;
    }
    for (int c = 0; c < r->ncols; c++) {
        if (vals[c].type != IMP_V_TEXT)
            continue;
        size_t len = vals[c].len >= 0 ? (size_t)vals[c].len : strlen(vals[c].s);
        char *copy = len < IMP_DB_TEXT_SLOT ? r->slots[at + c] : malloc(len + 1);
        if (!copy)
            return IMP_ENOMEM; /* the copies made are freed with the others */
        memcpy(copy, vals[c].s, len);
        copy[len] = '\0';
        to[c] = vals[c], to[c].s = copy, to[c].len = (int32_t)len;
    }
    return r->nrows == IMP_DB_BATCH ? imp_db_rows_send(r) : 0;
}

int imp_db_rows_close(imp_db_rows_t *r, int rc)
{
    if (!r)
        return rc ? rc : IMP_ENOMEM;
    if (!rc && r->nrows)
        rc = imp_db_rows_send(r);
    imp_db_rows_drop_text(r);
    sqlite3_finalize(r->batch), sqlite3_finalize(r->one);
    free(r->vals), free(r->slots), free(r);
    return rc;
}

static void imp_db_drop_cache(imp_db_t *db)
{
    for (int i = 0; i < IMP_DB_RUN_CACHE; i++) {
        sqlite3_finalize(db->run_cache[i].st);
        db->run_cache[i].sql = NULL, db->run_cache[i].st = NULL;
    }
}

void imp_db_close(imp_db_t *db)
{
    if (!db)
        return;
    imp_db_drop_cache(db);
    imp_db_stop_writer(db);
    for (int t = 0; t < IMP_T_COUNT; t++)
        sqlite3_finalize(db->insert[t]);
    for (int b = 0; b < IMP_DB_BATCHED; b++)
        imp_db_rows_close(db->batched[b], IMP_EDB); /* an unfinished load: dropped */
    sqlite3_close(db->sql);
    free(db);
}

void imp_db_interrupt(imp_db_t *db)
{
    if (db && db->sql)
        sqlite3_interrupt(db->sql);
}

double imp_db_insert_seconds(const imp_db_t *db)
{
    return db->insert_s;
}

double imp_db_wait_seconds(const imp_db_t *db)
{
    return db->writer ? imp_writer_wait_seconds(db->writer) : db->wait_s;
}

const char *imp_db_errmsg(const imp_db_t *db)
{
    return sqlite3_errmsg(db->sql);
}
