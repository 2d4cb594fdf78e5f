/* rpt_html.c: the HTML report: one self-contained file that works offline.
 *
 * The page is d3 (Debian libjs-d3), html/page.js and html/page.css, embedded at build
 * time, plus the data: the JSON report, the heaviest stacks for the flame graph (capped,
 * the rest summed, the page says so), the live-heap series and the marks. A
 * Content-Security-Policy forbids every request. Writes only to the FILE* it is given.
 */
#include <stdio.h>

#include "rpt_report.h"

#define RPT_HTML_MAX_STACKS 20000 /* what a page draws in well under 2 s */
#define RPT_HTML_ROWS 1000
#define RPT_HTML_STEPS 400

#ifdef MTDB_HAVE_HTML
extern const char rpt_d3_js[], rpt_page_js[], rpt_page_css[];

/* Stacks by their largest share of calls, bytes or leaked bytes, the heaviest ?1 of
 * them, with the number of stacks and the sums over all of them (for the rest, summed).
 * stack_totals is what the analysis views sum by user site, as in the folded output.
 * The limit lets SQLite keep only the heaviest while it sorts: a recursive program has
 * millions of stacks. */
static const char rpt_html_stacks_sql[] =
    "WITH s AS (SELECT stack_id, sum(blocks) AS calls, sum(bytes) AS bytes, "
    "sum(live_bytes) AS leaked FROM stack_totals GROUP BY stack_id), "
    "t AS (SELECT sum(calls) AS c, sum(bytes) AS b, sum(leaked) AS l, count(*) AS n FROM s) "
    "SELECT s.stack_id, s.calls, s.bytes, s.leaked, t.n, t.c, t.b, t.l FROM s, t ORDER BY "
    "max(1.0 * s.calls / max(t.c, 1), 1.0 * s.bytes / max(t.b, 1), "
    "1.0 * s.leaked / max(t.l, 1)) DESC, s.stack_id LIMIT ?1";

static int rpt_html_stacks(rpt_db_t *db, FILE *out, long long *total)
{
    static char frames[65536];
    rpt_rows_t *rows = NULL;
    long long other[3] = {0, 0, 0}, shown = 0;
    rpt_stacks_t *stacks = NULL;
    int rc = rpt_stacks_open(db, &stacks);
    if (rc == RPT_OK)
        rc = rpt_rows_open(db, rpt_html_stacks_sql, &rows);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 1, RPT_HTML_MAX_STACKS);
    fputs(",\n\"stacks\": [", out);
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        rc = RPT_OK;
        *total = rpt_rows_int(rows, 4);
        for (int i = 0; i < 3; i++) /* the sums, less each stack shown */
            other[i] = (shown ? other[i] : rpt_rows_int(rows, 5 + i)) - rpt_rows_int(rows, 1 + i);
        if (rpt_rows_type(rows, 0) == RPT_NULL)
            snprintf(frames, sizeof frames, "[no stack]");
        else
            rpt_stacks_fold(stacks, rpt_rows_int(rows, 0), ';', frames, sizeof frames);
        fputs(shown++ ? ",\n" : "\n", out);
        fputc('[', out);
        rpt_json_string(out, frames);
        fprintf(out, ",%lld,%lld,%lld]", rpt_rows_int(rows, 1), rpt_rows_int(rows, 2),
                rpt_rows_int(rows, 3));
    }
    rpt_rows_close(rows);
    rpt_stacks_close(stacks);
    if (*total > shown)
        fprintf(out, ",\n[\"[other stacks]\",%lld,%lld,%lld]", other[0], other[1], other[2]);
    fputs("]", out);
    return rc < 0 ? rc : RPT_OK;
}

/* Live bytes per process in RPT_HTML_STEPS steps: the highest running sum of the
 * heap_events view in each step (seconds after the process's start). Only for a database
 * without the timeline view, whose rows (in the report's data) the page draws instead:
 * this query sorts every heap event, seconds for millions of them. */
static const char rpt_html_timeline_sql[] =
    "WITH s AS (SELECT e.process_id, coalesce(p.start_ns, min(e.ts_ns)) AS t0, "
    "max(max(e.ts_ns) - coalesce(p.start_ns, min(e.ts_ns)), 1) AS len FROM heap_events e "
    "JOIN processes p ON p.process_id = e.process_id GROUP BY e.process_id), "
    "l AS (SELECT process_id, ts_ns, sum(delta_bytes) OVER (PARTITION BY process_id "
    "ORDER BY ts_ns, delta_bytes ROWS UNBOUNDED PRECEDING) AS live FROM heap_events) "
    "SELECT l.process_id, max(0, min(?1 - 1, (l.ts_ns - s.t0) * ?1 / s.len)) AS b, "
    "max(l.live), s.len FROM l JOIN s ON s.process_id = l.process_id "
    "WHERE ?2 = 0 OR l.process_id = ?2 GROUP BY l.process_id, b ORDER BY l.process_id, b";

static int rpt_html_timeline(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    rpt_rows_t *rows;
    int rc = rpt_rows_open(db, rpt_html_timeline_sql, &rows);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 1, RPT_HTML_STEPS);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 2, opts->process);
    long long current = -1;
    fputs(",\n\"timeline\": [", out);
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        rc = RPT_OK;
        long long process = rpt_rows_int(rows, 0);
        if (process != current)
            fprintf(out, "%s{\"label\": \"process %lld\", \"points\": [[0,0]",
                    current < 0 ? "" : "]},\n", process);
        current = process;
        double t_s = (double)(rpt_rows_int(rows, 1) + 1) * (double)rpt_rows_int(rows, 3) /
                     RPT_HTML_STEPS / 1e9;
        fprintf(out, ",[%.9g,%lld]", t_s, rpt_rows_int(rows, 2));
    }
    fputs(current < 0 ? "]" : "]}]", out);
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

static int rpt_html_marks(rpt_db_t *db, FILE *out)
{
    rpt_rows_t *rows;
    int rc = rpt_rows_open(db,
                           "SELECT m.process_id, (m.ts_ns - coalesce(p.start_ns, "
                           "m.ts_ns)) / 1e9, m.label FROM marks m JOIN processes p ON "
                           "p.process_id = m.process_id ORDER BY m.ts_ns LIMIT 1000",
                           &rows);
    int n = 0;
    fputs(",\n\"marks\": [", out);
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        rc = RPT_OK;
        fprintf(out, "%s[%lld,%.9g,", n++ ? "," : "", rpt_rows_int(rows, 0),
                rpt_rows_real(rows, 1));
        rpt_json_string(out, rpt_rows_text(rows, 2));
        fputc(']', out);
    }
    fputc(']', out);
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

static void rpt_html_head(const rpt_options_t *opts, FILE *out)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
          "<title>mtdb report</title>\n<style>\n",
          out);
    fputs(rpt_page_css, out);
    fputs("</style></head>\n<body><div id=\"main\"><h1>mtdb report: <span id=\"db\"></span>"
          "</h1><p class=\"note\">Self-contained: works offline, loads nothing. Charts: d3 ",
          out);
    fputs("(Debian libjs-d3), embedded.</p></div>\n<script>\n", out);
    fputs(rpt_d3_js, out);
    fputs("\n</script>\n<script>\nwindow.MTDB = {\"report\": ", out);
    (void)opts;
}

int rpt_write_html(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    rpt_options_t page = *opts;
    page.rows = opts->rows > 0 ? opts->rows : RPT_HTML_ROWS;
    rpt_html_head(opts, out);
    long long total = 0;
    int rc = rpt_json_report(db, &page, out);
    if (rc == RPT_OK)
        rc = rpt_html_stacks(db, out, &total);
    long long viewed = 0;
    if (rc == RPT_OK && rpt_db_has_view(db, "timeline") &&
        rpt_db_scalar(db, "SELECT EXISTS (SELECT 1 FROM timeline)", &viewed) != RPT_OK)
        viewed = 0;
    if (rc == RPT_OK && viewed)
        fputs(",\n\"timeline\": []", out);
    else if (rc == RPT_OK)
        rc = rpt_html_timeline(db, opts, out);
    if (rc == RPT_OK)
        rc = rpt_html_marks(db, out);
    fprintf(out,
            ",\n\"cap_note\": \"This page holds %lld of %lld stacks (at most %d, the "
            "heaviest by allocations, bytes or leaked bytes; the rest are summed into "
            "[other stacks]) and at most %d rows per table; 'mtdb report -f json' and "
            "the views hold everything.\"};\n",
            total < RPT_HTML_MAX_STACKS ? total : RPT_HTML_MAX_STACKS, total, RPT_HTML_MAX_STACKS,
            page.rows);
    fputs("document.getElementById('db').textContent = window.MTDB.report.database;\n"
          "</script>\n<script>\n",
          out);
    fputs(rpt_page_js, out);
    fputs("\n</script>\n</body></html>\n", out);
    return rc;
}
#else
int rpt_write_html(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    (void)opts, (void)out;
    return rpt_db_fail(db, RPT_E_NOTFOUND,
                       "this mtdb was built without d3 (libjs-d3): "
                       "no html format");
}
#endif
