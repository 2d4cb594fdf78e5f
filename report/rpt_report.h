/* rpt_report.h: what the report's formats share inside report/: the writers behind
 * rpt_write_report, JSON helpers, the stack frames of a row. Never included by the CLI.
 */
#ifndef MTDB_RPT_REPORT_H
#define MTDB_RPT_REPORT_H

#include "rpt_sections.h"

#define RPT_JSON_VERSION 2
#define RPT_DEFAULT_ROWS 10

int rpt_write_text(rpt_db_t *db, const rpt_options_t *opts, FILE *out);
int rpt_write_json(rpt_db_t *db, const rpt_options_t *opts, FILE *out);
int rpt_write_folded(rpt_db_t *db, const rpt_options_t *opts, FILE *out);
int rpt_write_pprof(rpt_db_t *db, const rpt_options_t *opts, FILE *out);
int rpt_write_html(rpt_db_t *db, const rpt_options_t *opts, FILE *out);

/* The report's JSON object (without a trailing newline); html embeds it. */
int rpt_json_report(rpt_db_t *db, const rpt_options_t *opts, FILE *out);
/* A JSON string literal. */
void rpt_json_string(FILE *out, const char *s);
/* The value of column col as a JSON value. */
void rpt_json_value(FILE *out, rpt_rows_t *rows, int col);

/* Rows per table the options ask for. */
int rpt_rows_limit(const rpt_options_t *opts);

/* Frame names of a stack, outermost first, joined by sep (for folded stacks, the page). */
int rpt_stack_folded(rpt_db_t *db, long long stack_id, char sep, char *buf, size_t len);

#endif
