/* rec_privilege.c: the exported calls that change the user id, wrapped.
 *
 * Thin: before the real setuid, seteuid, setreuid, setresuid or setfsuid, the files this
 * process recorded into are handed to the new user (rec_owner.c), so that it goes on
 * writing them. Group ids, supplementary groups and capabilities need nothing: a file
 * that is the user's own is open to it whatever its groups. A change these wrappers do
 * not see (a raw system call, code linked statically) leaves the files root's: what can
 * no longer be written is then counted as dropped (docs/recorder.md).
 */
#include <dlfcn.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "rec_internal.h"

#define EXPORT __attribute__((visibility("default")))

static void *next_fn(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

EXPORT int setuid(uid_t uid)
{
    static int (*real)(uid_t);
    if (!real)
        *(void **)&real = next_fn("setuid");
    rec_owner_before_uid_change(uid);
    return real(uid);
}

EXPORT int seteuid(uid_t euid)
{
    static int (*real)(uid_t);
    if (!real)
        *(void **)&real = next_fn("seteuid");
    rec_owner_before_uid_change(euid);
    return real(euid);
}

EXPORT int setreuid(uid_t ruid, uid_t euid)
{
    static int (*real)(uid_t, uid_t);
    if (!real)
        *(void **)&real = next_fn("setreuid");
    rec_owner_before_uid_change(euid);
    return real(ruid, euid);
}

EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
    static int (*real)(uid_t, uid_t, uid_t);
    if (!real)
        *(void **)&real = next_fn("setresuid");
    rec_owner_before_uid_change(euid);
    return real(ruid, euid, suid);
}

EXPORT int setfsuid(uid_t fsuid)
{
    static int (*real)(uid_t);
    if (!real)
        *(void **)&real = next_fn("setfsuid");
    rec_owner_before_uid_change(fsuid);
    return real(fsuid);
}
