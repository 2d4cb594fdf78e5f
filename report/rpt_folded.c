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
    rpt_stacks_t *stacks = NULL;
    int rc = rpt_folded_sql(db, opts, sql, sizeof sql);
    if (rc == RPT_OK)
        rc = rpt_stacks_open(db, &stacks);
    if (rc == RPT_OK)
        rc = rpt_rows_open(db, sql, &rows);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 1, opts->process);
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        rc = RPT_OK;
        if (rpt_rows_type(rows, 0) == RPT_NULL)
            snprintf(line, sizeof line, "[no stack]");
        else
            rpt_stacks_fold(stacks, rpt_rows_int(rows, 0), ';', line, sizeof line);
        fprintf(out, "%s %lld\n", line, rpt_rows_int(rows, 1));
    }
    rpt_rows_close(rows);
    rpt_stacks_close(stacks);
    return rc < 0 ? rc : RPT_OK;
}
