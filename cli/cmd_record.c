/* cmd_record.c: `mtdb record [options] -- PROG ARGS`, the launcher of the recorder.
 *
 * Turns the options of the settings table (format/mtdb_settings.h) into MTDB_* variables
 * 1:1, preloads libmtrec.so, runs the program and passes its exit status through. It
 * refuses, before running anything, the programs LD_PRELOAD cannot reach (static, set-uid)
 * and fails loudly when the program left no trace. Once the program has ended, the files
 * of ended processes are trimmed (record_trim.c) and packed (record_pack.c, unless
 * --no-compress). Must never validate a setting any other way than mtdb_setting_parse(),
 * nor write into the trace directory itself.
 *
 * This file runs the steps in order and maps their codes to exit statuses; each step
 * lives in a record_*.c of its own (record.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "mtdb_allocators.h"
#include "mtdb_names.h"
#include "mtdb_settings.h"
#include "record.h"
#include "trace_pack.h"

static int record_exit_status(int code)
{
#define RECORD_ERR_STATUS(name, c, status, msg)                                                    \
    if (code == c)                                                                                 \
        return status;
    RECORD_ERRORS(RECORD_ERR_STATUS)
#undef RECORD_ERR_STATUS
    return CLI_EXIT_FAILURE;
}

/* ---- the command ----------------------------------------------------------------------- */

typedef struct record_run {
    record_options_t opts;
    const char *output; /* as the user wrote it */
    char abs_output[PATH_MAX];
    char library[PATH_MAX];
    char program[PATH_MAX];
    record_names_t before, after;
    pid_t pid;
    int wait_status;
} record_run_t;

static int check_request(record_run_t *r, int argc, char **argv)
{
    int rc = record_parse_options(argc, argv, &r->opts);
    if (rc != RECORD_OK || r->opts.help)
        return rc;
    if (!r->opts.prog_argv[0]) {
        record_print_error("no program to record (usage: mtdb record [options] -- PROG [ARGS...])");
        return RECORD_EUSAGE;
    }
    r->output =
        r->opts.values[MTDB_SET_OUTPUT] ? r->opts.values[MTDB_SET_OUTPUT] : MTDB_DEFAULT_DIR;
    return record_check_inherited_settings(&r->opts);
}

/* A directory that already holds a trace would sum two runs in one import: refused, or
 * with --force its trace files are removed first. */
static int clear_old_traces(record_run_t *r)
{
    if (!r->before.count)
        return RECORD_OK;
    if (!r->opts.force) {
        record_print_error("output directory %s already holds a trace (%zu files) that an import "
                           "would add to this run: use -f to remove it first, or another -o DIR",
                           r->output, r->before.count);
        return RECORD_EOUTDIR;
    }
    char path[PATH_MAX + NAME_MAX + 2];
    for (size_t i = 0; i < r->before.count; i++) {
        snprintf(path, sizeof path, "%s/%s", r->abs_output, r->before.names[i]);
        if (unlink(path) != 0 && errno != ENOENT) {
            record_print_error("cannot remove %s: %s", path, strerror(errno));
            return RECORD_EOUTDIR;
        }
    }
    record_free_names(&r->before);
    return RECORD_OK;
}

static int prepare_run(record_run_t *r)
{
    const char *prog = r->opts.prog_argv[0];
    if (record_resolve_program(prog, r->program, sizeof r->program) != RECORD_OK) {
        record_print_error("%s: program not found%s", prog, strchr(prog, '/') ? "" : " in PATH");
        return RECORD_ENOPROG;
    }
    int rc = record_check_program(r->program);
    if (rc == RECORD_OK)
        rc = record_find_library(r->library, sizeof r->library);
    if (rc == RECORD_OK)
        rc = record_prepare_output_dir(r->output, r->abs_output, sizeof r->abs_output);
    if (rc == RECORD_OK)
        rc = record_list_trace_names(r->abs_output, &r->before);
    if (rc == RECORD_OK)
        rc = clear_old_traces(r);
    if (rc == RECORD_OK)
        rc = record_export_settings(&r->opts, r->abs_output, r->library);
    return rc;
}

/* A recorder that ran but could not write its process file leaves an empty mark,
 * mtdb-<pid>-<nonce>.failed-<errno>. Returns that errno (0: no mark) and removes the
 * mark: the directory keeps only traces. */
static int take_failure_mark(const char *dir, pid_t pid)
{
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, MTDB_FILE_PREFIX "%d-", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int err = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const char *mark = strstr(e->d_name, ".failed-");
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0 || !mark)
            continue;
        err = atoi(mark + strlen(".failed-"));
        err = err > 0 ? err : EIO;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
    return err;
}

/* After the run: loud when the program left no trace, else the one-line summary. */
static int finish_run(record_run_t *r, int status)
{
    record_outcome_t out;
    if (record_list_trace_names(r->abs_output, &r->after) != RECORD_OK)
        return status ? status : CLI_EXIT_FAILURE;
    record_count_new_traces(&r->before, &r->after, r->pid, &out);
    int write_error = out.root_traced ? 0 : take_failure_mark(r->abs_output, r->pid);
    if (write_error) {
        record_print_error(
            "no trace written: the recorder ran in %s (pid %d) but could not write its "
            "trace into %s: %s; see docs/troubleshooting.md",
            r->opts.prog_argv[0], (int)r->pid, r->output, strerror(write_error));
        return status ? status : CLI_EXIT_FAILURE;
    }
    if (!out.root_traced) {
        record_print_error(
            "no trace written: %s (pid %d) left no trace file in %s; the recorder never "
            "ran in it (static, set-uid, its own malloc, or LD_PRELOAD cleared?), see "
            "docs/troubleshooting.md",
            r->opts.prog_argv[0], (int)r->pid, r->output);
        return status ? status : CLI_EXIT_FAILURE;
    }
    record_trim_traces(r->abs_output, &r->before, &r->after);
    record_pack_totals_t packed;
    if (!r->opts.no_compress)
        (void)record_pack_traces(r->abs_output, &r->before, &r->after, MTDB_PACK_LEVEL_DEFAULT,
                                 &packed);
    if (!r->opts.quiet)
        fprintf(stderr, "mtdb: recorded %zu process(es) into %s\n", out.processes, r->output);
    return status;
}

int mtdb_cmd_record(int argc, char **argv)
{
    static record_run_t run; /* large; one per process */
    record_run_t *r = &run;
    memset(r, 0, sizeof *r);
    int rc = check_request(r, argc, argv);
    if (rc == RECORD_OK && r->opts.help)
        return record_print_help(), CLI_EXIT_OK;
    if (rc == RECORD_OK)
        rc = prepare_run(r);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rc == RECORD_OK)
        rc = record_run_program(r->opts.prog_argv, &r->pid, &r->wait_status);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == RECORD_OK)
        record_warn_quiet_root(r->abs_output, r->pid, r->opts.prog_argv[0],
                               (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
    int status = rc == RECORD_OK
                     ? finish_run(r, record_pass_status(r->opts.prog_argv[0], r->wait_status))
                     : record_exit_status(rc);
    record_free_names(&r->before);
    record_free_names(&r->after);
    return status;
}
