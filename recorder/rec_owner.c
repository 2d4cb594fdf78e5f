/* rec_owner.c: the recorder's files follow the program when it gives up root.
 *
 * The recorder holds no descriptor: a stream grows, a recycled slot's file continues and
 * a new thread's file is created, all by path. Once a daemon that started as root has
 * changed its user id, none of that would work. So, just before the real call that
 * changes the effective or file-system user id (rec_privilege.c), while still root, the
 * files this process created are handed to the new user, and that user gets an ACL entry
 * on the output directory (rec_acl.c); a file created meanwhile, before the change has
 * reached every thread, is handed over by its creator. Never on the event path.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "rec_internal.h"

#define NO_UID ((uid_t)-1)

static void give_warn(const char *what, const char *path, int err)
{
    char msg[REC_PATH_MAX + 200];
    size_t n = rec_strlcpy(msg, path, sizeof msg);
    n += rec_strlcpy(msg + n, " (", sizeof msg - n);
    n += rec_strlcpy(msg + n, rec_errno_text(err), sizeof msg - n);
    rec_strlcpy(msg + n, "); what cannot be written after the change of user is counted as dropped",
                sizeof msg - n);
    rec_warn_once(what, msg);
}

/* chown of one of our files, never through a link; a file not there is no error. */
static int give_file(const char *path, uid_t uid)
{
    if (fchownat(AT_FDCWD, path, uid, (gid_t)-1, AT_SYMLINK_NOFOLLOW) == 0 || errno == ENOENT)
        return 0;
    return -errno;
}

/* Every stream this process has numbered so far, under its name and its .tmp name. */
static int give_streams(uid_t uid)
{
    uint32_t last = __atomic_load_n(&rec_proc.next_stream, __ATOMIC_SEQ_CST);
    char path[REC_PATH_MAX + 8];
    for (uint32_t index = 1; index <= last; index++) {
        size_t n = rec_stream_path(path, REC_PATH_MAX, index);
        int err = give_file(path, uid);
        memcpy(path + n, ".tmp", 5);
        err = err ? err : give_file(path, uid);
        if (err)
            return err;
    }
    return 0;
}

/* Called before the real call that makes uid the effective (or file-system) user. */
void rec_owner_before_uid_change(uid_t uid)
{
    if (uid == NO_UID || !rec_ready() || rec_proc.pid != getpid()) /* vfork child: not ours */
        return;
    uid_t now = geteuid();
    if (now != 0 || uid == now)
        return; /* only root may give files away; a user keeps what it owns */
    int saved = errno;
    /* Published first: a stream created from now on is handed over by its creator. */
    __atomic_store_n(&rec_proc.files_owner, (uint64_t)uid + 1, __ATOMIC_SEQ_CST);
    int err = rec_acl_grant_dir(rec_proc.settings.output, uid);
    if (err)
        give_warn("cannot let the new user create files in ", rec_proc.settings.output, -err);
    if ((err = give_file(rec_proc.proc_path, uid)) != 0 || (err = give_streams(uid)) != 0)
        give_warn("cannot hand the trace files to the new user: ", rec_proc.settings.output, -err);
    rec_log_num(2, "debug: trace files handed to uid ", uid, " before the change of user");
    errno = saved;
}

/* A stream file just created by a thread that may still be root while the change of user
 * is under way (glibc changes the threads' ids one after the other). */
void rec_owner_new_file(int fd)
{
    uint64_t owner = __atomic_load_n(&rec_proc.files_owner, __ATOMIC_SEQ_CST);
    if (owner && geteuid() == 0) {
        int rc = fchown(fd, (uid_t)(owner - 1), (gid_t)-1);
        (void)rc; /* no worse than before: the loss, if any, is counted */
    }
}
