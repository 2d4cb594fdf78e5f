/* rpt_report.c: rpt_write_report, the one entry of `mtdb report`: picks the writer for
 * the format and turns a failed write into RPT_E_IO. Must never print anywhere but out.
 */
#include "rpt_report.h"

int rpt_rows_limit(const rpt_options_t *opts)
{
    return opts->rows > 0 ? opts->rows : RPT_DEFAULT_ROWS;
}

int rpt_write_report(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    static int (*const writers[])(rpt_db_t *, const rpt_options_t *, FILE *) = {
        [RPT_TEXT] = rpt_write_text,   [RPT_JSON] = rpt_write_json, [RPT_FOLDED] = rpt_write_folded,
        [RPT_PPROF] = rpt_write_pprof, [RPT_HTML] = rpt_write_html,
    };
    int rc = writers[opts->format](db, opts, out);
    if (rc == RPT_OK && (fflush(out) != 0 || ferror(out)))
        return rpt_db_fail(db, RPT_E_IO, "write failed");
    return rc;
}
