/* rpt_text.c: the text report: what a user reads in ten seconds, in 100 columns.
 *
 * Walks rpt_sections: per process its summary and tables, then the sections of all
 * processes. Numbers carry units (KiB, MiB, us, ms); names too long for their column are
 * shortened with '~'. ANSI colour only when asked (the CLI asks on a terminal without
 * NO_COLOR). Writes only to the FILE* it is given.
 */
#include <stdio.h>
#include <string.h>

#include "rpt_report.h"

#define RPT_INDENT "  "
#define RPT_GAP 2

typedef struct rpt_text {
    rpt_db_t *db;
    const rpt_options_t *opts;
    FILE *out;
    int width;
} rpt_text_t;

static const char *rpt_ansi(const rpt_text_t *t, const char *code)
{
    return t->opts->colour ? code : "";
}
#define RPT_BOLD(t) rpt_ansi(t, "\033[1m")
#define RPT_DIM(t) rpt_ansi(t, "\033[2m")
#define RPT_WARN(t) rpt_ansi(t, "\033[33m")
#define RPT_RESET(t) rpt_ansi(t, "\033[0m")

/* Writes s in exactly width columns: padded, or shortened with '~' (at the front when
 * keep_tail, so a file:line keeps its line). */
static void rpt_text_cell(FILE *out, const char *s, int width, int right, int keep_tail)
{
    int len = (int)strlen(s);
    if (len > width) {
        if (keep_tail)
            fprintf(out, "~%s", s + len - (width - 1));
        else
            fprintf(out, "%.*s~", width - 1, s);
        return;
    }
    fprintf(out, right ? "%*s" : "%-*s", width, s);
}

/* Widths of the columns shown: flexible columns share what the fixed ones leave. */
static int rpt_text_widths(const rpt_text_t *t, const rpt_section_t *s, int *widths)
{
    int fixed = (int)strlen(RPT_INDENT), flexible = 0, shown = 0;
    for (const rpt_column_t *c = s->columns; c->name; c++) {
        if (!c->header)
            continue;
        shown++;
        if (c->width)
            fixed += c->width;
        else
            flexible++;
    }
    fixed += RPT_GAP * (shown - 1);
    int share = flexible ? (t->width - fixed) / flexible : 0;
    if (share < 10)
        share = 10;
    for (int i = 0; s->columns[i].name; i++)
        widths[i] = s->columns[i].width ? s->columns[i].width : share;
    return shown;
}

/* The last column's text (a suggestion, an evidence) on as many lines as it needs, broken
 * at blanks, each continuation line starting at the column's start (col). */
static void rpt_text_wrap(FILE *out, const char *s, int width, int col)
{
    int first = 1;
    while (*s) {
        int len = (int)strlen(s), cut = len;
        if (len > width) {
            cut = width;
            while (cut > width / 2 && s[cut] != ' ')
                cut--;
            if (s[cut] != ' ')
                cut = width; /* no blank in the second half: break the word */
        }
        if (!first)
            fprintf(out, "%*s", col, "");
        fprintf(out, "%.*s\n", cut, s);
        first = 0;
        s += cut;
        while (*s == ' ')
            s++;
    }
}

static void rpt_text_row(const rpt_text_t *t, const rpt_section_t *s, const int *widths,
                         rpt_rows_t *rows)
{
    char buf[1024];
    const char *sep = RPT_INDENT;
    int last = 0, col = 0;
    for (int i = 0; s->columns[i].name; i++)
        if (s->columns[i].header)
            last = i;
    for (int i = 0; s->columns[i].name; i++) {
        const rpt_column_t *c = &s->columns[i];
        if (!c->header)
            continue;
        if (rows)
            rpt_format_value(rows, i, c->fmt, buf, sizeof buf);
        else
            snprintf(buf, sizeof buf, "%s", c->header);
        fputs(sep, t->out);
        int width = widths[i], len = (int)strlen(buf);
        const char *base = strrchr(buf, '/');
        if (len > width && base && !strcmp(c->name, "location")) { /* keep the file name */
            memmove(buf, base + 1, strlen(base + 1) + 1);
            len = (int)strlen(buf);
        }
        col += (int)strlen(sep);
        if (c->fmt == RPT_F_TEXT && i == last && len < width)
            width = len; /* no trailing blanks */
        if (rows && c->fmt == RPT_F_TEXT && i == last && len > width && width >= 20) {
            rpt_text_wrap(t->out, buf, width, col); /* a sentence is read whole */
            return;
        }
        rpt_text_cell(t->out, buf, width, c->fmt != RPT_F_TEXT, strcmp(c->name, "location") == 0);
        col += width;
        sep = "  ";
    }
    fputc('\n', t->out);
}

static void rpt_text_title(const rpt_text_t *t, const rpt_section_t *s)
{
    int pad = t->width - (int)strlen(RPT_INDENT) - (int)strlen(s->title) - (int)strlen(s->view) - 2;
    fprintf(t->out, "\n%s%s%s%s%*s[%s]\n", RPT_INDENT, RPT_BOLD(t), s->title, RPT_RESET(t),
            pad > 1 ? pad : 1, "", s->view);
}

static int rpt_text_table(rpt_text_t *t, const rpt_section_t *s, rpt_rows_t *rows)
{
    int widths[RPT_MAX_COLUMNS];
    rpt_text_widths(t, s, widths);
    rpt_text_title(t, s);
    rpt_text_row(t, s, widths, NULL);
    int rc, n = 0;
    while ((rc = rpt_rows_next(rows)) == 1) {
        rpt_text_row(t, s, widths, rows);
        n++;
    }
    if (rc == 0 && n == 0)
        fprintf(t->out, "%s(none)\n", RPT_INDENT);
    return rc;
}

/* A field RPT_FIELDS_NONZERO leaves out: a number that is 0, a text that is empty. */
static int rpt_text_field_empty(rpt_rows_t *rows, int col, rpt_fmt_t fmt)
{
    return fmt == RPT_F_TEXT ? !rpt_rows_text(rows, col)[0] : rpt_rows_real(rows, col) == 0;
}

/* "name value   name value ..." wrapped at the width. */
static int rpt_text_fields(rpt_text_t *t, const rpt_section_t *s, rpt_rows_t *rows)
{
    int rc = rpt_rows_next(rows);
    if (rc <= 0)
        return rc;
    int nonzero_only = s->layout == RPT_FIELDS_NONZERO, col = 0, shown = 0;
    char buf[256], item[512];
    for (int i = 0; s->columns[i].name; i++) {
        const rpt_column_t *c = &s->columns[i];
        if (!c->header || (nonzero_only && rpt_text_field_empty(rows, i, c->fmt)))
            continue;
        rpt_format_value(rows, i, c->fmt, buf, sizeof buf);
        int len = snprintf(item, sizeof item, "%s %s", c->header, buf);
        if (col == 0)
            col = fprintf(t->out, "%s%s:", RPT_INDENT, s->title);
        if (col + 3 + len > t->width)
            col = fprintf(t->out, "\n%s   ", RPT_INDENT) - 1;
        col += fprintf(t->out, "   %s%s%s", nonzero_only ? RPT_WARN(t) : "", item,
                       nonzero_only ? RPT_RESET(t) : "");
        shown++;
    }
    if (!shown)
        fprintf(t->out, "%s%s: none", RPT_INDENT, s->title);
    fputc('\n', t->out);
    return rpt_rows_next(rows) < 0 ? RPT_E_SQL : RPT_OK;
}

static int rpt_text_section(rpt_text_t *t, const rpt_section_t *s, long long process)
{
    if (rpt_section_superseded(t->db, s))
        return RPT_OK;
    rpt_rows_t *rows;
    int rc = rpt_section_rows(t->db, s, process, s->lead ? -1 : rpt_rows_limit(t->opts), &rows);
    /* a newer form stands in; a section that says only what is not 0 has nothing to say */
    if (rc == RPT_E_NOVIEW && (rpt_section_is_upgrade(s) || s->layout == RPT_FIELDS_NONZERO))
        return RPT_OK;
    if (rc == RPT_E_NOVIEW) {
        rpt_text_title(t, s);
        fprintf(t->out, "%s%snot in this database (%s)%s\n", RPT_INDENT, RPT_DIM(t),
                rpt_db_message(t->db), RPT_RESET(t));
        return RPT_OK;
    }
    if (rc != RPT_OK)
        return rc;
    rc = s->layout == RPT_TABLE ? rpt_text_table(t, s, rows) : rpt_text_fields(t, s, rows);
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

/* 1 when some section of the scope will print (not all are superseded by richer views). */
static int rpt_text_scope_shown(rpt_db_t *db, rpt_scope_t scope)
{
    for (size_t i = 0; i < rpt_section_count; i++)
        if (rpt_sections[i].scope == scope && !rpt_sections[i].json_only && !rpt_sections[i].lead &&
            !rpt_section_superseded(db, &rpt_sections[i]))
            return 1;
    return 0;
}

/* The scope's sections: the lead ones (lead 1) or the others (lead 0). */
static int rpt_text_scope(rpt_text_t *t, rpt_scope_t scope, long long process, int lead)
{
    for (size_t i = 0; i < rpt_section_count; i++) {
        if (rpt_sections[i].scope != scope || rpt_sections[i].json_only ||
            rpt_sections[i].lead != lead)
            continue;
        int rc = rpt_text_section(t, &rpt_sections[i], process);
        if (rc != RPT_OK)
            return rc;
    }
    return RPT_OK;
}

static void rpt_text_process_header(rpt_text_t *t, rpt_rows_t *procs)
{
    char line[1024];
    snprintf(line, sizeof line, "process %lld: pid %lld (%s) %s", rpt_rows_int(procs, 0),
             rpt_rows_int(procs, 1), rpt_rows_text(procs, 3), rpt_rows_text(procs, 2));
    rpt_flatten_controls(line);
    fprintf(t->out, "\n%s", RPT_BOLD(t));
    rpt_text_cell(t->out, line, (int)strlen(line) > t->width ? t->width : (int)strlen(line), 0, 0);
    fprintf(t->out, "%s\n", RPT_RESET(t));
}

int rpt_write_text(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    rpt_text_t t = {db, opts, out, opts->width > 0 ? opts->width : 100};
    fprintf(out, "%smtdb report%s: %s\n", RPT_BOLD(&t), RPT_RESET(&t),
            opts->db_name ? opts->db_name : "");
    long long nprocs = 0;
    int rc = opts->process ? RPT_OK : rpt_db_scalar(db, "SELECT count(*) FROM summary", &nprocs);
    if (rc == RPT_OK && nprocs > 1)
        rc = rpt_text_scope(&t, RPT_GLOBAL, 0, 1);
    if (rc != RPT_OK)
        return rc;
    rpt_rows_t *procs;
    int n = 0;
    rc = rpt_process_rows(db, opts->process, &procs);
    while (rc == RPT_OK && (rc = rpt_rows_next(procs)) == 1) {
        rpt_text_process_header(&t, procs);
        rc = rpt_text_scope(&t, RPT_PER_PROCESS, rpt_rows_int(procs, 0), 0);
        n++;
    }
    rpt_rows_close(procs);
    if (rc < 0)
        return rc;
    if (n == 0 && opts->process)
        return rpt_db_fail(db, RPT_E_NOTFOUND, "no process %lld in this database", opts->process);
    if (!rpt_text_scope_shown(db, RPT_GLOBAL))
        return RPT_OK;
    fprintf(out, "\n%sall processes%s\n", RPT_BOLD(&t), RPT_RESET(&t));
    return rpt_text_scope(&t, RPT_GLOBAL, 0, 0);
}
