/* rpt_folded.c: folded stacks, one line per stack, "frame;frame;... count", outermost
 * frame first, as flamegraph.pl, inferno and speedscope read them.
 *
 * Weights are the per-stack totals the analysis views sum by user site (stack_totals):
 * allocations = hotspots.calls, bytes = hotspots.bytes, leaked = the leaks view's bytes
 * live at exit; the lines sum exactly to those views' totals. Writes only to the FILE*
 * it is given.
 */
#include <stdio.h>
#include <string.h>

#include "rpt_report.h"

#define RPT_FOLDED_MAX 65536

/* One frame's readable name, without the separators of the folded format. */
static void rpt_frame_name(rpt_rows_t *rows, char *buf, size_t len)
{
    const char *function = rpt_rows_text(rows, 0), *module = rpt_rows_text(rows, 1);
    const char *base = strrchr(module, '/');
    long long offset = rpt_rows_int(rows, 2);
    if (*function)
        snprintf(buf, len, "%s", function);
    else if (*module)
        snprintf(buf, len, "%s+0x%llx", base ? base + 1 : module, offset);
    else
        snprintf(buf, len, "0x%llx", offset);
    for (char *p = buf; *p; p++)
        if (*p == ';' || *p == '\n' || *p == '\r')
            *p = ':';
}

int rpt_stack_folded(rpt_db_t *db, long long stack_id, char sep, char *buf, size_t len)
{
    rpt_rows_t *rows;
    int rc = rpt_rows_open(db,
                           "SELECT coalesce(function, ''), coalesce(module, ''), "
                           "module_offset FROM stack_symbols WHERE stack_id = ?1 "
                           "ORDER BY position DESC, inline_depth DESC",
                           &rows);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 1, stack_id);
    size_t n = 0;
    buf[0] = 0;
    char name[1024];
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        rpt_frame_name(rows, name, sizeof name);
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? (char[]){sep, 0} : "",
                              name);
        if (n >= len) { /* a stack deeper than the buffer keeps its outermost frames */
            buf[len - 1] = 0;
            break;
        }
        rc = RPT_OK;
    }
    rpt_rows_close(rows);
    if (rc == RPT_OK && !buf[0])
        snprintf(buf, len, "[no stack]");
    return rc < 0 ? rc : RPT_OK;
}

/* stack_id and weight per stack, for the weight asked; ?1 is the process (0: all).
 * stack_totals is what the analysis views (site_totals, hotspots, leaks) sum by user
 * site, so the lines sum exactly to their totals. */
static int rpt_folded_sql(rpt_db_t *db, const rpt_options_t *opts, char *sql, size_t len)
{
    static const char *const columns[] = {"blocks", "bytes", "live_bytes"};
    const char *column = columns[opts->weight];
    if (!rpt_db_has_view(db, "site_totals"))
        return rpt_db_fail(db, RPT_E_NOVIEW,
                           "no view site_totals (imported by an older mtdb: import it again)");
    snprintf(sql, len,
             "SELECT stack_id, sum(%s) FROM stack_totals WHERE ?1 = 0 OR process_id = ?1 "
             "GROUP BY stack_id HAVING sum(%s) > 0 ORDER BY stack_id",
             column, column);
    return RPT_OK;
}

int rpt_write_folded(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    static char line[RPT_FOLDED_MAX];
    char sql[512];
    rpt_rows_t *rows = NULL;
    int rc = rpt_folded_sql(db, opts, sql, sizeof sql);
    if (rc == RPT_OK)
        rc = rpt_rows_open(db, sql, &rows);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 1, opts->process);
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        rc = RPT_OK;
        if (rpt_rows_type(rows, 0) == RPT_NULL)
            snprintf(line, sizeof line, "[no stack]");
        else if ((rc = rpt_stack_folded(db, rpt_rows_int(rows, 0), ';', line, sizeof line)))
            break;
        fprintf(out, "%s %lld\n", line, rpt_rows_int(rows, 1));
    }
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}
