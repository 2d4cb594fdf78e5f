/* rec_process.c: start-up, settings, the process file, fork, exec and exit.
 *
 * Start-up is an idempotent state machine entered from our constructor and from the
 * first heap call, whichever comes first, on any thread: one thread initialises, the
 * others pass through (their events are counted as unrecorded). An invalid setting or
 * an unusable output directory prints one message and leaves the host untraced.
 * Nothing here runs on the event path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* rename(): a system call, no stream is used */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rec_internal.h"

rec_process_t rec_proc;

#define PROC_CHUNK (16u << 20) /* the process file is written with write(): one chunk */

/* ---- settings --------------------------------------------------------------------- */

static int read_setting(int id, long long *value)
{
    const char *text = getenv(mtdb_setting_descs[id].env);
    if (!text)
        return 0;
    if (mtdb_setting_parse(id, text, value) == 0)
        return 1;
    const mtdb_setting_desc_t *d = &mtdb_setting_descs[id];
    char msg[512];
    size_t n = rec_strlcpy(msg, "invalid ", sizeof msg);
    n += rec_strlcpy(msg + n, d->env, sizeof msg - n);
    n += rec_strlcpy(msg + n, "='", sizeof msg - n);
    n += rec_strlcpy(msg + n, text, 64 < sizeof msg - n ? 64 : sizeof msg - n);
    if (d->kind == 'c') {
        n += rec_strlcpy(msg + n, "': expected one of ", sizeof msg - n);
        n += rec_strlcpy(msg + n, d->choices, sizeof msg - n);
    } else {
        n += rec_strlcpy(msg + n, "': expected an integer in ", sizeof msg - n);
        n += rec_fmt_u64(msg + n, (uint64_t)d->min);
        n += rec_strlcpy(msg + n, "..", sizeof msg - n);
        n += rec_fmt_u64(msg + n, (uint64_t)d->max);
    }
    rec_strlcpy(msg + n, "; this program runs untraced", sizeof msg - n);
    rec_error_once(msg, "");
    return -EINVAL;
}

static int load_settings(rec_settings_t *s)
{
    long long v[MTDB_SET_COUNT];
    for (int id = 0; id < MTDB_SET_COUNT; id++) {
        v[id] = mtdb_setting_descs[id].def;
        int rc = read_setting(id, &v[id]);
        if (rc < 0)
            return rc;
    }
    /* Absolute, so a program that changes directory (or its children) writes here too. */
    const char *out = getenv("MTDB_OUTPUT");
    out = out && *out ? out : MTDB_DEFAULT_DIR;
    size_t n = 0;
    if (out[0] != '/' && getcwd(s->output, sizeof s->output - 2)) {
        n = strlen(s->output);
        s->output[n++] = '/';
    }
    rec_strlcpy(s->output + n, out, sizeof s->output - n);
    s->preset = (int)v[MTDB_SET_PRESET];
    s->depth = (int)v[MTDB_SET_DEPTH];
    /* The leaks preset digs deeper unless a depth was given. */
    if (s->preset == 2 && !getenv("MTDB_DEPTH"))
        s->depth = 128;
    s->unwind_fp = (int)v[MTDB_SET_UNWIND];
    s->stack_cache = (int)v[MTDB_SET_STACK_CACHE];
    s->sample_large = (uint64_t)v[MTDB_SET_SAMPLE_LARGE];
    s->sample_first = (uint64_t)v[MTDB_SET_SAMPLE_FIRST];
    s->sample_every = (uint64_t)v[MTDB_SET_SAMPLE_EVERY];
    s->start_paused = (int)v[MTDB_SET_START];
    s->follow = (int)v[MTDB_SET_FOLLOW];
    s->pause_signal = (int)v[MTDB_SET_PAUSE_SIGNAL];
    s->block_bytes = (uint32_t)v[MTDB_SET_BLOCK_KB] * 1024;
    s->chunk_largest = (uint32_t)v[MTDB_SET_CHUNK_MB] << 20;
    s->stack_table_bytes = (uint64_t)v[MTDB_SET_STACK_TABLE_KB] << 10;
    s->log_level = (int)v[MTDB_SET_LOG];
    s->clock_monotonic = (int)v[MTDB_SET_CLOCK];
    s->root_pid = (long)v[MTDB_SET_ROOT_PID];
    s->free_stacks = s->preset == 2;
    return 0;
}

static size_t format_settings(char *out, size_t cap)
{
    const rec_settings_t *s = &rec_proc.settings;
    static const char *const presets[] = {"precise", "fast", "leaks"};
    uint64_t nums[] = {(uint64_t)s->depth,
                       s->sample_large,
                       s->sample_first,
                       s->sample_every,
                       (uint64_t)s->block_bytes / 1024,
                       (uint64_t)s->chunk_largest >> 20,
                       (uint64_t)s->pause_signal,
                       s->stack_table_bytes >> 10};
    static const char *const names[] = {"DEPTH",    "SAMPLE_LARGE", "SAMPLE_FIRST", "SAMPLE_EVERY",
                                        "BLOCK_KB", "CHUNK_MB",     "PAUSE_SIGNAL", "STACK_TABLE_KB"};
    size_t n = rec_strlcpy(out, "MTDB_PRESET=", cap);
    n += rec_strlcpy(out + n, presets[s->preset], cap - n);
    n += rec_strlcpy(out + n, "\nMTDB_UNWIND=", cap - n);
    n += rec_strlcpy(out + n, s->unwind_fp ? "fp" : "libunwind", cap - n);
    n += rec_strlcpy(out + n, "\nMTDB_STACK_CACHE=", cap - n);
    n += rec_strlcpy(out + n, (const char *[]){"on", "off", "verify"}[s->stack_cache], cap - n);
    n += rec_strlcpy(out + n, "\nMTDB_START=", cap - n);
    n += rec_strlcpy(out + n, s->start_paused ? "paused" : "running", cap - n);
    n += rec_strlcpy(out + n, "\nMTDB_CLOCK=", cap - n);
    n += rec_strlcpy(out + n,
                     s->clock_monotonic  ? "monotonic"
                     : rec_clock.use_tsc ? "tsc"
                                         : "auto",
                     cap - n);
    n += rec_strlcpy(out + n, "\nMTDB_FOLLOW=", cap - n);
    n += rec_strlcpy(out + n, s->follow ? "yes" : "no", cap - n);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0] && n + 64 < cap; i++) {
        n += rec_strlcpy(out + n, "\nMTDB_", cap - n);
        n += rec_strlcpy(out + n, names[i], cap - n);
        out[n++] = '=';
        n += rec_fmt_u64(out + n, nums[i]);
    }
    n += rec_strlcpy(out + n, "\nMTDB_OUTPUT=", cap - n);
    n += rec_strlcpy(out + n, s->output, cap - n);
    return n;
}

/* ---- the output directory and the process file ------------------------------------- */

static int prepare_output(void)
{
    const char *dir = rec_proc.settings.output;
    if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            rec_warn_once("cannot record: not a directory: ", dir);
            return -ENOTDIR;
        }
        /* Another user could have planted files or links in it. Root could anyway, and a
         * program exec'd after its parent gave up root finds root's directory here (with
         * an ACL entry for it); but not one that everybody may write, such as /tmp. */
        int roots = st.st_uid == 0 && !(st.st_mode & S_IWOTH);
        if (st.st_uid != geteuid() && !roots) {
            rec_warn_once("cannot record: output directory belongs to another user: ", dir);
            return -EPERM;
        }
        return 0;
    }
    int err = -errno;
    rec_warn_once("cannot record: cannot create the output directory ", dir);
    return err;
}

static uint64_t new_nonce(void)
{
    uint64_t nonce = 0;
    if (syscall(SYS_getrandom, &nonce, sizeof nonce, 0x1 /* GRND_NONBLOCK */) != sizeof nonce)
        nonce = rec_now_ns() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
    return nonce ? nonce : 1;
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    int fd = rec_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    size_t n = 0;
    while (n < cap) {
        ssize_t r = rec_read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    rec_close(fd);
    return n;
}

/* Writes one sealed process-level block holding `len` bytes of records to fd. */
static int write_proc_block(int fd, uint32_t thread, const uint8_t *records, uint32_t len)
{
    uint32_t span = mtdb_block_span(len);
    uint8_t *blk = rec_map(span);
    if (!blk)
        return -ENOMEM;
    mtdb_block_open(blk, thread, 0, 0, rec_now_ns());
    memcpy(blk + MTDB_BLOCK_HEADER_BYTES, records, len);
    mtdb_block_seal(blk, len, 0, 0);
    int rc = rec_write_all(fd, blk, span);
    rec_unmap(blk, span);
    return rc;
}

/* Appends one sealed process-level block to the process file: into its reserved space,
 * or, when none could be reserved at start-up, by write(). */
static int proc_append_block(uint32_t thread, const uint8_t *records, uint32_t len)
{
    if (rec_ledger_ready())
        return rec_ledger_append(thread, 0, rec_now_ns(), records, len);
    int fault = rec_fault_next();
    int fd = fault ? -1 : rec_open(rec_proc.proc_path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
    if (fd < 0)
        return fault ? fault : -errno;
    int rc = write_proc_block(fd, thread, records, len);
    rec_close(fd);
    return rc;
}

static uint8_t *put_cstring(uint8_t *p, const char *s)
{
    return mtdb_enc_string(p, s, strlen(s));
}

/* The PROCESS record: pid, parents, clock anchors, command line, versions, settings. */
static uint32_t encode_process_record(uint8_t *buf, uint32_t cap, uint64_t mono, uint64_t wall,
                                      uint64_t clock_cost)
{
    uint8_t *cmdline = buf + cap / 2; /* read into the buffer's second half */
    size_t cmd_len = read_file("/proc/self/cmdline", cmdline, cap / 4);
    uint8_t *p = buf;
    mtdb_proc_facts_t facts = {(uint64_t)rec_proc.pid, (uint64_t)getppid(), rec_proc.parent_nonce,
                               mono, wall, clock_cost, 0};
    for (size_t i = 0; i < cmd_len; i++)
        facts.argc += cmdline[i] == 0;
    p = mtdb_enc_process_head(p, &facts);
    for (size_t i = 0; i < cmd_len;) {
        size_t len = strnlen((const char *)cmdline + i, cmd_len - i);
        p = mtdb_enc_string(p, cmdline + i, len);
        i += len + 1;
    }
    char exe[REC_PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[el > 0 ? el : 0] = 0;
    p = put_cstring(p, exe);
    p = put_cstring(p, MTDB_VERSION);
    p = put_cstring(p, rec_unwinder_name());
    char settings[REC_PATH_MAX + 512];
    format_settings(settings, sizeof settings);
    p = put_cstring(p, settings);
    return (uint32_t)(p - buf);
}

static void proc_file_warn(const char *what, const char *path, int err)
{
    char msg[REC_PATH_MAX + 96];
    size_t n = rec_strlcpy(msg, path, sizeof msg);
    n += rec_strlcpy(msg + n, " (", sizeof msg - n);
    n += rec_strlcpy(msg + n, rec_errno_text(err), sizeof msg - n);
    rec_strlcpy(msg + n, ")", sizeof msg - n);
    rec_warn_once(what, msg);
}

/* The process file could not be written: its empty temporary file is kept, renamed
 * mtdb-<pid>-<nonce>.failed-<errno>, so `mtdb record` can say that the recorder ran and
 * why it wrote nothing. An empty file takes no space even on a full disk. */
static void leave_failure_mark(const char *tmp, int err)
{
    char mark[REC_PATH_MAX + 32];
    size_t n = rec_strlcpy(mark, rec_proc.proc_path, sizeof mark - 32);
    n -= sizeof MTDB_PROC_SUFFIX - 1;
    n += rec_strlcpy(mark + n, ".failed-", sizeof mark - n);
    mark[n + rec_fmt_u64(mark + n, (uint64_t)err)] = 0;
    if (truncate(tmp, 0) != 0 || rename(tmp, mark) != 0)
        unlink(tmp);
}

/* Turns the len bytes of records at buf into a sealed block in place. */
static int proc_block_image(uint8_t *buf, uint32_t len, uint32_t cap)
{
    uint32_t span = mtdb_block_span(len);
    if (span > cap)
        return -E2BIG;
    memmove(buf + MTDB_BLOCK_HEADER_BYTES, buf, len);
    memset(buf + MTDB_BLOCK_HEADER_BYTES + len, 0, span - MTDB_BLOCK_HEADER_BYTES - len);
    mtdb_block_open(buf, 0, 0, 0, rec_now_ns());
    mtdb_block_seal(buf, len, 0, 0);
    return 0;
}

static int write_checked(int fd, const void *buf, size_t len)
{
    int fault = rec_fault_next();
    if (fault)
        return fault;
    return rec_write_all(fd, buf, len);
}

/* Header, PROCESS block and MODULES block by write(), then the reserved space after
 * them (a failure to reserve it only warns: recording goes on without). 0 or -errno. */
static int write_proc_content(int fd, uint8_t *buf, uint32_t cap, uint64_t mono, uint64_t wall,
                              uint64_t clock_cost)
{
    uint8_t header[MTDB_FILE_HEADER_BYTES];
    mtdb_file_params_t fp = {MTDB_FILE_KIND_PROCESS,
                             (uint32_t)rec_proc.pid,
                             rec_proc.nonce,
                             0,
                             PROC_CHUNK,
                             PROC_CHUNK,
                             mono};
    mtdb_file_header_build(header, &fp);
    int err = write_checked(fd, header, sizeof header);
    uint64_t written = sizeof header;
    uint32_t len = encode_process_record(buf, cap, mono, wall, clock_cost);
    for (int part = 0; !err && part < 2; part++) {
        if (part == 1 && !(len = rec_modules_encode(buf, cap - 1024)))
            break;
        err = proc_block_image(buf, len, cap);
        err = err ? err : write_checked(fd, buf, mtdb_block_span(len));
        written += mtdb_block_span(len);
    }
    if (err)
        return err;
    int ledger_err = rec_ledger_start(fd, written);
    if (ledger_err)
        proc_file_warn("cannot reserve space in the process file ", rec_proc.proc_path,
                       -ledger_err);
    return 0;
}

/* The process file: its header, a PROCESS block and a MODULES block, written under a
 * temporary name and renamed, so the file never exists without them. Each block stays
 * under the reader's payload cap (the command line is read up to 256 KiB). */
static int write_process_file(uint64_t mono, uint64_t wall, uint64_t clock_cost)
{
    size_t n = rec_strlcpy(rec_proc.proc_path, rec_proc.settings.output, REC_PATH_MAX);
    n += rec_strlcpy(rec_proc.proc_path + n, "/" MTDB_FILE_PREFIX, REC_PATH_MAX - n);
    n += rec_fmt_u64(rec_proc.proc_path + n, (uint64_t)rec_proc.pid);
    rec_proc.proc_path[n++] = '-';
    n += rec_fmt_hex(rec_proc.proc_path + n, rec_proc.nonce, 16);
    n += rec_strlcpy(rec_proc.proc_path + n, MTDB_PROC_SUFFIX, REC_PATH_MAX - n);
    char tmp[REC_PATH_MAX + 8];
    memcpy(tmp, rec_proc.proc_path, n);
    memcpy(tmp + n, ".tmp", 5);
    const uint32_t cap = MTDB_BLOCK_MAX_PAYLOAD;
    uint8_t *buf = rec_map(cap);
    int err = buf ? rec_fault_next() : -ENOMEM;
    int fd = err ? -1 : rec_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = err ? err : -errno;
        rec_unmap(buf, cap);
        proc_file_warn("cannot record: cannot create ", tmp, -err);
        return err;
    }
    err = write_proc_content(fd, buf, cap, mono, wall, clock_cost);
    rec_close(fd);
    rec_unmap(buf, cap);
    if (!err && (err = rec_fault_next()) == 0 && rename(tmp, rec_proc.proc_path) != 0)
        err = -errno;
    if (err) {
        rec_ledger_forget();
        leave_failure_mark(tmp, -err);
        proc_file_warn("cannot record: cannot write ", rec_proc.proc_path, -err);
    }
    return err;
}

/* ---- exit ---------------------------------------------------------------------------- */

int rec_thread_snapshot(uint32_t index, uint32_t *serial, uint64_t counters[MTDB_COUNTER_COUNT]);

/* The EXIT record goes in a block stamped with the number of the thread that ended the
 * process (0 when it has none), so that thread is known to have ended cleanly. */
static uint32_t exiting_thread(void)
{
    rec_thread_t *t = rec_tls;
    return t->mode == REC_ACTIVE ? t->serial : 0;
}

/* Written once by the exit handler; _exit always writes, since an _exit called after
 * exit() began (from an exit handler) sets the status the process really ends with. */
static void write_exit_record(unsigned how, uint64_t status)
{
    if (__atomic_exchange_n(&rec_proc.exit_written, 1, __ATOMIC_ACQ_REL) &&
        how != MTDB_EXIT_EXIT_CALL)
        return;
    uint8_t rec[16 + MTDB_MAX_COUNTERS_RECORD], *p = rec;
    mtdb_enc_t at_base = {0}; /* dt 0 from the block's base: the block is stamped now */
    p = mtdb_enc_exit(p, &at_base, how, 0, status);
    /* Process-level counters: events that arrived before start-up completed. */
    uint64_t proc_counters[MTDB_COUNTER_COUNT] = {0};
    proc_counters[MTDB_COUNTER_STARTUP_PASSTHROUGH] =
        __atomic_load_n(&rec_proc.unrecorded, __ATOMIC_RELAXED);
    p = mtdb_enc_counters(p, proc_counters);
    proc_append_block(exiting_thread(), rec, (uint32_t)(p - rec));
    /* Threads still running may never write their last block: keep their counters. */
    uint32_t serial;
    uint64_t counters[MTDB_COUNTER_COUNT];
    for (uint32_t i = 0;; i++) {
        int r = rec_thread_snapshot(i, &serial, counters);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        p = mtdb_enc_counters(rec, counters);
        proc_append_block(serial, rec, (uint32_t)(p - rec));
    }
}

/* Registered with on_exit(), which hands it the status given to exit() or returned from
 * main; registered at start-up, before main, so it runs after the program's own exit
 * handlers, and recording goes on after it for any that run later. */
static void on_exit_handler(int status, void *arg)
{
    (void)arg;
    if (!rec_ready() || rec_proc.pid != getpid())
        return;
    int saved = errno;
    rec_thread_exit_handler();
    write_exit_record(MTDB_EXIT_ATEXIT, (uint64_t)(unsigned)status);
    errno = saved;
    /* Recording goes on: frees made by later destructors still land in the trace. */
}

void rec_before_exit_call(int status)
{
    if (rec_ready() && rec_proc.pid == getpid()) {
        rec_thread_exit_handler();
        write_exit_record(MTDB_EXIT_EXIT_CALL, (uint64_t)(unsigned)status);
    }
}

/* ---- fork and exec --------------------------------------------------------------------- */

static void on_fork_child(void)
{
    if (!rec_ready())
        return;
    if (!rec_proc.settings.follow) {
        __atomic_store_n(&rec_proc.state, REC_DISABLED, __ATOMIC_RELEASE);
        rec_tls = &rec_thread_off;
        return;
    }
    rec_proc.parent_nonce = rec_proc.nonce;
    rec_proc.pid = getpid();
    rec_proc.nonce = new_nonce();
    rec_proc.next_thread = 0;
    rec_proc.next_stream = 0;
    rec_proc.exit_written = 0;
    rec_proc.unrecorded = 0;
    rec_proc.files_owner = 0; /* the child's files are made with its own user id */
    rec_ledger_forget();
    rec_thread_fork_child();
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t mono = rec_now_ns();
    if (write_process_file(mono, (uint64_t)wall.tv_sec * 1000000000u + (uint64_t)wall.tv_nsec, 0) <
        0) {
        __atomic_store_n(&rec_proc.state, REC_DISABLED, __ATOMIC_RELEASE);
        rec_tls = &rec_thread_off;
    }
}

/* Before exec replaces the image: note it in the calling thread's stream and seal its
 * block. Skipped in a vfork child, which shares the parent's memory and must not touch it. */
void rec_before_exec(const char *path)
{
    if (!rec_ready() || rec_proc.pid != getpid())
        return;
    rec_thread_t *t = rec_tls;
    if (t->mode != REC_ACTIVE || t->depth)
        return;
    int saved = errno;
    t->depth = 1;
    uint8_t rec[64 + 1024], *p = rec;
    size_t len = path ? strnlen(path, 1024) : 0;
    p = mtdb_enc_state(p, &t->enc, MTDB_STATE_EXEC, t->enc.last_ns); /* dt 0 */
    p = mtdb_enc_string(p, path ? path : "", len);
    rec_append_meta(t, rec, (uint32_t)(p - rec));
    rec_append_counters(t);
    rec_block_close(t, 0);
    t->depth = 0;
    errno = saved;
}

/* ---- pause and resume ------------------------------------------------------------------ */

void rec_set_paused(int paused)
{
    __atomic_store_n(&rec_proc.paused, paused, __ATOMIC_RELAXED);
    rec_thread_t *t = rec_tls;
    if (t->mode != REC_ACTIVE || t->depth)
        return;
    t->depth = 1;
    uint8_t rec[16];
    unsigned state = paused ? MTDB_STATE_PAUSED : MTDB_STATE_RESUMED;
    uint8_t *end = mtdb_enc_state(rec, &t->enc, state, t->enc.last_ns); /* dt 0 */
    rec_append_meta(t, rec, (uint32_t)(end - rec));
    t->depth = 0;
}

static void on_pause_signal(int sig)
{
    (void)sig;
    int saved = errno;
    rec_set_paused(!rec_paused());
    errno = saved;
}

/* ---- start-up ---------------------------------------------------------------------------- */

void rec_disable(const char *why)
{
    if (why)
        rec_log(1, "recording disabled: ", why, NULL);
    __atomic_store_n(&rec_proc.state, REC_DISABLED, __ATOMIC_RELEASE);
}

/* The cheapest of several rounds: one preemption must not make the clock look slow. */
static uint64_t measure_clock_cost(void)
{
    uint64_t best = UINT64_MAX;
    for (int round = 0; round < 8; round++) {
        uint64_t t0 = rec_now_ns();
        for (int i = 0; i < 16; i++)
            (void)rec_now_ns();
        uint64_t per = (rec_now_ns() - t0) / 17;
        best = per < best ? per : best;
    }
    return best;
}

static int start_recording(void)
{
    int rc = rec_real_resolve();
    if (rc < 0 || (rc = load_settings(&rec_proc.settings)) < 0)
        return rc;
    rec_proc.pid = getpid();
    if (!rec_proc.settings.follow && rec_proc.settings.root_pid &&
        rec_proc.settings.root_pid != rec_proc.pid) {
        rec_log(1, "not following this process (MTDB_FOLLOW=no)", NULL, NULL);
        return -ECHILD;
    }
    if ((rc = prepare_output()) < 0)
        return rc;
    rec_proc.nonce = new_nonce();
    rec_modules_self_range(&rec_proc.self_lo, &rec_proc.self_hi);
    rec_stack_prime();
    rec_thread_setup_key();
    rec_proc.modules_gen = rec_modules_generation();
    rec_clock_setup(!rec_proc.settings.clock_monotonic);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t mono = rec_now_ns();
    uint64_t cost = measure_clock_cost();
    if (cost > 200)
        rec_log(1, "the monotonic clock is slow on this machine (a system call?): ",
                "expect more overhead per event", NULL);
    rc = write_process_file(mono, (uint64_t)wall.tv_sec * 1000000000u + (uint64_t)wall.tv_nsec,
                            cost);
    if (rc < 0)
        return rc;
    pthread_atfork(NULL, NULL, on_fork_child);
    on_exit(on_exit_handler, NULL);
    if (rec_proc.settings.pause_signal) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_pause_signal;
        sa.sa_flags = SA_RESTART;
        sigaction(rec_proc.settings.pause_signal, &sa, NULL);
    }
    rec_proc.paused = rec_proc.settings.start_paused;
    rec_log(2, "debug: recording into ", rec_proc.settings.output, NULL);
    return 0;
}

void rec_init(void)
{
    int expected = REC_UNINIT;
    if (!__atomic_compare_exchange_n(&rec_proc.state, &expected, REC_INITIALIZING, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return; /* done, disabled, or under way on some thread: callers pass through */
    int saved = errno;
    int ok = start_recording() == 0;
    __atomic_store_n(&rec_proc.state, ok ? REC_READY : REC_DISABLED, __ATOMIC_RELEASE);
    errno = saved;
}

#ifndef REC_UNIT_TEST /* the in-process tests start the engine themselves */
__attribute__((constructor)) static void rec_constructor(void)
{
    rec_init();
}
#endif

#ifdef MTDB_GLOBAL_LOCK
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
void rec_global_lock(void)
{
    pthread_mutex_lock(&global_lock);
}
void rec_global_unlock(void)
{
    pthread_mutex_unlock(&global_lock);
}
#endif
