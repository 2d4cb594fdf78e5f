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

/* A frame's readable name: its function, else module+0xoffset, else 0xoffset, without
 * the folded format's separators (';' and line ends become ':'). */
void rpt_frame_label(const char *function, const char *module, long long offset, char *buf,
                     size_t len);

/* Every stack's frames, read once (rpt_stacks.c), for the formats that name stacks by
 * the thousand: the stack tree, each stack's node and each frame's names. */
typedef struct rpt_stacks rpt_stacks_t;
int rpt_stacks_open(rpt_db_t *db, rpt_stacks_t **out);
void rpt_stacks_close(rpt_stacks_t *s);
/* Frame names of a stack, outermost first, inlined functions as frames of their own,
 * joined by sep, cut to len (the outermost kept); "[no stack]" for none. */
void rpt_stacks_fold(const rpt_stacks_t *s, long long stack_id, char sep, char *buf, size_t len);
/* A stack's frame ids, innermost first, at most max of them; their number. */
int rpt_stacks_frames(const rpt_stacks_t *s, long long stack_id, long long *ids, int max);

#endif
