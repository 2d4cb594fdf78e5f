/* rec_event.c: turns heap calls into records in the calling thread's open block.
 *
 * The event path: one TLS load, one clock read, the stack (the real cost), a few
 * varints into the thread's own mapped block, one plain store to publish them. No lock
 * (but in the MTDB_GLOBAL_LOCK control build), no atomic read-modify-write, no malloc,
 * no syscall but when a block or chunk fills up. errno is preserved: the fast path
 * cannot change it, and every slow path (a new block, a stack walk, the re-entry queue,
 * a thread's set-up) saves and restores it itself.
 *
 * Re-entry: a heap call made while this thread is inside the recorder (from the
 * unwinder, from a signal handler, while a thread is being set up) is not recorded in
 * place; it goes to the thread's small pending queue, stamped, without a stack, and
 * the outer call writes it when it is done. So no event is lost to re-entry.
 */
#include <errno.h>

#include "rec_internal.h"

#define COUNTERS_RECORD_MAX MTDB_MAX_COUNTERS_RECORD

/* ---- blocks ----------------------------------------------------------------------- */

static inline uint32_t payload_of(const rec_thread_t *t)
{
    return (uint32_t)(t->pos - (t->blk + MTDB_BLOCK_HEADER_BYTES));
}

static inline void commit(rec_thread_t *t)
{
    mtdb_block_commit(t->blk, payload_of(t));
}

void rec_block_close(rec_thread_t *t, uint32_t extra_flags)
{
    if (!t->blk)
        return;
    uint32_t payload = payload_of(t);
    mtdb_block_seal(t->blk, payload, t->blk_events, extra_flags);
    rec_stream_advance(&t->stream, mtdb_block_span(payload));
    t->counters[MTDB_COUNTER_BYTES_WRITTEN] += mtdb_block_span(payload);
    t->blk = NULL;
}

static void block_open(rec_thread_t *t, uint8_t *at, uint32_t room, uint64_t ts)
{
    mtdb_block_open(at, t->serial, t->blk_flags_next, t->seq, ts);
    t->blk_flags_next = 0;
    t->blk = at;
    t->pos = at + MTDB_BLOCK_HEADER_BYTES;
    t->limit = at + room;
    t->blk_events = 0;
    t->block_stack_depth = 0;
    mtdb_enc_reset(&t->enc, ts);
}

static void write_counters(rec_thread_t *t)
{
    t->pos = mtdb_enc_counters(t->pos, t->counters);
    commit(t);
}

/* Closes the full block and opens the next with room for `need` more bytes. The first
 * record of every block after the first is a COUNTERS snapshot. */
static int block_roll_inner(rec_thread_t *t, uint32_t need, uint64_t ts)
{
    int had_block = t->blk != NULL;
    rec_block_close(t, 0);
    uint32_t room = MTDB_BLOCK_HEADER_BYTES + COUNTERS_RECORD_MAX + need;
    if (room < rec_proc.settings.block_bytes)
        room = rec_proc.settings.block_bytes;
    uint8_t *at = rec_stream_room(&t->stream, room);
    if (!at)
        return -1;
    block_open(t, at, room, ts);
    if (had_block)
        write_counters(t);
    return 0;
}

/* Growing the stream makes system calls: errno is kept for the host. */
static REC_NOINLINE int block_roll(rec_thread_t *t, uint32_t need, uint64_t ts)
{
    int saved = errno;
    uint64_t t0 = rec_cost_slow_begin();
    int rc = block_roll_inner(t, need, ts);
    rec_cost_slow_end(t, t0);
    errno = saved;
    return rc;
}

int rec_block_ensure(rec_thread_t *t, uint32_t need, uint64_t ts)
{
    if (REC_LIKELY(t->blk && t->pos + need <= t->limit))
        return 0;
    return block_roll(t, need, ts);
}

/* Room for a record without a time of its own: it takes the block's last time. */
static int meta_room(rec_thread_t *t, uint32_t need)
{
    return rec_block_ensure(t, need, t->blk ? t->enc.last_ns : rec_now_ns());
}

int rec_append_meta(rec_thread_t *t, const void *rec, uint32_t len)
{
    rec_global_lock();
    int rc = meta_room(t, len);
    if (rc == 0) {
        memcpy(t->pos, rec, len);
        t->pos += len;
        commit(t);
    }
    rec_global_unlock();
    return rc;
}

/* How many outermost frames frames[0..n) has in common with the block's last stack. */
static unsigned shared_outer_frames(const rec_thread_t *t, void *const *frames, unsigned n)
{
    unsigned m = t->block_stack_depth, k = 0;
    while (k < n && k < m && (uintptr_t)frames[n - 1 - k] == t->block_stack[m - 1 - k])
        k++;
    return k;
}

int rec_append_stack(rec_thread_t *t, void *const *frames, unsigned n)
{
    if (n > REC_MAX_DEPTH)
        n = REC_MAX_DEPTH;
    rec_global_lock();
    int rc = meta_room(t, (uint32_t)MTDB_MAX_STACK_RECORD(n));
    if (rc == 0) {
        /* after rec_block_ensure: a new block has no stack to share yet */
        unsigned shared = shared_outer_frames(t, frames, n);
        const uintptr_t *f = (const uintptr_t *)frames;
        t->pos =
            shared ? mtdb_enc_stack_shared(t->pos, f, n, shared) : mtdb_enc_stack(t->pos, f, n);
        commit(t);
        for (unsigned i = 0; i < n; i++)
            t->block_stack[i] = f[i];
        t->block_stack_depth = n;
    }
    rec_global_unlock();
    return rc;
}

void rec_append_counters(rec_thread_t *t)
{
    rec_global_lock();
    if (rec_block_ensure(t, COUNTERS_RECORD_MAX, rec_now_ns()) == 0)
        write_counters(t);
    rec_global_unlock();
}

/* Closes the thread's block with a COUNTERS record (and extra_flags: THREAD_LAST when
 * the thread ends). Uses the chunk's reserve when the stream can no longer grow, so the
 * counts of dropped events still reach the file. */
void rec_thread_write_final(rec_thread_t *t, uint32_t extra_flags)
{
    rec_global_lock();
    if (rec_block_ensure(t, COUNTERS_RECORD_MAX, rec_now_ns()) != 0) {
        uint32_t room = MTDB_BLOCK_HEADER_BYTES + COUNTERS_RECORD_MAX;
        uint8_t *at = rec_stream_reserve_room(&t->stream, room);
        if (at)
            block_open(t, at, room, rec_now_ns());
    }
    if (t->blk) {
        write_counters(t);
        rec_block_close(t, extra_flags);
    } else { /* the stream cannot take them: the process file's reserved space can */
        rec_ledger_counters(t, extra_flags, rec_now_ns());
    }
    rec_global_unlock();
}

/* ---- the events ------------------------------------------------------------------- */

static inline void event_done(rec_thread_t *t)
{
    t->seq++;
    t->blk_events++;
    t->counters[MTDB_COUNTER_EVENTS]++;
    commit(t);
}

/* The thread's first lost event is noted in the process file at its time: from then on
 * the importer knows that partners of this process's events may be missing. */
static REC_NOINLINE void first_loss(rec_thread_t *t, uint64_t ts)
{
    int saved = errno;
    rec_ledger_counters(t, 0, ts);
    errno = saved;
}

static inline void count_loss(rec_thread_t *t, int counter, uint64_t ts)
{
    int first = !t->counters[MTDB_COUNTER_DROPPED_WRITE_ERROR] &&
                !t->counters[MTDB_COUNTER_DROPPED_REENTRY_FULL];
    t->seq++; /* the sequence gap tells the reader exactly how many */
    t->counters[counter]++;
    if (REC_UNLIKELY(first))
        first_loss(t, ts);
}

static inline void dropped(rec_thread_t *t, uint64_t ts)
{
    count_loss(t, MTDB_COUNTER_DROPPED_WRITE_ERROR, ts);
}

static void pending_push(rec_thread_t *t, const rec_pending_t *ev)
{
    uint32_t n = t->pending_n;
    if (n >= REC_PENDING_MAX) {
        count_loss(t, MTDB_COUNTER_DROPPED_REENTRY_FULL, ev->ts_ns);
        return;
    }
    t->pending[n] = *ev;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->pending_n = n + 1;
}

static void write_pending(rec_thread_t *t, const rec_pending_t *ev)
{
    if (rec_block_ensure(t, MTDB_MAX_EVENT_RECORD, ev->ts_ns) != 0) {
        dropped(t, ev->ts_ns);
        return;
    }
    switch (ev->type) {
    case MTDB_REC_ALLOC:
        t->pos = mtdb_enc_alloc(t->pos, &t->enc, ev->func, ev->ts_ns, ev->addr, ev->size, 0, 1);
        break;
    case MTDB_REC_FREE:
        t->pos = mtdb_enc_free(t->pos, &t->enc, ev->func, ev->ts_ns, ev->addr, 0, 0);
        break;
    case MTDB_REC_REALLOC:
        t->pos = mtdb_enc_realloc(t->pos, &t->enc, ev->func, ev->ts_ns, ev->old_addr, ev->ts2_ns,
                                  ev->addr, ev->size, 0, 1);
        break;
    default:
        t->pos = mtdb_enc_fail(t->pos, &t->enc, ev->func, ev->ts_ns, ev->size);
        break;
    }
    t->counters[MTDB_COUNTER_REENTRANT]++;
    event_done(t);
}

/* Writes queued re-entered events. A signal handler may add more meanwhile: the queue
 * is only emptied when no entry arrived since it was last read. */
static REC_NOINLINE void drain_pending(rec_thread_t *t)
{
    int saved = errno;
    t->depth = 1;
    uint32_t done = 0;
    for (;;) {
        uint32_t n = t->pending_n;
        rec_global_lock();
        for (; done < n; done++)
            write_pending(t, &t->pending[done]);
        rec_global_unlock();
        uint32_t expected = n;
        if (__atomic_compare_exchange_n(&t->pending_n, &expected, 0, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            break;
    }
    t->depth = 0;
    errno = saved;
}

/* Takes the thread into the recorder for one event. Events queued by a signal handler
 * are written first: one that came in after the last call had left, too late for it to
 * write them, must not follow this event into the trace. A handler's next signal would
 * otherwise write its block's allocation (the same address again) before the queued
 * allocation and free of that block, and the importer would read a block allocated
 * twice and drop one. */
static inline void enter(rec_thread_t *t)
{
    if (REC_UNLIKELY(t->pending_n))
        drain_pending(t);
    t->depth = 1;
}

static inline void leave(rec_thread_t *t)
{
    t->depth = 0;
    if (REC_UNLIKELY(t->pending_n))
        drain_pending(t);
}

/* The stack and weight for an allocation under the active preset. */
static inline uint32_t alloc_stack(rec_thread_t *t, size_t size, uintptr_t site, uint64_t *weight)
{
    *weight = 1;
    if (REC_LIKELY(rec_proc.settings.preset != 1) || size >= rec_proc.settings.sample_large)
        return rec_stack_capture(t);
    return rec_sample_stack(t, site);
}

/* Anything but an attached, idle thread: re-entry, set-up, late events. Returns the
 * thread to record into now, or NULL when the event was queued, counted or ignored. */
static rec_thread_t *slow_thread_inner(rec_thread_t *t, const rec_pending_t *ev);

static REC_NOINLINE rec_thread_t *slow_thread(rec_thread_t *t, const rec_pending_t *ev)
{
    int saved = errno;
    rec_thread_t *ready = slow_thread_inner(t, ev);
    errno = saved;
    return ready;
}

static rec_thread_t *slow_thread_inner(rec_thread_t *t, const rec_pending_t *ev)
{
    rec_pending_t e = *ev; /* stamped now if the caller had no time yet */
    e.ts_ns = e.ts_ns ? e.ts_ns : rec_now_ns();
    if (e.type == MTDB_REC_REALLOC && !e.ts2_ns)
        e.ts2_ns = e.ts_ns;
    if (t->mode == REC_ACTIVE) { /* re-entered */
        pending_push(t, &e);
        return NULL;
    }
    if (t->mode == REC_UNBORN) {
        if (!rec_ready())
            rec_init();
        if (!rec_ready()) {
            if (__atomic_load_n(&rec_proc.state, __ATOMIC_ACQUIRE) != REC_DISABLED)
                __atomic_fetch_add(&rec_proc.unrecorded, 1, __ATOMIC_RELAXED);
            return NULL;
        }
        return rec_thread_attach();
    }
    if (t->mode == REC_CLOSED) {
        rec_thread_t *late = rec_thread_borrow_late();
        if (!late)
            return NULL;
        late->depth = 1;
        rec_global_lock();
        write_pending(late, &e);
        rec_global_unlock();
        late->counters[MTDB_COUNTER_LATE_EVENTS]++;
        rec_thread_return_late(late);
    }
    return NULL;
}

/* Time spent in the recorder is measured on about one event in 256 and scaled: a
 * second clock read on every event would cost more than what it measures. The gap
 * between measured events varies with the clock's low bits, so a regular pattern of
 * events (malloc, free, malloc, ...) cannot alias with it. A measured event during which
 * the thread lost its CPU (preempted, or waiting) would stand for the next few hundred
 * events with a whole time slice: the thread's CPU clock, read after the event before
 * and after the measured one (outside its window), tells, and the next event is measured
 * instead. */
#define REC_COST_OFF_CPU_NS 2000 /* wall time beyond CPU time that means the thread waited */
/* Armed a few events ahead, so the measured event does not run in the wake of the
 * system call (its cache and branch-predictor misses would be scaled too). */
#define REC_COST_ARM_AHEAD 4

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Both clocks before the next event: CPU first, so a thread that keeps its CPU shows at
 * least as much CPU time as wall time up to the end of that event. */
static REC_NOINLINE void cost_arm(rec_thread_t *t)
{
    t->cost_cpu0 = thread_cpu_ns();
    t->cost_wall0 = t->cost_cpu0 ? rec_now_ns() : 0;
}

static REC_NOINLINE void cost_measure(rec_thread_t *t, uint64_t start_ns)
{
    uint64_t end = rec_now_ns(), cpu1 = thread_cpu_ns();
    if (!t->cost_wall0 || !cpu1 ||
        cpu1 - t->cost_cpu0 + REC_COST_OFF_CPU_NS < end - t->cost_wall0) {
        t->cost_countdown = REC_COST_ARM_AHEAD + 1; /* not armed, or it waited: measure later */
        return;
    }
    t->counters[MTDB_COUNTER_RECORDER_NS] += (end - start_ns) * t->cost_interval;
    t->cost_interval = 192 + (uint32_t)(end & 127);
    t->cost_countdown = (int32_t)t->cost_interval;
}

/* A slow path (a new block, whose stream chunk may be mapped and populated; a table
 * rehash) is rare and may take milliseconds: measured like an event, it would stand for
 * the next few hundred events. So it is timed every time it runs, on the thread's CPU
 * clock (a wait for the disk or the CPU is not the recorder's time, as above), and
 * counted as it is; a measurement in progress is voided, since it would count it again,
 * and the next event is measured instead. One of these per block of events costs two
 * clock reads, a fraction of a ns per event. */
uint64_t rec_cost_slow_begin(void)
{
    return thread_cpu_ns();
}

void rec_cost_slow_end(rec_thread_t *t, uint64_t t0)
{
    uint64_t t1 = t0 ? thread_cpu_ns() : 0;
    if (t1 > t0)
        t->counters[MTDB_COUNTER_RECORDER_NS] += t1 - t0;
    t->cost_wall0 = 0;
}

static inline void account_cost(rec_thread_t *t, uint64_t start_ns)
{
    int32_t left = --t->cost_countdown;
    if (REC_LIKELY(left > REC_COST_ARM_AHEAD))
        return;
    if (left == REC_COST_ARM_AHEAD)
        cost_arm(t);
    else if (left <= 0)
        cost_measure(t, start_ns);
}

/* Where the next event record goes, or NULL when the stream cannot take it (counted as
 * dropped). In the control build the global lock is held from here to event_end(). */
static inline uint8_t *event_begin(rec_thread_t *t, uint64_t ts)
{
    rec_global_lock();
    if (REC_LIKELY(rec_block_ensure(t, MTDB_MAX_EVENT_RECORD, ts) == 0))
        return t->pos;
    dropped(t, ts);
    rec_global_unlock();
    return NULL;
}

static inline void event_end(rec_thread_t *t, uint8_t *end)
{
    t->pos = end;
    event_done(t);
    rec_global_unlock();
}

void rec_on_alloc(unsigned func, void *p, size_t size, uintptr_t site)
{
    rec_thread_t *t = rec_tls;
    if (REC_UNLIKELY(t->mode != REC_ACTIVE || t->depth)) {
        rec_pending_t ev = {MTDB_REC_ALLOC, (uint8_t)func, 0, 0, (uintptr_t)p, 0, size};
        if (!(t = slow_thread(t, &ev)))
            return;
    }
    if (REC_UNLIKELY(rec_paused())) {
        t->counters[MTDB_COUNTER_PAUSED_ALLOCS]++;
        return;
    }
    enter(t);
    uint64_t ts = rec_now_ns();
    uint64_t weight;
    uint32_t stack = alloc_stack(t, size, site, &weight);
    uint8_t *at = event_begin(t, ts);
    if (REC_LIKELY(at != NULL))
        event_end(t, mtdb_enc_alloc(at, &t->enc, func, ts, (uintptr_t)p, size, stack, weight));
    account_cost(t, ts);
    leave(t);
}

void rec_on_fail(unsigned func, size_t size)
{
    rec_thread_t *t = rec_tls;
    if (REC_UNLIKELY(t->mode != REC_ACTIVE || t->depth)) {
        rec_pending_t ev = {MTDB_REC_FAIL, (uint8_t)func, 0, 0, 0, 0, size};
        if (!(t = slow_thread(t, &ev)))
            return;
    }
    enter(t);
    uint64_t ts = rec_now_ns();
    uint8_t *at = event_begin(t, ts);
    if (at)
        event_end(t, mtdb_enc_fail(at, &t->enc, func, ts, size));
    leave(t);
}

/* Called before the real free: the record is stamped before the block can be reused. */
void rec_on_free(unsigned free_func, void *p, uint64_t ts)
{
    rec_thread_t *t = rec_tls;
    if (REC_UNLIKELY(t->mode != REC_ACTIVE || t->depth)) {
        rec_pending_t ev = {MTDB_REC_FREE, (uint8_t)free_func, ts, 0, (uintptr_t)p, 0, 0};
        if (!(t = slow_thread(t, &ev)))
            return;
    }
    enter(t);
    if (!ts)
        ts = rec_now_ns();
    int with_stack = rec_proc.settings.free_stacks;
    uint32_t stack = with_stack ? rec_stack_capture(t) : 0;
    uint8_t *at = event_begin(t, ts);
    if (REC_LIKELY(at != NULL))
        event_end(t, mtdb_enc_free(at, &t->enc, free_func, ts, (uintptr_t)p, with_stack, stack));
    account_cost(t, ts);
    leave(t);
}

/* Called after the real realloc returned p (non-NULL) for old (non-NULL). */
void rec_on_realloc(unsigned func, void *old, void *p, size_t size, uint64_t ts_before,
                    uintptr_t site)
{
    rec_thread_t *t = rec_tls;
    if (REC_UNLIKELY(t->mode != REC_ACTIVE || t->depth)) {
        rec_pending_t ev = {MTDB_REC_REALLOC, (uint8_t)func,  ts_before, rec_now_ns(),
                            (uintptr_t)p,     (uintptr_t)old, size};
        if (!(t = slow_thread(t, &ev)))
            return;
    }
    unsigned free_func = mtdb_free_func_encode(func);
    if (REC_UNLIKELY(rec_paused())) { /* the old block's end is still recorded */
        rec_on_free(free_func, old, ts_before);
        t->counters[MTDB_COUNTER_PAUSED_ALLOCS]++;
        return;
    }
    enter(t);
    uint64_t ts = rec_now_ns();
    uint64_t weight;
    uint32_t stack = alloc_stack(t, size, site, &weight);
    uint8_t *at = event_begin(t, ts);
    if (REC_LIKELY(at != NULL))
        event_end(t, mtdb_enc_realloc(at, &t->enc, func, ts_before, (uintptr_t)old, ts,
                                      (uintptr_t)p, size, stack, weight));
    account_cost(t, ts);
    leave(t);
}
