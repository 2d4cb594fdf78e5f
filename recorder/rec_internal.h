/* rec_internal.h: what the recorder's files share.
 *
 * Everything in libmtrec.so runs inside the host's heap calls, so every function here
 * must not allocate through malloc, must not use stdio, and must not take a lock on the
 * event path (the MTDB_GLOBAL_LOCK control build is the one deliberate exception).
 *
 * Errors, one convention for every file: a function that can fail returns int, 0 on
 * success or a negative errno value (-ENOSPC, -EFBIG, ...), never a bare -1 and never a
 * positive errno, so callers test `< 0` (or `!= 0`) and messages still name the cause:
 * the warning helpers and the failure mark take the positive value (rec_errno_text(-rc)).
 * Functions that answer a question (a lookup, a count, "is it ready") are not errors and
 * say what they return beside their declaration. Values handed back to the host keep the
 * host's own convention (posix_memalign returns a positive errno, as POSIX says).
 */
#ifndef REC_INTERNAL_H
#define REC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "mtdb_format.h"
#include "mtdb_settings.h"
#include "trace_writer.h"

#define REC_LIKELY(x) __builtin_expect(!!(x), 1)
#define REC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define REC_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#define REC_NOINLINE __attribute__((noinline))
#define REC_PATH_MAX 4096
#define REC_MAX_DEPTH 256
#define REC_UNWIND_MAX_FRAMES (REC_MAX_DEPTH + 16) /* a walk: the depth, libmtrec's own */

/* ---- real allocator functions (rec_real.c) ----------------------------------------- */
typedef struct rec_real_fns {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*reallocarray)(void *, size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
} rec_real_fns_t;
extern rec_real_fns_t rec_real;
/* Resolves the real functions once; returns 0 when rec_real is complete. */
int rec_real_resolve(void);
/* Bootstrap pool for calls made before the real functions are known (dlsym's calloc). */
void *rec_boot_alloc(size_t size, size_t align);
#define REC_BOOT_POOL_BYTES (256 * 1024)
extern uint8_t rec_boot_pool[REC_BOOT_POOL_BYTES];
static inline int rec_boot_owns(const void *p)
{
    return (uintptr_t)p - (uintptr_t)rec_boot_pool < REC_BOOT_POOL_BYTES;
}
size_t rec_boot_size(const void *p);

/* ---- process-wide state (rec_process.c) ---------------------------------------------- */
enum rec_global_state { REC_UNINIT = 0, REC_INITIALIZING, REC_READY, REC_DISABLED };

typedef struct rec_settings {
    char output[REC_PATH_MAX];
    int preset; /* 0 precise, 1 fast, 2 leaks */
    int depth;
    int unwind_fp;
    int stack_cache; /* enum rec_stack_cache */
    uint64_t sample_large, sample_first, sample_every;
    int start_paused;
    int follow;
    int pause_signal;
    uint32_t block_bytes;
    uint32_t chunk_largest;
    uint64_t stack_table_bytes; /* MTDB_STACK_TABLE_KB */
    int log_level;
    int clock_monotonic; /* MTDB_CLOCK=monotonic */
    long root_pid;
    int free_stacks; /* leaks preset: stacks on frees too */
} rec_settings_t;

typedef struct rec_process {
    int state; /* enum rec_global_state, atomic */
    rec_settings_t settings;
    pid_t pid;
    uint64_t nonce;
    uint64_t parent_nonce;
    char proc_path[REC_PATH_MAX];
    uint32_t next_thread;       /* atomic: last thread number handed out */
    uint32_t next_stream;       /* atomic: last stream index handed out */
    int paused;                 /* atomic, read on the event path */
    uint64_t modules_gen;       /* atomic: dlpi_adds + dlpi_subs last written */
    uint64_t unrecorded;        /* atomic: events that arrived before init finished */
    int exit_written;           /* atomic: the exit handler ran */
    uintptr_t self_lo, self_hi; /* libmtrec.so's own text, skipped in stacks */
    uint64_t files_owner;       /* atomic: 1 + the uid our files went to before a change of
                                   user (rec_privilege.c), 0: none */
} rec_process_t;
extern rec_process_t rec_proc;

void rec_init(void); /* idempotent; safe from any thread, any time */
static inline int rec_ready(void)
{
    return __atomic_load_n(&rec_proc.state, __ATOMIC_ACQUIRE) == REC_READY;
}
static inline int rec_paused(void)
{
    return __atomic_load_n(&rec_proc.paused, __ATOMIC_RELAXED);
}
void rec_set_paused(int paused);
void rec_disable(const char *why);
void rec_before_exec(const char *path);
void rec_before_exit_call(int status);

/* ---- time (rec_clock.c) -------------------------------------------------------------
 * Every timestamp of a process comes from one function, so they are comparable across
 * its threads. Where the kernel itself keeps time with an invariant TSC, the recorder
 * reads it with rdtscp (ordered after the heap call's own loads, about 10 ns instead of
 * clock_gettime's 25) and maps it to CLOCK_MONOTONIC ns with one process-wide linear
 * function calibrated at start-up. Elsewhere, or with MTDB_CLOCK=monotonic, it calls
 * clock_gettime(CLOCK_MONOTONIC). */
typedef struct rec_clock {
    int use_tsc;
    uint64_t tsc0, ns0;
    uint64_t mult; /* ns per tick, 32.32 fixed point */
} rec_clock_t;
extern rec_clock_t rec_clock;
void rec_clock_setup(int allow_tsc);

static inline uint64_t rec_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t rec_now_ns(void)
{
#if defined(__x86_64__)
    if (REC_LIKELY(rec_clock.use_tsc)) {
        unsigned aux;
        uint64_t ticks = __builtin_ia32_rdtscp(&aux) - rec_clock.tsc0;
        return rec_clock.ns0 + (uint64_t)(((unsigned __int128)ticks * rec_clock.mult) >> 32);
    }
#endif
    return rec_monotonic_ns();
}

/* ---- streams: files of blocks (rec_stream.c) ----------------------------------------- */
typedef struct rec_stream {
    char path[REC_PATH_MAX];
    uint32_t index;
    uint32_t chunk_first, chunk_largest;
    unsigned chunk_no;     /* index of the mapped chunk */
    uint64_t chunk_offset; /* file offset of the mapped chunk */
    uint64_t chunk_bytes;
    uint8_t *map;  /* the mapped chunk, or NULL */
    uint32_t used; /* bytes of the chunk in use (8-aligned) */
    int failed;    /* sticky: a write error stopped this stream */
} rec_stream_t;

/* Bytes at the end of every chunk kept for the closing PAD or the thread's last block. */
#define REC_CHUNK_RESERVE 512

int rec_stream_create(rec_stream_t *s, uint32_t index);
/* The path of stream `index` of this process (without .tmp); returns its length. */
size_t rec_stream_path(char *out, size_t cap, uint32_t index);
/* Makes sure `need` bytes starting at an 8-aligned position fit in the mapped chunk
 * (outside the reserve), moving to a new chunk if needed; returns the position or NULL. */
uint8_t *rec_stream_room(rec_stream_t *s, uint32_t need);
/* Room inside the reserve, for the last block of a thread. */
uint8_t *rec_stream_reserve_room(rec_stream_t *s, uint32_t need);
void rec_stream_advance(rec_stream_t *s, uint32_t span);
void rec_stream_release_map(rec_stream_t *s);
/* Reserves [offset, offset+bytes) of fd on disk, never past RLIMIT_FSIZE; 0 or -errno. */
int rec_reserve_disk(int fd, uint64_t offset, uint64_t bytes);
/* errno's English text, without allocating ("No space left on device"). */
const char *rec_errno_text(int err);

struct rec_thread;

/* ---- the process file's reserved space (rec_ledger.c) ------------------------------
 * Process-level blocks written through a mapping made at start-up: they reach the file
 * after a full disk, exhausted descriptors or a privilege drop. */
int rec_ledger_start(int fd, uint64_t content_bytes); /* 0 or -errno */
void rec_ledger_forget(void);                         /* fork child: the parent's is not ours */
int rec_ledger_ready(void);
int rec_ledger_append(uint32_t thread, uint32_t flags, uint64_t ts, const uint8_t *records,
                      uint32_t len);
/* A thread's counters as a process-level block of its thread number: the first time it
 * lost an event (so the importer knows from when records may be missing), or at its end
 * when its own stream cannot take them. */
void rec_ledger_counters(const struct rec_thread *t, uint32_t flags, uint64_t ts);

/* ---- a change of user (rec_owner.c, rec_acl.c; the wrappers in rec_privilege.c) ------
 * Before the real call that makes uid the effective or file-system user, as root: hands
 * this process's files to uid and lets uid create files in the output directory. */
void rec_owner_before_uid_change(uid_t uid);
/* A file just created: handed over too when a change of user is under way. */
void rec_owner_new_file(int fd);
/* Grants uid rwx on dir through a named entry in its POSIX ACL; 0 or an errno. */
int rec_acl_grant_dir(const char *dir, uint32_t uid);

/* ---- fault injection (rec_fault.c, only in the libmtrec-fault.so test build) --------
 * Every operation that writes trace data asks first; MTDB_TEST_FAIL_AT=N makes the Nth
 * one fail with -ENOSPC (once). In the real library this is a constant 0. */
#ifdef REC_FAULT_SEAM
int rec_fault_next(void);
#else
static inline int rec_fault_next(void)
{
    return 0;
}
#endif

/* ---- per-thread state (rec_thread.c) ------------------------------------------------- */
enum rec_mode { REC_UNBORN = 0, REC_ACTIVE, REC_CLOSED, REC_OFF };

typedef struct rec_table {
    struct rec_table_entry {
        uint64_t key;
        uint32_t gen;
        uint32_t value;
        uint64_t extra;
    } * slots;
    uint32_t mask;  /* capacity - 1 */
    uint32_t count; /* live entries of this generation */
    uint32_t gen;
} rec_table_t;

#define REC_PENDING_MAX 64
typedef struct rec_pending {
    uint8_t type, func;
    uint64_t ts_ns, ts2_ns, addr, old_addr, size;
} rec_pending_t;

typedef struct rec_thread {
    int mode;  /* enum rec_mode */
    int depth; /* >0 while inside the recorder on this thread */
    uint32_t serial;
    pid_t tid;
    uint64_t seq; /* heap events so far */
    /* block being written */
    uint8_t *blk;
    uint8_t *pos;
    uint8_t *limit;
    uint32_t blk_events;
    uint32_t blk_flags_next; /* flags for the next block opened */
    mtdb_enc_t enc;
    /* tables */
    rec_table_t stacks; /* stack hash -> id */
    rec_table_t sites;  /* call site -> count, skipped weight (fast preset) */
    uint32_t next_stack;
    /* the last STACK record of the open block, whose outer frames the next may share
     * (0 frames: none since the block opened) */
    uint32_t block_stack_depth;
    uintptr_t block_stack[REC_MAX_DEPTH];
    /* re-entered events, appended by nested calls (signal handlers, the unwinder) */
    volatile uint32_t pending_n;
    rec_pending_t pending[REC_PENDING_MAX];
    uint64_t counters[MTDB_COUNTER_COUNT];
    int32_t cost_countdown;   /* events until the next one whose cost is measured */
    uint32_t cost_interval;   /* events that measurement stands for */
    uint64_t cost_cpu0, cost_wall0; /* thread CPU and wall clocks before the measured event */
    int32_t unwind_countdown; /* stack walks likewise */
    uint32_t unwind_interval;
    uintptr_t stack_lo, stack_hi; /* for the frame-pointer and the cached walkers */
    struct rec_unwind *unwind;    /* the cached walker's state, mapped on first use */
    uint32_t walk_stack_id;       /* the stack of the cached walker's last walk (0: none), */
    uint32_t walk_stack_gen;      /* interned in this generation of the stack table, */
    uint32_t walk_stack_cut;      /* 1: cut at the depth limit */
    /* the frames of the walk being interned: here rather than on the stack of the heap
     * call, which may be a small thread's or a coroutine's (a nested call never walks:
     * it is queued, see pending) */
    void *capture[REC_UNWIND_MAX_FRAMES];
    int key_rounds;
    pid_t owner_pid; /* the process whose files this slot writes */
    char name[17];   /* the thread name last written */
    rec_stream_t stream;
    struct rec_thread *next_free; /* free list of recycled slots */
    uint32_t slot_index;
} rec_thread_t;

extern REC_TLS rec_thread_t *rec_tls;
extern rec_thread_t rec_thread_unborn, rec_thread_closed, rec_thread_off;

rec_thread_t *rec_thread_attach(void); /* slow path: gives the calling thread a slot */
void rec_thread_fork_child(void);
void rec_thread_exit_handler(void);
void rec_thread_setup_key(void);
void rec_thread_check_name(rec_thread_t *t);
rec_thread_t *rec_thread_borrow_late(void);
void rec_thread_return_late(rec_thread_t *t);

/* ---- writing records (rec_event.c) ------------------------------------------------- */
void rec_on_alloc(unsigned func, void *p, size_t size, uintptr_t site);
void rec_on_fail(unsigned func, size_t size);
void rec_on_free(unsigned free_func, void *p, uint64_t ts);
void rec_on_realloc(unsigned func, void *old, void *p, size_t size, uint64_t ts_before,
                    uintptr_t site);
/* Appends a non-event record built by fill() (metadata: names, marks, modules, state). */
int rec_append_meta(rec_thread_t *t, const void *rec, uint32_t len);
/* Appends the STACK record of frames[0..n), sharing its outer frames with the block's
 * previous STACK record when it can. 0 when written. */
int rec_append_stack(rec_thread_t *t, void *const *frames, unsigned n);
int rec_block_ensure(rec_thread_t *t, uint32_t need, uint64_t ts);
/* A slow path is counted in the thread's recorder_ns exactly, not sampled:
 * t0 = rec_cost_slow_begin(), the path, then rec_cost_slow_end(t, t0). */
uint64_t rec_cost_slow_begin(void);
void rec_cost_slow_end(rec_thread_t *t, uint64_t t0);
void rec_block_close(rec_thread_t *t, uint32_t extra_flags);
void rec_thread_write_final(rec_thread_t *t, uint32_t extra_flags);
void rec_append_counters(rec_thread_t *t);

/* ---- per-thread tables (rec_table.c) and stacks (rec_stack.c)
 * ----------------------------------------------------------- */
int rec_table_init(rec_table_t *tb, uint32_t capacity);
struct rec_table_entry *rec_table_find(rec_table_t *tb, uint64_t key, int *found);
int rec_table_grow(rec_table_t *tb);
void rec_table_clear(rec_table_t *tb);
void rec_table_free(rec_table_t *tb);
/* 1 when the table takes one more entry as it is (it stays at most half full). */
static inline int rec_table_fits_one(const rec_table_t *tb)
{
    return tb->slots && (tb->count + 1) * 2 <= tb->mask + 1;
}
/* Makes room for one insertion (creating the table on first use) without mapping more
 * than max_bytes of slots at any moment: 0 when it may take it, 1 when it was cleared to
 * stay within max_bytes (and may take it), -1 when it may not. */
int rec_table_room(rec_table_t *tb, uint64_t max_bytes);

static inline uint64_t rec_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}
/* Captures the calling stack, interns it; returns its id, 0 when none was captured.
 * Writes a STACK record first when the stack is new to this thread. */
uint32_t rec_stack_capture(rec_thread_t *t);
/* Fast preset: a full stack for a sample of each call site's allocations, the one-frame
 * stack [site] for the others. */
uint32_t rec_sample_stack(rec_thread_t *t, uintptr_t site);

/* ---- the runtime's code (rec_runtime.c) --------------------------------------------- */
void rec_runtime_refresh(void);         /* rebuilds the ranges if the modules changed */
int rec_runtime_contains(uintptr_t pc); /* pc is in libc, ld.so, libstdc++ ... */
int rec_runtime_module_name(const char *path); /* path names a runtime module */
int rec_runtime_glob(const char *pattern, const char *name);

void rec_stack_prime(void);

/* ---- the cached walker (rec_unwind.c) and its rules (rec_cfi.c) ---------------------- */
enum rec_stack_cache { REC_STACK_CACHE_ON, REC_STACK_CACHE_OFF, REC_STACK_CACHE_VERIFY };
enum { REC_CFA_RSP = 1, REC_CFA_RBP = 2 };
enum {
    REC_RULE_UNKNOWN = 0, /* not followed: the walk is left to unw_backtrace */
    REC_RULE_STEP,        /* CFA = reg + cfa_off, return address at CFA - 8 */
    REC_RULE_LAST,        /* return address undefined: the outermost frame */
    REC_RULE_SIGNAL,      /* the kernel's signal return trampoline (__restore_rt): the
                             interrupted frame's registers are in the ucontext at rsp */
};
/* How to leave the frame at pc: the caller's rsp is the CFA, its pc is read at CFA - 8,
 * its rbp at CFA + bp_off (bp_off 0: rbp is kept). */
typedef struct rec_frame_rule {
    uintptr_t pc; /* the pc looked up; 0: an empty table entry */
    int32_t cfa_off;
    int16_t bp_off;
    uint8_t cfa_reg : 2;
    uint8_t exact_pc : 1; /* true only where the frame's pc is pc itself, not pc + 1 */
    uint8_t kind : 7;
    uint8_t unloadable : 1; /* pc's module was not loaded at start-up: it may go away */
} rec_frame_rule_t;
typedef struct rec_unwind rec_unwind_t;
/* Reads the rule for pc from its module's unwind tables; returns the module generation
 * (dlpi_adds + dlpi_subs) it was read at. rule->kind is REC_RULE_UNKNOWN when none. */
uint64_t rec_cfi_rule(uintptr_t pc, rec_frame_rule_t *rule);
/* The calling stack's return addresses (as unw_backtrace gives them, the caller's first)
 * into out[0..max); -1 when a frame cannot be followed. *reuse: how much of the thread's
 * previous walk it took. frames_optional: when the walk is the previous one again
 * (REC_WALK_SAME), out is left unfilled (the caller names the stack by the last id). */
enum { REC_WALK_NEW, REC_WALK_REUSED /* its outer frames */, REC_WALK_SAME /* all: equal */ };
int rec_unwind_walk(rec_thread_t *t, void **out, int max, int frames_optional, int *reuse);
void rec_unwind_forget(rec_thread_t *t); /* a new thread in the slot: no previous walk */
/* The last walk stepped through a signal frame. */
int rec_unwind_crossed_signal(rec_thread_t *t);
/* At start-up: the modules loaded now, whose rules can never go stale. */
void rec_unwind_note_startup_modules(void);
/* dlclose (rec_dlclose.c) moves this before and after the real call: every thread's
 * rules are read again. */
extern uint64_t rec_unwind_unloads;
/* The frame-pointer walk from the record at fp: reads only whole, 8-aligned 16-byte
 * records inside [lo, hi), each above the one before; stops at the first that is not.
 * Returns the return addresses found (at most max). */
int rec_fp_walk(uintptr_t fp, uintptr_t lo, uintptr_t hi, void **out, int max);
/* Points libunwind's pipe/read/write/close/syscall/open imports at stand-ins that keep
 * it off descriptors (rec_unwind_guard.c); returns how many it redirected. Call before
 * libunwind's first use. */
int rec_unwind_guard_install(void *unwinder_fn);
int rec_memory_readable(const void *addr);
const char *rec_unwinder_name(void);

/* ---- modules (rec_modules.c) -------------------------------------------------------- */
uint64_t rec_modules_generation(void);
/* Encodes a full MODULES record into buf (cap bytes); returns its length or 0. */
uint32_t rec_modules_encode(uint8_t *buf, uint32_t cap);
void rec_modules_check(rec_thread_t *t);
void rec_modules_self_range(uintptr_t *lo, uintptr_t *hi);

/* ---- system helpers without malloc (rec_sys.c) ------------------------------------- */
/* The file calls the recorder makes, as the C library's open, read, write, pwrite, close
 * and fallocate (-1 and errno on failure), but never cancellation points: a thread that
 * another has asked to cancel must not be cancelled inside malloc, which is not one. */
int rec_open(const char *path, int flags, mode_t mode);
ssize_t rec_read(int fd, void *buf, size_t n);
ssize_t rec_write(int fd, const void *buf, size_t n);
ssize_t rec_pwrite(int fd, const void *buf, size_t n, off_t offset);
int rec_close(int fd);
int rec_fallocate(int fd, int mode, off_t offset, off_t len);
void *rec_map(size_t bytes);
void rec_unmap(void *p, size_t bytes);
int rec_write_all(int fd, const void *buf, size_t len); /* 0 or -errno (-EIO: wrote 0) */
size_t rec_fmt_u64(char *out, uint64_t v);
size_t rec_fmt_hex(char *out, uint64_t v, int width);
size_t rec_strlcpy(char *dst, const char *src, size_t cap);
pid_t rec_gettid(void);

/* ---- logging (rec_log.c) ------------------------------------------------------------ */
void rec_log(int level, const char *a, const char *b, const char *c);
void rec_log_num(int level, const char *a, uint64_t n, const char *b);
/* One line on stderr per cause (per call site) and process: the host hears once. */
void rec_warn(const char *a, const char *b);
void rec_error(const char *a, const char *b);
#define REC_ONCE(call)                                                                             \
    do {                                                                                           \
        static int said_;                                                                          \
        if (!__atomic_exchange_n(&said_, 1, __ATOMIC_RELAXED))                                     \
            call;                                                                                  \
    } while (0)
#define rec_warn_once(a, b) REC_ONCE(rec_warn(a, b))
#define rec_error_once(a, b) REC_ONCE(rec_error(a, b))

#ifdef MTDB_GLOBAL_LOCK
void rec_global_lock(void);
void rec_global_unlock(void);
#else
static inline void rec_global_lock(void) {}
static inline void rec_global_unlock(void) {}
#endif

#endif
