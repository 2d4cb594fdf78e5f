/* rpt_html.c: the HTML report (built in a later step). */
#include "rpt_report.h"

int rpt_write_html(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    (void)opts, (void)out;
    return rpt_db_fail(db, RPT_E_NOTFOUND, "html is not built yet");
}
