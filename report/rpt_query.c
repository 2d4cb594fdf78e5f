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

/* The table fits this many columns: the widest cells wrap onto more lines (at blanks)
 * instead of being cut, so a suggestion or an evidence is always read whole. */
#define RPT_QUERY_WIDTH 100
/* A column never narrows below this, so a table of many columns may stay wider. */
#define RPT_QUERY_MIN_COLUMN 12
#define RPT_QUERY_MAX_COLUMNS 64
#define RPT_QUERY_GAP 2

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

/* The longest run of non-blanks in s: a column that wraps never breaks a word. */
static int rpt_longest_word(const char *s)
{
    int longest = 0, run = 0;
    for (; *s; s++) {
        run = *s == ' ' ? 0 : run + 1;
        if (run > longest)
            longest = run;
    }
    return longest;
}

/* Narrows the widest column that holds sentences (cells with blanks), a step at a time,
 * until the table fits or no such column can narrow without breaking a word. Names,
 * numbers and locations are never broken: a table of many of them may stay wider. */
static void rpt_table_fit(const rpt_table_t *t, int *widths, int ncol)
{
    int floor[RPT_QUERY_MAX_COLUMNS], total = RPT_QUERY_GAP * (ncol - 1);
    for (int c = 0; c < ncol; c++) {
        floor[c] = widths[c], total += widths[c];
        int words = 0, has_blank = 0;
        for (size_t i = (size_t)c; i < t->count; i += (size_t)t->columns) {
            int w = rpt_longest_word(t->cells[i]);
            words = w > words ? w : words;
            has_blank |= i >= (size_t)t->columns && strchr(t->cells[i], ' ') != NULL;
        }
        if (has_blank)
            floor[c] = words > RPT_QUERY_MIN_COLUMN ? words : RPT_QUERY_MIN_COLUMN;
    }
    while (total > RPT_QUERY_WIDTH) {
        int widest = -1;
        for (int c = 0; c < ncol; c++)
            if (widths[c] > floor[c] && (widest < 0 || widths[c] > widths[widest]))
                widest = c;
        if (widest < 0)
            break;
        widths[widest]--, total--;
    }
}

/* How much of s goes on one line of the given width: up to the last blank that fits,
 * or the whole width when a word is longer than the line. */
static int rpt_cell_line(const char *s, int width)
{
    int len = (int)strlen(s);
    if (len <= width)
        return len;
    for (int cut = width; cut > 0; cut--)
        if (s[cut] == ' ')
            return cut;
    return width;
}

static const char *rpt_cell_skip_blanks(const char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

/* One row, on as many lines as its tallest wrapped cell needs; no trailing blanks. */
static void rpt_table_row(char *const *cells, const int *widths, int ncol, FILE *out)
{
    const char *rest[RPT_QUERY_MAX_COLUMNS];
    for (int c = 0; c < ncol; c++)
        rest[c] = cells[c];
    for (int more = 1; more;) {
        more = 0;
        int pending = 0; /* blanks owed before the next non-empty piece */
        for (int c = 0; c < ncol; c++) {
            int n = rpt_cell_line(rest[c], widths[c]);
            if (n) {
                fprintf(out, "%*s%.*s", pending, "", n, rest[c]);
                pending = 0;
            }
            pending += widths[c] - n + (c + 1 < ncol ? RPT_QUERY_GAP : 0);
            rest[c] = rpt_cell_skip_blanks(rest[c] + n);
            more |= *rest[c] != 0;
        }
        fputc('\n', out);
    }
}

static void rpt_table_print(const rpt_table_t *t, FILE *out)
{
    int widths[RPT_QUERY_MAX_COLUMNS] = {0};
    int ncol = t->columns < RPT_QUERY_MAX_COLUMNS ? t->columns : RPT_QUERY_MAX_COLUMNS;
    for (size_t i = 0; i < t->count; i++) {
        int c = (int)(i % (size_t)t->columns), len = (int)strlen(t->cells[i]);
        if (c < ncol && len > widths[c])
            widths[c] = len;
    }
    for (int c = 0; c < ncol; c++)
        if (widths[c] == 0)
            widths[c] = 1;
    rpt_table_fit(t, widths, ncol);
    for (size_t row = 0; row * (size_t)t->columns < t->count; row++) {
        rpt_table_row(t->cells + row * (size_t)t->columns, widths, ncol, out);
        if (row == 0) { /* the rule under the header, as the sqlite3 shell draws it */
            for (int c = 0; c < ncol; c++)
                fprintf(out, "%s%.*s", c ? "  " : "", widths[c],
                        "------------------------------------------------------------------"
                        "------------------------------------------------------------------");
            fputc('\n', out);
        }
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
