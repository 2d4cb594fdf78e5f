/* imp_import.c: one import from start to end: temporary file, processes, links,
 * symbols, indexes, then the rename that publishes the database.
 *
 * Atomic: everything is written to <target>.tmp-<pid> beside the target and renamed
 * only on success; failure or SIGINT/SIGTERM removes the temporary file. Must never
 * open or modify an existing target (rename replaces it only with --force).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imp_ctx.h"
#include "imp_error.h"
#include "imp_import.h"
#include "mtdb_importer.h"

static volatile sig_atomic_t imp_interrupted;
static imp_db_t *volatile imp_signal_db;

double imp_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

const char *imp_func_name(unsigned func)
{
    switch (func) {
#define IMP_FUNC_CASE(name, num, str)                                                              \
    case num:                                                                                      \
        return str;
        MTDB_FUNC_LIST(IMP_FUNC_CASE)
#undef IMP_FUNC_CASE
    }
    return "unknown";
}

static void imp_on_signal(int sig)
{
    (void)sig;
    imp_interrupted = 1;
    imp_db_interrupt(imp_signal_db);
}

static int imp_info_write(imp_run_t *run)
{
    static const char *const keys[] = {"schema_version", "format_major", "importer_version",
                                       "source_dir", "imported_at_wall_ns"};
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    imp_value_t vals[] = {imp_v_int(1), imp_v_int(MTDB_FORMAT_MAJOR), imp_v_text(MTDB_VERSION),
                          imp_v_text(run->opt->dir),
                          imp_v_int((int64_t)now.tv_sec * 1000000000 + now.tv_nsec)};
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof keys / sizeof *keys; i++) {
        imp_value_t row[2] = {imp_v_text(keys[i]), vals[i]};
        rc = imp_db_put(run->db, IMP_T_INFO, row);
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
    run->nprocs_done = rc ? 0 : run->nprocs;
    double t0 = imp_now_s(), wait0 = imp_db_wait_seconds(run->db);
    if (!rc)
        rc = imp_symbolize_all(run);
    run->times.symbolize = imp_now_s() - t0 - (imp_db_wait_seconds(run->db) - wait0);
    if (!rc)
        rc = imp_info_write(run);
    if (!rc)
        rc = imp_db_finish(run->db, &run->times.index);
    run->times.insert = imp_db_insert_seconds(run->db);
    return rc;
}

/* Imports into tmp; returns an IMP_* code. */
static int imp_into(imp_run_t *run, const char *tmp, char *msg, size_t msg_len)
{
    int rc = imp_db_create(tmp, run->opt->threads, &run->db, msg, msg_len);
    if (rc)
        return rc;
    imp_store_init(&run->store, run->db);
    imp_signal_db = run->db;
    rc = imp_load(run, msg, msg_len);
    if (rc == IMP_EDB && !msg[0])
        snprintf(msg, msg_len, "database: %s", imp_db_errmsg(run->db));
    imp_signal_db = NULL;
    imp_db_close(run->db);
    imp_store_free(&run->store);
    imp_scan_free(run);
    return imp_interrupted ? IMP_EINTR : rc;
}

static void imp_print_summary(const imp_run_t *run)
{
    const imp_times_t *t = &run->times;
    if (run->opt->verbose)
        fprintf(stderr,
                "mtdb: time: parse %.3f s, pair %.3f s, symbolize %.3f s, insert %.3f s, "
                "index %.3f s\n",
                t->parse, t->pair, t->symbolize, t->insert, t->index);
    if (run->opt->quiet)
        return;
    fprintf(stderr,
            "imported %u processes, %llu threads, %llu events, %llu blocks, %llu warnings "
            "in %.2f s (%.0f events/s)\n",
            run->nprocs_done, (unsigned long long)run->threads, (unsigned long long)run->events,
            (unsigned long long)run->blocks, (unsigned long long)run->warnings, t->total,
            t->total > 0 ? run->events / t->total : 0.0);
}

static void imp_signals(struct sigaction *old_int, struct sigaction *old_term, int install)
{
    if (!install) {
        sigaction(SIGINT, old_int, NULL);
        sigaction(SIGTERM, old_term, NULL);
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = imp_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

int imp_import_run(const imp_options_t *opt)
{
    struct stat st;
    if (!opt->force && stat(opt->output, &st) == 0) {
        fprintf(stderr, "mtdb: error: %s exists (use --force to replace it)\n", opt->output);
        return MTDB_IMPORT_FAILED;
    }
    size_t len = strlen(opt->output) + 32;
    char *tmp = malloc(len), msg[512] = "";
    if (!tmp)
        return MTDB_IMPORT_FAILED;
    snprintf(tmp, len, "%s.tmp-%ld", opt->output, (long)getpid());
    unlink(tmp);
    imp_run_t run;
    memset(&run, 0, sizeof run);
    run.opt = opt;
    run.interrupted = (volatile int *)&imp_interrupted;
    imp_interrupted = 0;
    struct sigaction old_int, old_term;
    imp_signals(&old_int, &old_term, 1);
    double t0 = imp_now_s();
    int rc = imp_into(&run, tmp, msg, sizeof msg);
    if (!rc && rename(tmp, opt->output) != 0) {
        snprintf(msg, sizeof msg, "cannot rename %s to %s", tmp, opt->output);
        rc = IMP_EIO;
    }
    imp_signals(&old_int, &old_term, 0);
    run.times.total = imp_now_s() - t0;
    if (rc == IMP_EINTR)
        msg[0] = 0;
    if (rc) {
        unlink(tmp);
        fprintf(stderr, "mtdb: error: import failed: %s\n", msg[0] ? msg : imp_strerror(rc));
    } else {
        imp_print_summary(&run);
    }
    free(tmp);
    return rc ? MTDB_IMPORT_FAILED : run.warnings ? MTDB_IMPORT_DAMAGED : MTDB_IMPORT_OK;
}
