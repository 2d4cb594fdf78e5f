/* rpt_check.c: `mtdb check`: memory limits a CI job can gate on.
 *
 * Each limit is one view figure: leaked bytes (the leaks view's bytes live at exit at user
 * and unknown sites: the runtime's own blocks, such as libstdc++'s exception pool, are
 * no leak a program can fix, and would fail every C++ program's gate), peak
 * (summary.peak_live_bytes, the largest process's), allocations (summary.alloc_calls,
 * summed), temporaries (site_totals.temp_blocks, summed, as `mtdb diff` counts them). A
 * limit whose view is not in the database counts as broken: a gate must never pass on
 * what it cannot see.
 */
#include <stdio.h>

#include "rpt_report.h"

typedef struct rpt_limit_def {
    const char *option, *what, *view, *sql;
    rpt_fmt_t fmt;
} rpt_limit_def_t;

static const rpt_limit_def_t rpt_limit_defs[] = {
    {"--max-leaked-bytes", "leaked bytes", "leaks",
     "SELECT coalesce(sum(bytes), 0) FROM leaks WHERE kind = 'live_at_exit' AND "
     "class <> 'runtime' AND (?1 = 0 OR process_id = ?1)",
     RPT_F_BYTES},
    {"--max-peak-bytes", "peak live bytes", "summary",
     "SELECT coalesce(max(peak_live_bytes), 0) FROM summary WHERE ?1 = 0 OR process_id = ?1",
     RPT_F_BYTES},
    {"--max-allocations", "allocations", "summary",
     "SELECT coalesce(sum(alloc_calls), 0) FROM summary WHERE ?1 = 0 OR process_id = ?1",
     RPT_F_COUNT},
    {"--max-temporaries", "temporaries", "site_totals",
     "SELECT coalesce(sum(temp_blocks), 0) FROM site_totals WHERE ?1 = 0 OR process_id = ?1",
     RPT_F_COUNT},
};

static int rpt_limit_value(rpt_db_t *db, const rpt_limit_def_t *def, long long process,
                           long long *value)
{
    if (!rpt_db_has_view(db, def->view))
        return rpt_db_fail(db, RPT_E_NOVIEW, "view %s", def->view);
    rpt_rows_t *rows;
    int rc = rpt_rows_open(db, def->sql, &rows);
    if (rc == RPT_OK)
        rc = rpt_rows_bind_int(rows, 1, process);
    if (rc == RPT_OK)
        rc = rpt_rows_next(rows);
    *value = rc == 1 ? rpt_rows_int(rows, 0) : 0;
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

int rpt_check(rpt_db_t *db, const rpt_limits_t *limits, long long process, FILE *out, int *broken)
{
    const long long max[] = {limits->max_leaked_bytes, limits->max_peak_bytes,
                             limits->max_allocations, limits->max_temporaries};
    *broken = 0;
    for (size_t i = 0; i < sizeof max / sizeof max[0]; i++) {
        const rpt_limit_def_t *def = &rpt_limit_defs[i];
        long long value;
        if (max[i] < 0)
            continue;
        int rc = rpt_limit_value(db, def, process, &value);
        if (rc == RPT_E_NOVIEW) {
            fprintf(out, "mtdb check: %s %lld: cannot be checked: %s not in this database\n",
                    def->option, max[i], rpt_db_message(db));
            ++*broken;
            continue;
        }
        if (rc != RPT_OK)
            return rc;
        if (value > max[i]) {
            fprintf(out, "mtdb check: %s %lld exceeds %s %lld\n", def->what, value, def->option,
                    max[i]);
            ++*broken;
        }
    }
    return RPT_OK;
}
