/* rpt_sections.c: the table of report sections (view, columns, formats, units) and the
 * SQL that reads one section's rows.
 *
 * Sections are read in this order by every format. Entries for views that only newer
 * databases have are guarded: rpt_section_available says "not in this database". Must
 * hold no analysis logic: columns are the view's own, expressions only fetch names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_sections.h"

#define THREAD_LABEL(col)                                                                          \
    "(SELECT 'T' || t.thread_number || coalesce(' ' || t.name, '') FROM threads t "                \
    "WHERE t.thread_id = v." col ")"

#define SITE_COLUMNS                                                                               \
    {"site", "site", RPT_F_TEXT, 0}, {"location", "location", RPT_F_TEXT, 26},                     \
    {                                                                                              \
        "stack_id", NULL, RPT_F_COUNT, 0                                                           \
    }

/* Per process, then all processes; in each, the order the report shows them. Entries
 * with superseded_by give way to the richer view of newer databases. */
const rpt_section_t rpt_sections[] = {
    {"summary",
     "Process",
     "summary",
     "process_id",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_FIELDS,
     0,
     {{"process_id", NULL, RPT_F_COUNT, 0},
      {"duration_s", "duration", RPT_F_SECS, 0},
      {"threads", "threads", RPT_F_COUNT, 0},
      {"alloc_calls", "allocations", RPT_F_COUNT, 0},
      {"frees", "frees", RPT_F_COUNT, 0},
      {"bytes_allocated", "allocated", RPT_F_BYTES, 0},
      {"peak_live_bytes", "peak", RPT_F_BYTES, 0},
      {"live_blocks_at_exit", "live blocks at exit", RPT_F_COUNT, 0},
      {"live_bytes_at_exit", "live bytes at exit", RPT_F_BYTES, 0}}},
    {"incomplete",
     "Incomplete data",
     "summary",
     "process_id",
     NULL,
     "data_gaps",
     RPT_PER_PROCESS,
     RPT_FIELDS_NONZERO,
     0,
     {{"dropped_events", "dropped events", RPT_F_COUNT, 0},
      {"skipped_events", "skipped events", RPT_F_COUNT, 0},
      {"skipped_bytes", "damaged bytes", RPT_F_BYTES, 0},
      {"failed_allocations", "failed allocations", RPT_F_COUNT, 0},
      {"unmatched_frees", "unmatched frees", RPT_F_COUNT, 0},
      {"double_frees", "double frees", RPT_F_COUNT, 0}}},
    {"data_gaps",
     "Incomplete data",
     "data_gaps",
     "process_id",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_FIELDS_NONZERO,
     0,
     {{"dropped_events", "dropped events", RPT_F_COUNT, 0},
      {"skipped_events", "skipped events", RPT_F_COUNT, 0},
      {"unstacked_rows", "allocations without a stack", RPT_F_COUNT, 0},
      {"sampled", "sampled", RPT_F_COUNT, 0},
      {"note", "note", RPT_F_TEXT, 0}}},
    /* Only where some user site has no name: nothing is printed otherwise. */
    {"name_gaps",
     "Code without names",
     "name_gaps",
     "process_id",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_FIELDS_NONZERO,
     0,
     {{"unnamed_sites", "user sites", RPT_F_COUNT, 0},
      {"unnamed_blocks", "blocks", RPT_F_COUNT, 0},
      {"modules", "in", RPT_F_TEXT, 0},
      {"fix", "fix:", RPT_F_TEXT, 0}}},
    {"leaks_by_stack",
     "Leaks: blocks live at exit by stack, most bytes first",
     "leaks_by_stack",
     "bytes DESC, blocks DESC, stack_id",
     NULL,
     "leaks",
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"bytes", "bytes", RPT_F_BYTES, 10}, {"blocks", "blocks", RPT_F_COUNT, 8}, SITE_COLUMNS}},
    {"leaks",
     "Leaks: live at exit, user sites first, then runtime, most bytes first",
     "leaks",
     "CASE class WHEN 'user' THEN 0 WHEN 'runtime' THEN 1 ELSE 2 END, bytes DESC, site",
     "kind = 'live_at_exit'",
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"class", "class", RPT_F_TEXT, 7},
      {"bytes", "bytes", RPT_F_BYTES, 10},
      {"blocks", "blocks", RPT_F_COUNT, 7},
      {"kind", NULL, RPT_F_TEXT, 0},
      {"site", "site", RPT_F_TEXT, 0},
      {"location", "location", RPT_F_TEXT, 24},
      {"path", NULL, RPT_F_TEXT, 0}}},
    /* Freed only by exit handlers and static destructors: kept apart from the leaks, and
     * shown, since a long-running program never gets there. */
    {"freed_at_exit",
     "Freed only at exit (by exit handlers, static destructors): a leak in a long run",
     "leaks",
     "CASE class WHEN 'user' THEN 0 WHEN 'runtime' THEN 1 ELSE 2 END, bytes DESC, site",
     "kind = 'freed_at_exit'",
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"class", "class", RPT_F_TEXT, 7},
      {"bytes", "bytes", RPT_F_BYTES, 10},
      {"blocks", "blocks", RPT_F_COUNT, 7},
      {"kind", NULL, RPT_F_TEXT, 0},
      {"site", "site", RPT_F_TEXT, 0},
      {"location", "location", RPT_F_TEXT, 24},
      {"path", NULL, RPT_F_TEXT, 0}}},
    {"peak_by_stack",
     "Live at the peak by stack, most bytes first",
     "peak_by_stack",
     "bytes DESC, blocks DESC, stack_id",
     NULL,
     "peak",
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"bytes", "bytes", RPT_F_BYTES, 10}, {"blocks", "blocks", RPT_F_COUNT, 8}, SITE_COLUMNS}},
    {"peak",
     "Live at the peak, most bytes first",
     "peak",
     "bytes DESC, site",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"peak_bytes", NULL, RPT_F_BYTES, 0},
      {"peak_s", NULL, RPT_F_SECS, 0},
      {"class", "class", RPT_F_TEXT, 7},
      {"bytes", "bytes", RPT_F_BYTES, 10},
      {"share", "share", RPT_F_REAL, 5},
      {"blocks", "blocks", RPT_F_COUNT, 7},
      {"site", "site", RPT_F_TEXT, 0},
      {"location", "location", RPT_F_TEXT, 24}}},
    {"hotspots",
     "Hotspots: allocation calls by site, most first",
     "hotspots",
     "calls DESC, bytes DESC, site",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"class", "class", RPT_F_TEXT, 7},
      {"calls", "calls", RPT_F_COUNT, 9},
      {"bytes", "bytes", RPT_F_BYTES, 10},
      {"avg_bytes", "avg", RPT_F_BYTES, 9},
      {"site", "site", RPT_F_TEXT, 0},
      {"location", "location", RPT_F_TEXT, 24},
      {"path", NULL, RPT_F_TEXT, 0}}},
    {"bottlenecks",
     "Bottlenecks: allocation patterns that cost time",
     "bottlenecks",
     "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, bytes DESC",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"severity", "severity", RPT_F_TEXT, 8},
      {"kind", "kind", RPT_F_TEXT, 13},
      {"blocks", "blocks", RPT_F_COUNT, 8},
      {"bytes", "bytes", RPT_F_BYTES, 10},
      {"site", "site", RPT_F_TEXT, 0},
      {"location", "location", RPT_F_TEXT, 24},
      {"thread_id", NULL, RPT_F_COUNT, 0},
      {"metric", NULL, RPT_F_REAL, 0},
      {"evidence", NULL, RPT_F_TEXT, 0}}},
    {"thread_pairs",
     "Thread interaction: who allocates, who frees",
     "thread_interaction",
     "blocks DESC, alloc_thread_id, free_thread_id",
     NULL,
     "thread_interaction",
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"alloc_thread_id", NULL, RPT_F_COUNT, 0},
      {"free_thread_id", NULL, RPT_F_COUNT, 0},
      {"alloc_thread", "allocated by", RPT_F_TEXT, 0, THREAD_LABEL("alloc_thread_id")},
      {"free_thread", "freed by", RPT_F_TEXT, 0, THREAD_LABEL("free_thread_id")},
      {"blocks", "blocks", RPT_F_COUNT, 10},
      {"bytes", "bytes", RPT_F_BYTES, 10}}},
    {"thread_interaction",
     "Thread interaction: who allocates, who frees, hand-off latency",
     "thread_interaction",
     "blocks DESC, alloc_thread_id, free_thread_id",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"alloc_thread_id", NULL, RPT_F_COUNT, 0},
      {"free_thread_id", NULL, RPT_F_COUNT, 0},
      {"alloc_thread", "allocated by", RPT_F_TEXT, 0},
      {"free_thread", "freed by", RPT_F_TEXT, 0},
      {"cross", NULL, RPT_F_COUNT, 0},
      {"blocks", "blocks", RPT_F_COUNT, 9},
      {"bytes", "bytes", RPT_F_BYTES, 10},
      {"median_us", "median", RPT_F_US, 9},
      {"p90_us", "p90", RPT_F_US, 9},
      {"max_us", NULL, RPT_F_US, 0}}},
    {"handoffs",
     "Hand-offs: allocated at one site and thread, freed at another",
     "handoffs",
     "blocks DESC, bytes DESC, alloc_site, free_site",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"blocks", "blocks", RPT_F_COUNT, 8},
      {"median_us", "median", RPT_F_US, 9},
      {"alloc_site", "allocated at", RPT_F_TEXT, 0},
      {"free_site", "freed at", RPT_F_TEXT, 0},
      {"alloc_thread", "by", RPT_F_TEXT, 13},
      {"free_thread", "freed by", RPT_F_TEXT, 13},
      {"bytes", NULL, RPT_F_BYTES, 0},
      {"p90_us", NULL, RPT_F_US, 0},
      {"max_us", NULL, RPT_F_US, 0}}},
    {"cross_thread",
     "Cross-thread frees by allocating stack",
     "cross_thread_by_stack",
     "blocks DESC, bytes DESC, stack_id, alloc_thread_id, free_thread_id",
     NULL,
     "handoffs",
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"alloc_thread_id", NULL, RPT_F_COUNT, 0},
      {"free_thread_id", NULL, RPT_F_COUNT, 0},
      {"alloc_thread", "alloc", RPT_F_TEXT, 12, THREAD_LABEL("alloc_thread_id")},
      {"free_thread", "free", RPT_F_TEXT, 12, THREAD_LABEL("free_thread_id")},
      {"blocks", "blocks", RPT_F_COUNT, 8},
      {"bytes", "bytes", RPT_F_BYTES, 10},
      {"avg_lifetime_ns", "avg life", RPT_F_NS, 9},
      {"site", "site", RPT_F_TEXT, 0},
      {"location", NULL, RPT_F_TEXT, 0},
      {"stack_id", NULL, RPT_F_COUNT, 0}}},
    {"growth",
     "Growth: sites whose live bytes kept growing",
     "growth",
     "slope_bytes_per_s DESC, site",
     "trend = 'growing'",
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"slope_bytes_per_s", "per second", RPT_F_BYTES, 11},
      {"live_bytes_end", "at end", RPT_F_BYTES, 10},
      {"r2", "r2", RPT_F_REAL, 5},
      {"samples", NULL, RPT_F_COUNT, 0},
      {"trend", NULL, RPT_F_TEXT, 0},
      {"site", "site", RPT_F_TEXT, 0},
      {"location", "location", RPT_F_TEXT, 24}}},
    {"fragmentation",
     "Fragmentation risk",
     "fragmentation",
     "CASE risk WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, long_lived_small DESC",
     "risk <> 'low'",
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"risk", "risk", RPT_F_TEXT, 6},
      {"long_lived_small", "long-lived", RPT_F_COUNT, 10},
      {"short_lived_between", "short between", RPT_F_COUNT, 13},
      {"alignment_waste_bytes", "align waste", RPT_F_BYTES, 11},
      {"min_bytes", NULL, RPT_F_BYTES, 0},
      {"max_bytes", NULL, RPT_F_BYTES, 0},
      {"site", "site", RPT_F_TEXT, 0},
      {"location", "location", RPT_F_TEXT, 24}}},
    {"advice",
     "Advice",
     "advice",
     "rank",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     0,
     {{"rank", "#", RPT_F_COUNT, 3},
      {"severity", NULL, RPT_F_TEXT, 0},
      {"kind", "kind", RPT_F_TEXT, 14},
      {"site", "site", RPT_F_TEXT, 20},
      {"location", "location", RPT_F_TEXT, 20},
      {"suggestion", "suggestion", RPT_F_TEXT, 0},
      {"evidence", NULL, RPT_F_TEXT, 0}}},
    {"timeline",
     "Live heap over time",
     "timeline",
     "thread_id IS NOT NULL, thread_id, step",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     1,
     {{"thread_id", NULL, RPT_F_COUNT, 0},
      {"step", NULL, RPT_F_COUNT, 0},
      {"t_s", NULL, RPT_F_SECS, 0},
      {"max_live_bytes", NULL, RPT_F_BYTES, 0},
      {"end_live_bytes", NULL, RPT_F_BYTES, 0},
      {"allocated_bytes", NULL, RPT_F_BYTES, 0},
      {"freed_bytes", NULL, RPT_F_BYTES, 0},
      {"marks", NULL, RPT_F_TEXT, 0}}},
    {"lifetimes",
     "Lifetimes and sizes by site",
     "lifetimes",
     "site, dimension, bucket",
     NULL,
     NULL,
     RPT_PER_PROCESS,
     RPT_TABLE,
     1,
     {{"site", NULL, RPT_F_TEXT, 0},
      {"dimension", NULL, RPT_F_TEXT, 0},
      {"bucket", NULL, RPT_F_COUNT, 0},
      {"range", NULL, RPT_F_TEXT, 0},
      {"blocks", NULL, RPT_F_COUNT, 0},
      {"bytes", NULL, RPT_F_BYTES, 0}}},
    {"hotspots_by_stack",
     "Hotspots: allocation calls by stack, all processes, most first",
     "hotspots_by_stack",
     "calls DESC, bytes DESC, stack_id",
     NULL,
     "hotspots",
     RPT_GLOBAL,
     RPT_TABLE,
     0,
     {{"calls", "calls", RPT_F_COUNT, 9}, {"bytes", "bytes", RPT_F_BYTES, 10}, SITE_COLUMNS}},
    /* A run of make or a shell script is many processes: which one to read first. */
    {"processes",
     "Processes, in the order reported below (mtdb report -p ID: one alone)",
     "summary",
     "process_id",
     NULL,
     NULL,
     RPT_GLOBAL,
     RPT_TABLE,
     0,
     {{"process_id", "id", RPT_F_COUNT, 5},
      {"pid", "pid", RPT_F_COUNT, 8},
      {"started_by", "from", RPT_F_TEXT, 5},
      {"command", "command", RPT_F_TEXT, 0}, /* not last: cut to one line, never wrapped */
      {"alloc_calls", "allocations", RPT_F_COUNT, 11},
      {"peak_live_bytes", "peak", RPT_F_BYTES, 10},
      {"live_bytes_at_exit", "at exit", RPT_F_BYTES, 10}},
     1},
};
const size_t rpt_section_count = sizeof rpt_sections / sizeof rpt_sections[0];

const rpt_section_t *rpt_section_find(const char *key)
{
    for (size_t i = 0; i < rpt_section_count; i++)
        if (strcmp(rpt_sections[i].key, key) == 0)
            return &rpt_sections[i];
    return NULL;
}

int rpt_section_available(rpt_db_t *db, const rpt_section_t *s)
{
    if (!rpt_db_has_view(db, s->view))
        return rpt_db_fail(db, RPT_E_NOVIEW, "view %s", s->view);
    char sql[256];
    rpt_rows_t *probe;
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" LIMIT 0", s->view);
    if (rpt_rows_open(db, sql, &probe) != RPT_OK) { /* a view this SQLite cannot run */
        char why[512];
        snprintf(why, sizeof why, "%s", rpt_db_message(db));
        return rpt_db_fail(db, RPT_E_NOVIEW, "view %s cannot be read: %s", s->view, why);
    }
    rpt_rows_close(probe);
    for (const rpt_column_t *c = s->columns; c->name; c++)
        if (!c->expr && !rpt_db_has_column(db, s->view, c->name))
            return rpt_db_fail(db, RPT_E_NOVIEW, "column %s.%s", s->view, c->name);
    return RPT_OK;
}

int rpt_section_is_upgrade(const rpt_section_t *s)
{
    for (size_t i = 0; i < rpt_section_count; i++)
        if (rpt_sections[i].superseded_by && strcmp(rpt_sections[i].superseded_by, s->key) == 0)
            return 1;
    return 0;
}

int rpt_section_superseded(rpt_db_t *db, const rpt_section_t *s)
{
    if (!s->superseded_by)
        return 0;
    const rpt_section_t *by = rpt_section_find(s->superseded_by);
    return by && rpt_section_available(db, by) == RPT_OK;
}

/* SELECT <columns> FROM <view> v [WHERE process_id = ?1] [AND filter] ORDER BY .. LIMIT ?2,
 * or from shared, a temporary table of the section's rows for every process (below). */
static int rpt_section_sql(const rpt_section_t *s, const char *shared, char *sql, size_t len)
{
    size_t n = (size_t)snprintf(sql, len, "SELECT ");
    for (const rpt_column_t *c = s->columns; c->name && n < len; c++)
        n += (size_t)snprintf(sql + n, len - n, "%s%s AS \"%s\"", c == s->columns ? "" : ", ",
                              c->expr ? c->expr : c->name, c->name);
    if (n < len && shared)
        n += (size_t)snprintf(sql + n, len - n,
                              " FROM temp.\"%s\" v WHERE v.process_id = ?1 ORDER BY v.rpt_rank "
                              "LIMIT ?2",
                              shared);
    else if (n < len)
        n += (size_t)snprintf(sql + n, len - n,
                              " FROM \"%s\" v WHERE %s AND %s ORDER BY %s "
                              "LIMIT ?2",
                              s->view,
                              s->scope == RPT_PER_PROCESS ? "v.process_id = ?1" : "?1 IS NOT NULL",
                              s->filter ? s->filter : "1", s->order_by);
    return n < len ? RPT_OK : RPT_E_NOMEM;
}

/* The analysis views compute the rows of every process whatever process a query asks
 * for (their windows, grids and per-process sums do not take the process first): a
 * report of a make run's 30 processes computed each view 30 times, 49 s in all. So a
 * section asked for a second process has its first `limit` rows of every process read
 * in one query, ranked as the section orders them, into a temporary table, which each
 * process then reads. One process (mtdb report -p) is read directly. */
#define RPT_SHARED_SECTIONS 64

typedef struct rpt_shared {
    const rpt_db_t *db;
    long long first_process;
    int limit, state; /* 0: one process asked so far, 1: in the table, -1: not to be made */
} rpt_shared_t;

static rpt_shared_t rpt_shared[RPT_SHARED_SECTIONS];

static int rpt_run(rpt_db_t *db, const char *sql)
{
    rpt_rows_t *rows;
    int rc = rpt_rows_open(db, sql, &rows);
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1)
        rc = RPT_OK;
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

/* The temporary table to read the section's rows for process from (into table), or 0 to
 * read the view itself. */
static int rpt_section_shared(rpt_db_t *db, const rpt_section_t *s, long long process, int limit,
                              char *table, size_t len)
{
    size_t i = (size_t)(s - rpt_sections);
    if (s->scope != RPT_PER_PROCESS || i >= RPT_SHARED_SECTIONS)
        return 0;
    rpt_shared_t *h = &rpt_shared[i];
    if (h->db != db || h->limit != limit)
        *h = (rpt_shared_t){db, process, limit, 0};
    if (limit < 0)
        snprintf(table, len, "rpt_shared_%zu_all", i);
    else
        snprintf(table, len, "rpt_shared_%zu_%d", i, limit);
    if (h->state == 1 || h->state < 0 || process == h->first_process)
        return h->state == 1;
    char sql[4096];
    snprintf(sql, sizeof sql,
             "CREATE TEMP TABLE \"%s\" AS SELECT * FROM (SELECT v.*, row_number() OVER "
             "(PARTITION BY v.process_id ORDER BY %s) AS rpt_rank FROM \"%s\" v WHERE %s) "
             "WHERE %d < 0 OR rpt_rank <= %d",
             table, s->order_by, s->view, s->filter ? s->filter : "1", limit, limit);
    int rc = rpt_run(db, sql);
    if (rc == RPT_OK) {
        snprintf(sql, sizeof sql,
                 "CREATE INDEX temp.\"%s_by_process\" ON \"%s\" (process_id, rpt_rank)", table,
                 table);
        rc = rpt_run(db, sql);
    }
    h->state = rc == RPT_OK ? 1 : -1; /* a view that cannot be ranked so: read it directly */
    return h->state == 1;
}

int rpt_section_rows(rpt_db_t *db, const rpt_section_t *s, long long process, int limit,
                     rpt_rows_t **out)
{
    char sql[4096], table[64];
    *out = NULL;
    int rc = rpt_section_available(db, s);
    int shared = rc == RPT_OK && rpt_section_shared(db, s, process, limit, table, sizeof table);
    if (rc == RPT_OK)
        rc = rpt_section_sql(s, shared ? table : NULL, sql, sizeof sql);
    if (rc == RPT_OK)
        rc = rpt_rows_open(db, sql, out);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(*out, 1, process);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(*out, 2, limit);
    if (rc != RPT_OK) {
        rpt_rows_close(*out);
        *out = NULL;
    }
    return rc;
}

int rpt_process_rows(rpt_db_t *db, long long process, rpt_rows_t **out)
{
    int rc = rpt_rows_open(db,
                           "SELECT process_id, pid, coalesce(command, ''), started_by "
                           "FROM summary WHERE ?1 = 0 OR process_id = ?1 "
                           "ORDER BY process_id",
                           out);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(*out, 1, process);
    return rc;
}

static void rpt_format_scaled(double v, const char *const *units, const double *steps, int nunits,
                              char *buf, size_t len)
{
    int u = 0;
    while (u + 1 < nunits && (v >= steps[u + 1] || v <= -steps[u + 1]))
        u++;
    if (u == 0)
        snprintf(buf, len, "%.0f %s", v, units[0]);
    else
        snprintf(buf, len, "%.1f %s", v / steps[u], units[u]);
}

void rpt_format_value(rpt_rows_t *rows, int col, rpt_fmt_t fmt, char *buf, size_t len)
{
    static const char *const byte_units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    static const double byte_steps[] = {1, 1024.0, 1048576.0, 1073741824.0, 1099511627776.0};
    static const char *const ns_units[] = {"ns", "us", "ms", "s"};
    static const double ns_steps[] = {1, 1e3, 1e6, 1e9};
    if (rpt_rows_type(rows, col) == RPT_NULL) {
        snprintf(buf, len, "-");
        return;
    }
    double v = rpt_rows_real(rows, col);
    switch (fmt) {
    case RPT_F_BYTES:
        rpt_format_scaled(v, byte_units, byte_steps, 5, buf, len);
        return;
    case RPT_F_NS:
        rpt_format_scaled(v, ns_units, ns_steps, 4, buf, len);
        return;
    case RPT_F_US:
        rpt_format_scaled(v * 1e3, ns_units, ns_steps, 4, buf, len);
        return;
    case RPT_F_SECS:
        snprintf(buf, len, "%.3f s", v);
        return;
    case RPT_F_REAL:
        snprintf(buf, len, "%.2f", v);
        return;
    case RPT_F_COUNT:
        if (rpt_rows_type(rows, col) == RPT_INT) {
            snprintf(buf, len, "%lld", rpt_rows_int(rows, col));
            return;
        }
        snprintf(buf, len, "%.0f", v);
        return;
    case RPT_F_TEXT:
        snprintf(buf, len, "%s", rpt_rows_text(rows, col));
        rpt_flatten_controls(buf);
        return;
    }
}

void rpt_flatten_controls(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}
