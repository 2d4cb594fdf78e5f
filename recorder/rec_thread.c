/* rec_thread.c: per-thread recorder state: attach, thread exit, recycling, fork.
 *
 * A thread's state is a "slot" from mmap: its block, its stack table, its counters and
 * its stream. The TLS pointer (initial-exec, one word) starts at a static sentinel, so
 * the event path never tests for NULL. When a thread ends, its slot goes on a lock-free
 * free list and the next new thread takes it over, file and all: the number of files
 * and descriptors follows the threads alive at once, not the threads ever created.
 * Thread start and exit may use atomics; the event path never does.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rec_internal.h"

REC_TLS rec_thread_t *rec_tls = &rec_thread_unborn;
/* What survives the slot, for events after the thread's state closed. */
static REC_TLS uint32_t closed_serial;
static REC_TLS uint64_t closed_seq;
static REC_TLS int fork_child_thread;

rec_thread_t rec_thread_unborn = {.mode = REC_UNBORN};
rec_thread_t rec_thread_closed = {.mode = REC_CLOSED};
rec_thread_t rec_thread_off = {.mode = REC_OFF};

#define REC_MAX_SLOTS 65536
static rec_thread_t *slots[REC_MAX_SLOTS];
static uint32_t slot_count; /* atomic */
static uint64_t free_head;  /* atomic: (tag << 32) | (index + 1), 0 = empty */
static pthread_key_t thread_key;

/* Our destructor re-arms itself to run in the last round, after other keys' destructors
 * that still allocate. ThreadSanitizer (engine tests only) tears down its own thread
 * state in a late round too, so there the destructor finishes at once. */
#if defined(__SANITIZE_THREAD__)
#define REC_KEY_ROUNDS 1
#else
#define REC_KEY_ROUNDS PTHREAD_DESTRUCTOR_ITERATIONS
#endif
static int key_ok;

static rec_thread_t *slot_pop(void)
{
    uint64_t head = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE);
    for (;;) {
        uint32_t idx = (uint32_t)head;
        if (!idx)
            return NULL;
        rec_thread_t *s = slots[idx - 1];
        uint32_t next = s->next_free ? s->next_free->slot_index + 1 : 0;
        uint64_t want = ((head >> 32) + 1) << 32 | next;
        if (__atomic_compare_exchange_n(&free_head, &head, want, 1, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return s;
    }
}

static void slot_push(rec_thread_t *s)
{
    uint64_t head = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE);
    for (;;) {
        uint32_t idx = (uint32_t)head;
        s->next_free = idx ? slots[idx - 1] : NULL;
        uint64_t want = ((head >> 32) + 1) << 32 | (s->slot_index + 1);
        if (__atomic_compare_exchange_n(&free_head, &head, want, 1, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return;
    }
}

static void slot_stream_create(rec_thread_t *s)
{
    uint32_t stream = __atomic_add_fetch(&rec_proc.next_stream, 1, __ATOMIC_ACQ_REL);
    rec_stream_create(&s->stream, stream);
}

/* A recycled slot whose file could never be created tries again for its new thread (the
 * disk may have room again, descriptors may be free); its lost events stay counted. */
static void slot_stream_retry(rec_thread_t *s)
{
    if (!s->stream.map)
        slot_stream_create(s);
}

static rec_thread_t *slot_new(void)
{
    uint32_t idx = __atomic_fetch_add(&slot_count, 1, __ATOMIC_ACQ_REL);
    if (idx >= REC_MAX_SLOTS)
        return NULL;
    rec_thread_t *s = rec_map(sizeof *s);
    if (!s)
        return NULL;
    s->slot_index = idx;
    if (rec_table_init(&s->stacks, 1024) < 0) {
        rec_unmap(s, sizeof *s);
        return NULL;
    }
    slot_stream_create(s); /* a failure is sticky in the stream */
    __atomic_store_n(&slots[idx], s, __ATOMIC_RELEASE);
    return s;
}

/* Resets a slot for a new thread; the stream continues where it was. */
static void slot_reset(rec_thread_t *s, uint32_t serial)
{
    rec_table_clear(&s->stacks);
    rec_table_clear(&s->sites);
    s->serial = serial;
    s->seq = 0;
    s->next_stack = 0;
    s->blk = NULL;
    s->pending_n = 0;
    s->key_rounds = 0;
    s->cost_countdown = s->cost_interval = 1; /* the first event is measured */
    s->cost_cpu0 = s->cost_wall0 = 0;
    s->unwind_countdown = s->unwind_interval = 1;
    s->name[0] = 0;
    memset(s->counters, 0, sizeof s->counters);
    rec_unwind_forget(s);
    s->blk_flags_next = MTDB_BLOCK_THREAD_FIRST;
    s->owner_pid = rec_proc.pid;
}

/* ---- stack bounds for the frame-pointer and cached walkers ------------------------
 * Nothing here is recorded as the program's, and the main thread's way opens no file:
 * glibc's pthread_getattr_np reads /proc/self/maps through stdio for the main thread
 * (and allocates a CPU set for every thread), all of which used to be recorded as the
 * program's own allocations. */

/* 1 GiB: the main stack's span when RLIMIT_STACK is unlimited (the kernel then maps
 * everything else far below it). */
#define REC_MAIN_STACK_CAP ((uintptr_t)1 << 30)
/* Other threads' span when RLIMIT_STACK is unlimited: glibc's default stack then. */
#define REC_THREAD_STACK_DEFAULT ((uintptr_t)8 << 20)

extern void *__libc_stack_end; /* the initial stack pointer, set by the loader */

static uintptr_t stack_limit(uintptr_t unlimited)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < REC_MAIN_STACK_CAP)
        return (uintptr_t)rl.rlim_cur;
    return unlimited;
}

/* The main thread's frames all lie below __libc_stack_end, and the kernel keeps other
 * mappings at least RLIMIT_STACK below the stack: a stack pointer within that span of
 * it is on the main stack, and everything from it up to there is mapped. */
static int main_stack_bounds(uintptr_t sp, uintptr_t *lo, uintptr_t *hi)
{
    uintptr_t top = (uintptr_t)__libc_stack_end & ~(uintptr_t)15;
    uintptr_t span = stack_limit(REC_MAIN_STACK_CAP);
    if (!top || sp >= top || top - sp >= span)
        return -ERANGE;
    *lo = top - span;
    *hi = top;
    return 0;
}

/* Other threads, for the frame-pointer walker, which follows whatever rbp holds and so
 * needs the exact block: glibc knows it. What pthread_getattr_np allocates is the
 * recorder's, not the program's: the thread is "off" meanwhile (those calls go straight
 * to the allocator, unrecorded), with signals blocked so that no handler's allocation
 * can fall into that window. The block is freed before it ends: nothing is left over. */
static void thread_stack_block(rec_thread_t *t)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rec_tls = &rec_thread_off;
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0)
            t->stack_lo = (uintptr_t)addr, t->stack_hi = (uintptr_t)addr + size;
        pthread_attr_destroy(&attr);
    }
    rec_tls = t;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Other threads, for the cached walker, which reads only the words the unwind rules
 * name, above the stack pointer it starts from, and needs no allocation: even
 * unrecorded, pthread_getattr_np's blocks sit in the program's heap and move its later
 * blocks (a workload whose heap glibc trimmed twice as often). glibc puts the thread's
 * descriptor (what pthread_self() points to) at the top of its stack block, its own or
 * one given with pthread_attr_setstack: every frame lies below it. The span below it is
 * glibc's default stack size (RLIMIT_STACK): a stack pointer outside it is taken for
 * another stack (a coroutine's), and that walk is left to unw_backtrace. */
static void thread_stack_top(rec_thread_t *t)
{
    uintptr_t top = (uintptr_t)pthread_self() & ~(uintptr_t)15;
    uintptr_t span = stack_limit(REC_THREAD_STACK_DEFAULT);
    if (top > span)
        t->stack_lo = top - span, t->stack_hi = top;
}

static void stack_bounds(rec_thread_t *t)
{
    t->stack_lo = t->stack_hi = 0;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (rec_proc.settings.unwind_fp) {
        if (main_stack_bounds(sp, &t->stack_lo, &t->stack_hi) != 0)
            thread_stack_block(t);
    } else if (rec_proc.settings.stack_cache != REC_STACK_CACHE_OFF) {
        if (main_stack_bounds(sp, &t->stack_lo, &t->stack_hi) != 0)
            thread_stack_top(t);
    }
}

static void write_thread_record(rec_thread_t *t, uint64_t now)
{
    uint8_t rec[40], *p = rec;
    uint32_t flags = (t->tid == rec_proc.pid ? MTDB_THREAD_MAIN : 0) |
                     (fork_child_thread ? MTDB_THREAD_FORK_CHILD : 0);
    p = mtdb_enc_thread(p, (uint64_t)t->tid, now, flags);
    rec_append_meta(t, rec, (uint32_t)(p - rec));
}

/* Signals stay blocked while the slot is being chosen: a handler that allocated in
 * that window would attach a second slot for the same thread. */
rec_thread_t *rec_thread_attach(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rec_thread_t *t = slot_pop();
    if (t)
        slot_stream_retry(t);
    else
        t = slot_new();
    if (!t) {
        rec_tls = &rec_thread_off;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        rec_warn_once("cannot set up a thread: ", "its events are not recorded");
        return NULL;
    }
    slot_reset(t, __atomic_add_fetch(&rec_proc.next_thread, 1, __ATOMIC_ACQ_REL));
    t->depth = 1; /* calls made while setting up queue as re-entered events */
    t->mode = REC_ACTIVE;
    t->tid = rec_gettid();
    rec_tls = t;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (key_ok)
        pthread_setspecific(thread_key, t);
    stack_bounds(t);
    uint64_t now = rec_now_ns();
    if (rec_block_ensure(t, 64, now) == 0)
        write_thread_record(t, now);
    rec_thread_check_name(t);
    rec_log_num(2, "debug: thread ", t->serial, " attached");
    t->depth = 0;
    return t;
}

void rec_thread_check_name(rec_thread_t *t)
{
    char name[17] = {0};
    if (prctl(PR_GET_NAME, name) != 0 || memcmp(name, t->name, sizeof name) == 0)
        return;
    memcpy(t->name, name, sizeof name);
    uint8_t rec[32], *p = rec;
    p = mtdb_enc_name(p, name, strlen(name));
    rec_append_meta(t, rec, (uint32_t)(p - rec));
}

/* Ends the thread's part of the stream and recycles the slot. */
static void thread_finish(rec_thread_t *t)
{
    t->depth = 1;
    rec_thread_check_name(t);
    rec_thread_write_final(t, MTDB_BLOCK_THREAD_LAST);
    rec_log_num(2, "debug: thread ", t->serial, " ended; its slot is free for the next thread");
    closed_serial = t->serial;
    closed_seq = t->seq;
    rec_tls = &rec_thread_closed;
    t->mode = REC_UNBORN;
    slot_push(t);
}

static void thread_key_destructor(void *arg)
{
    rec_thread_t *t = arg;
    if (!t || t != rec_tls || t->owner_pid != rec_proc.pid)
        return; /* a slot inherited through fork belongs to the parent */
    /* Come back in the last destructor round: other keys' destructors still allocate. */
    if (++t->key_rounds < REC_KEY_ROUNDS) {
        pthread_setspecific(thread_key, t);
        return;
    }
    int saved = errno;
    thread_finish(t);
    errno = saved;
}

void rec_thread_setup_key(void)
{
    key_ok = pthread_key_create(&thread_key, thread_key_destructor) == 0;
}

/* An event after this thread's slot was recycled (a later TLS destructor, glibc's own
 * thread teardown): borrow a slot, write one LATE block for the same thread number. */
rec_thread_t *rec_thread_borrow_late(void)
{
    rec_thread_t *t = slot_pop();
    if (!t)
        t = slot_new();
    if (!t)
        return NULL;
    slot_reset(t, closed_serial);
    t->seq = closed_seq;
    t->blk_flags_next = MTDB_BLOCK_LATE;
    t->mode = REC_ACTIVE;
    t->tid = rec_gettid();
    rec_tls = t;
    return t;
}

void rec_thread_return_late(rec_thread_t *t)
{
    rec_block_close(t, 0);
    closed_seq = t->seq;
    rec_tls = &rec_thread_closed;
    t->mode = REC_UNBORN;
    slot_push(t);
}

/* In a fork child: everything inherited belongs to the parent's files. The child's
 * only thread starts over with a new slot in the child's own files. */
void rec_thread_fork_child(void)
{
    uint32_t used = __atomic_load_n(&slot_count, __ATOMIC_ACQUIRE);
    memset(slots, 0, (used < REC_MAX_SLOTS ? used : REC_MAX_SLOTS) * sizeof slots[0]);
    __atomic_store_n(&slot_count, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&free_head, 0, __ATOMIC_RELEASE);
    fork_child_thread = 1;
    rec_tls = &rec_thread_unborn;
}

/* At exit: the calling thread seals its block; every other live thread's counters go
 * to the process file, since those threads may never run their destructors. */
void rec_thread_exit_handler(void)
{
    rec_thread_t *self = rec_tls;
    if (self->mode == REC_ACTIVE && !self->depth) {
        self->depth = 1;
        rec_thread_check_name(self);
        rec_thread_write_final(self, 0);
        self->depth = 0;
    }
}

int rec_thread_snapshot(uint32_t index, uint32_t *serial, uint64_t counters[MTDB_COUNTER_COUNT])
{
    if (index >= __atomic_load_n(&slot_count, __ATOMIC_ACQUIRE) || index >= REC_MAX_SLOTS)
        return -ERANGE;
    rec_thread_t *t = __atomic_load_n(&slots[index], __ATOMIC_ACQUIRE);
    if (!t || t->mode != REC_ACTIVE)
        return 0;
    *serial = t->serial;
    for (int i = 0; i < MTDB_COUNTER_COUNT; i++)
        counters[i] = __atomic_load_n(&t->counters[i], __ATOMIC_RELAXED);
    return 1;
}
