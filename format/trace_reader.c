/* trace_reader.c: walks the chunks and blocks of one mtdb trace file and decodes its records.
 *
 * Implements trace_reader.h over a read-only mapping (or a caller's buffer). Every length
 * and count read from the file is checked against what is left before it is used; damage
 * is reported through the diagnostic callback and stepped over. Must never write to the
 * input, loop without moving forward, or allocate more than a bounded multiple of it.
 */
#include "trace_reader.h"
#include "trace_pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RD_MAX_DEPTH 1024
#define RD_MAX_MODULES 65536
#define RD_NONE UINT64_MAX

/* Decoder results besides 0. */
#define RD_SHORT 1 /* the record runs past the end of the payload */
#define RD_BAD 2   /* a value is out of range or a varint is malformed */
#define RD_NOMEM 3

typedef struct rd_thread {
    uint32_t number;
    int used;
    int uncertain;     /* stack numbering may be shifted by an earlier loss */
    uint64_t next_seq; /* expected first_event_seq of the thread's next block */
    uint64_t stacks;   /* STACK records seen since the thread's first block */
    int blocks;        /* blocks of this thread seen in this file */
} rd_thread_t;

/* A parsed block header. */
typedef struct rd_header {
    uint64_t offset;
    uint32_t payload, thread, flags, event_count, payload_crc, header_crc;
    uint64_t first_seq, base_ns;
} rd_header_t;

/* The block whose records are being decoded. */
typedef struct rd_block {
    rd_header_t h;
    const uint8_t *p, *end; /* record cursor and end of the decodable payload */
    uint64_t cut_bytes;     /* open block: payload bytes past the end of the file */
    uint64_t last_ns, last_addr;
    uint64_t events;      /* heap events decoded so far */
    size_t thread;        /* index into the thread table */
    uint32_t stack_depth; /* frames of the block's last STACK record, kept in r->frames */
    int sealed, last;
} rd_block_t;

/* Chunk k and its bounds. */
typedef struct rd_chunk {
    unsigned k;
    uint64_t start, end;
} rd_chunk_t;

struct mtdb_reader {
    char *path;
    const char *name; /* basename of path, for messages */
    const uint8_t *data;
    uint64_t size;
    uint64_t data_end; /* one past the last nonzero byte */
    int mapped;
    mtdb_file_info_t info;
    mtdb_diag_fn diag_fn;
    void *diag_ctx;
    mtdb_read_stats_t stats;
    uint64_t pos; /* where the next block is expected */
    rd_chunk_t chunk;
    int in_block, done, lost_unattributed;
    rd_block_t blk;
    rd_thread_t *threads;
    size_t thread_cap, thread_count;
    uint64_t frames[RD_MAX_DEPTH];
    mtdb_module_t *modules;
    size_t module_cap;
    mtdb_process_info_t process;
    const char **argv;
    size_t argv_cap;
    char *arena;
    size_t arena_cap, arena_used;
    /* A packed file: data is the unpacked image (an anonymous mapping). Piece 0 (the
     * file header) is unpacked at open, the rest by the first mtdb_reader_next, so that
     * reading only the header costs one piece; the packed bytes are kept until then. */
    mtdb_packed_t packed;
    const uint8_t *src;
    uint64_t src_size;
    int src_mapped, unpack_pending;
    uint32_t pieces_lost;
};

/* ---- names and messages ------------------------------------------------------------ */

const char *mtdb_read_strerror(int code)
{
    switch (code) {
#define RD_ERR_CASE(name, num, msg)                                                                \
    case num:                                                                                      \
        return msg;
        MTDB_READ_ERRORS(RD_ERR_CASE)
#undef RD_ERR_CASE
    }
    return "unknown reader error";
}

static const char *const rd_type_names[16] = {
    [MTDB_REC_ALLOC] = "ALLOC", [MTDB_REC_FREE] = "FREE",         [MTDB_REC_REALLOC] = "REALLOC",
    [MTDB_REC_FAIL] = "FAIL",   [MTDB_REC_STACK] = "STACK",       [MTDB_REC_THREAD] = "THREAD",
    [MTDB_REC_NAME] = "NAME",   [MTDB_REC_COUNTERS] = "COUNTERS", [MTDB_REC_MODULES] = "MODULES",
    [MTDB_REC_MARK] = "MARK",   [MTDB_REC_STATE] = "STATE",       [MTDB_REC_PROCESS] = "PROCESS",
    [MTDB_REC_EXIT] = "EXIT",
};

const char *mtdb_rec_type_name(unsigned type)
{
    return type < 16 && rd_type_names[type] ? rd_type_names[type] : "?";
}

const char *mtdb_diag_kind_name(enum mtdb_diag_kind kind)
{
    switch (kind) {
#define RD_DIAG_CASE(id, name)                                                                     \
    case MTDB_DIAG_##id:                                                                           \
        return name;
        MTDB_DIAG_LIST(RD_DIAG_CASE)
#undef RD_DIAG_CASE
    default:
        return "?";
    }
}

/* Fills a diagnostic, updates the totals and hands it to the callback. */
static void rd_report(mtdb_reader_t *r, enum mtdb_diag_kind kind, uint64_t offset, uint64_t skipped,
                      uint64_t lost, uint32_t thread, const char *fmt, ...)
{
    mtdb_diag_t d = {.kind = kind, .path = r->path, .offset = offset};
    d.bytes_skipped = skipped, d.events_lost = lost, d.thread = thread;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d.detail, sizeof d.detail, fmt, ap);
    va_end(ap);
    int n = snprintf(d.message, sizeof d.message, "%s: offset %llu: ", r->name,
                     (unsigned long long)offset);
    size_t used = n < 0 ? 0 : (size_t)n < sizeof d.message ? (size_t)n : sizeof d.message - 1;
    size_t room = sizeof d.message - 1 - used, len = strlen(d.detail);
    memcpy(d.message + used, d.detail, len < room ? len : room);
    d.message[used + (len < room ? len : room)] = 0;
    r->stats.diagnostics++;
    r->stats.bytes_skipped += skipped;
    r->stats.events_lost += lost;
    if (r->diag_fn)
        r->diag_fn(r->diag_ctx, &d);
}

static void rd_fail_msg(char *msg, size_t msg_len, const char *name, const char *fmt, ...)
{
    if (!msg || !msg_len)
        return;
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(msg, msg_len, "%s: %s", name, what);
}

/* ---- per-thread state: open addressing on the thread number --------------------------- */

static int rd_threads_grow(mtdb_reader_t *r)
{
    size_t cap = r->thread_cap ? r->thread_cap * 2 : 16;
    rd_thread_t *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < r->thread_cap; i++) {
        if (!r->threads[i].used)
            continue;
        size_t j = r->threads[i].number & (cap - 1);
        while (t[j].used)
            j = (j + 1) & (cap - 1);
        t[j] = r->threads[i];
    }
    free(r->threads);
    r->threads = t, r->thread_cap = cap;
    return 0;
}

/* Returns the index of thread number n, adding it; RD_NONE when out of memory. */
static size_t rd_thread_find(mtdb_reader_t *r, uint32_t n)
{
    if (2 * (r->thread_count + 1) > r->thread_cap && rd_threads_grow(r) != 0)
        return RD_NONE;
    size_t j = n & (r->thread_cap - 1);
    while (r->threads[j].used && r->threads[j].number != n)
        j = (j + 1) & (r->thread_cap - 1);
    if (!r->threads[j].used) {
        r->threads[j] = (rd_thread_t){.number = n, .used = 1};
        r->threads[j].uncertain = r->lost_unattributed;
        r->thread_count++;
    }
    return j;
}

/* Records were lost and we cannot tell whose: every thread's stack numbering is in doubt. */
static void rd_lose_unattributed(mtdb_reader_t *r)
{
    r->lost_unattributed = 1;
    for (size_t i = 0; i < r->thread_cap; i++)
        r->threads[i].uncertain = 1;
}

/* ---- chunks and block headers -------------------------------------------------------- */

/* Moves c forward until it holds offset (offsets only grow). */
static void rd_chunk_seek(const mtdb_reader_t *r, rd_chunk_t *c, uint64_t offset)
{
    while (offset >= c->end) {
        c->start = c->end;
        c->k++;
        c->end = c->start + mtdb_chunk_bytes(r->info.chunk_first, r->info.chunk_largest, c->k);
    }
}

static void rd_header_parse(const mtdb_reader_t *r, uint64_t off, rd_header_t *h)
{
    const uint8_t *p = r->data + off;
    h->offset = off;
    h->payload = mtdb_get_u32le(p + 4);
    h->thread = mtdb_get_u32le(p + 8);
    h->flags = mtdb_get_u32le(p + 12);
    h->first_seq = mtdb_get_u64le(p + 16);
    h->base_ns = mtdb_get_u64le(p + 24);
    h->event_count = mtdb_get_u32le(p + 32);
    h->payload_crc = mtdb_get_u32le(p + 36);
    h->header_crc = mtdb_get_u32le(p + 44);
}

static int rd_header_crc_ok(const mtdb_reader_t *r, const rd_header_t *h)
{
    return mtdb_crc32c(0, r->data + h->offset, 44) == h->header_crc;
}

/* The block's payload fits the format's cap and its chunk. */
static int rd_header_fits(const rd_header_t *h, uint64_t chunk_end)
{
    return h->payload <= MTDB_BLOCK_MAX_PAYLOAD &&
           h->offset + MTDB_BLOCK_HEADER_BYTES + h->payload <= chunk_end;
}

/* Where the next block starts: after the payload, rounded up to the block alignment. */
static uint64_t rd_span_end(const rd_header_t *h)
{
    uint64_t end = h->offset + MTDB_BLOCK_HEADER_BYTES + h->payload;
    return (end + MTDB_BLOCK_ALIGN - 1) & ~(uint64_t)(MTDB_BLOCK_ALIGN - 1);
}

static int rd_all_zero(const uint8_t *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Finds the next place a block can be trusted to start, at or after `from`: an 8-aligned
 * sealed header whose checksum holds, or else an open block that is the last in the file
 * (no sealed block after it, no data in a later chunk, not inside another open block's
 * payload). Returns its offset or RD_NONE. One linear pass. */
static uint64_t rd_find_block(const mtdb_reader_t *r, uint64_t from)
{
    uint64_t cand = RD_NONE, cand_span_end = 0, cand_chunk_end = 0;
    rd_chunk_t c = r->chunk;
    uint64_t t = (from + MTDB_BLOCK_ALIGN - 1) & ~(uint64_t)(MTDB_BLOCK_ALIGN - 1);
    for (; t + MTDB_BLOCK_HEADER_BYTES <= r->size; t += MTDB_BLOCK_ALIGN) {
        if (mtdb_get_u32le(r->data + t) != MTDB_BLOCK_MAGIC)
            continue;
        rd_chunk_seek(r, &c, t);
        rd_header_t h;
        rd_header_parse(r, t, &h);
        if (!rd_header_fits(&h, c.end))
            continue;
        if (h.flags & MTDB_BLOCK_SEALED) {
            if (rd_header_crc_ok(r, &h))
                return t;
        } else if (cand == RD_NONE || t >= cand_span_end) {
            cand = t, cand_span_end = rd_span_end(&h), cand_chunk_end = c.end;
        }
    }
    return cand != RD_NONE && r->data_end <= cand_chunk_end ? cand : RD_NONE;
}

static void rd_finish(mtdb_reader_t *r, int clean)
{
    r->done = 1;
    r->in_block = 0;
    r->stats.clean_end = clean && !r->pieces_lost;
}

/* Skips from the current position to a resync target found by rd_find_block, or to the
 * end of the data when there is none. */
static void rd_skip_to(mtdb_reader_t *r, uint64_t target)
{
    if (target == RD_NONE) {
        rd_finish(r, 0);
        return;
    }
    r->pos = target;
}

static uint64_t rd_skip_len(const mtdb_reader_t *r, uint64_t from, uint64_t target)
{
    uint64_t end = target == RD_NONE ? r->data_end : target;
    return end > from ? end - from : 0;
}

/* ---- varints, times, addresses, strings ---------------------------------------------- */

static int rd_varint(rd_block_t *b, uint64_t *v)
{
    if (mtdb_get_varint(&b->p, b->end, v) == 0)
        return 0;
    for (unsigned i = 0; i < 10; i++) {
        if (b->p + i >= b->end)
            return RD_SHORT;
        if (!(b->p[i] & 0x80))
            return RD_BAD; /* ended in time but the 10th byte holds more than 1 bit */
    }
    return RD_BAD; /* longer than 10 bytes */
}

#define RD_TRY(expr)                                                                               \
    do {                                                                                           \
        int rd_rc_ = (expr);                                                                       \
        if (rd_rc_)                                                                                \
            return rd_rc_;                                                                         \
    } while (0)

static int rd_time(rd_block_t *b, uint64_t *ts)
{
    uint64_t u;
    RD_TRY(rd_varint(b, &u));
    b->last_ns += (uint64_t)mtdb_unzigzag(u);
    *ts = b->last_ns;
    return 0;
}

static int rd_addr(rd_block_t *b, uint64_t *addr)
{
    uint64_t u;
    RD_TRY(rd_varint(b, &u));
    b->last_addr += (uint64_t)mtdb_unzigzag(u);
    *addr = b->last_addr;
    return 0;
}

static int rd_stackref(rd_block_t *b, mtdb_record_t *rec)
{
    uint64_t v;
    RD_TRY(rd_varint(b, &v));
    rec->stack_id = v >> 1;
    rec->weight = 1;
    if (v & 1)
        RD_TRY(rd_varint(b, &rec->weight));
    return 0;
}

static int rd_string(rd_block_t *b, const uint8_t **s, uint32_t *len)
{
    uint64_t n;
    RD_TRY(rd_varint(b, &n));
    if (n > (uint64_t)(b->end - b->p))
        return RD_SHORT;
    *s = b->p, *len = (uint32_t)n;
    b->p += n;
    return 0;
}

/* A NUL-terminated copy in the reader's arena (sized before the PROCESS record). */
static int rd_cstring(mtdb_reader_t *r, rd_block_t *b, const char **out)
{
    const uint8_t *s;
    uint32_t len;
    RD_TRY(rd_string(b, &s, &len));
    if (r->arena_used + len + 1 > r->arena_cap)
        return RD_BAD;
    char *dst = r->arena + r->arena_used;
    memcpy(dst, s, len);
    dst[len] = 0;
    r->arena_used += len + 1;
    *out = dst;
    return 0;
}

static int rd_is_alloc_func(unsigned f)
{
    return f >= MTDB_FUNC_MALLOC && f < MTDB_FUNC_FREE;
}

/* ---- one decoder per record type ------------------------------------------------------ */

static int rd_dec_alloc(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    if (!rd_is_alloc_func(rec->sub))
        return RD_BAD;
    RD_TRY(rd_time(b, &rec->ts_ns));
    RD_TRY(rd_addr(b, &rec->addr));
    RD_TRY(rd_varint(b, &rec->size));
    return rd_stackref(b, rec);
}

static int rd_dec_free(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    if (MTDB_SUB_FREE_FUNC(rec->sub) > MTDB_FREE_FUNC_REALLOCARRAY)
        return RD_BAD;
    RD_TRY(rd_time(b, &rec->ts_ns));
    RD_TRY(rd_addr(b, &rec->addr));
    rec->weight = 1;
    rec->has_stack = (rec->sub & MTDB_SUB_FREE_STACK) != 0;
    return rec->has_stack ? rd_stackref(b, rec) : 0;
}

static int rd_dec_realloc(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    if (rec->sub != MTDB_FUNC_REALLOC && rec->sub != MTDB_FUNC_REALLOCARRAY)
        return RD_BAD;
    uint64_t dt_after;
    RD_TRY(rd_time(b, &rec->ts_ns));
    RD_TRY(rd_addr(b, &rec->old_addr));
    RD_TRY(rd_varint(b, &dt_after));
    rec->ts2_ns = rec->ts_ns + dt_after;
    b->last_ns = rec->ts2_ns;
    RD_TRY(rd_addr(b, &rec->addr));
    RD_TRY(rd_varint(b, &rec->size));
    return rd_stackref(b, rec);
}

static int rd_dec_fail(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    if (!rd_is_alloc_func(rec->sub))
        return RD_BAD;
    RD_TRY(rd_time(b, &rec->ts_ns));
    return rd_varint(b, &rec->size);
}

/* r->frames holds the block's previous stack (b->stack_depth frames) until the next
 * STACK record: a shared record moves that stack's outer frames behind its own. */
static int rd_dec_stack(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    uint64_t depth, shared = 0, prev = 0, u;
    if (rec->sub > MTDB_SUB_STACK_SHARED || (rec->sub && r->info.major < 2))
        return RD_BAD; /* format 1 has no shared form */
    RD_TRY(rd_varint(b, &depth));
    if (depth > RD_MAX_DEPTH)
        return RD_BAD;
    if (rec->sub == MTDB_SUB_STACK_SHARED) {
        RD_TRY(rd_varint(b, &shared));
        if (shared == 0 || shared > depth || shared > b->stack_depth)
            return RD_BAD;
        memmove(r->frames + (depth - shared), r->frames + (b->stack_depth - shared),
                (size_t)shared * sizeof *r->frames);
    }
    b->stack_depth = 0; /* r->frames is being overwritten */
    for (uint64_t i = 0; i + shared < depth; i++) {
        RD_TRY(rd_varint(b, &u));
        prev += (uint64_t)mtdb_unzigzag(u);
        r->frames[i] = prev;
    }
    b->stack_depth = (uint32_t)depth;
    rec->depth = (uint32_t)depth;
    rec->frames = r->frames;
    rec->stack_id = ++r->threads[b->thread].stacks;
    rec->ts_ns = b->last_ns;
    return 0;
}

static int rd_dec_thread(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    RD_TRY(rd_varint(b, &rec->tid));
    RD_TRY(rd_varint(b, &rec->ts_ns)); /* start_ns, absolute: not part of the delta chain */
    return rd_varint(b, &rec->thread_flags);
}

static int rd_dec_name(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    rec->ts_ns = b->last_ns;
    return rd_string(b, &rec->str, &rec->str_len);
}

/* A count, then that many counters: the ones this reader knows are kept, later ones
 * (written by a newer recorder) are read and skipped, missing ones stay 0. */
static int rd_dec_counters(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    uint64_t count;
    RD_TRY(rd_varint(b, &count));
    if (count > MTDB_MAX_COUNTERS)
        return -1;
    memset(rec->counters, 0, sizeof rec->counters);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t v;
        RD_TRY(rd_varint(b, &v));
        if (i < MTDB_COUNTER_COUNT)
            rec->counters[i] = v;
    }
    rec->counter_count = (uint32_t)count;
    rec->ts_ns = b->last_ns;
    return 0;
}

static int rd_dec_module(rd_block_t *b, mtdb_module_t *m)
{
    RD_TRY(rd_varint(b, &m->base));
    RD_TRY(rd_varint(b, &m->text_size));
    const uint8_t *path;
    RD_TRY(rd_string(b, &path, &m->path_len));
    m->path = (const char *)path;
    return rd_string(b, &m->build_id, &m->build_id_len);
}

static int rd_dec_modules(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    uint64_t count;
    RD_TRY(rd_varint(b, &count));
    if (count > RD_MAX_MODULES)
        return RD_BAD;
    if (count * 4 > (uint64_t)(b->end - b->p)) /* a module takes at least 4 bytes */
        return RD_SHORT;
    if (count > r->module_cap) {
        mtdb_module_t *m = realloc(r->modules, count * sizeof *m);
        if (!m)
            return RD_NOMEM;
        r->modules = m, r->module_cap = count;
    }
    for (uint64_t i = 0; i < count; i++)
        RD_TRY(rd_dec_module(b, &r->modules[i]));
    rec->module_count = (uint32_t)count;
    rec->modules = r->modules;
    rec->ts_ns = b->last_ns;
    return 0;
}

static int rd_dec_mark(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    if (rec->sub > MTDB_MARK_PHASE_END)
        return RD_BAD;
    RD_TRY(rd_time(b, &rec->ts_ns));
    return rd_string(b, &rec->str, &rec->str_len);
}

static int rd_dec_state(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    if (rec->sub < MTDB_STATE_PAUSED || rec->sub > MTDB_STATE_FORKED)
        return RD_BAD;
    RD_TRY(rd_time(b, &rec->ts_ns));
    if (rec->sub == MTDB_STATE_EXEC)
        return rd_string(b, &rec->str, &rec->str_len);
    if (rec->sub == MTDB_STATE_FORKED)
        return rd_varint(b, &rec->value);
    return 0;
}

/* Sizes the arena and argv table for a PROCESS record of at most `left` bytes. */
static int rd_process_reserve(mtdb_reader_t *r, uint64_t argc, size_t left)
{
    size_t need = left + argc + 8;
    if (need > r->arena_cap) {
        char *a = realloc(r->arena, need);
        if (!a)
            return RD_NOMEM;
        r->arena = a, r->arena_cap = need;
    }
    if (argc + 1 > r->argv_cap) {
        const char **v = realloc(r->argv, (argc + 1) * sizeof *v);
        if (!v)
            return RD_NOMEM;
        r->argv = v, r->argv_cap = argc + 1;
    }
    r->arena_used = 0;
    return 0;
}

static int rd_dec_process(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    mtdb_process_info_t *pi = &r->process;
    uint64_t argc;
    RD_TRY(rd_varint(b, &pi->pid));
    RD_TRY(rd_varint(b, &pi->ppid));
    RD_TRY(rd_varint(b, &pi->parent_nonce));
    RD_TRY(rd_varint(b, &pi->mono_ns));
    RD_TRY(rd_varint(b, &pi->wall_ns));
    RD_TRY(rd_varint(b, &pi->clock_cost_ns));
    RD_TRY(rd_varint(b, &argc));
    if (argc > (uint64_t)(b->end - b->p)) /* each string takes at least its length byte */
        return RD_SHORT;
    RD_TRY(rd_process_reserve(r, argc, (size_t)(b->end - b->p)));
    for (uint64_t i = 0; i < argc; i++)
        RD_TRY(rd_cstring(r, b, &r->argv[i]));
    r->argv[argc] = NULL;
    pi->argc = (uint32_t)argc;
    pi->argv = r->argv;
    RD_TRY(rd_cstring(r, b, &pi->exe));
    RD_TRY(rd_cstring(r, b, &pi->recorder_version));
    RD_TRY(rd_cstring(r, b, &pi->unwinder));
    RD_TRY(rd_cstring(r, b, &pi->settings));
    rec->process = pi;
    rec->ts_ns = b->last_ns;
    return 0;
}

static int rd_dec_exit(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec)
{
    (void)r;
    if (rec->sub < MTDB_EXIT_ATEXIT || rec->sub > MTDB_EXIT_EXIT_CALL)
        return RD_BAD;
    RD_TRY(rd_time(b, &rec->ts_ns));
    return rd_varint(b, &rec->value);
}

typedef int (*rd_decode_fn)(mtdb_reader_t *r, rd_block_t *b, mtdb_record_t *rec);

static const struct rd_type {
    rd_decode_fn decode;
    int heap_event; /* counts in the thread's event sequence */
} rd_types[16] = {
    [MTDB_REC_ALLOC] = {rd_dec_alloc, 1},     [MTDB_REC_FREE] = {rd_dec_free, 1},
    [MTDB_REC_REALLOC] = {rd_dec_realloc, 1}, [MTDB_REC_FAIL] = {rd_dec_fail, 1},
    [MTDB_REC_STACK] = {rd_dec_stack, 0},     [MTDB_REC_THREAD] = {rd_dec_thread, 0},
    [MTDB_REC_NAME] = {rd_dec_name, 0},       [MTDB_REC_COUNTERS] = {rd_dec_counters, 0},
    [MTDB_REC_MODULES] = {rd_dec_modules, 0}, [MTDB_REC_MARK] = {rd_dec_mark, 0},
    [MTDB_REC_STATE] = {rd_dec_state, 0},     [MTDB_REC_PROCESS] = {rd_dec_process, 0},
    [MTDB_REC_EXIT] = {rd_dec_exit, 0},
};

/* ---- blocks ----------------------------------------------------------------------------- */

/* Checks the block's first_event_seq against what its thread has shown so far. Returns
 * the thread's index, or RD_NONE when out of memory. */
static size_t rd_check_sequence(mtdb_reader_t *r, const rd_header_t *h)
{
    size_t ti = rd_thread_find(r, h->thread);
    if (ti == RD_NONE)
        return RD_NONE;
    rd_thread_t *t = &r->threads[ti];
    if (h->flags & MTDB_BLOCK_THREAD_FIRST)
        t->stacks = 0, t->uncertain = 0;
    /* A LATE block (events after a thread's state closed) may be the only block of its
     * thread in this file: its sequence continues the thread's own stream elsewhere. */
    if ((h->flags & MTDB_BLOCK_LATE) && !t->blocks)
        t->next_seq = h->first_seq;
    t->blocks++;
    if (h->first_seq > t->next_seq) {
        uint64_t lost = h->first_seq - t->next_seq;
        t->uncertain = 1;
        rd_report(r, MTDB_DIAG_EVENT_GAP, h->offset, 0, lost, h->thread,
                  "thread %u: events %llu..%llu are missing (%llu events lost)", h->thread,
                  (unsigned long long)t->next_seq, (unsigned long long)h->first_seq - 1,
                  (unsigned long long)lost);
    } else if (h->first_seq < t->next_seq) {
        rd_report(r, MTDB_DIAG_EVENT_GAP, h->offset, 0, 0, h->thread,
                  "thread %u: event sequence goes back from %llu to %llu", h->thread,
                  (unsigned long long)t->next_seq, (unsigned long long)h->first_seq);
    }
    t->next_seq = h->first_seq;
    return ti;
}

static int rd_enter_block(mtdb_reader_t *r, const rd_header_t *h, int sealed)
{
    size_t ti = rd_check_sequence(r, h);
    if (ti == RD_NONE)
        return MTDB_READ_ENOMEM;
    rd_block_t *b = &r->blk;
    memset(b, 0, sizeof *b);
    b->h = *h;
    b->thread = ti;
    b->sealed = sealed;
    uint64_t start = h->offset + MTDB_BLOCK_HEADER_BYTES;
    uint64_t end = start + h->payload;
    if (end > r->size)
        b->cut_bytes = end - r->size, end = r->size;
    b->p = r->data + start;
    b->end = r->data + end;
    b->last_ns = h->base_ns;
    r->in_block = 1;
    r->stats.blocks++;
    if (sealed)
        r->stats.sealed_blocks++;
    else
        r->stats.open_blocks++;
    r->pos = rd_span_end(h);
    return 0;
}

/* A sealed block with trusted header but bad payload, or a sealed block past the end. */
static void rd_drop_sealed(mtdb_reader_t *r, const rd_header_t *h, enum mtdb_diag_kind kind,
                           uint64_t skipped, const char *why)
{
    size_t ti = rd_check_sequence(r, h);
    char events[64] = "no heap events";
    if (h->event_count)
        snprintf(events, sizeof events, "events %llu..%llu", (unsigned long long)h->first_seq,
                 (unsigned long long)(h->first_seq + h->event_count - 1));
    r->stats.blocks++, r->stats.bad_blocks++;
    rd_report(r, kind, h->offset, skipped, h->event_count, h->thread,
              "%s; skipped %llu bytes (block of thread %u, %s)", why, (unsigned long long)skipped,
              h->thread, events);
    if (ti != RD_NONE) {
        r->threads[ti].next_seq = h->first_seq + h->event_count;
        r->threads[ti].uncertain = 1;
    }
}

/* A header that cannot be trusted: report it and resynchronise after it. */
static void rd_drop_untrusted(mtdb_reader_t *r, uint64_t off, enum mtdb_diag_kind kind,
                              const char *why)
{
    uint64_t target = rd_find_block(r, off + MTDB_BLOCK_ALIGN);
    uint64_t skipped = rd_skip_len(r, off, target);
    if (kind == MTDB_DIAG_BAD_BLOCK)
        r->stats.blocks++, r->stats.bad_blocks++;
    if (target == RD_NONE)
        rd_report(r, kind, off, skipped, 0, 0, "%s; skipped %llu bytes, no valid block follows",
                  why, (unsigned long long)skipped);
    else
        rd_report(r, kind, off, skipped, 0, 0,
                  "%s; skipped %llu bytes, resynchronised at offset %llu", why,
                  (unsigned long long)skipped, (unsigned long long)target);
    rd_lose_unattributed(r);
    rd_skip_to(r, target);
}

static int rd_walk_sealed(mtdb_reader_t *r, const rd_header_t *h)
{
    if (!rd_header_crc_ok(r, h)) {
        rd_drop_untrusted(r, h->offset, MTDB_DIAG_BAD_BLOCK,
                          "sealed block header fails its checksum");
        return 0;
    }
    if (!rd_header_fits(h, r->chunk.end)) {
        rd_drop_untrusted(r, h->offset, MTDB_DIAG_BAD_BLOCK,
                          "sealed block's payload length runs past its chunk");
        return 0;
    }
    if (h->flags & MTDB_BLOCK_PAD) {
        r->stats.blocks++, r->stats.sealed_blocks++;
        r->pos = r->chunk.end;
        return 0;
    }
    uint64_t end = h->offset + MTDB_BLOCK_HEADER_BYTES + h->payload;
    if (end > r->size) {
        rd_drop_sealed(r, h, MTDB_DIAG_TRUNCATED, r->size - h->offset,
                       "file ends inside a sealed block");
        rd_finish(r, 0);
        return 0;
    }
    const uint8_t *payload = r->data + h->offset + MTDB_BLOCK_HEADER_BYTES;
    if (mtdb_crc32c(0, payload, h->payload) != h->payload_crc) {
        rd_drop_sealed(r, h, MTDB_DIAG_BAD_BLOCK, rd_span_end(h) - h->offset,
                       "sealed block fails its checksum");
        r->pos = rd_span_end(h);
        return 0;
    }
    return rd_enter_block(r, h, 1);
}

static int rd_walk_open(mtdb_reader_t *r, const rd_header_t *h)
{
    if (!rd_header_fits(h, r->chunk.end)) {
        rd_drop_untrusted(r, h->offset, MTDB_DIAG_BAD_BLOCK,
                          "open block's payload length runs past its chunk");
        return 0;
    }
    uint64_t target = rd_find_block(r, rd_span_end(h));
    if (target != RD_NONE || r->data_end > r->chunk.end) {
        rd_drop_untrusted(r, h->offset, MTDB_DIAG_BAD_BLOCK,
                          "unsealed block is not the last block of the file");
        return 0;
    }
    int rc = rd_enter_block(r, h, 0);
    r->blk.last = 1;
    return rc;
}

/* Bytes at pos are not a block header. Zeros to the end are the normal end of a file. */
static void rd_walk_not_block(mtdb_reader_t *r)
{
    uint64_t pos = r->pos;
    if (r->data_end <= pos) {
        rd_finish(r, 1);
        return;
    }
    /* A writer killed while opening a block leaves its fields without the magic. */
    const uint8_t *p = r->data + pos;
    if (mtdb_get_u32le(p) == 0 && mtdb_get_u32le(p + 4) == 0 &&
        r->data_end <= pos + MTDB_BLOCK_HEADER_BYTES) {
        rd_finish(r, 1);
        return;
    }
    rd_drop_untrusted(r, pos, MTDB_DIAG_GARBAGE, "bytes that are not a block header");
}

/* Less than a block header left in the chunk: only zeros may be there. */
static void rd_walk_chunk_tail(mtdb_reader_t *r)
{
    uint64_t end = r->chunk.end < r->size ? r->chunk.end : r->size;
    if (!rd_all_zero(r->data + r->pos, end - r->pos))
        rd_report(r, MTDB_DIAG_GARBAGE, r->pos, end - r->pos, 0, 0,
                  "%llu bytes of data after the last block of chunk %u",
                  (unsigned long long)(end - r->pos), r->chunk.k);
    r->pos = r->chunk.end;
}

/* Moves to the next block and enters it, or finishes. Always moves forward. */
static int rd_walk(mtdb_reader_t *r)
{
    if (r->pos >= r->size) {
        rd_finish(r, 1);
        return 0;
    }
    rd_chunk_seek(r, &r->chunk, r->pos);
    if (r->chunk.end - r->pos < MTDB_BLOCK_HEADER_BYTES) {
        rd_walk_chunk_tail(r);
        return 0;
    }
    if (r->size - r->pos < MTDB_BLOCK_HEADER_BYTES) {
        if (r->data_end > r->pos)
            rd_report(r, MTDB_DIAG_TRUNCATED, r->pos, r->size - r->pos, 0, 0,
                      "file ends inside a block header");
        rd_finish(r, r->data_end <= r->pos);
        return 0;
    }
    if (mtdb_get_u32le(r->data + r->pos) != MTDB_BLOCK_MAGIC) {
        rd_walk_not_block(r);
        return 0;
    }
    rd_header_t h;
    rd_header_parse(r, r->pos, &h);
    return (h.flags & MTDB_BLOCK_SEALED) ? rd_walk_sealed(r, &h) : rd_walk_open(r, &h);
}

/* ---- records ------------------------------------------------------------------------------ */

static void rd_block_done(mtdb_reader_t *r, int clean)
{
    rd_block_t *b = &r->blk;
    rd_thread_t *t = &r->threads[b->thread];
    t->next_seq = b->h.first_seq + (b->sealed ? b->h.event_count : b->events);
    if (!clean)
        t->uncertain = 1;
    r->in_block = 0;
    if (b->last)
        rd_finish(r, clean);
}

/* The end of the payload was reached with every record whole. */
static void rd_block_end(mtdb_reader_t *r)
{
    rd_block_t *b = &r->blk;
    uint64_t off = (uint64_t)(b->p - r->data);
    if (b->cut_bytes) {
        rd_report(r, MTDB_DIAG_TORN_TAIL, off, b->cut_bytes, 0, b->h.thread,
                  "file ends %llu bytes before the end of the open block's payload",
                  (unsigned long long)b->cut_bytes);
        rd_block_done(r, 0);
        return;
    }
    if (b->sealed && b->events != b->h.event_count) {
        uint64_t lost = b->h.event_count > b->events ? b->h.event_count - b->events : 0;
        rd_report(r, MTDB_DIAG_BAD_RECORD, b->h.offset, 0, lost, b->h.thread,
                  "block holds %llu heap events but its header says %u",
                  (unsigned long long)b->events, b->h.event_count);
    }
    rd_block_done(r, 1);
}

/* A record did not decode: the rest of its block is skipped. */
static void rd_record_failed(mtdb_reader_t *r, uint64_t off, unsigned type, int why)
{
    rd_block_t *b = &r->blk;
    uint64_t skipped = (uint64_t)(b->end - r->data) + b->cut_bytes - off;
    uint64_t lost = 0;
    if (b->sealed && b->h.event_count > b->events)
        lost = b->h.event_count - b->events;
    int torn = !b->sealed && why == RD_SHORT;
    const char *what = why == RD_SHORT ? "is cut short" : "holds a malformed value";
    rd_report(r, torn ? MTDB_DIAG_TORN_TAIL : MTDB_DIAG_BAD_RECORD, off, skipped, lost, b->h.thread,
              "%s record (tag type %u) %s; skipped the rest of the %s block, %llu bytes",
              mtdb_rec_type_name(type), type, what, b->sealed ? "sealed" : "open",
              (unsigned long long)skipped);
    rd_block_done(r, 0);
}

/* Decodes one record of the current block: 1 = rec filled, 0 = block finished, <0 fatal. */
static int rd_next_record(mtdb_reader_t *r, mtdb_record_t *rec)
{
    rd_block_t *b = &r->blk;
    if (b->p >= b->end) {
        rd_block_end(r);
        return 0;
    }
    uint64_t off = (uint64_t)(b->p - r->data);
    uint8_t tag = *b->p++;
    memset(rec, 0, sizeof *rec);
    rec->type = MTDB_TAG_TYPE(tag), rec->sub = MTDB_TAG_SUB(tag);
    rec->thread = b->h.thread, rec->block_flags = b->h.flags;
    rec->offset = off, rec->block_offset = b->h.offset;
    const struct rd_type *t = &rd_types[rec->type];
    int rc = t->decode ? t->decode(r, b, rec) : RD_BAD;
    if (rc == RD_NOMEM)
        return MTDB_READ_ENOMEM;
    if (rc) {
        rd_record_failed(r, off, rec->type, rc);
        return 0;
    }
    if (t->heap_event) {
        rec->seq = b->h.first_seq + b->events++;
        r->stats.heap_events++;
    }
    rec->stack_ids_uncertain = r->threads[b->thread].uncertain;
    r->stats.records++;
    return 1;
}

static void rd_unpack_rest(mtdb_reader_t *r);

int mtdb_reader_next(mtdb_reader_t *r, mtdb_record_t *rec)
{
    if (r->unpack_pending)
        rd_unpack_rest(r);
    while (!r->done) {
        int rc = r->in_block ? rd_next_record(r, rec) : rd_walk(r);
        if (rc < 0) {
            rd_finish(r, 0);
            return rc;
        }
        if (rc == 1)
            return 1;
    }
    return 0;
}

/* ---- opening ------------------------------------------------------------------------------- */

static int rd_is_pow2(uint32_t v)
{
    return v && !(v & (v - 1));
}

static int rd_check_header(mtdb_reader_t *r, char *msg, size_t msg_len)
{
    const uint8_t *h = r->data;
    if (r->size < MTDB_FILE_HEADER_BYTES) {
        int magic = memcmp(h, MTDB_FILE_MAGIC, r->size < 8 ? r->size : 8) == 0;
        rd_fail_msg(msg, msg_len, r->path, "file is %llu bytes, shorter than the %d-byte header",
                    (unsigned long long)r->size, MTDB_FILE_HEADER_BYTES);
        return magic ? MTDB_READ_EHEADER : MTDB_READ_ENOTTRACE;
    }
    if (memcmp(h, MTDB_FILE_MAGIC, 8) != 0) {
        rd_fail_msg(msg, msg_len, r->path, "not an mtdb trace file (bad magic)");
        return MTDB_READ_ENOTTRACE;
    }
    if (mtdb_get_u32le(h + 8) != MTDB_BYTE_ORDER_MARK) {
        rd_fail_msg(msg, msg_len, r->path, "byte-order mark is 0x%08x, expected 0x%08x",
                    mtdb_get_u32le(h + 8), MTDB_BYTE_ORDER_MARK);
        return MTDB_READ_EHEADER;
    }
    r->info.major = mtdb_get_u16le(h + 12), r->info.minor = mtdb_get_u16le(h + 14);
    if (r->info.major < MTDB_FORMAT_OLDEST_MAJOR || r->info.major > MTDB_FORMAT_MAJOR) {
        rd_fail_msg(msg, msg_len, r->path,
                    "trace format version %u.%u is not supported (this reader reads %d.x to "
                    "%d.x, up to %d.%d)",
                    r->info.major, r->info.minor, MTDB_FORMAT_OLDEST_MAJOR, MTDB_FORMAT_MAJOR,
                    MTDB_FORMAT_MAJOR, MTDB_FORMAT_MINOR);
        return MTDB_READ_EVERSION;
    }
    if (mtdb_crc32c(0, h, 60) != mtdb_get_u32le(h + 60)) {
        rd_fail_msg(msg, msg_len, r->path, "file header fails its checksum");
        return MTDB_READ_EHEADER;
    }
    return 0;
}

static int rd_read_info(mtdb_reader_t *r, char *msg, size_t msg_len)
{
    const uint8_t *h = r->data;
    mtdb_file_info_t *fi = &r->info;
    fi->kind = mtdb_get_u32le(h + 16), fi->pid = mtdb_get_u32le(h + 20);
    fi->nonce = mtdb_get_u64le(h + 24), fi->stream = mtdb_get_u32le(h + 32);
    fi->chunk_first = mtdb_get_u32le(h + 36), fi->chunk_largest = mtdb_get_u32le(h + 40);
    fi->created_ns = mtdb_get_u64le(h + 48), fi->file_bytes = r->size;
    if (fi->kind != MTDB_FILE_KIND_PROCESS && fi->kind != MTDB_FILE_KIND_STREAM) {
        rd_fail_msg(msg, msg_len, r->path, "unknown file kind %u", fi->kind);
        return MTDB_READ_EHEADER;
    }
    if (!rd_is_pow2(fi->chunk_first) || fi->chunk_first < 4096 || !rd_is_pow2(fi->chunk_largest) ||
        fi->chunk_largest < fi->chunk_first) {
        rd_fail_msg(msg, msg_len, r->path, "bad chunk sizes %u and %u in the file header",
                    fi->chunk_first, fi->chunk_largest);
        return MTDB_READ_EHEADER;
    }
    return 0;
}

/* One past the last nonzero byte (after the header). */
static uint64_t rd_data_end(const mtdb_reader_t *r)
{
    uint64_t end = r->size;
    while (end > MTDB_FILE_HEADER_BYTES && r->data[end - 1] == 0)
        end--;
    return end;
}

static int rd_start(mtdb_reader_t *r, char *msg, size_t msg_len)
{
    int rc = rd_check_header(r, msg, msg_len);
    if (rc == 0)
        rc = rd_read_info(r, msg, msg_len);
    if (rc != 0)
        return rc;
    r->data_end = r->unpack_pending ? r->size : rd_data_end(r);
    r->pos = MTDB_FILE_HEADER_BYTES;
    r->chunk = (rd_chunk_t){0, 0, r->info.chunk_first};
    return rd_threads_grow(r) == 0 ? 0 : MTDB_READ_ENOMEM;
}

static mtdb_reader_t *rd_new(const char *path)
{
    mtdb_reader_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->path = strdup(path ? path : "(memory)");
    if (!r->path) {
        free(r);
        return NULL;
    }
    const char *slash = strrchr(r->path, '/');
    r->name = slash && slash[1] ? slash + 1 : r->path;
    return r;
}

/* ---- packed files ---------------------------------------------------------------------- */

/* Lets go of the packed bytes once every piece is unpacked (or the reader closes). */
static void rd_release_source(mtdb_reader_t *r)
{
    if (r->src_mapped)
        munmap((void *)r->src, (size_t)r->src_size);
    r->src = NULL, r->src_size = 0, r->src_mapped = 0;
    mtdb_packed_close(&r->packed);
}

/* The packed file in data becomes the source; data becomes an image of the original
 * length holding piece 0 (the file header: without it nothing can be read). */
static int rd_unpack_begin(mtdb_reader_t *r, char *msg, size_t msg_len)
{
    r->src = r->data, r->src_size = r->size, r->src_mapped = r->mapped;
    r->data = (const uint8_t *)"", r->size = 0, r->mapped = 0;
    char why[160];
    int rc = mtdb_packed_open(r->src, r->src_size, &r->packed, why, sizeof why);
    if (rc != 0) {
        rd_fail_msg(msg, msg_len, r->path, "%s", why);
        return rc;
    }
    uint64_t raw = r->packed.raw_bytes;
    void *img = raw ? mmap(NULL, (size_t)raw, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                    : NULL;
    if (img == MAP_FAILED) {
        rd_fail_msg(msg, msg_len, r->path, "cannot map %llu bytes to unpack into: %s",
                    (unsigned long long)raw, strerror(errno));
        return MTDB_READ_ENOMEM;
    }
#ifdef MADV_HUGEPAGE
    /* Every byte of the image is written once: in huge pages where the kernel gives them,
     * instead of a page fault per 4 KiB (a tenth of an import's faults). Advice only. */
    if (img && raw >= ((uint64_t)2 << 20))
        (void)madvise(img, (size_t)raw, MADV_HUGEPAGE);
#endif
    if (img)
        r->data = img, r->size = raw, r->mapped = 1;
    if (img && mtdb_packed_unpack(&r->packed, 0, img, why, sizeof why) != 0) {
        rd_fail_msg(msg, msg_len, r->path, "packed piece 0, which holds the file header, %s", why);
        return MTDB_READ_EHEADER;
    }
    r->unpack_pending = 1;
    return 0;
}

/* Unpacks pieces 1.. into the image. A lost piece is said with its range of the
 * original (the offset every other diagnostic uses) and where its frame is in the packed
 * file; its bytes stay zeros, which the walk then steps over as it does any damage. */
static void rd_unpack_rest(mtdb_reader_t *r)
{
    uint8_t *img = (uint8_t *)r->data;
    char why[64];
    r->unpack_pending = 0;
    for (uint32_t k = 1; k < r->packed.count; k++) {
        uint64_t at = mtdb_packed_piece_start(&r->packed, k);
        uint64_t n = mtdb_packed_piece_bytes(&r->packed, k);
        if (mtdb_packed_unpack(&r->packed, k, img + at, why, sizeof why) == 0)
            continue;
        memset(img + at, 0, (size_t)n);
        r->pieces_lost++;
        rd_report(r, MTDB_DIAG_BAD_PIECE, at, n, 0, 0,
                  "packed piece %u %s: %llu bytes lost (frame at file offset %llu)", k, why,
                  (unsigned long long)n,
                  (unsigned long long)mtdb_packed_frame_offset(&r->packed, k));
    }
    if (!r->pieces_lost && r->size && mtdb_crc32c(0, img, (size_t)r->size) != r->packed.raw_crc) {
        r->pieces_lost++;
        rd_report(r, MTDB_DIAG_BAD_PIECE, 0, 0, 0, 0,
                  "unpacked bytes fail the packed header's checksum of the whole file");
    }
    rd_release_source(r);
    if (r->size)
        mprotect(img, (size_t)r->size, PROT_READ);
    r->data_end = rd_data_end(r);
}

static int rd_open_finish(mtdb_reader_t *r, mtdb_reader_t **out, char *msg, size_t msg_len)
{
    int rc = mtdb_is_packed(r->data, r->size) ? rd_unpack_begin(r, msg, msg_len) : 0;
    if (rc == 0)
        rc = rd_start(r, msg, msg_len);
    if (rc != 0) {
        if (rc == MTDB_READ_ENOMEM)
            rd_fail_msg(msg, msg_len, r->path, "out of memory");
        mtdb_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int mtdb_reader_open_mem(const void *buf, size_t len, const char *name, mtdb_reader_t **out,
                         char *msg, size_t msg_len)
{
    *out = NULL;
    mtdb_reader_t *r = rd_new(name);
    if (!r) {
        rd_fail_msg(msg, msg_len, name ? name : "(memory)", "out of memory");
        return MTDB_READ_ENOMEM;
    }
    r->data = buf ? buf : (const uint8_t *)"", r->size = buf ? len : 0;
    return rd_open_finish(r, out, msg, msg_len);
}

static int rd_map(mtdb_reader_t *r, char *msg, size_t msg_len)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rd_fail_msg(msg, msg_len, r->path, "cannot open: %s", strerror(errno));
        return MTDB_READ_EIO;
    }
    struct stat st;
    int rc = fstat(fd, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
    if (rc == 0 && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED)
            rc = errno;
        else
            r->data = m, r->size = (uint64_t)st.st_size, r->mapped = 1;
    }
    close(fd);
    if (rc != 0) {
        rd_fail_msg(msg, msg_len, r->path, "cannot map: %s",
                    rc == EINVAL ? "not a regular file" : strerror(rc));
        return MTDB_READ_EIO;
    }
    if (!r->mapped)
        r->data = (const uint8_t *)"";
    return 0;
}

int mtdb_reader_open(const char *path, mtdb_reader_t **out, char *msg, size_t msg_len)
{
    *out = NULL;
    mtdb_reader_t *r = rd_new(path);
    if (!r) {
        rd_fail_msg(msg, msg_len, path, "out of memory");
        return MTDB_READ_ENOMEM;
    }
    int rc = rd_map(r, msg, msg_len);
    if (rc != 0) {
        mtdb_reader_close(r);
        return rc;
    }
    return rd_open_finish(r, out, msg, msg_len);
}

void mtdb_reader_close(mtdb_reader_t *r)
{
    if (!r)
        return;
    if (r->mapped)
        munmap((void *)r->data, (size_t)r->size);
    rd_release_source(r);
    free(r->threads);
    free(r->modules);
    free(r->argv);
    free(r->arena);
    free(r->path);
    free(r);
}

const mtdb_file_info_t *mtdb_reader_info(const mtdb_reader_t *r)
{
    return &r->info;
}

void mtdb_reader_set_diag(mtdb_reader_t *r, mtdb_diag_fn fn, void *ctx)
{
    r->diag_fn = fn;
    r->diag_ctx = ctx;
}

const mtdb_read_stats_t *mtdb_reader_stats(const mtdb_reader_t *r)
{
    return &r->stats;
}
