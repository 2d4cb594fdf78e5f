/* rpt_diff.c: `mtdb diff BASE NEW`: what grew, shrank, appeared and vanished between two
 * runs, by user site matched by function and file (never by address: builds move code).
 *
 * Figures are the analysis views of each database, keyed by user site (stack_sites:
 * class, site, location): site_totals (calls, bytes, blocks live at exit, temporaries)
 * and peak (bytes live at the peak), plus the summary totals. User sites come first,
 * runtime and unknown ones apart after them. NEW is attached read-only to BASE's
 * connection. Writes only to out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_db.h"
#include "rpt_report.h"

#define RPT_DIFF_DEFAULT_ROWS 20
#define RPT_DIFF_METRICS 7

/* JSON keys, in the column order of the queries below. */
static const char *const rpt_diff_metric_names[RPT_DIFF_METRICS] = {
    "calls", "bytes", "leaked_blocks", "leaked_bytes", "peak_bytes", "temporaries",
    "temporary_bytes"};
static const rpt_fmt_t rpt_diff_metric_fmts[RPT_DIFF_METRICS] = {
    RPT_F_COUNT, RPT_F_BYTES, RPT_F_COUNT, RPT_F_BYTES, RPT_F_BYTES, RPT_F_COUNT, RPT_F_BYTES};
/* The views each side needs; an older import without them gets a clear error. */
static const char *const rpt_diff_views[] = {"site_totals", "peak", "summary"};

/* One row per (site, file) of one side; file is the location without its line, so a
 * moved line still matches. The class is the one of the site's first row by class order
 * (a bare column next to min() takes that row's value in SQLite). */
#define RPT_DIFF_FILE "coalesce(rtrim(rtrim(location, '0123456789'), ':'), '') AS file"
#define RPT_DIFF_SIDE(S)                                                                           \
    "SELECT site, file, class, min(class_order) AS class_order, sum(calls) AS calls, "             \
    "sum(bytes) AS bytes, sum(leaked_blocks) AS leaked_blocks, "                                   \
    "sum(leaked_bytes) AS leaked_bytes, sum(peak) AS peak, sum(temps) AS temps, "                  \
    "sum(temp_bytes) AS temp_bytes FROM ("                                                         \
    "SELECT site, " RPT_DIFF_FILE ", class, class_order, blocks AS calls, bytes, "                 \
    "live_blocks AS leaked_blocks, live_bytes AS leaked_bytes, 0 AS peak, "                        \
    "temp_blocks AS temps, temp_bytes FROM " S ".site_totals UNION ALL "                           \
    "SELECT site, " RPT_DIFF_FILE ", class, class_order, 0, 0, 0, 0, bytes, 0, 0 FROM " S          \
    ".peak) GROUP BY site, file"
#define RPT_DIFF_DELTA(m) "abs(coalesce(n." m ", 0) - coalesce(b." m ", 0))"

static const char rpt_diff_sites_sql[] =
    "WITH b AS (" RPT_DIFF_SIDE("main") "), n AS (" RPT_DIFF_SIDE("new") ") "
    "SELECT coalesce(n.site, b.site), coalesce(n.file, b.file), coalesce(n.class, b.class), "
    "coalesce(n.class_order, b.class_order) AS class_order, "
    "b.calls, b.bytes, b.leaked_blocks, b.leaked_bytes, b.peak, b.temps, b.temp_bytes, "
    "n.calls, n.bytes, n.leaked_blocks, n.leaked_bytes, n.peak, n.temps, n.temp_bytes "
    "FROM b FULL JOIN n ON b.site = n.site AND b.file = n.file "
    "ORDER BY class_order, " RPT_DIFF_DELTA("leaked_bytes") " + " RPT_DIFF_DELTA("peak") " + "
    RPT_DIFF_DELTA("bytes") " DESC, " RPT_DIFF_DELTA("calls") " + " RPT_DIFF_DELTA("temps")
    " DESC, 1, 2";
#define RPT_DIFF_COL_BASE 4
#define RPT_DIFF_COL_NEW (RPT_DIFF_COL_BASE + RPT_DIFF_METRICS)

#define RPT_DIFF_TOTALS(S)                                                                         \
    "(SELECT coalesce(sum(alloc_calls), 0), coalesce(sum(bytes_allocated), 0), "                   \
    "coalesce(sum(live_blocks_at_exit), 0), coalesce(sum(live_bytes_at_exit), 0), "                \
    "coalesce(max(peak_live_bytes), 0) FROM " S ".summary) JOIN "                                  \
    "(SELECT coalesce(sum(temp_blocks), 0), coalesce(sum(temp_bytes), 0) FROM " S ".site_totals)"
static const char rpt_diff_totals_sql[] =
    "SELECT * FROM " RPT_DIFF_TOTALS("main") " JOIN " RPT_DIFF_TOTALS("new");

typedef struct rpt_diff_site {
    const char *status;
    int has_base, has_new;
    long long base[RPT_DIFF_METRICS], next[RPT_DIFF_METRICS];
} rpt_diff_site_t;

static void rpt_diff_read(rpt_rows_t *rows, rpt_diff_site_t *d)
{
    d->has_base = rpt_rows_type(rows, RPT_DIFF_COL_BASE) != RPT_NULL;
    d->has_new = rpt_rows_type(rows, RPT_DIFF_COL_NEW) != RPT_NULL;
    int grew = 0, shrank = 0;
    for (int m = 0; m < RPT_DIFF_METRICS; m++) {
        d->base[m] = rpt_rows_int(rows, RPT_DIFF_COL_BASE + m);
        d->next[m] = rpt_rows_int(rows, RPT_DIFF_COL_NEW + m);
        grew |= d->next[m] > d->base[m];
        shrank |= d->next[m] < d->base[m];
    }
    d->status = !d->has_base     ? "appeared"
                : !d->has_new    ? "vanished"
                : grew && shrank ? "changed"
                : grew           ? "grew"
                : shrank         ? "shrank"
                                 : "unchanged";
}

/* "+1.5 KiB", "-3", "0" */
static void rpt_diff_signed(long long delta, rpt_fmt_t fmt, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB"};
    double v = (double)(delta < 0 ? -delta : delta);
    int u = 0;
    while (fmt == RPT_F_BYTES && u < 3 && v >= 1024)
        v /= 1024, u++;
    const char *sign = delta > 0 ? "+" : delta < 0 ? "-" : "";
    if (fmt != RPT_F_BYTES)
        snprintf(buf, len, "%s%lld", sign, delta < 0 ? -delta : delta);
    else if (u == 0)
        snprintf(buf, len, "%s%.0f B", sign, v);
    else
        snprintf(buf, len, "%s%.1f %s", sign, v, units[u]);
}

static void rpt_diff_text_totals(rpt_rows_t *t, FILE *out)
{
    static const char *const what[RPT_DIFF_METRICS] = {
        "allocations",     "bytes allocated", "leaked blocks",  "leaked bytes",
        "peak live bytes", "temporaries",     "temporary bytes"};
    fprintf(out, "  %-18s %14s %14s %14s\n", "", "base", "new", "change");
    for (int m = 0; m < RPT_DIFF_METRICS; m++) {
        char b[64], n[64], d[64];
        rpt_format_value(t, m, rpt_diff_metric_fmts[m], b, sizeof b);
        rpt_format_value(t, RPT_DIFF_METRICS + m, rpt_diff_metric_fmts[m], n, sizeof n);
        rpt_diff_signed(rpt_rows_int(t, RPT_DIFF_METRICS + m) - rpt_rows_int(t, m),
                        rpt_diff_metric_fmts[m], d, sizeof d);
        fprintf(out, "  %-18s %14s %14s %14s\n", what[m], b, n, d);
    }
}

/* The text table's columns: every metric but temporary_bytes (in the JSON). */
#define RPT_DIFF_TEXT_METRICS 6
/* Bytes columns hold "+999.9 KiB" with a blank before it; with the status and the site,
 * a row fits 100 columns. */
static const int rpt_diff_text_widths[RPT_DIFF_TEXT_METRICS] = {7, 11, 5, 11, 11, 6};
#define RPT_DIFF_SITE_WIDTH 30

static void rpt_diff_text_header(const char *title, FILE *out)
{
    static const char *const heads[RPT_DIFF_TEXT_METRICS] = {"calls", "bytes", "leaks",
                                                             "leaked", "peak", "temps"};
    fprintf(out, "\n%s\n  %-8s", title, "status");
    for (int m = 0; m < RPT_DIFF_TEXT_METRICS; m++)
        fprintf(out, " %*s", rpt_diff_text_widths[m], heads[m]);
    fputs("  site (file)\n", out);
}

static void rpt_diff_text_site(const rpt_diff_site_t *d, const char *site, const char *file,
                               FILE *out)
{
    fprintf(out, "  %-8s", d->status);
    for (int m = 0; m < RPT_DIFF_TEXT_METRICS; m++) {
        char buf[64];
        rpt_diff_signed(d->next[m] - d->base[m], rpt_diff_metric_fmts[m], buf, sizeof buf);
        fprintf(out, " %*s", rpt_diff_text_widths[m], buf);
    }
    char where[512];
    const char *base = strrchr(file, '/'); /* the file name: the JSON has the whole path */
    snprintf(where, sizeof where, *file ? "%s (%s)" : "%s", site, base ? base + 1 : file);
    fprintf(out, "  %.*s%s\n", RPT_DIFF_SITE_WIDTH, where,
            strlen(where) > RPT_DIFF_SITE_WIDTH ? "~" : "");
}

static void rpt_diff_json_site(const rpt_diff_site_t *d, rpt_rows_t *rows, FILE *out, int first)
{
    fputs(first ? "\n    {\"site\": " : ",\n    {\"site\": ", out);
    rpt_json_string(out, rpt_rows_text(rows, 0));
    fputs(", \"file\": ", out);
    rpt_json_string(out, rpt_rows_text(rows, 1));
    fputs(", \"class\": ", out);
    rpt_json_string(out, rpt_rows_text(rows, 2));
    fprintf(out, ", \"status\": \"%s\"", d->status);
    const long long *sides[2] = {d->base, d->next};
    const int present[2] = {d->has_base, d->has_new};
    for (int s = 0; s < 2; s++) {
        fprintf(out, ", \"%s\": ", s ? "new" : "base");
        if (!present[s]) {
            fputs("null", out);
            continue;
        }
        for (int m = 0; m < RPT_DIFF_METRICS; m++)
            fprintf(out, "%s\"%s\": %lld", m ? ", " : "{", rpt_diff_metric_names[m], sides[s][m]);
        fputc('}', out);
    }
    fputc('}', out);
}

static int rpt_diff_sites(rpt_db_t *db, int json, int rows_max, FILE *out)
{
    rpt_rows_t *rows;
    int rc = rpt_rows_open(db, rpt_diff_sites_sql, &rows), shown = 0, unchanged = 0;
    int runtime_titled = 0;
    if (rc != RPT_OK)
        return rc;
    if (!json)
        rpt_diff_text_header("User sites", out);
    while ((rc = rpt_rows_next(rows)) == 1) {
        rpt_diff_site_t d;
        rpt_diff_read(rows, &d);
        if (strcmp(d.status, "unchanged") == 0) {
            unchanged++;
            continue;
        }
        if (rows_max > 0 && shown >= rows_max)
            continue;
        if (json) {
            rpt_diff_json_site(&d, rows, out, !shown);
        } else {
            /* runtime and unknown sites apart: the user's own code first */
            if (rpt_rows_int(rows, 3) > 0 && !runtime_titled++)
                rpt_diff_text_header("Runtime and unknown sites", out);
            rpt_diff_text_site(&d, rpt_rows_text(rows, 0), rpt_rows_text(rows, 1), out);
        }
        shown++;
    }
    rpt_rows_close(rows);
    if (json)
        fprintf(out, "],\n  \"unchanged_sites\": %d}\n", unchanged);
    else
        fprintf(out, "%s\n  %d site(s) unchanged\n", shown ? "" : "  (no site changed)\n",
                unchanged);
    return rc < 0 ? rc : RPT_OK;
}

static int rpt_diff_totals(rpt_db_t *db, int json, FILE *out)
{
    rpt_rows_t *t;
    int rc = rpt_rows_open(db, rpt_diff_totals_sql, &t);
    if (rc == RPT_OK && (rc = rpt_rows_next(t)) == 1) {
        rc = RPT_OK;
        if (!json)
            rpt_diff_text_totals(t, out);
        for (int m = 0; json && m < RPT_DIFF_METRICS; m++)
            fprintf(out, "%s\"%s\": {\"base\": %lld, \"new\": %lld}", m ? ", " : "",
                    rpt_diff_metric_names[m], rpt_rows_int(t, m),
                    rpt_rows_int(t, RPT_DIFF_METRICS + m));
    }
    rpt_rows_close(t);
    return rc < 0 ? rc : RPT_OK;
}

/* Both databases need the analysis views; an older import is named, not half-diffed. */
static int rpt_diff_check_views(rpt_db_t *base, rpt_db_t *next)
{
    rpt_db_t *dbs[2] = {base, next};
    for (int i = 0; i < 2; i++)
        for (size_t v = 0; v < sizeof rpt_diff_views / sizeof *rpt_diff_views; v++)
            if (!rpt_db_has_view(dbs[i], rpt_diff_views[v]))
                return rpt_db_fail(base, RPT_E_NOVIEW,
                                   "%s: no view %s (imported by an older mtdb: import it again)",
                                   rpt_db_path(dbs[i]), rpt_diff_views[v]);
    return RPT_OK;
}

int rpt_diff(rpt_db_t *base, rpt_db_t *next, int json, int rows, FILE *out)
{
    int rc = rpt_diff_check_views(base, next);
    if (rc == RPT_OK)
        rc = rpt_db_attach(base, rpt_db_path(next), "new");
    if (rc != RPT_OK)
        return rc;
    if (json) {
        fputs("{\"schema\": \"mtdb-diff\", \"version\": 1, \"base\": ", out);
        rpt_json_string(out, rpt_db_path(base));
        fputs(", \"new\": ", out);
        rpt_json_string(out, rpt_db_path(next));
        fputs(",\n  \"totals\": {", out);
    } else {
        fprintf(out, "mtdb diff: %s -> %s\n\n", rpt_db_path(base), rpt_db_path(next));
    }
    rc = rpt_diff_totals(base, json, out);
    if (json)
        fputs("},\n  \"sites\": [", out);
    if (rc == RPT_OK)
        rc = rpt_diff_sites(base, json, rows > 0 ? rows : json ? 0 : RPT_DIFF_DEFAULT_ROWS, out);
    return rc;
}
