/* rec_exit_mark.c: marks the moment exit begins, before any exit handler runs, so the
 * importer can tell blocks freed by exit handlers and static destructors (freed_at_exit).
 *
 * A point mark labelled "mtdb:exit" is written once per process: when main returns
 * (main is wrapped through __libc_start_main) or when the program calls exit(). Must
 * never change what the program does: both wrappers call the real functions unchanged.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "mtrec.h"
#include "rec_internal.h"

#define EXPORT __attribute__((visibility("default")))
#define REC_EXIT_LABEL "mtdb:exit"

typedef int (*rec_main_fn)(int, char **, char **);
typedef int (*rec_start_fn)(rec_main_fn, int, char **, void (*)(void), void (*)(void),
                            void (*)(void), void *);

static rec_main_fn rec_real_main;
static int rec_exit_marked_pid;

void mtrec__mark(int kind, const char *label);

/* Writes the exit mark, once per process (a fork child marks its own exit). */
static void rec_mark_exit(void)
{
    int pid = (int)getpid();
    if (__atomic_exchange_n(&rec_exit_marked_pid, pid, __ATOMIC_ACQ_REL) != pid)
        mtrec__mark(MTREC_MARK_POINT, REC_EXIT_LABEL);
}

static int rec_main_then_mark(int argc, char **argv, char **envp)
{
    int rc = rec_real_main(argc, argv, envp);
    rec_mark_exit();
    return rc;
}

EXPORT int __libc_start_main(rec_main_fn main_fn, int argc, char **argv, void (*init)(void),
                             void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    rec_start_fn real = (rec_start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    rec_real_main = main_fn;
    return real(rec_main_then_mark, argc, argv, init, fini, rtld_fini, stack_end);
}

EXPORT void exit(int status)
{
    static void (*real)(int);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "exit");
    rec_mark_exit();
    real(status);
    __builtin_unreachable();
}
