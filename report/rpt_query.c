/* rpt_query.c: runs SQL text from the user or a bundled query and prints its rows as
 * aligned columns (`mtdb query`).
 *
 * sqlite3 shell dot-commands (.headers, .mode) are skipped; @parameters are left NULL, so
 * a query's coalesce(@name, default) applies. Read-only: the database was opened so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_report.h"

#define RPT_QUERY_CELL_MAX 60

typedef struct rpt_table {
    char **cells; /* rows * columns, row 0 the header */
    size_t count, cap;
    int columns;
} rpt_table_t;

static int rpt_table_add(rpt_table_t *t, const char *s)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        char **cells = realloc(t->cells, cap * sizeof *cells);
        if (!cells)
            return RPT_E_NOMEM;
        t->cells = cells, t->cap = cap;
    }
    return (t->cells[t->count++] = strdup(s)) ? RPT_OK : RPT_E_NOMEM;
}

static void rpt_table_print(const rpt_table_t *t, FILE *out)
{
    int widths[64] = {0};
    int ncol = t->columns < 64 ? t->columns : 64;
    for (size_t i = 0; i < t->count; i++) {
        int c = (int)(i % (size_t)t->columns), len = (int)strlen(t->cells[i]);
        if (c < ncol && len > widths[c])
            widths[c] = len > RPT_QUERY_CELL_MAX ? RPT_QUERY_CELL_MAX : len;
    }
    for (size_t i = 0; i < t->count; i++) {
        int c = (int)(i % (size_t)t->columns), last = c == t->columns - 1;
        int w = c < ncol ? widths[c] : 0;
        if (last)
            fprintf(out, "%.*s\n", RPT_QUERY_CELL_MAX, t->cells[i]);
        else
            fprintf(out, "%-*.*s  ", w, w, t->cells[i]);
    }
}

static void rpt_table_free(rpt_table_t *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->cells[i]);
    free(t->cells);
}

/* One statement's rows into a table, printed when done. */
static int rpt_query_statement(rpt_rows_t *rows, FILE *out)
{
    rpt_table_t t = {.columns = rpt_rows_count(rows)};
    int rc = RPT_OK;
    if (t.columns == 0) { /* a statement without rows (a PRAGMA, CREATE TEMP) */
        while ((rc = rpt_rows_next(rows)) == 1)
            ;
        return rc;
    }
    for (int c = 0; c < t.columns && rc == RPT_OK; c++)
        rc = rpt_table_add(&t, rpt_rows_name(rows, c));
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        rc = RPT_OK;
        for (int c = 0; c < t.columns && rc == RPT_OK; c++)
            rc =
                rpt_table_add(&t, rpt_rows_type(rows, c) == RPT_NULL ? "" : rpt_rows_text(rows, c));
    }
    if (rc == RPT_OK)
        rpt_table_print(&t, out);
    rpt_table_free(&t);
    return rc;
}

/* The SQL without the shell's dot-command lines. */
static char *rpt_strip_dot_commands(const char *sql)
{
    char *copy = malloc(strlen(sql) + 1), *w = copy;
    if (!copy)
        return NULL;
    for (const char *line = sql; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        if (line[0] != '.') {
            memcpy(w, line, len);
            w += len;
        }
        line += len;
    }
    *w = 0;
    return copy;
}

int rpt_run_sql(rpt_db_t *db, const char *sql, FILE *out)
{
    char *script = rpt_strip_dot_commands(sql);
    if (!script)
        return rpt_db_fail(db, RPT_E_NOMEM, "out of memory");
    const char *next = script;
    int rc = RPT_OK, statements = 0;
    for (;;) {
        rpt_rows_t *rows;
        rc = rpt_rows_open_next(db, &next, &rows);
        if (rc != RPT_OK || !rows)
            break;
        if (statements++ && rpt_rows_count(rows))
            fputc('\n', out);
        rc = rpt_query_statement(rows, out);
        rpt_rows_close(rows);
        if (rc < 0)
            break;
    }
    free(script);
    return rc < 0 ? rc : RPT_OK;
}
