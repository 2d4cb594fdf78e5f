/* rec_stack.c: capturing call stacks and interning them per thread.
 *
 * libunwind's unw_backtrace is the only lock-free walker it has (an unw_step loop takes
 * a global lock and two sigprocmask calls per frame); the frame-pointer walker is the
 * cheap option for programs built with frame pointers. Each distinct stack is written
 * once per thread (a STACK record) and later events name it by id: the table is the
 * thread's own, so no lock is ever held while unwinding. libunwind never touches a file
 * descriptor for us (rec_unwind_guard.c); the frame-pointer walker reads only records
 * inside the thread's stack and stops at the first bad one.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <dlfcn.h>
#include <errno.h>

#include "rec_internal.h"

/* ---- walking the stack ------------------------------------------------------------ */

/* A frame record is two words: the caller's frame pointer, then the return address. In
 * code built without frame pointers, rbp holds anything (0xfffffffffffffff8 was seen):
 * the test must not overflow, so it compares against hi - 16, never at + 16. */
static inline int frame_record_inside(uintptr_t at, uintptr_t lo, uintptr_t hi)
{
    return (at & 7) == 0 && at >= lo && at < hi && hi - at >= 16;
}

/* Stops at the first record outside the stack, misaligned, not above the one before, or
 * with a return address in the first page: a bad frame ends the stack early, and every
 * frame recorded before it came from a record that passed. */
int rec_fp_walk(uintptr_t fp, uintptr_t lo, uintptr_t hi, void **out, int max)
{
    int n = 0;
    while (n < max && frame_record_inside(fp, lo, hi)) {
        const uintptr_t *record = (const uintptr_t *)fp;
        uintptr_t next = record[0], ret = record[1];
        if (ret < 4096)
            break;
        out[n++] = (void *)ret;
        if (next <= fp)
            break;
        fp = next;
    }
    return n;
}

static int walk_frame_pointers(const rec_thread_t *t, void **out, int max)
{
    return rec_fp_walk((uintptr_t)__builtin_frame_address(0), t->stack_lo, t->stack_hi, out, max);
}

static inline __attribute__((always_inline)) int walk(const rec_thread_t *t, void **out, int max)
{
    if (rec_proc.settings.unwind_fp)
        return walk_frame_pointers(t, out, max);
    return unw_backtrace(out, max);
}

/* How many of the walk's first frames are libmtrec's own (the hook, this file). */
static int own_frames(void *const *frames, int n)
{
    int skip = 0;
    while (skip < n && (uintptr_t)frames[skip] >= rec_proc.self_lo &&
           (uintptr_t)frames[skip] < rec_proc.self_hi)
        skip++;
    return skip;
}

/* ---- MTDB_STACK_CACHE=verify ---------------------------------------------------------
 * Below a signal frame, unw_backtrace leaves its fast path for unw_step, and libunwind
 * 1.6's register-state cache can then hand a frame the signal-frame flag of another:
 * it looks up the interrupted frame's rule at pc - 1, or a caller's at its return
 * address, and where that crosses into another function (a signal at a function's
 * first instruction, a noreturn call that ends its function) the stack it returns stops
 * or goes astray. So a walk that crossed a signal frame is checked against libgcc's
 * unwinder (the one C++ exceptions use), loaded for verify runs only. */
typedef int (*gcc_trace_fn)(void *context, void *arg);
static int (*gcc_backtrace)(gcc_trace_fn, void *);
static uintptr_t (*gcc_get_ip)(void *context);

typedef struct gcc_walk {
    void **out;
    int n, max;
} gcc_walk_t;

static int gcc_frame(void *context, void *arg)
{
    gcc_walk_t *w = arg;
    uintptr_t ip = gcc_get_ip(context);
    if (w->n == 0 && (ip < rec_proc.self_lo || ip >= rec_proc.self_hi))
        return 0; /* libgcc's own frame, before the walk reaches ours */
    if (w->n >= w->max || ip < 0x4000)
        return 5; /* _URC_END_OF_STACK: enough, or the end (libgcc gives the outermost
                     frame's undefined return address as 0) */
    w->out[w->n++] = (void *)ip;
    return 0;
}

static void verify_load_reference(void)
{
    void *gcc = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
    if (gcc) {
        *(void **)&gcc_backtrace = dlsym(gcc, "_Unwind_Backtrace");
        *(void **)&gcc_get_ip = dlsym(gcc, "_Unwind_GetIP");
    }
    if (!gcc_backtrace || !gcc_get_ip)
        rec_log(1, "warning: stack cache verify: libgcc_s.so.1 not loaded; walks below a ",
                "signal frame are checked against unw_backtrace", NULL);
}

/* The reference walk from here: into truth, the caller's frames first. */
static __attribute__((noinline)) int reference_walk(rec_thread_t *t, void **truth, int max)
{
    if (gcc_backtrace && gcc_get_ip && rec_unwind_crossed_signal(t)) {
        gcc_walk_t w = {truth, 0, max};
        gcc_backtrace(gcc_frame, &w);
        return w.n;
    }
    return unw_backtrace(truth, max);
}

/* The cached walk against the reference from the same frame. The event takes the
 * reference's frames either way; a difference is counted, and the first one is told on
 * stderr with the frame where the two part. */
static __attribute__((noinline)) int verify_walk(rec_thread_t *t, void **frames, int n, int max)
{
    void *truth[REC_UNWIND_MAX_FRAMES];
    int tn = reference_walk(t, truth, max);
    /* the frames the event keeps: past libmtrec's own (verify_walk is one more of
     * those in truth), at most the depth limit */
    int skip = own_frames(frames, n), tskip = own_frames(truth, tn);
    int depth = rec_proc.settings.depth;
    int keep = n - skip < depth ? n - skip : depth, tkeep = tn - tskip < depth ? tn - tskip : depth;
    int i = 0;
    while (i < keep && i < tkeep && frames[skip + i] == truth[tskip + i])
        i++;
    if (keep != tkeep || i < keep) {
        t->counters[MTDB_COUNTER_UNWIND_MISMATCH]++;
        REC_ONCE(rec_log_num(1, "warning: stack cache: walk differs from unw_backtrace at frame ",
                             (uint64_t)i, " (counted in unwind_mismatch)"));
    }
    memcpy(frames, truth, (size_t)tn * sizeof *frames);
    return tn;
}

#define REC_WALK_OTHER (-1) /* not the cached walker's: unw_backtrace or frame pointers */

/* The stack id of the cached walker's last walk still names that walk's frames: the
 * stack table has not been cleared since. */
static inline int last_walk_named(const rec_thread_t *t)
{
    return t->walk_stack_id && t->walk_stack_gen == t->stacks.gen;
}

/* The walk of a full stack: the cached walker (rec_unwind.c) unless it is off or meets a
 * frame it does not follow, then unw_backtrace. *how: REC_WALK_OTHER, or the cached
 * walker's REC_WALK_NEW, _REUSED or _SAME. */
static inline __attribute__((always_inline)) int walk_full(rec_thread_t *t, void **out, int max,
                                                           int *how)
{
    *how = REC_WALK_OTHER;
    if (rec_proc.settings.unwind_fp || rec_proc.settings.stack_cache == REC_STACK_CACHE_OFF)
        return walk(t, out, max);
    /* the last walk's stack id still names its frames: a walk equal to it needs none */
    int frames_optional =
        last_walk_named(t) && rec_proc.settings.stack_cache != REC_STACK_CACHE_VERIFY;
    int n = rec_unwind_walk(t, out, max, frames_optional, how);
    if (n < 0) {
        *how = REC_WALK_OTHER;
        t->counters[MTDB_COUNTER_UNWIND_FALLBACK]++;
        return unw_backtrace(out, max);
    }
    if (*how != REC_WALK_NEW)
        t->counters[MTDB_COUNTER_UNWIND_REUSED]++;
    if (rec_proc.settings.stack_cache == REC_STACK_CACHE_VERIFY)
        n = verify_walk(t, out, n, max);
    return n;
}

/* At start-up, before libunwind's first call (which creates its validation pipe): its
 * descriptor use is redirected (rec_unwind_guard.c), then its lazy state is built so
 * that no event pays for it. The frame-pointer walker never calls libunwind. */
void rec_stack_prime(void)
{
    if (rec_proc.settings.unwind_fp)
        return;
    rec_unwind_note_startup_modules();
    int redirected = rec_unwind_guard_install((void *)unw_backtrace);
    if (rec_proc.settings.stack_cache == REC_STACK_CACHE_VERIFY)
        verify_load_reference();
    if (redirected == 0)
        rec_log(1,
                "warning: libunwind's address validation could not be kept off file "
                "descriptors (libunwind linked into the program?)",
                NULL, NULL);
    else
        rec_log_num(
            2, "debug: libunwind imports redirected off descriptors: ", (uint64_t)redirected, NULL);
    void *frames[8];
    unw_backtrace(frames, 8);
}

const char *rec_unwinder_name(void)
{
#define REC_STR2(x) #x
#define REC_STR(x) REC_STR2(x)
    return rec_proc.settings.unwind_fp
               ? "frame-pointers"
               : "libunwind " REC_STR(UNW_VERSION_MAJOR) "." REC_STR(UNW_VERSION_MINOR) "." REC_STR(
                     UNW_VERSION_EXTRA) " unw_backtrace";
}

/* Four independent lanes, one add and one multiply per frame: the multiplies overlap,
 * so hashing 30 frames costs a few dozen cycles, not a dependent chain of 30 mixes. */
static uint64_t hash_frames(void *const *frames, int n)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t lane[4] = {k, k ^ 1, k ^ 2, k ^ (uint64_t)n};
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; j++)
            lane[j] = (lane[j] + (uintptr_t)frames[i + j]) * k;
    for (int j = 0; i < n; i++, j++)
        lane[j] = (lane[j] + (uintptr_t)frames[i]) * k;
    uint64_t h = rec_mix64(lane[0] ^ (lane[1] << 17 | lane[1] >> 47) ^
                           (lane[2] << 31 | lane[2] >> 33) ^ (lane[3] << 47 | lane[3] >> 17));
    return h ? h : 1;
}

static uint32_t define_stack(rec_thread_t *t, struct rec_table_entry *e, uint64_t key,
                             void *const *frames, int n)
{
    rec_modules_check(t); /* a new stack may be the first sign of a dlopen */
    if (rec_append_stack(t, frames, (unsigned)n) != 0)
        return 0;
    uint32_t id = ++t->next_stack;
    int found;
    e = rec_table_find(&t->stacks, key, &found); /* the table may have been regrown */
    e->key = key;
    e->gen = t->stacks.gen;
    e->value = id;
    t->stacks.count++;
    t->counters[MTDB_COUNTER_STACKS]++;
    return id;
}

/* rec_table_room(), with its rare rehash timed as a slow path. */
static int table_room(rec_thread_t *t, rec_table_t *tb, uint64_t max_bytes)
{
    if (REC_LIKELY(rec_table_fits_one(tb)))
        return 0;
    uint64_t t0 = rec_cost_slow_begin();
    int room = rec_table_room(tb, max_bytes);
    rec_cost_slow_end(t, t0);
    return room;
}

/* The id of frames[0..n) in this thread's table, written as a STACK record first when
 * it is new. Past the budget the table starts over: stacks come again as new ids (the
 * importer merges them by their frames), so memory stays bounded and ids stay true. */
static uint32_t intern_stack(rec_thread_t *t, void **frames, int n)
{
    int saved = errno; /* growing the table, the module check, a new block: syscalls */
    uint64_t key = hash_frames(frames, n);
    int room = table_room(t, &t->stacks, rec_proc.settings.stack_table_bytes);
    if (room < 0)
        return 0;
    if (room > 0)
        t->counters[MTDB_COUNTER_STACK_TABLE_RESETS]++;
    int found;
    struct rec_table_entry *e = rec_table_find(&t->stacks, key, &found);
    if (REC_LIKELY(found))
        return e->value;
    uint32_t id = define_stack(t, e, key, frames, n);
    errno = saved;
    return id;
}

/* Walks the calling stack into frames and returns how many frames it found, libmtrec's
 * own included, before the depth cut (*how: walk_full's). */
static inline __attribute__((always_inline)) int capture_frames(rec_thread_t *t, void **frames,
                                                                int *how)
{
    int saved = errno;                      /* the walker and the loader may set it */
    int timed = --t->unwind_countdown <= 0; /* like account_cost(): sampled, scaled */
    uint64_t t0 = timed ? rec_now_ns() : 0;
    int n = walk_full(t, frames, rec_proc.settings.depth + 16, how);
    errno = saved;
    if (timed) {
        uint64_t t1 = rec_now_ns();
        t->counters[MTDB_COUNTER_UNWIND_NS] += (t1 - t0) * t->unwind_interval;
        t->unwind_interval = 192 + (uint32_t)(t1 & 127);
        t->unwind_countdown = (int32_t)t->unwind_interval;
    }
    return n;
}

uint32_t rec_stack_capture(rec_thread_t *t)
{
    void **frames = t->capture;
    int depth = rec_proc.settings.depth, how;
    int n = capture_frames(t, frames, &how);
    uint32_t same = 0;
    if (how == REC_WALK_SAME && last_walk_named(t)) {
        /* the very frames of the cached walker's last walk: its stack, unhashed (frames
         * may not even hold them) */
        same = t->walk_stack_id;
        if (REC_LIKELY(rec_proc.settings.stack_cache != REC_STACK_CACHE_VERIFY)) {
            t->counters[MTDB_COUNTER_STACKS_TRUNCATED] += t->walk_stack_cut;
            return same;
        }
    }
    int skip = own_frames(frames, n);
    n -= skip;
    int cut = n > depth;
    if (cut)
        n = depth;
    uint32_t id = n > 0 ? intern_stack(t, frames + skip, n) : 0;
    if (same && id != same) /* verify: the short cut against unw_backtrace's stack */
        t->counters[MTDB_COUNTER_UNWIND_MISMATCH]++;
    t->counters[MTDB_COUNTER_STACKS_TRUNCATED] += (uint64_t)(cut && id);
    if (how != REC_WALK_OTHER) /* what the next REC_WALK_SAME will stand for */
        t->walk_stack_id = id, t->walk_stack_gen = t->stacks.gen, t->walk_stack_cut = (uint32_t)cut;
    return id;
}

/* The one-frame stack [site]: the caller of the allocation function, the frame a full
 * walk would have put first. Defined once per thread like any stack, without a walk. */
static uint32_t site_stack(rec_thread_t *t, uintptr_t site)
{
    void *frame = (void *)site;
    return intern_stack(t, &frame, 1);
}

/* Frames kept past the first frame outside the runtime: standard-library template code
 * compiled into the program (std::vector<>::_M_realloc_insert, allocator<>::allocate)
 * sits there, above the real caller; the importer skips it by name, so the stack must
 * reach the caller. */
#define REC_SITE_EXTRA_FRAMES 6
#define REC_SITE_SHORT_WALK 14 /* libmtrec, the wrapper, its callees: the user within */

/* The caller of the allocation function is inside the runtime (operator new, strdup):
 * walks a few frames and keeps them up to the first frame outside the runtime plus
 * REC_SITE_EXTRA_FRAMES. Returns the number of frames kept at *out, 0 when the user's
 * code was not reached within a short walk (the caller then takes a full stack). */
static int runtime_site_frames(rec_thread_t *t, void **frames, int cap, void ***out)
{
    int saved = errno;
    int n = walk(t, frames, cap);
    errno = saved;
    int skip = own_frames(frames, n);
    int user = skip;
    while (user < n && rec_runtime_contains((uintptr_t)frames[user]))
        user++;
    if (user >= n)
        return 0;
    int keep = user + 1 + REC_SITE_EXTRA_FRAMES;
    if (keep > n)
        keep = n;
    if (keep - skip > rec_proc.settings.depth)
        keep = skip + rec_proc.settings.depth;
    *out = frames + skip;
    return keep - skip;
}

/* Fast preset: allocations of each call site get a full stack for the first N, then
 * one in every M; the others get the stack of their site: one frame, the caller of
 * the allocation function, or, when that caller is the runtime's own wrapper (C++
 * operator new, strdup), the frames down to the user's caller (runtime_site_frames).
 * Every row then names its site exactly (weight 1), and full stacks are a sample of
 * each site's. */
uint32_t rec_sample_stack(rec_thread_t *t, uintptr_t site)
{
    if (!site || table_room(t, &t->sites, UINT64_MAX) < 0)
        return rec_stack_capture(t);
    void *frames[REC_SITE_SHORT_WALK], **kept = NULL;
    int kept_n = 0;
    uint64_t key = site;
    rec_runtime_refresh();
    if (rec_runtime_contains(site)) {
        kept_n = runtime_site_frames(t, frames, REC_SITE_SHORT_WALK, &kept);
        if (kept_n <= 0)
            return rec_stack_capture(t); /* deep in the runtime: a full stack, weight 1 */
        key = hash_frames(kept, kept_n);
    }
    int found;
    struct rec_table_entry *e = rec_table_find(&t->sites, key, &found);
    if (!found) {
        e->key = key, e->gen = t->sites.gen, e->value = 0, e->extra = 0;
        t->sites.count++;
    }
    uint64_t seen = ++e->extra;
    if (seen <= rec_proc.settings.sample_first ||
        (seen - rec_proc.settings.sample_first) % rec_proc.settings.sample_every == 0)
        return rec_stack_capture(t);
    t->counters[MTDB_COUNTER_STACKS_SAMPLED_OUT]++;
    return kept_n ? intern_stack(t, kept, kept_n) : site_stack(t, site);
}
