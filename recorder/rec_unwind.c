/* rec_unwind.c: the cached stack walker, unw_backtrace's answer for less.
 *
 * Consecutive allocations of a thread mostly share their outer frames: only the few
 * innermost ones change. The walker follows frames with the rules of rec_cfi.c (kept per
 * pc in a per-thread table) and remembers, for each frame of the last walk, the stack
 * words it read: the return address slot, the saved rbp's slot and their values. The
 * next walk unwinds from the hook outwards until it reaches a frame whose return address
 * slot, return address and rbp equal a remembered frame's; if every word the remembered
 * walk read beyond that frame still holds the value it read, the rest of the walk would
 * read the same words with the same registers and so return the same frames: they are
 * copied instead of walked. Exact by construction, not by heuristic: a walk is a
 * function of (pc, rsp, rbp) and the words it reads, and both are compared.
 *
 * A signal handler's walk steps through the kernel's signal frame like libunwind does:
 * the interrupted rip, rsp and rbp are read from the ucontext the trampoline's rsp
 * points to, and the walk goes on from the interrupted instruction. (unw_backtrace
 * itself leaves its fast path at a signal frame for unw_step, which takes a lock and
 * two sigprocmask calls per frame: 50-75 us for a walk from a handler.)
 *
 * A handler on the alternate signal stack (sigaltstack) is walked there up to the signal
 * frame, then on the thread's own stack (walk_cached says how).
 *
 * What it leaves to unw_backtrace (counted in unwind_fallback): a frame whose rule is
 * not of the common shape (hand-written assembly, DRAP-realigned frames, a signal
 * trampoline other than the sigreturn one), a pc without unwind info, a stack pointer
 * outside both the thread's stack and its alternate signal stack (coroutines), a read
 * outside [rsp, stack end).
 *
 * Rules stay true while their module is loaded. A module loaded after start-up can be
 * unloaded and another mapped at its addresses: a walk that used a rule from such a
 * module checks the module map's generation (dl_iterate_phdr's dlpi_adds + dlpi_subs,
 * about 30 ns) before its frames are taken, and walks again with fresh rules when the
 * map moved; a dlclose through the program's own call renews every thread's rules too.
 */
#include <signal.h>
#include <sys/ucontext.h>

#include "rec_internal.h"

/* The rule table: open addressing, doubled at half full from 1 024 entries (16 KiB) up
 * to 65 536 (1 MiB), past which a new rule replaces an old one. A large program meets
 * thousands of return addresses (cc1plus: about 8 000), a worker thread a few dozen. */
#define REC_UNWIND_RULES_FIRST 1024
#define REC_UNWIND_RULES_MAX 65536
#define REC_UNWIND_PROBES 8
/* In front of it, a direct-mapped copy of the rules last used (4 KiB, so it stays in
 * the L1 cache): the recorder's own frames and the program's hot ones. A walk looks up
 * a rule for every frame it steps through, and a large table misses the CPU's caches. */
#define REC_UNWIND_HOT 256

typedef struct rec_unwind_frame { /* one frame reached by a step, and what the step read */
    uintptr_t ra_slot;            /* where its pc (a return address) was read; | SIGNAL_STEP */
    uintptr_t pc;
    uintptr_t bp_slot; /* where the caller's rbp was read; 0: rbp was kept. After a
                          signal step: the interrupted rsp */
    uintptr_t bp;      /* rbp after the step */
} rec_unwind_frame_t;

/* A step through the signal return trampoline reads the interrupted rip, rsp and rbp
 * from the kernel's ucontext, which lies at the trampoline's rsp. Its frame is marked by
 * the low bit of ra_slot (slots are 8-aligned), so that no later walk resumes from it as
 * from an ordinary frame (whose rsp is ra_slot + 8); ra_slot is the rip slot, the other
 * two slots lie at fixed offsets below it, and bp_slot holds the rsp read. */
#define SIGNAL_STEP 1u
/* The bytes below rsp the x86-64 ABI keeps for leaf code: the kernel places a signal
 * frame below them. */
#define REC_RED_ZONE 128
#define UC_RIP offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP])
#define UC_RSP offsetof(ucontext_t, uc_mcontext.gregs[REG_RSP])
#define UC_RBP offsetof(ucontext_t, uc_mcontext.gregs[REG_RBP])
_Static_assert(UC_RBP < UC_RSP && UC_RSP < UC_RIP, "the rip slot is the ucontext's highest read");

/* The rsp of the frame f reached: the CFA of the step, or the rsp a signal step read. */
static inline uintptr_t frame_sp(const rec_unwind_frame_t *f)
{
    return REC_UNLIKELY(f->ra_slot & SIGNAL_STEP) ? f->bp_slot : f->ra_slot + 8;
}

/* The address whose rule leaves the frame f reached: inside the call that returns to
 * its pc, or the pc itself where a signal interrupted it. */
static inline uintptr_t frame_lookup(const rec_unwind_frame_t *f)
{
    return REC_UNLIKELY(f->ra_slot & SIGNAL_STEP) ? f->pc : f->pc - 1;
}

struct rec_unwind {
    uint64_t rules_gen; /* the module generation (dlpi_adds + dlpi_subs, which only grow)
                           the rules were read at */
    uint64_t unloads;   /* rec_unwind_unloads when the rules were read */
    int cur;            /* walks[cur] is the last walk */
    uint32_t n[2];
    int complete[2];   /* the walk reached the outermost frame (not cut at its cap) */
    int unloadable[2]; /* the walk used a rule of a module that may be unloaded */
    rec_unwind_frame_t walks[2][REC_UNWIND_MAX_FRAMES];
    rec_frame_rule_t *rules; /* mask + 1 entries, mapped */
    uint32_t mask, count;
    rec_frame_rule_t hot[REC_UNWIND_HOT];
};

static rec_unwind_t *unwind_state(rec_thread_t *t)
{
    if (REC_LIKELY(t->unwind != NULL))
        return t->unwind;
    rec_unwind_t *u = rec_map(sizeof *u); /* zero-filled: no rules, no walk */
    if (!u)
        return NULL;
    t->unwind = u;
    return u;
}

void rec_unwind_forget(rec_thread_t *t)
{
    if (t->unwind)
        t->unwind->n[0] = t->unwind->n[1] = 0;
    t->walk_stack_id = 0;
}

int rec_unwind_crossed_signal(rec_thread_t *t)
{
    const rec_unwind_t *u = t->unwind;
    for (uint32_t i = 0; u && i < u->n[u->cur]; i++)
        if (u->walks[u->cur][i].ra_slot & SIGNAL_STEP)
            return 1;
    return 0;
}

/* The map moved on to generation gen: every rule read before, and the last walk made
 * with them, may be stale. */
static void rules_renew(rec_unwind_t *u, uint64_t gen)
{
    if (u->rules)
        memset(u->rules, 0, ((size_t)u->mask + 1) * sizeof *u->rules);
    memset(u->hot, 0, sizeof u->hot);
    u->count = 0;
    u->n[0] = u->n[1] = 0;
    u->rules_gen = gen;
}

static rec_frame_rule_t *rule_slot(rec_frame_rule_t *rules, uint32_t mask, uintptr_t pc, int *found)
{
    uint32_t at = (uint32_t)rec_mix64(pc) & mask;
    for (int i = 0; i < REC_UNWIND_PROBES; i++) {
        rec_frame_rule_t *r = &rules[(at + i) & mask];
        if (r->pc == pc || !r->pc) {
            *found = r->pc == pc;
            return r;
        }
    }
    *found = 0;
    return &rules[at]; /* every probe taken: replace the first */
}

/* Makes room for one more rule: maps the first table, or doubles it at half full. A
 * failed mapping keeps the table as it is (new rules then replace old ones). */
static void rules_room(rec_unwind_t *u)
{
    if (u->rules && (u->count < (u->mask + 1) / 2 || u->mask + 1 >= REC_UNWIND_RULES_MAX))
        return;
    uint32_t size = u->rules ? (u->mask + 1) * 2 : REC_UNWIND_RULES_FIRST;
    rec_frame_rule_t *bigger = rec_map((size_t)size * sizeof *bigger);
    if (!bigger)
        return;
    uint32_t count = 0;
    for (uint32_t i = 0; u->rules && i <= u->mask; i++) {
        if (!u->rules[i].pc)
            continue;
        int found;
        rec_frame_rule_t *r = rule_slot(bigger, size - 1, u->rules[i].pc, &found);
        count += !r->pc;
        *r = u->rules[i];
    }
    if (u->rules)
        rec_unmap(u->rules, ((size_t)u->mask + 1) * sizeof *u->rules);
    u->rules = bigger, u->mask = size - 1, u->count = count;
}

static const rec_frame_rule_t *rule_for(rec_thread_t *t, rec_unwind_t *u, uintptr_t pc)
{
    rec_frame_rule_t *hot = &u->hot[(pc ^ (pc >> 8)) & (REC_UNWIND_HOT - 1)];
    if (REC_LIKELY(hot->pc == pc))
        return hot;
    int found;
    if (REC_LIKELY(u->rules != NULL)) {
        const rec_frame_rule_t *r = rule_slot(u->rules, u->mask, pc, &found);
        if (REC_LIKELY(found)) {
            *hot = *r;
            return hot;
        }
    }
    rec_frame_rule_t rule;
    uint64_t gen = rec_cfi_rule(pc, &rule);
    t->counters[MTDB_COUNTER_UNWIND_RULES_READ]++;
    if (gen > u->rules_gen)
        rules_renew(u, gen);
    rules_room(u);
    if (u->rules) { /* none when it could not be mapped: then only the hot copy has it */
        rec_frame_rule_t *r = rule_slot(u->rules, u->mask, pc, &found);
        u->count += !r->pc;
        *r = rule;
    }
    *hot = rule;
    return hot;
}

static inline int inside(uintptr_t at, uintptr_t lo, uintptr_t hi)
{
    return (at & 7) == 0 && at >= lo && at < hi && hi - at >= 8;
}

/* The first of the frames [from, n) of a remembered walk that read a word which no longer
 * holds its value, or n when every word still does. */
static uint32_t first_changed(const rec_unwind_frame_t *f, uint32_t from, uint32_t n)
{
    for (uint32_t i = from; i < n; i++) {
        if (REC_UNLIKELY(f[i].ra_slot & SIGNAL_STEP)) {
            uintptr_t uc = (f[i].ra_slot & ~(uintptr_t)SIGNAL_STEP) - UC_RIP;
            if (*(const uintptr_t *)(uc + UC_RIP) != f[i].pc ||
                *(const uintptr_t *)(uc + UC_RSP) != f[i].bp_slot ||
                *(const uintptr_t *)(uc + UC_RBP) != f[i].bp)
                return i;
            continue;
        }
        if (*(const uintptr_t *)f[i].ra_slot != f[i].pc ||
            (f[i].bp_slot && *(const uintptr_t *)f[i].bp_slot != f[i].bp))
            return i;
    }
    return n;
}

uint64_t rec_unwind_unloads;

#define WALK_UNFOLLOWED (-1) /* a frame the walker does not follow: unw_backtrace's turn */
#define WALK_AGAIN (-2)      /* the module map moved under an unloadable rule: walk again */

/* 1 when a walk that began with the rules of generation gen, and used a rule of a module
 * that may have been unloaded since, must be made again: the map moved (the rules are
 * then renewed). */
static int stale_rules(rec_unwind_t *u, uint64_t gen, int unloadable)
{
    if (!unloadable)
        return 0;
    uint64_t now = rec_modules_generation();
    if (now <= gen)
        return 0;
    rules_renew(u, now);
    return 1;
}

/* The walk proper, from (pc, sp, bp) on the stack that ends at hi: the thread's own, or
 * the alternate signal stack a handler runs on. Returns the number of frames at out, or
 * WALK_UNFOLLOWED, or WALK_AGAIN. *reuse: REC_WALK_*. frames_optional: the caller can do
 * without the frames when the walk is the last one again (REC_WALK_SAME): they are then
 * not all copied.
 *
 * Every word read lies in [lo, hi) and above the slots of the step before (floor). On an
 * alternate signal stack that span is [sp, its end) until the signal frame, whose
 * interrupted rsp starts the span [that rsp, the thread's stack end); no walk is matched
 * against the last one there (the alternate stack may have moved since), only from the
 * thread's own stack on. */
__attribute__((no_sanitize_address)) static int
walk_cached(rec_thread_t *t, rec_unwind_t *u, uintptr_t pc, uintptr_t sp, uintptr_t bp,
            uintptr_t hi, void **out, int max, int frames_optional, int *reuse)
{
    uintptr_t lo = sp, floor = 0;
    int on_alt_stack = hi != t->stack_hi;
    const rec_unwind_frame_t *last = u->walks[u->cur];
    const uint32_t last_n = u->n[u->cur];
    rec_unwind_frame_t *next = u->walks[!u->cur];
    const uint64_t gen = u->rules_gen; /* a rule read below may renew them all */
    uint32_t k = 0; /* the first remembered frame whose slot is not below the current one */
    /* A remembered frame found changed: no match below it can hold, since the rest of
     * a match includes it. Without this, a recursion whose outer frames changed since
     * the last walk rechecked them at every inner frame that matched (quadratic). */
    uint32_t changed = 0;
    int n = 0, complete = 0, unloadable = 0, crossed_signal = 0;
    uintptr_t lookup = pc; /* the first frame's own pc; callers' pc - 1, inside the call */
    *reuse = REC_WALK_NEW;
    while (n < max) {
        const rec_frame_rule_t *r = rule_for(t, u, lookup);
        unloadable |= r->unloadable;
        if (r->kind == REC_RULE_LAST) {
            complete = 1;
            break;
        }
        if (r->kind == REC_RULE_SIGNAL) {
            /* the handler returned to the trampoline with rsp at the ucontext */
            if (n == 0 || !inside(sp + UC_RBP, lo, hi) || !inside(sp + UC_RIP, lo, hi))
                return WALK_UNFOLLOWED;
            rec_unwind_frame_t *f = &next[n];
            f->ra_slot = (sp + UC_RIP) | SIGNAL_STEP;
            f->pc = *(const uintptr_t *)(sp + UC_RIP);
            f->bp_slot = *(const uintptr_t *)(sp + UC_RSP);
            f->bp = bp = *(const uintptr_t *)(sp + UC_RBP);
            floor = sp + UC_RIP;
            sp = f->bp_slot;
            pc = f->pc;
            if (on_alt_stack && (sp < lo || sp >= hi) && sp >= t->stack_lo + REC_RED_ZONE &&
                sp < t->stack_hi) {
                /* the handler ran on the alternate stack: the interrupted code is on the
                 * thread's own, which the rest of the walk reads, and may be matched. Its
                 * frame may read its red zone: an epilogue's rule can still name a slot
                 * a pop has left below rsp */
                lo = sp - REC_RED_ZONE, hi = t->stack_hi, floor = 0;
                on_alt_stack = 0, k = 0;
            }
            if (pc < 0x4000)
                return WALK_UNFOLLOWED;
            out[n++] = (void *)pc;
            lookup = pc; /* the interrupted instruction itself, not a call's return */
            crossed_signal = 1;
            continue;
        }
        if (r->kind != REC_RULE_STEP)
            return WALK_UNFOLLOWED;
        if (REC_UNLIKELY(r->exact_pc) && lookup != pc)
            return WALK_UNFOLLOWED; /* a PLT rule, but for the frame of a call */
        uintptr_t cfa = (r->cfa_reg == REC_CFA_RSP ? sp : bp) + (uintptr_t)(intptr_t)r->cfa_off;
        uintptr_t ra_slot = cfa - 8;
        if (!inside(ra_slot, lo, hi) || ra_slot <= floor)
            return WALK_UNFOLLOWED;
        rec_unwind_frame_t *f = &next[n];
        f->ra_slot = ra_slot;
        f->pc = *(const uintptr_t *)ra_slot;
        f->bp_slot = 0;
        if (r->bp_off) {
            uintptr_t bp_slot = cfa + (uintptr_t)(intptr_t)r->bp_off;
            /* inside this frame, above the slot of the step before: a remembered frame
             * past the one matched then never reads below the walk's start */
            if (!inside(bp_slot, lo, hi) || bp_slot <= floor)
                return WALK_UNFOLLOWED;
            f->bp_slot = bp_slot;
            bp = *(const uintptr_t *)bp_slot;
        }
        f->bp = bp;
        floor = ra_slot;
        sp = cfa;
        pc = f->pc;
        if (pc < 0x4000) { /* where unw_backtrace stops too */
            /* but below a signal frame (a swapcontext half done), its slow path keeps
             * this last pc: the stack is its to give */
            if (crossed_signal)
                return WALK_UNFOLLOWED;
            complete = 1;
            break;
        }
        out[n++] = (void *)pc;
        lookup = pc - 1;
        if (REC_UNLIKELY(on_alt_stack))
            continue;
        while (k < last_n && last[k].ra_slot < ra_slot)
            k++;
        if (k < last_n && k >= changed && last[k].ra_slot == ra_slot && last[k].pc == pc &&
            last[k].bp == bp && u->rules_gen == gen &&
            (changed = first_changed(last, k + 1, last_n)) == last_n) {
            /* the rest is the last walk's: copy it, then go on only if it was cut */
            int whole = k == (uint32_t)(n - 1) && u->complete[u->cur];
            for (uint32_t i = 0; whole && i < k; i++)
                whole = next[i].pc == last[i].pc;
            unloadable |= u->unloadable[u->cur];
            if (whole && frames_optional) {
                /* the last walk, frame for frame: the caller names its stack without the
                 * frames, and the last walk stays as it is */
                if (stale_rules(u, gen, unloadable))
                    return WALK_AGAIN;
                *reuse = REC_WALK_SAME;
                return (int)last_n;
            }
            uint32_t copy = last_n - (k + 1);
            if (copy > (uint32_t)(max - n))
                copy = (uint32_t)(max - n);
            memcpy(&next[n], &last[k + 1], copy * sizeof *next);
            for (uint32_t i = 0; i < copy; i++)
                out[n + (int)i] = (void *)(last[k + 1 + i].pc);
            n += (int)copy;
            *reuse = REC_WALK_REUSED;
            if (k + 1 + copy == last_n && u->complete[u->cur]) {
                complete = 1;
                if (whole)
                    *reuse = REC_WALK_SAME;
                break;
            }
            if (n >= max)
                break;
            /* the last walk was cut at its cap: resume from its outermost frame */
            for (uint32_t i = 0; i < copy; i++)
                crossed_signal |= (int)(next[n - 1 - (int)i].ra_slot & SIGNAL_STEP);
            sp = frame_sp(&next[n - 1]);
            floor = next[n - 1].ra_slot & ~(uintptr_t)SIGNAL_STEP;
            bp = next[n - 1].bp;
            pc = next[n - 1].pc;
            lookup = frame_lookup(&next[n - 1]);
            k = last_n;
        }
    }
    if (stale_rules(u, gen, unloadable))
        return WALK_AGAIN;
    u->cur = !u->cur;
    u->n[u->cur] = (uint32_t)n;
    u->complete[u->cur] = complete;
    u->unloadable[u->cur] = unloadable;
    return n;
}

/* The registers at this point: its pc, rsp and rbp, from which the walk starts. */
#define CURRENT_REGISTERS(pc, sp, bp)                                                              \
    __asm__ volatile("leaq 0(%%rip), %0\n\tmovq %%rsp, %1\n\tmovq %%rbp, %2"                       \
                     : "=r"(pc), "=r"(sp), "=r"(bp))

__attribute__((noinline)) int rec_unwind_walk(rec_thread_t *t, void **out, int max,
                                              int frames_optional, int *reuse)
{
    *reuse = REC_WALK_NEW;
    rec_unwind_t *u = unwind_state(t);
    if (!u)
        return -1;
    uint64_t unloads = __atomic_load_n(&rec_unwind_unloads, __ATOMIC_ACQUIRE);
    if (REC_UNLIKELY(unloads != u->unloads)) {
        rules_renew(u, u->rules_gen); /* the program called dlclose */
        u->unloads = unloads;
    }
    uintptr_t pc, sp, bp, hi = t->stack_hi;
    CURRENT_REGISTERS(pc, sp, bp);
    if (sp < t->stack_lo || sp >= t->stack_hi) {
        /* a signal handler on the alternate stack, or a coroutine (left to unw_backtrace) */
        stack_t alt;
        if (sigaltstack(NULL, &alt) != 0 || !(alt.ss_flags & SS_ONSTACK) ||
            sp < (uintptr_t)alt.ss_sp || sp - (uintptr_t)alt.ss_sp >= alt.ss_size)
            return -1;
        hi = (uintptr_t)alt.ss_sp + alt.ss_size;
    }
    int n = walk_cached(t, u, pc, sp, bp, hi, out, max, frames_optional, reuse);
    if (n == WALK_AGAIN) /* with rules read now, which leave no unloadable rule stale */
        n = walk_cached(t, u, pc, sp, bp, hi, out, max, frames_optional, reuse);
    return n < 0 ? -1 : n;
}
