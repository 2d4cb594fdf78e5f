/* imp_finish.c: after the bulk load, the steps that need every row, in their order:
 * the commit and the indexes (50), which need no symbols, so that the symbol lookups run
 * beside them; then short function names (55-derive.sql reads them), the rest of the
 * post-load schema files by number, with fork inheritance (51) only when needed, the per-stack part of 55 computed
 * on the stack tree and the per-block tables (56) in one pass instead, then ANALYZE.
 *
 * Talks to the database through imp_db.h only; the SQL it runs is in sql/. Must never
 * change a loaded row except through those files.
 */
#include <stdlib.h>
#include <string.h>

#include "imp_clock.h"
#include "imp_demangle.h"
#include "imp_derive.h"
#include "imp_error.h"
#include "imp_finish.h"
#include "imp_sql.h"
#include "imp_stack_sites.h"

/* sql/51-fork-inherited.sql, only when a fork child has a free of no block of its own:
 * the index it builds costs a pass over every block. */
static int imp_fork_inherited(imp_db_t *db)
{
    int64_t any = 0;
    int rc = imp_db_scan_int(db,
                             "SELECT EXISTS (SELECT 1 FROM unmatched_frees u JOIN processes c"
                             " ON c.process_id = u.process_id WHERE c.started_by = 'fork')",
                             &any);
    if (rc || !any)
        return rc;
    return imp_db_apply_files(db, IMP_SQL_FORK_INHERITED, IMP_SQL_FORK_INHERITED + 1);
}

static const char imp_function_name_insert[] = "INSERT INTO function_names VALUES(?, ?)";

static int imp_short_name_row(void *ctx, const imp_value_t *cols, int ncols)
{
    imp_db_t *db = ctx;
    if (ncols < 1 || cols[0].type != IMP_V_TEXT)
        return 0;
    char *short_name = imp_short_name(cols[0].s);
    if (!short_name)
        return IMP_ENOMEM;
    imp_value_t row[2] = {cols[0], imp_v_text(short_name)};
    int rc = imp_db_run(db, imp_function_name_insert, row, 2);
    free(short_name);
    return rc;
}

/* Fills function_names: the short form (imp_short_name) of every function in symbols,
 * which sql/55-derive.sql matches against site_rules and shows as sites. */
static int imp_short_names(imp_db_t *db)
{
    return imp_db_scan(db, "SELECT DISTINCT function FROM symbols WHERE function IS NOT NULL",
                       imp_short_name_row, db);
}

/* The embedded text of the schema file numbered number. */
static const char *imp_sql_text(int number)
{
    for (int i = 0; i < imp_sql_file_count; i++)
        if (atoi(imp_sql_files[i].name) == number)
            return imp_sql_files[i].text;
    return NULL;
}

/* sql/55-derive.sql with its per-stack part computed on the stack tree: the text before
 * the part's mark, imp_stack_sites, the text after the part's end mark. */
static int imp_derive(imp_db_t *db, imp_store_t *store, imp_site_keys_t *keys)
{
    const char *text = imp_sql_text(IMP_SQL_DERIVE);
    const char *begin = text ? strstr(text, IMP_SQL_PER_STACK_BEGIN) : NULL;
    const char *end = begin ? strstr(begin, IMP_SQL_PER_STACK_END) : NULL;
    if (!end)
        return IMP_EDB; /* the build embeds the file: never without its marks */
    char *before = strndup(text, (size_t)(begin - text));
    if (!before)
        return IMP_ENOMEM;
    int rc = imp_db_exec(db, before);
    free(before);
    if (!rc)
        rc = imp_stack_sites(db, store, keys);
    if (!rc)
        rc = imp_db_exec(db, end);
    return rc;
}

/* The post-load schema files after the indexes, in the order of their numbers. */
static int imp_post_load_files(imp_db_t *db, imp_store_t *store, imp_spool_t *spool,
                               imp_timeline_t *timeline, imp_times_t *times)
{
    int rc = imp_fork_inherited(db);
    if (!rc)
        rc = imp_db_apply_files(db, IMP_SQL_FORK_INHERITED + 1, IMP_SQL_DERIVE);
    double t0 = imp_clock_now_s();
    imp_site_keys_t keys; /* stack_sites' rows, from the sites to the per-block pass */
    memset(&keys, 0, sizeof keys);
    if (!rc)
        rc = imp_derive(db, store, &keys);
    double t1 = imp_clock_now_s();
    times->sites = t1 - t0;
    if (!rc)
        rc = imp_db_apply_files(db, IMP_SQL_DERIVE + 1, IMP_SQL_DERIVE_BLOCKS);
    if (!rc)
        rc = imp_derive_blocks(db, spool, timeline, &keys);
    imp_site_keys_free(&keys);
    times->blocks = imp_clock_now_s() - t1;
    if (!rc)
        rc = imp_db_apply_files(db, IMP_SQL_DERIVE_BLOCKS + 1, IMP_SQL_LAST + 1);
    return rc;
}

int imp_finish_load(imp_db_t *db, imp_times_t *times)
{
    int rc = imp_db_end_load(db);
    if (rc)
        return rc;
    double t0 = imp_clock_now_s();
    rc = imp_db_apply_files(db, IMP_SQL_AFTER_LOAD, IMP_SQL_FORK_INHERITED);
    times->index += imp_clock_now_s() - t0;
    return rc;
}

int imp_finish(imp_db_t *db, imp_store_t *store, imp_spool_t *spool, imp_timeline_t *timeline,
               imp_times_t *times)
{
    double t0 = imp_clock_now_s();
    int rc = imp_short_names(db);
    if (!rc)
        rc = imp_post_load_files(db, store, spool, timeline, times);
    if (!rc)
        rc = imp_db_end(db);
    times->index += imp_clock_now_s() - t0;
    return rc;
}
