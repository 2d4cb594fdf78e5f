/* rpt.h: the report library's API: `mtdb report`, `check`, `diff` and `query` call it.
 *
 * The library reads an imported database's views and writes text, JSON, folded stacks,
 * pprof or HTML to the FILE* it is given. It holds no analysis logic (every number is a
 * row of a view) and never prints anywhere else, never exits, never writes the database.
 */
#ifndef MTDB_RPT_H
#define MTDB_RPT_H

#include <stddef.h>
#include <stdio.h>

/* Errors: 0 or a negative code; one list gives the code, its name and its message. */
#define RPT_ERROR_LIST(X)                                                                          \
    X(RPT_E_OPEN, -1, "cannot open the database")                                                  \
    X(RPT_E_FOREIGN, -2, "not an mtdb database")                                                   \
    X(RPT_E_SCHEMA, -3, "database schema version not supported")                                   \
    X(RPT_E_SQL, -4, "query failed")                                                               \
    X(RPT_E_IO, -5, "write failed")                                                                \
    X(RPT_E_NOMEM, -6, "out of memory")                                                            \
    X(RPT_E_NOVIEW, -7, "not in this database")                                                    \
    X(RPT_E_ZLIB, -8, "compression failed")                                                        \
    X(RPT_E_NOTFOUND, -9, "no such name")

enum {
    RPT_OK = 0,
#define RPT_ERROR_ENUM(name, num, msg) name = num,
    RPT_ERROR_LIST(RPT_ERROR_ENUM)
#undef RPT_ERROR_ENUM
};

const char *rpt_strerror(int code);

typedef struct rpt_db rpt_db_t;

/* Opens an imported database read-only; refuses files that are not mtdb databases. On
 * failure *out is NULL and err holds a sentence naming the file. */
int rpt_db_open(const char *path, rpt_db_t **out, char *err, size_t errlen);
void rpt_db_close(rpt_db_t *db);
/* The last error's sentence (SQLite's message, the missing view, ...). */
const char *rpt_db_message(const rpt_db_t *db);

typedef enum rpt_format { RPT_TEXT, RPT_JSON, RPT_FOLDED, RPT_PPROF, RPT_HTML } rpt_format_t;
typedef enum rpt_weight { RPT_W_ALLOCATIONS, RPT_W_BYTES, RPT_W_LEAKED } rpt_weight_t;

typedef struct rpt_options {
    rpt_format_t format;
    rpt_weight_t weight; /* folded */
    int rows;            /* rows per table (text, json); 0: the default, 10 */
    long long process;   /* process_id to report, 0: all */
    int colour;          /* text: ANSI colour */
    int width;           /* text: columns, 0: 100 */
    const char *db_name; /* shown in headers */
} rpt_options_t;

/* Writes the report in opts->format to out. */
int rpt_write_report(rpt_db_t *db, const rpt_options_t *opts, FILE *out);

/* Limits for rpt_check; a negative value is no limit. */
typedef struct rpt_limits {
    long long max_leaked_bytes, max_peak_bytes, max_allocations, max_temporaries;
} rpt_limits_t;

/* Writes one line per broken limit to out; *broken gets their count. */
int rpt_check(rpt_db_t *db, const rpt_limits_t *limits, long long process, FILE *out, int *broken);

/* Compares two databases site by site (function and file); text or JSON. */
int rpt_diff(rpt_db_t *base, rpt_db_t *next, int json, int rows, FILE *out);

/* Runs SQL text (one or more statements) and prints the rows as `sqlite3 -header
 * -column` would, roughly: a header line, then aligned columns. */
int rpt_run_sql(rpt_db_t *db, const char *sql, FILE *out);

#endif
