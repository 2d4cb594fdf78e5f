/* rec_exec.c: exec and _exit wrappers.
 *
 * The trace needs nothing flushed (records are already in the page cache), but exec
 * and _exit skip atexit: these wrappers note the exec (so the importer links the new
 * image to this one) and the exit, then call the real function. In a vfork child they
 * do nothing, since that child runs in the parent's memory.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "rec_internal.h"

#define EXPORT __attribute__((visibility("default")))

static void *next_fn(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    static int (*real)(const char *, char *const[], char *const[]);
    if (!real)
        *(void **)&real = next_fn("execve");
    rec_before_exec(path);
    return real(path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
    static int (*real)(const char *, char *const[]);
    if (!real)
        *(void **)&real = next_fn("execv");
    rec_before_exec(path);
    return real(path, argv);
}

EXPORT int execvp(const char *file, char *const argv[])
{
    static int (*real)(const char *, char *const[]);
    if (!real)
        *(void **)&real = next_fn("execvp");
    rec_before_exec(file);
    return real(file, argv);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    static int (*real)(const char *, char *const[], char *const[]);
    if (!real)
        *(void **)&real = next_fn("execvpe");
    rec_before_exec(file);
    return real(file, argv, envp);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    static int (*real)(int, char *const[], char *const[]);
    if (!real)
        *(void **)&real = next_fn("fexecve");
    rec_before_exec(argv[0] ? argv[0] : "");
    return real(fd, argv, envp);
}

/* Where the C library has no execveat (before glibc 2.34), no program calls it. */
EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    static int (*real)(int, const char *, char *const[], char *const[], int);
    if (!real)
        *(void **)&real = next_fn("execveat");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    rec_before_exec(path);
    return real(dirfd, path, argv, envp, flags);
}

/* The execl family: glibc implements them with its internal execve, which no wrapper
 * sees, so each is wrapped here and sent to the matching vector form. The argument
 * vector lives on the stack: exec never returns on success, and no allocation is made. */
#define MAX_EXECL_ARGS 4096

enum execl_kind { EXECL_PATH, EXECL_SEARCH, EXECL_ENV };

/* Builds argv from arg and the arguments after it in *ap (up to the NULL), then runs the
 * vector form that matches kind; execle's envp follows that NULL. The vector is this
 * frame's: exec does not return on success, and the caller's va_list stays usable. */
static int exec_arg_list(enum execl_kind kind, const char *path, const char *arg, va_list *ap)
{
    va_list counting;
    va_copy(counting, *ap);
    int n = 1;
    while (arg && va_arg(counting, const char *) && n < MAX_EXECL_ARGS)
        n++;
    va_end(counting);
    char *argv[n + 1];
    argv[0] = (char *)arg;
    for (int i = 1; i <= n; i++)
        argv[i] = i < n ? va_arg(*ap, char *) : NULL;
    if (kind == EXECL_PATH)
        return execv(path, argv);
    if (kind == EXECL_SEARCH)
        return execvp(path, argv);
    (void)va_arg(*ap, char *); /* the NULL that ends the arguments */
    char *const *envp = va_arg(*ap, char *const *);
    return execve(path, argv, envp);
}

EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = exec_arg_list(EXECL_PATH, path, arg, &ap);
    va_end(ap);
    return rc;
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = exec_arg_list(EXECL_SEARCH, file, arg, &ap);
    va_end(ap);
    return rc;
}

EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = exec_arg_list(EXECL_ENV, path, arg, &ap);
    va_end(ap);
    return rc;
}

EXPORT void _exit(int status)
{
    static void (*real)(int);
    if (!real)
        *(void **)&real = next_fn("_exit");
    rec_before_exit_call(status);
    real(status);
    __builtin_unreachable();
}

/* quick_exit runs the at_quick_exit handlers, then ends the process as _exit does, from
 * inside the C library (its own _exit is not the wrapped one): the EXIT record is
 * written first, and what the handlers allocate follows it as late events. */
EXPORT void quick_exit(int status)
{
    static void (*real)(int);
    if (!real)
        *(void **)&real = next_fn("quick_exit");
    rec_before_exit_call(status);
    real(status);
    __builtin_unreachable();
}

EXPORT void _Exit(int status)
{
    static void (*real)(int);
    if (!real)
        *(void **)&real = next_fn("_Exit");
    rec_before_exit_call(status);
    real(status);
    __builtin_unreachable();
}
