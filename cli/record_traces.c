/* record_traces.c: the trace directory of `mtdb record` (record.h): made ready before the
 * run, its trace file names listed before and after, the new ones counted and read for
 * heap calls. Never writes a trace file: only the recorder does.
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
#include "trace_reader.h"

/* ---- the output directory -------------------------------------------------------------- */

static int make_parents(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static int check_existing_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        record_print_error("output directory %s: %s", dir, strerror(errno));
        return RECORD_EOUTDIR;
    }
    if (!S_ISDIR(st.st_mode)) {
        record_print_error("output directory %s exists and is not a directory", dir);
        return RECORD_EOUTDIR;
    }
    if (st.st_uid != geteuid()) {
        record_print_error("output directory %s belongs to another user (uid %u); traces hold the "
                           "program's memory layout, use a directory of your own",
                           dir, (unsigned)st.st_uid);
        return RECORD_EOUTDIR;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        record_print_error("output directory %s is not writable: %s", dir, strerror(errno));
        return RECORD_EOUTDIR;
    }
    return RECORD_OK;
}

/* Creates dir with mode 0700 (parents as the umask allows), or accepts an existing
 * directory of ours; fills abs with its absolute path for the recorder. */
int record_prepare_output_dir(const char *dir, char *abs, size_t len)
{
    if (strlen(dir) >= PATH_MAX - 1) {
        record_print_error("output directory name too long");
        return RECORD_EOUTDIR;
    }
    if (make_parents(dir) == 0 && mkdir(dir, 0700) == 0) {
        if (chmod(dir, 0700) != 0)
            return record_print_error("output directory %s: %s", dir, strerror(errno)),
                   RECORD_EOUTDIR;
    } else if (errno != EEXIST) {
        record_print_error("cannot create output directory %s: %s", dir, strerror(errno));
        return RECORD_EOUTDIR;
    } else if (check_existing_dir(dir) != RECORD_OK) {
        return RECORD_EOUTDIR;
    }
    char resolved[PATH_MAX];
    if (!realpath(dir, resolved) || strlen(resolved) >= len) {
        record_print_error("output directory %s: %s", dir, strerror(errno));
        return RECORD_EOUTDIR;
    }
    snprintf(abs, len, "%s", resolved);
    return RECORD_OK;
}

/* ---- trace files before and after ------------------------------------------------------ */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_name(record_names_t *set, const char *name)
{
    char **grown = realloc(set->names, (set->count + 1) * sizeof *grown);
    if (!grown)
        return RECORD_ESYS;
    set->names = grown;
    if (!(set->names[set->count] = strdup(name)))
        return RECORD_ESYS;
    set->count++;
    return RECORD_OK;
}

void record_free_names(record_names_t *set)
{
    for (size_t i = 0; i < set->count; i++)
        free(set->names[i]);
    free(set->names);
    set->names = NULL;
    set->count = 0;
}

/* The trace file names in dir, sorted. */
int record_list_trace_names(const char *dir, record_names_t *set)
{
    DIR *d = opendir(dir);
    if (!d) {
        record_print_error("cannot read output directory %s: %s", dir, strerror(errno));
        return RECORD_EOUTDIR;
    }
    int rc = RECORD_OK;
    for (struct dirent *e; rc == RECORD_OK && (e = readdir(d));)
        if (mtdb_trace_file_kind(e->d_name))
            rc = add_name(set, e->d_name);
    closedir(d);
    if (set->count)
        qsort(set->names, set->count, sizeof *set->names, compare_names);
    return rc;
}

/* The pid in mtdb-<pid>-..., or 0. */
static pid_t writer_pid(const char *name)
{
    size_t plen = strlen(MTDB_FILE_PREFIX);
    if (strncmp(name, MTDB_FILE_PREFIX, plen) != 0)
        return 0;
    char *end;
    long pid = strtol(name + plen, &end, 10);
    return *end == '-' && pid > 0 ? (pid_t)pid : 0;
}

int record_writer_ended(const char *name)
{
    pid_t pid = writer_pid(name);
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

int record_names_contain(const record_names_t *set, const char *name)
{
    return set->count && bsearch(&name, set->names, set->count, sizeof *set->names, compare_names);
}

void record_count_new_traces(const record_names_t *before, const record_names_t *after, pid_t pid,
                             record_outcome_t *out)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, MTDB_FILE_PREFIX "%d-", (int)pid);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < after->count; i++) {
        const char *name = after->names[i];
        if (record_names_contain(before, name))
            continue;
        out->processes += mtdb_trace_file_kind(name) == MTDB_FILE_KIND_PROCESS;
        out->root_traced |= strncmp(name, prefix, strlen(prefix)) == 0;
    }
}

/* The launched program left its process file but no stream file: it made no heap call
 * the recorder saw. After MTDB_QUIET_NS or more, that is what a hidden allocator looks
 * like (mtdb import notes it too, for every process, as no_heap_calls). */
/* 1 when the stream file holds a heap event (a thread's file may hold only marks, such as
 * the one written when exit begins); 1 also when it cannot be read, to warn only when sure. */
static int stream_has_heap_call(const char *dir, const char *name)
{
    char path[PATH_MAX];
    mtdb_reader_t *r = NULL;
    mtdb_record_t rec;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
        mtdb_reader_open(path, &r, NULL, 0) < 0)
        return 1;
    int found = 0;
    while (!found && mtdb_reader_next(r, &rec) > 0)
        found = rec.type == MTDB_REC_ALLOC || rec.type == MTDB_REC_FREE ||
                rec.type == MTDB_REC_REALLOC || rec.type == MTDB_REC_FAIL;
    mtdb_reader_close(r);
    return found;
}

void record_warn_quiet_root(const char *dir, pid_t pid, const char *prog, double ran_s)
{
    record_names_t names = {0}, *after = &names;
    if (ran_s * 1e9 < (double)MTDB_QUIET_NS || record_list_trace_names(dir, after) != RECORD_OK) {
        record_free_names(after);
        return;
    }
    char prefix[32];
    snprintf(prefix, sizeof prefix, MTDB_FILE_PREFIX "%d-", (int)pid);
    int procs = 0, heap_calls = 0;
    for (size_t i = 0; i < after->count && !heap_calls; i++)
        if (strncmp(after->names[i], prefix, strlen(prefix)) == 0) {
            int kind = mtdb_trace_file_kind(after->names[i]);
            procs += kind == MTDB_FILE_KIND_PROCESS;
            if (kind == MTDB_FILE_KIND_STREAM)
                heap_calls = stream_has_heap_call(dir, after->names[i]);
        }
    if (procs && !heap_calls)
        fprintf(stderr,
                "mtdb: warning: %s ran %.1f s without a single heap call the recorder saw: if it "
                "has its own allocator, its blocks are missing; see docs/troubleshooting.md\n",
                prog, ran_s);
    record_free_names(after);
}
