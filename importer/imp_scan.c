/* imp_scan.c: finds the trace files of a directory and groups them by process image.
 *
 * Reads only file headers (through the reader), so a damaged header is reported and
 * the file skipped; so is a file of a format version we do not know (one overwritten
 * field must not cost the other files), and only when no file is left does that stop
 * the import. Process ids are given in order of creation time. Must not decode any record.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "imp_problem.h"
#include "imp_scan.h"
#include "mtdb_names.h"
#include "imp_error.h"

#define IMP_FILE_VERSION_OFFSET 12 /* the header's major version field */

static imp_proc_t *imp_proc_for(imp_run_t *run, uint32_t pid, uint64_t nonce)
{
    for (uint32_t i = 0; i < run->nprocs; i++)
        if (run->procs[i].pid == pid && run->procs[i].nonce == nonce)
            return &run->procs[i];
    imp_proc_t *a = realloc(run->procs, (run->nprocs + 1) * sizeof *a);
    if (!a)
        return NULL;
    run->procs = a;
    imp_proc_t *p = &a[run->nprocs++];
    memset(p, 0, sizeof *p);
    p->pid = pid, p->nonce = nonce, p->created_ns = UINT64_MAX;
    return p;
}

static int imp_add_file(imp_run_t *run, char *path, const mtdb_file_info_t *fi)
{
    imp_proc_t *p = imp_proc_for(run, fi->pid, fi->nonce);
    imp_file_t *f = p ? realloc(p->files, (p->nfiles + 1) * sizeof *f) : NULL;
    if (!f)
        return free(path), IMP_ENOMEM;
    p->files = f;
    f[p->nfiles++] = (imp_file_t){path, fi->kind, fi->stream, fi->created_ns};
    if (fi->created_ns < p->created_ns)
        p->created_ns = fi->created_ns;
    return 0;
}

/* A file of a format version this importer does not read: skipped, said, counted. */
static int imp_skip_version(imp_run_t *run, const char *path, const char *why, char *first,
                             size_t first_len, uint32_t *skipped)
{
    struct stat st;
    uint64_t bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    char msg[512];
    snprintf(msg, sizeof msg, "%s: the whole file is skipped", why);
    if (!*skipped)
        snprintf(first, first_len, "%s", why);
    ++*skipped;
    return imp_problem_add(run, &(imp_problem_t){.kind = "unsupported_version",
                                                 .message = msg,
                                                 .file = path,
                                                 .offset = IMP_FILE_VERSION_OFFSET,
                                                 .bytes = bytes});
}

/* Opens one file's header; an unreadable or unknown-version file is skipped with a
 * problem row. Returns 0, IMP_ENOMEM or the code of a failed row write. */
static int imp_scan_file(imp_run_t *run, char *path, char *first_version, size_t fv_len,
                         uint32_t *version_skipped)
{
    mtdb_reader_t *r = NULL;
    char msg[256] = "";
    int rc = mtdb_reader_open(path, &r, msg, sizeof msg);
    const char *why = msg[0] ? msg : mtdb_read_strerror(rc);
    int wrc = 0;
    if (rc == MTDB_READ_EVERSION)
        wrc = imp_skip_version(run, path, why, first_version, fv_len, version_skipped);
    else if (rc)
        wrc = imp_problem_add(
            run, &(imp_problem_t){.kind = "unreadable_file", .message = why, .file = path});
    if (rc) {
        free(path);
        return wrc;
    }
    mtdb_file_info_t fi = *mtdb_reader_info(r);
    mtdb_reader_close(r);
    return imp_add_file(run, path, &fi);
}

static int imp_file_cmp(const void *a, const void *b)
{
    const imp_file_t *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1; /* the process file first */
    return x->stream < y->stream ? -1 : x->stream > y->stream;
}

static int imp_proc_cmp(const void *a, const void *b)
{
    const imp_proc_t *x = a, *y = b;
    if (x->created_ns != y->created_ns)
        return x->created_ns < y->created_ns ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->nonce < y->nonce ? -1 : x->nonce > y->nonce;
}

static int imp_scan_entries(imp_run_t *run, const char *dir, DIR *d, char *first_version,
                            size_t fv_len, uint32_t *version_skipped)
{
    int rc = 0;
    for (struct dirent *e; !rc && (e = readdir(d));) {
        if (!mtdb_trace_file_kind(e->d_name))
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path)
            return IMP_ENOMEM;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        rc = imp_scan_file(run, path, first_version, fv_len, version_skipped);
    }
    return rc;
}

int imp_scan_dir(imp_run_t *run, const char *dir, char *msg, size_t msg_len)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(msg, msg_len, "cannot open directory %s: %s", dir, strerror(errno));
        return IMP_EIO;
    }
    char first_version[256] = "";
    uint32_t version_skipped = 0;
    int rc = imp_scan_entries(run, dir, d, first_version, sizeof first_version, &version_skipped);
    closedir(d);
    if (!rc && run->nprocs == 0 && version_skipped) {
        snprintf(msg, msg_len, "no trace file of a supported format version in %s (%s)", dir,
                 first_version);
        rc = IMP_EVERSION;
    } else if (!rc && run->nprocs == 0) {
        snprintf(msg, msg_len, "no trace files (mtdb-*.proc, mtdb-*.trace) in %s", dir);
        rc = IMP_ENOTRACE;
    }
    if (rc)
        return rc;
    qsort(run->procs, run->nprocs, sizeof *run->procs, imp_proc_cmp);
    for (uint32_t i = 0; i < run->nprocs; i++) {
        run->procs[i].process_id = i + 1;
        qsort(run->procs[i].files, run->procs[i].nfiles, sizeof(imp_file_t), imp_file_cmp);
    }
    return 0;
}

void imp_scan_free(imp_run_t *run)
{
    for (uint32_t i = 0; i < run->nprocs; i++) {
        imp_proc_t *p = &run->procs[i];
        for (uint32_t f = 0; f < p->nfiles; f++)
            free(p->files[f].path);
        free(p->files);
        free(p->command);
        free(p->exe);
        free(p->recorder_version);
        free(p->unwinder);
        free(p->settings);
        free(p->exec_path);
    }
    free(run->procs);
    run->procs = NULL;
    run->nprocs = 0;
}
