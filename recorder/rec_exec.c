/* rec_exec.c: exec and _exit wrappers.
 *
 * The trace needs nothing flushed (records are already in the page cache), but exec
 * and _exit skip atexit: these wrappers note the exec (so the importer links the new
 * image to this one) and the exit, then call the real function. In a vfork child they
 * do nothing, since that child runs in the parent's memory.
 */
#include <dlfcn.h>
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

/* The execl family: glibc implements them with its internal execve, which no wrapper
 * sees, so each is wrapped here and sent to the matching vector form. The argument
 * vector lives on the stack: exec never returns on success, and no allocation is made. */
#define MAX_EXECL_ARGS 4096

/* The va_list travels by pointer, so the caller may go on reading it (execle's envp). */
static int count_args(const char *arg, va_list *ap)
{
    int n = 1;
    while (arg && va_arg(*ap, const char *) && n < MAX_EXECL_ARGS)
        n++;
    return n;
}

/* argv[0] = arg, then the n - 1 arguments that follow in ap, then NULL. */
static void collect_args(char **argv, int n, const char *arg, va_list *ap)
{
    argv[0] = (char *)arg;
    for (int i = 1; i <= n; i++)
        argv[i] = i < n ? va_arg(*ap, char *) : NULL;
}

EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int n = count_args(arg, &ap);
    va_end(ap);
    char *argv[n + 1];
    va_start(ap, arg);
    collect_args(argv, n, arg, &ap);
    va_end(ap);
    return execv(path, argv);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int n = count_args(arg, &ap);
    va_end(ap);
    char *argv[n + 1];
    va_start(ap, arg);
    collect_args(argv, n, arg, &ap);
    va_end(ap);
    return execvp(file, argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int n = count_args(arg, &ap);
    va_end(ap);
    char *argv[n + 1];
    va_start(ap, arg);
    collect_args(argv, n, arg, &ap);
    (void)va_arg(ap, char *); /* the NULL that ends the arguments */
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, argv, envp);
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

EXPORT void _Exit(int status)
{
    static void (*real)(int);
    if (!real)
        *(void **)&real = next_fn("_Exit");
    rec_before_exit_call(status);
    real(status);
    __builtin_unreachable();
}
