/* imp_import.c: mtdb_import (mtdb_importer.h), one import from start to end: the
 * temporary file (imp_output.c), the processes, links, symbols and indexes, then its
 * publication under the target's name.
 *
 * Atomic: published only on success; failure or mtdb_import_interrupt removes the
 * temporary file. Must never print: the caller hears through the result and events.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imp_alloc_check.h"
#include "imp_clock.h"
#include "imp_error.h"
#include "imp_finish.h"
#include "imp_links.h"
#include "imp_output.h"
#include "imp_problem.h"
#include "imp_process.h"
#include "imp_rules.h"
#include "imp_scan.h"
#include "imp_symbolize.h"
#include "mtdb_importer.h"
#include "mtdb_schema.h"

static volatile sig_atomic_t imp_interrupted;
static imp_db_t *volatile imp_signal_db;

void mtdb_import_interrupt(void)
{
    imp_interrupted = 1;
    imp_db_interrupt(imp_signal_db);
}

void mtdb_import_options_init(mtdb_import_options_t *opt)
{
    *opt = (mtdb_import_options_t){.dir = MTDB_DEFAULT_DIR, .output = "trace.db", .symbols = 1,
                                   .threads = 2, .spool = 1};
}

static int imp_info_write(imp_run_t *run)
{
    static const char *const keys[] = {"schema_version", "format_major", "importer_version",
                                       "source_dir", "imported_at_wall_ns"};
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    imp_value_t vals[] = {imp_v_int(MTDB_SCHEMA_VERSION), imp_v_int(MTDB_FORMAT_MAJOR), imp_v_text(MTDB_VERSION),
                          imp_v_text(run->opt->dir),
                          imp_v_int((int64_t)now.tv_sec * 1000000000 + now.tv_nsec)};
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof keys / sizeof *keys; i++) {
        imp_value_t row[2] = {imp_v_text(keys[i]), vals[i]};
        rc = imp_db_put(run->db, IMP_T_INFO, row);
    }
    return rc;
}

/* A module file that cannot be read leaves its frames unsymbolized: say which, once.
 * Names without a '/' ("linux-vdso.so.1") are not files. */
static int imp_modules_check(imp_run_t *run)
{
    const imp_store_t *s = &run->store;
    int rc = 0;
    for (uint32_t i = 0; !rc && run->opt->symbols && i < s->nmodules; i++) {
        const char *path = s->module_path[i];
        if (!path || !strchr(path, '/') || access(path, R_OK) == 0)
            continue;
        char msg[4200];
        snprintf(msg, sizeof msg, "module %s cannot be read (%s): its frames stay unsymbolized",
                 path, strerror(errno));
        rc = imp_problem_add(run, &(imp_problem_t){.kind = "missing_module", .message = msg});
    }
    return rc;
}

static int imp_load(imp_run_t *run, char *msg, size_t msg_len)
{
    int rc = imp_scan_dir(run, run->opt->dir, msg, msg_len);
    for (uint32_t i = 0; !rc && i < run->nprocs; i++)
        rc = imp_process_import(run, &run->procs[i]);
    if (!rc)
        rc = imp_links_write(run);
    if (!rc)
        rc = imp_modules_check(run);
    run->nprocs_done = rc ? 0 : run->nprocs;
    /* The spool is complete: the timeline's sort starts now, beside the commit. */
    if (!rc && imp_spool_map(&run->spool) == 0) {
        imp_timeline_start(&run->timeline, &run->spool, run->nprocs, run->opt->threads > 1);
        run->timeline_started = 1;
    }
    if (!rc)
        rc = imp_symbolize_start(run);
    if (!rc)
        rc = imp_info_write(run);
    if (!rc)
        rc = imp_finish_load(run->db, &run->times);
    run->times.insert = imp_db_insert_seconds(run->db);
    if (!rc)
        rc = imp_rules_write(run->db, run->opt->rules, run->opt->nrules);
    if (!rc)
        rc = imp_symbolize_write(run);
    imp_symbolize_free(run);
    if (!rc)
        rc = imp_finish(run->db, &run->store, &run->spool,
                        run->timeline_started ? &run->timeline : NULL, &run->times);
    return rc;
}

/* Imports into tmp; returns an IMP_* code. */
static int imp_into(imp_run_t *run, const char *tmp, char *msg, size_t msg_len)
{
    run->msg = msg, run->msg_len = msg_len;
    int rc = imp_db_create(tmp, run->opt->threads, &run->db, msg, msg_len);
    if (rc)
        return rc;
    imp_store_init(&run->store, run->db);
    imp_spool_open(&run->spool, run->opt->spool ? tmp : NULL);
    imp_signal_db = run->db;
    rc = imp_load(run, msg, msg_len);
    if (rc == IMP_EDB && !msg[0])
        snprintf(msg, msg_len, "database: %s", imp_db_errmsg(run->db));
    imp_signal_db = NULL;
    imp_db_close(run->db);
    imp_store_free(&run->store);
    imp_timeline_free(&run->timeline); /* before the spool it may still be reading */
    imp_spool_close(&run->spool);
    imp_scan_free(run);
    imp_alloc_check_free(run);
    return imp_interrupted ? IMP_EINTR : rc;
}

static void imp_result_fill(const imp_run_t *run, mtdb_import_result_t *res)
{
    const imp_times_t *t = &run->times;
    res->processes = run->nprocs_done;
    res->threads = run->threads, res->events = run->events, res->blocks = run->blocks;
    res->problems = run->warnings;
    res->parse_s = t->parse, res->pair_s = t->pair, res->symbolize_s = t->symbolize;
    res->insert_s = t->insert, res->index_s = t->index, res->total_s = t->total;
    res->sites_s = t->sites, res->blocks_s = t->blocks;
}

/* Imports into the temporary file tmp, locked by this import, then publishes it. */
static int imp_locked(const mtdb_import_options_t *opt, const char *tmp, mtdb_import_result_t *res)
{
    imp_run_t run;
    memset(&run, 0, sizeof run);
    run.opt = opt;
    run.interrupted = (volatile int *)&imp_interrupted;
    double t0 = imp_clock_now_s();
    int rc = imp_into(&run, tmp, res->message, sizeof res->message);
    if (!rc)
        rc = imp_publish(tmp, opt->output, opt->force, res->message, sizeof res->message);
    run.times.total = imp_clock_now_s() - t0;
    imp_result_fill(&run, res);
    return rc;
}

int mtdb_import(const mtdb_import_options_t *opt, mtdb_import_result_t *res)
{
    memset(res, 0, sizeof *res);
    imp_interrupted = 0;
    int rc = 0;
    for (int i = 0; !rc && i < opt->nrules; i++)
        rc = mtdb_import_rule_check(opt->rules[i], res->message, sizeof res->message);
    if (!rc)
        rc = imp_target_check(opt->output, opt->force, res->message, sizeof res->message);
    if (rc)
        return rc;
    imp_temp_clean(opt);
    size_t len = strlen(opt->output) + 32;
    char *tmp = malloc(len);
    if (!tmp)
        return IMP_ENOMEM;
    snprintf(tmp, len, "%s.tmp-%ld", opt->output, (long)getpid());
    unlink(tmp);
    int lock_fd = imp_temp_create(tmp, res->message, sizeof res->message);
    rc = lock_fd < 0 ? IMP_EIO : imp_locked(opt, tmp, res);
    if (rc == IMP_EINTR)
        res->message[0] = 0;
    if (lock_fd >= 0) {
        imp_temp_remove(tmp); /* after link(2) the database lives on under its own name */
        close(lock_fd);
    }
    free(tmp);
    return rc;
}
