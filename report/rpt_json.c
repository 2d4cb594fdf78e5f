/* rpt_json.c: the JSON report (schema in docs/report-json.md, version RPT_JSON_VERSION).
 *
 * The same sections as the text report: per process an object per section with its
 * view, availability and rows; a row with a stack_id carries its stack as evidence.
 * Values are the view's own, in the view's units. Writes only to the FILE* it is given.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_report.h"

void rpt_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else if (*p == '<') /* so a page can embed it in <script> */
            fputs("\\u003c", out);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* The shortest of 15 or 17 significant digits that reads back as the same double: 5e-06,
 * not 5.0000000000000004e-06. */
static void rpt_json_real(FILE *out, double v)
{
    char text[32];
    snprintf(text, sizeof text, "%.15g", v);
    if (strtod(text, NULL) != v)
        snprintf(text, sizeof text, "%.17g", v);
    fputs(text, out);
}

void rpt_json_value(FILE *out, rpt_rows_t *rows, int col)
{
    switch (rpt_rows_type(rows, col)) {
    case RPT_NULL:
        fputs("null", out);
        break;
    case RPT_INT:
        fprintf(out, "%lld", rpt_rows_int(rows, col));
        break;
    case RPT_REAL: {
        double v = rpt_rows_real(rows, col);
        if (isfinite(v))
            rpt_json_real(out, v);
        else
            fputs("null", out);
        break;
    }
    case RPT_STR:
        rpt_json_string(out, rpt_rows_text(rows, col));
        break;
    }
}

/* "stack": [{"function", "short_name", "file", "line", "module"}, ...], innermost first. */
static int rpt_json_stack(rpt_db_t *db, long long stack_id, FILE *out)
{
    rpt_rows_t *rows;
    int rc = rpt_rows_open(db,
                           "SELECT function, short_name, file, line, module FROM stack_symbols "
                           "WHERE stack_id = ?1 ORDER BY position, inline_depth",
                           &rows);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 1, stack_id);
    if (rc != RPT_OK)
        return rpt_rows_close(rows), rc;
    fputs(", \"stack\": [", out);
    int n = 0;
    while ((rc = rpt_rows_next(rows)) == 1) {
        static const char *const keys[] = {"function", "short_name", "file", "line", "module"};
        fputs(n++ ? ", {" : "{", out);
        for (int i = 0; i < 5; i++) {
            fprintf(out, "%s\"%s\": ", i ? ", " : "", keys[i]);
            rpt_json_value(out, rows, i);
        }
        fputc('}', out);
    }
    fputc(']', out);
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

/* A site row of an analysis view (site, location, no stack_id) has many stacks: its
 * evidence is the heaviest one (most bytes live at exit for a leak, most freed only at
 * exit for that section, else most bytes allocated) and how many stacks the site has.
 * ?1 site, ?2 location, ?3 process (0: all), ?4 1 for leaks, 2 for freed at exit. */
static const char rpt_json_site_stack_sql[] =
    "SELECT g.stack_id, count(*) OVER () FROM stack_totals g "
    "JOIN stack_sites ss ON ss.stack_id = g.stack_id "
    "WHERE ss.site = ?1 AND ss.location IS ?2 AND (?3 = 0 OR g.process_id = ?3) "
    "GROUP BY g.stack_id "
    "ORDER BY CASE ?4 WHEN 1 THEN sum(g.live_bytes) WHEN 2 THEN sum(g.exit_bytes) ELSE 0 END "
    "DESC, sum(g.bytes) DESC, "
    "sum(g.blocks) DESC, g.stack_id LIMIT 1";

/* The same, read from the rows the import keeps per process and site (a site of a
 * recursive program has millions of stacks: grouping them took seconds a row). */
static const char rpt_json_site_top_sql[] =
    "SELECT CASE ?4 WHEN 1 THEN by_live_bytes WHEN 2 THEN by_exit_bytes ELSE by_bytes END, "
    "stacks FROM site_top_stacks WHERE site = ?1 AND location IS ?2 AND process_id = ?3";

static int rpt_json_site_stack(rpt_db_t *db, const rpt_section_t *s, const char *site,
                               const char *location, long long process, FILE *out)
{
    rpt_rows_t *rows;
    long long stack_id = -1, stacks = 0;
    int kept = process != 0 && rpt_db_has_view(db, "site_top_stacks");
    int rc = rpt_rows_open(db, kept ? rpt_json_site_top_sql : rpt_json_site_stack_sql, &rows);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_text(rows, 1, site);
    if (rc == RPT_OK)
        rc = location ? rpt_rows_bind_text(rows, 2, location) : RPT_OK;
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 3, process);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 4,
                               strcmp(s->key, "leaks") == 0           ? 1
                               : strcmp(s->key, "freed_at_exit") == 0 ? 2
                                                                      : 0);
    if (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        rc = RPT_OK;
        stack_id = rpt_rows_int(rows, 0);
        stacks = rpt_rows_int(rows, 1);
    }
    rpt_rows_close(rows);
    if (rc < 0)
        return rc;
    fprintf(out, ", \"stacks_at_site\": %lld, \"stack_id\": ", stacks);
    if (stack_id < 0) {
        fputs("null, \"stack\": []", out);
        return RPT_OK;
    }
    fprintf(out, "%lld", stack_id);
    return rpt_json_stack(db, stack_id, out);
}

static int rpt_json_row(rpt_db_t *db, const rpt_section_t *s, rpt_rows_t *rows,
                        long long process, FILE *out)
{
    long long stack_id = -1;
    int site = -1, location = -1;
    fputc('{', out);
    for (int i = 0; s->columns[i].name; i++) {
        const char *name = s->columns[i].name;
        fprintf(out, "%s\"%s\": ", i ? ", " : "", name);
        rpt_json_value(out, rows, i);
        if (strcmp(name, "stack_id") == 0 && rpt_rows_type(rows, i) == RPT_INT)
            stack_id = rpt_rows_int(rows, i);
        else if (strcmp(name, "site") == 0 && rpt_rows_type(rows, i) == RPT_STR)
            site = i;
        else if (strcmp(name, "location") == 0)
            location = i;
    }
    int rc = RPT_OK;
    if (stack_id >= 0)
        rc = rpt_json_stack(db, stack_id, out);
    else if (site >= 0 && location >= 0 && rpt_db_has_view(db, "site_totals"))
        rc = rpt_json_site_stack(db, s, rpt_rows_text(rows, site),
                                 rpt_rows_type(rows, location) == RPT_STR
                                     ? rpt_rows_text(rows, location)
                                     : NULL,
                                 process, out);
    fputc('}', out);
    return rc;
}

static int rpt_json_section(rpt_db_t *db, const rpt_options_t *opts, const rpt_section_t *s,
                            long long process, FILE *out, int *n)
{
    rpt_rows_t *rows;
    int rc = rpt_section_rows(db, s, process, s->json_only || s->lead ? -1 : rpt_rows_limit(opts),
                              &rows);
    if (rc == RPT_E_NOVIEW && rpt_section_is_upgrade(s))
        return RPT_OK;
    fputs((*n)++ ? ",\n    " : "\n    ", out);
    rpt_json_string(out, s->key);
    fputs(": {\"view\": ", out);
    rpt_json_string(out, s->view);
    fputs(", \"title\": ", out);
    rpt_json_string(out, s->title);
    if (rc == RPT_E_NOVIEW) {
        fputs(", \"available\": false, \"missing\": ", out);
        rpt_json_string(out, rpt_db_message(db));
        fputs(", \"rows\": []}", out);
        return RPT_OK;
    }
    if (rc != RPT_OK)
        return rc;
    fputs(", \"available\": true, \"rows\": [", out);
    int count = 0;
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        fputs(count++ ? ",\n      " : "\n      ", out);
        rc = rpt_json_row(db, s, rows, process, out);
    }
    rpt_rows_close(rows);
    fputs("]}", out);
    return rc < 0 ? rc : RPT_OK;
}

static int rpt_json_sections(rpt_db_t *db, const rpt_options_t *opts, rpt_scope_t scope,
                             long long process, FILE *out)
{
    int rc = RPT_OK, n = 0;
    fputc('{', out);
    for (size_t i = 0; i < rpt_section_count && rc == RPT_OK; i++) {
        const rpt_section_t *s = &rpt_sections[i];
        if (s->scope != scope || rpt_section_superseded(db, s))
            continue;
        rc = rpt_json_section(db, opts, s, process, out, &n);
    }
    fputs("}", out);
    return rc;
}

static int rpt_json_process(rpt_db_t *db, const rpt_options_t *opts, rpt_rows_t *procs, FILE *out)
{
    fprintf(out, "{\"process_id\": %lld, \"pid\": %lld, \"command\": ", rpt_rows_int(procs, 0),
            rpt_rows_int(procs, 1));
    rpt_json_string(out, rpt_rows_text(procs, 2));
    fputs(", \"started_by\": ", out);
    rpt_json_string(out, rpt_rows_text(procs, 3));
    fputs(", \"sections\": ", out);
    int rc = rpt_json_sections(db, opts, RPT_PER_PROCESS, rpt_rows_int(procs, 0), out);
    fputc('}', out);
    return rc;
}

int rpt_json_report(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    fprintf(out, "{\"schema\": \"mtdb-report\", \"version\": %d, \"database\": ", RPT_JSON_VERSION);
    rpt_json_string(out, opts->db_name ? opts->db_name : "");
    fprintf(out, ", \"rows_per_section\": %d,\n  \"processes\": [", rpt_rows_limit(opts));
    rpt_rows_t *procs;
    int rc = rpt_process_rows(db, opts->process, &procs), n = 0;
    while (rc == RPT_OK && (rc = rpt_rows_next(procs)) == 1) {
        fputs(n++ ? ",\n  " : "\n  ", out);
        rc = rpt_json_process(db, opts, procs, out);
    }
    rpt_rows_close(procs);
    if (rc < 0)
        return rc;
    if (n == 0 && opts->process)
        return rpt_db_fail(db, RPT_E_NOTFOUND, "no process %lld in this database", opts->process);
    fputs("],\n  \"all_processes\": ", out);
    rc = rpt_json_sections(db, opts, RPT_GLOBAL, 0, out);
    fputs("}", out);
    return rc;
}

int rpt_write_json(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    int rc = rpt_json_report(db, opts, out);
    fputc('\n', out);
    return rc;
}
