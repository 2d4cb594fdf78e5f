/* victim_signal.c: a timer signal whose handler allocates while main allocates too.
 *
 * The handler uses size 1000 and main size 1001: both are served from glibc's
 * per-thread cache in different bins, so the handler never waits on a lock main holds,
 * while the recorder's hook is interrupted anywhere, itself included. Between its heap
 * calls main calls a libc function through the PLT (the victims are built with
 * -fno-builtin), so that the signal also lands in PLT entries, whose unwind rule is an
 * expression over rip. With "altstack" as its second argument the handler runs on an
 * alternate signal stack (sigaltstack, SA_ONSTACK). Reports counts.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>

#include "victim_common.h"

#define HANDLER_SIZE 1000
#define MAIN_SIZE 1001

static volatile sig_atomic_t handler_allocs;

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    void *p = malloc(HANDLER_SIZE);
    if (p) {
        vc_touch(p);
        free(p);
        handler_allocs++;
    }
    errno = saved;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 200000, main_allocs = 0;
    volatile long sink = 0;
    free(malloc(HANDLER_SIZE)); /* both cache bins hold a block before the first signal */
    free(malloc(MAIN_SIZE));
    /* labs is bound before the first signal too: a signal that lands in the dynamic
     * linker's lazy-binding resolver (hand-written, its frame found through rbx) leaves
     * the handler's walk to libunwind's unw_step path, 50-75 us, longer than the timer's
     * period, and main, still resolving, would hardly run (docs/troubleshooting.md) */
    sink += labs(-1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    static char alt_stack[64 * 1024] __attribute__((aligned(16)));
    if (argc > 2 && strcmp(argv[2], "altstack") == 0) {
        stack_t alt = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack};
        if (sigaltstack(&alt, NULL) != 0)
            return 124;
        sa.sa_flags |= SA_ONSTACK;
    }
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = {{0, 50}, {0, 50}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &every, NULL);
    for (long i = 0; i < rounds; i++) {
        void *p = malloc(MAIN_SIZE);
        vc_touch(p);
        free(p);
        main_allocs++;
        for (long j = 0; j < 8; j++)
            sink += labs(j - i);
    }
    setitimer(ITIMER_REAL, &off, NULL);
    vc_put("handler.allocs", handler_allocs + 1);
    vc_put("main.allocs", main_allocs + 1);
    return 0;
}
