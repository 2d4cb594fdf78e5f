/* victim_unwind.c: stacks that change shape every way a C program can change them.
 *
 * Each thread allocates from random depths of a recursion through four different call
 * sites, from frames that alloca a random size, from a signal handler (raised at any
 * depth, on the thread's stack and on an alternate one), after a longjmp out of a deep
 * recursion, and from coroutines (swapcontext) whose stacks are a mapping or a local
 * array of the thread's own stack, switched away from in the middle of a recursion.
 * A timer on each thread also interrupts it at any instruction (a prologue,
 * an epilogue, a PLT entry, longjmp or swapcontext half done) with a handler that
 * allocates, but never inside the victim's own malloc or free, which are not
 * async-signal-safe. The cached stack walker must return what a full unw_backtrace
 * returns every time (MTDB_STACK_CACHE=verify counts any difference). Reports its
 * marked allocations and frees, how many of them were made in a signal handler, on the
 * alternate signal stack, and on the mapped coroutine stack, where the cached walker
 * must give way to unw_backtrace; all blocks are freed before it exits.
 */
#include <alloca.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#include "victim_common.h"

#define THREADS 4
#define MAX_DEPTH 40
#define CO_STACK (64 * 1024)

/* The timer is one-shot, armed again by its handler 10-41 us later: a period would
 * starve the thread when a handler takes longer than it, as one does in verify mode,
 * where every walk from a handler crosses the signal frame through libunwind's slow
 * path. */
#define TIMER_NS_MIN 10000

typedef struct worker {
    uint64_t rng;
    long allocs, frees, in_handlers, on_alt_stack, on_mapping, timer_allocs;
    timer_t timer;
    uintptr_t stack_lo, stack_hi; /* the thread's own stack */
    uintptr_t alt_lo;             /* its alternate signal stack, CO_STACK bytes */
    jmp_buf jump;
    ucontext_t main_ctx, co_ctx;
    int co_depth;
    int in_handler;
    volatile sig_atomic_t in_heap_call; /* inside malloc or free: the timer must not allocate */
} worker_t;

static __thread worker_t *self;

static unsigned next_rand(worker_t *w, unsigned bound)
{
    w->rng = w->rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(w->rng >> 33) % bound;
}

/* One marked block, freed at once. */
static __attribute__((noinline)) void alloc_here(worker_t *w, unsigned k)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    w->in_heap_call = 1;
    __asm__ volatile("" ::: "memory");
    void *p = malloc(VC_MARK(k % 1000));
    vc_touch(p);
    free(p);
    /* counted inside the window too: the timer's own counts would race with these */
    w->allocs++;
    w->frees++;
    w->in_handlers += w->in_handler > 0;
    int alt = here >= w->alt_lo && here - w->alt_lo < CO_STACK;
    w->on_alt_stack += alt;
    w->on_mapping += !alt && (here < w->stack_lo || here >= w->stack_hi);
    __asm__ volatile("" ::: "memory");
    w->in_heap_call = 0;
}

static void arm_timer(worker_t *w, unsigned jitter)
{
    struct itimerspec once = {{0, 0}, {0, TIMER_NS_MIN + (long)(jitter % 32) * 1000}};
    timer_settime(w->timer, 0, &once, NULL);
}

/* The timer: interrupts the thread anywhere but in its own heap calls. */
static void on_timer(int sig)
{
    (void)sig;
    worker_t *w = self;
    if (!w)
        return;
    if (!w->in_heap_call) {
        w->in_handler++;
        w->timer_allocs++;
        alloc_here(w, 11);
        w->in_handler--;
    }
    arm_timer(w, (unsigned)w->timer_allocs * 7919u + (unsigned)w->allocs);
}

static void start_timer(worker_t *w)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGPROF;
    ev._sigev_un._tid = (pid_t)vc_gettid();
    if (timer_create(CLOCK_MONOTONIC, &ev, &w->timer) != 0)
        _exit(124);
    arm_timer(w, 0);
}

static void note_own_stack(worker_t *w)
{
    pthread_attr_t attr;
    void *lo;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) != 0 ||
        pthread_attr_getstack(&attr, &lo, &size) != 0)
        _exit(124);
    pthread_attr_destroy(&attr);
    w->stack_lo = (uintptr_t)lo, w->stack_hi = (uintptr_t)lo + size;
}

static void descend(worker_t *w, int depth, void (*bottom)(worker_t *));

/* Four call sites, so the return addresses differ from level to level. */
static __attribute__((noinline)) void via_a(worker_t *w, int depth, void (*b)(worker_t *))
{
    descend(w, depth - 1, b);
    __asm__ volatile("" ::: "memory");
}
static __attribute__((noinline)) void via_b(worker_t *w, int depth, void (*b)(worker_t *))
{
    descend(w, depth - 1, b);
    __asm__ volatile("" ::: "memory");
}
static __attribute__((noinline)) void via_alloca(worker_t *w, int depth, void (*b)(worker_t *))
{
    volatile char *pad = alloca(16 + next_rand(w, 512)); /* moves every slot below it */
    pad[0] = 1;
    descend(w, depth - 1, b);
    __asm__ volatile("" ::: "memory");
}
static __attribute__((noinline)) void via_alloc(worker_t *w, int depth, void (*b)(worker_t *))
{
    alloc_here(w, (unsigned)depth); /* on the way down as well */
    descend(w, depth - 1, b);
    __asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void descend(worker_t *w, int depth, void (*bottom)(worker_t *))
{
    if (depth <= 0) {
        bottom(w);
        return;
    }
    switch (next_rand(w, 4)) {
    case 0:
        via_a(w, depth, bottom);
        break;
    case 1:
        via_b(w, depth, bottom);
        break;
    case 2:
        via_alloca(w, depth, bottom);
        break;
    default:
        via_alloc(w, depth, bottom);
        break;
    }
}

static void bottom_alloc(worker_t *w)
{
    alloc_here(w, 1);
    alloc_here(w, 2);
}

/* ---- signals: allocations from a handler, on the thread's stack or an alternate one */
static void on_signal(int sig)
{
    worker_t *w = self;
    w->in_handler++;
    alloc_here(w, (unsigned)sig);
    descend(w, 3, bottom_alloc);
    w->in_handler--;
}

static void bottom_raise(worker_t *w)
{
    alloc_here(w, 3);
    raise(next_rand(w, 2) ? SIGUSR1 : SIGUSR2); /* SIGUSR2 runs on the alternate stack */
    alloc_here(w, 4);
}

/* ---- longjmp out of a recursion, then allocate higher up --------------------------- */
static void bottom_jump(worker_t *w)
{
    alloc_here(w, 5);
    longjmp(w->jump, 1);
}

static __attribute__((noinline)) void jump_round(worker_t *w)
{
    if (setjmp(w->jump) == 0)
        descend(w, 1 + (int)next_rand(w, MAX_DEPTH), bottom_jump);
    alloc_here(w, 6);
    descend(w, 1 + (int)next_rand(w, 6), bottom_alloc);
}

/* ---- coroutines: switched away from in the middle of a recursion ------------------- */
static void bottom_yield(worker_t *w)
{
    alloc_here(w, 7);
    swapcontext(&w->co_ctx, &w->main_ctx);
    alloc_here(w, 8);
}

static void coroutine(void)
{
    worker_t *w = self;
    descend(w, w->co_depth, bottom_yield);
    alloc_here(w, 9);
}

static __attribute__((noinline)) void co_round(worker_t *w, void *stack, size_t size)
{
    getcontext(&w->co_ctx);
    w->co_ctx.uc_stack.ss_sp = stack;
    w->co_ctx.uc_stack.ss_size = size;
    w->co_ctx.uc_link = &w->main_ctx;
    w->co_depth = 1 + (int)next_rand(w, 12);
    makecontext(&w->co_ctx, coroutine, 0);
    swapcontext(&w->main_ctx, &w->co_ctx); /* runs until it yields */
    descend(w, 1 + (int)next_rand(w, 8), bottom_alloc);
    swapcontext(&w->main_ctx, &w->co_ctx); /* runs to its end */
    alloc_here(w, 10);
}

static __attribute__((noinline)) void co_round_local_stack(worker_t *w)
{
    char stack[CO_STACK] __attribute__((aligned(16)));
    co_round(w, stack, sizeof stack);
}

static void *work(void *arg)
{
    worker_t *w = arg;
    note_own_stack(w); /* allocates: before self is set, which lets the timer in */
    self = w;
    stack_t alt = {
        .ss_sp = mmap(NULL, CO_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
        .ss_size = CO_STACK};
    sigaltstack(&alt, NULL);
    w->alt_lo = (uintptr_t)alt.ss_sp;
    void *mapped_stack =
        mmap(NULL, CO_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long rounds = (long)(w->rng >> 40); /* set by main */
    w->rng = w->rng * 2 + 1;
    start_timer(w);
    for (long i = 0; i < rounds; i++) {
        unsigned op = next_rand(w, 100);
        if (op < 70)
            descend(w, 1 + (int)next_rand(w, MAX_DEPTH), bottom_alloc);
        else if (op < 80)
            descend(w, (int)next_rand(w, MAX_DEPTH), bottom_raise);
        else if (op < 90)
            jump_round(w);
        else if (op < 95)
            co_round(w, mapped_stack, CO_STACK);
        else
            co_round_local_stack(w);
    }
    self = NULL; /* a signal still pending finds no worker, and arms nothing */
    timer_delete(w->timer);
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    munmap(alt.ss_sp, CO_STACK);
    munmap(mapped_stack, CO_STACK);
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 20000;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = on_timer;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPROF, &sa, NULL);
    static worker_t workers[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i].rng = ((uint64_t)rounds << 40) | (uint64_t)(i + 1);
        if (i > 0)
            pthread_create(&threads[i], NULL, work, &workers[i]);
    }
    work(&workers[0]); /* the main thread's stack too */
    long allocs = 0, frees = 0, in_handlers = 0, on_alt_stack = 0, on_mapping = 0, timer_allocs = 0;
    for (int i = 0; i < THREADS; i++) {
        if (i > 0)
            pthread_join(threads[i], NULL);
        allocs += workers[i].allocs;
        frees += workers[i].frees;
        in_handlers += workers[i].in_handlers;
        on_alt_stack += workers[i].on_alt_stack;
        on_mapping += workers[i].on_mapping;
        timer_allocs += workers[i].timer_allocs;
    }
    vc_put("allocs", allocs);
    vc_put("frees", frees);
    vc_put("in_handlers", in_handlers);
    vc_put("on_alt_stack", on_alt_stack);
    vc_put("on_mapping", on_mapping);
    vc_put("timer_allocs", timer_allocs);
    return 0;
}
