/* rpt_sections.h: what a report shows, as data: one entry per section names its view,
 * its columns, their formats and units. Wiring a new view is adding an entry.
 *
 * Every format (text, JSON, HTML) walks the same table, so they always agree. A section
 * whose view or columns are absent is reported as "not in this database", never an error.
 */
#ifndef MTDB_RPT_SECTIONS_H
#define MTDB_RPT_SECTIONS_H

#include "rpt_db.h"

#define RPT_MAX_COLUMNS 12 /* the last entry of each section stays empty */

typedef enum rpt_fmt {
    RPT_F_TEXT,  /* a name, left-aligned */
    RPT_F_COUNT, /* an integer */
    RPT_F_BYTES, /* B, KiB, MiB, GiB */
    RPT_F_NS,    /* ns, us, ms, s */
    RPT_F_US,    /* a REAL in microseconds, shown like RPT_F_NS */
    RPT_F_SECS,  /* seconds, 3 decimals */
    RPT_F_REAL,  /* a ratio or share, 2 decimals */
} rpt_fmt_t;

typedef struct rpt_column {
    const char *name;   /* the view's column: the JSON key */
    const char *header; /* the text header; NULL: JSON and HTML only */
    rpt_fmt_t fmt;
    int width;        /* text columns; 0: takes what the fixed columns leave */
    const char *expr; /* SQL for a label not in the view (names only, never numbers) */
} rpt_column_t;

typedef enum rpt_scope { RPT_PER_PROCESS, RPT_GLOBAL } rpt_scope_t;
typedef enum rpt_layout {
    RPT_TABLE,         /* a header line and aligned rows */
    RPT_FIELDS,        /* one row as "name value" pairs */
    RPT_FIELDS_NONZERO /* the same, only the fields that are not 0 ("none" when all are) */
} rpt_layout_t;

typedef struct rpt_section {
    const char *key;           /* JSON key, stable */
    const char *title;         /* one line: what the rows are */
    const char *view;          /* the view read */
    const char *order_by;      /* SQL ORDER BY of the rows shown */
    const char *filter;        /* extra WHERE condition, or NULL */
    const char *superseded_by; /* skip this section when that view exists */
    rpt_scope_t scope;
    rpt_layout_t layout;
    int json_only; /* series the page charts (timeline): not in the text report */
    rpt_column_t columns[RPT_MAX_COLUMNS];
    int lead; /* every row; the text report shows it first, and only for several processes */
} rpt_section_t;

extern const rpt_section_t rpt_sections[];
extern const size_t rpt_section_count;

/* The section whose key is key, or NULL. */
const rpt_section_t *rpt_section_find(const char *key);

/* RPT_OK when the section's view and columns are in db; RPT_E_NOVIEW (with the missing
 * name in the db's message) when not. */
int rpt_section_available(rpt_db_t *db, const rpt_section_t *s);
/* 1 when the section is the newer form of another (that one names it superseded_by):
 * when its view is missing the older section stands in, so nothing is said. */
int rpt_section_is_upgrade(const rpt_section_t *s);
/* 1 when another available section replaces this one. */
int rpt_section_superseded(rpt_db_t *db, const rpt_section_t *s);

/* The section's rows for process (ignored for RPT_GLOBAL), at most limit (< 0: all). */
int rpt_section_rows(rpt_db_t *db, const rpt_section_t *s, long long process, int limit,
                     rpt_rows_t **out);

/* The processes to report: process_id, pid, command of the summary view. */
int rpt_process_rows(rpt_db_t *db, long long process, rpt_rows_t **out);

/* Formats one value for text: a number with its unit; a text on one line. */
void rpt_format_value(rpt_rows_t *rows, int col, rpt_fmt_t fmt, char *buf, size_t len);
/* Control characters (a command's newlines and tabs) to spaces, so a line stays one. */
void rpt_flatten_controls(char *s);

#endif
