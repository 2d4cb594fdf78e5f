/* imp_output.c: the database file an import publishes (imp_output.h).
 *
 * The import writes <target>.tmp-<pid> (owner-only, locked while the import runs) and
 * publishes it with link(2), or with force rename(2), only when complete. Must never
 * open or modify an existing target, never replace anything but a regular file, and
 * that only with force; never print (a removed leftover is a notice event).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imp_error.h"
#include "imp_notify.h"
#include "imp_output.h"

/* Refuses an existing target without --force, and anything but a regular file with it
 * (lstat: a symbolic link is refused, never followed). Returns 0 when it may be written. */
int imp_target_check(const char *output, int force, char *msg, size_t msg_len)
{
    struct stat st;
    if (lstat(output, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(msg, msg_len, "cannot check %s: %s", output, strerror(errno));
        return IMP_EIO;
    }
    if (!force) {
        snprintf(msg, msg_len, "%s exists (use --force to replace it)", output);
        return IMP_EEXIST;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msg_len, "%s is not a regular file: not replaced, even with --force", output);
        return IMP_EEXIST;
    }
    return 0;
}

/* The pid of a name "<base>.tmp-<pid>", or 0. */
static long imp_temp_pid(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) || strncmp(name + n, ".tmp-", 5))
        return 0;
    char *end;
    long pid = strtol(name + n + 5, &end, 10);
    return *end || pid <= 0 ? 0 : pid;
}

/* Removes path when its import is gone: no process has its pid and nobody holds its lock. */
static void imp_temp_remove_stale(const mtdb_import_options_t *opt, const char *path, long pid)
{
    if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
        return;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(path) == 0) {
        imp_notify_text(opt, MTDB_IMPORT_EV_NOTICE,
                        "removed %s, left by an import (pid %ld) that no longer runs", path, pid);
        imp_temp_remove(path); /* its rollback journal, if the kill came mid-transaction */
    }
    close(fd);
}

/* Removes the temporary database and the rollback journal SQLite leaves beside it when a
 * write fails inside a transaction (before the load turns journaling off). */
void imp_temp_remove(const char *tmp)
{
    char journal[4200];
    unlink(tmp);
    if (snprintf(journal, sizeof journal, "%s-journal", tmp) < (int)sizeof journal)
        unlink(journal);
}

/* Temporary files of this target left by imports that were killed (SIGKILL, power). */
void imp_temp_clean(const mtdb_import_options_t *opt)
{
    const char *output = opt->output;
    char *d_copy = strdup(output), *b_copy = strdup(output);
    const char *dir = d_copy ? dirname(d_copy) : NULL, *base = b_copy ? basename(b_copy) : NULL;
    DIR *d = dir && base ? opendir(dir) : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        long pid = imp_temp_pid(e->d_name, base);
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = pid ? malloc(len) : NULL;
        if (path) {
            snprintf(path, len, "%s/%s", dir, e->d_name);
            imp_temp_remove_stale(opt, path, pid);
        }
        free(path);
    }
    if (d)
        closedir(d);
    free(d_copy);
    free(b_copy);
}

/* Creates the temporary file, owner-only whatever the umask, and locks it for as long as
 * the import runs (the lock tells a later import that this one is alive). Returns the
 * descriptor, or -1 with msg set. */
int imp_temp_create(const char *tmp, char *msg, size_t msg_len)
{
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(msg, msg_len, "cannot create %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd), unlink(tmp);
        return -1;
    }
    return fd;
}

/* For file systems without hard links: rename that fails if output exists; where even
 * that is missing, a check just before the rename, the best such a file system allows. */
static int imp_rename_noreplace(const char *tmp, const char *output)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, output, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    struct stat st;
    if (lstat(output, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return errno == ENOENT ? rename(tmp, output) : -1;
}

/* Publishes tmp as output. Without --force, link(2) fails when the target appeared
 * meanwhile (another import, another program): nothing is ever replaced. With it, only
 * a regular file is replaced. The caller removes tmp. */
int imp_publish(const char *tmp, const char *output, int force, char *msg, size_t msg_len)
{
    if (force) {
        int rc = imp_target_check(output, 1, msg, msg_len);
        if (!rc && rename(tmp, output) != 0) {
            snprintf(msg, msg_len, "cannot rename %s to %s: %s", tmp, output, strerror(errno));
            rc = IMP_EIO;
        }
        return rc;
    }
    if (link(tmp, output) == 0)
        return 0;
    if ((errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS) && /* no hard links here */
        imp_rename_noreplace(tmp, output) == 0)
        return 0;
    if (errno == EEXIST)
        snprintf(msg, msg_len,
                 "%s appeared while importing (another import?): not replaced (use --force to "
                 "replace it)",
                 output);
    else
        snprintf(msg, msg_len, "cannot link %s to %s: %s", tmp, output, strerror(errno));
    return errno == EEXIST ? IMP_EEXIST : IMP_EIO;
}
