/* trace_build.c: in-memory trace images for the format tests (see trace_build.h).
 *
 * Writes through trace_writer.h where it has an encoder and by hand, following
 * mtdb_format.h, for the record types the recorder encodes itself. Test code only:
 * aborts on misuse; never used by the recorder, the importer or the CLI.
 */
#include "trace_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tb_die(const char *what)
{
    fprintf(stderr, "trace_build: %s\n", what);
    abort();
}

static void tb_grow_chunk(tb_t *t)
{
    t->chunk_k++;
    t->chunk_start = t->chunk_end;
    t->chunk_end = t->chunk_start + mtdb_chunk_bytes(t->first, t->largest, t->chunk_k);
    t->buf = realloc(t->buf, t->chunk_end);
    if (!t->buf)
        tb_die("out of memory");
    memset(t->buf + t->size, 0, t->chunk_end - t->size);
    t->size = t->chunk_end;
    t->pos = t->chunk_start;
}

void tb_init(tb_t *t, uint32_t kind, uint32_t first, uint32_t largest)
{
    memset(t, 0, sizeof *t);
    t->first = first, t->largest = largest;
    t->buf = calloc(1, first);
    if (!t->buf)
        tb_die("out of memory");
    t->size = first;
    t->chunk_end = first;
    mtdb_file_params_t fp = {kind,    4242,     0x1122334455667788ull, kind == 1 ? 0 : 1, first,
                             largest, 123456789};
    mtdb_file_header_build(t->buf, &fp);
    t->pos = MTDB_FILE_HEADER_BYTES;
}

void tb_free(tb_t *t)
{
    free(t->buf);
}

void tb_pad(tb_t *t)
{
    if (t->in_block)
        tb_die("pad inside a block");
    if (t->chunk_end - t->pos >= MTDB_BLOCK_HEADER_BYTES)
        mtdb_block_pad(t->buf + t->pos, 0);
    tb_grow_chunk(t);
}

void tb_begin(tb_t *t, uint32_t thread, uint32_t flags, uint64_t base_ns, uint32_t room)
{
    if (t->in_block || thread >= TB_MAX_THREADS)
        tb_die("bad tb_begin");
    if (t->chunk_end - t->pos < MTDB_BLOCK_HEADER_BYTES + (uint64_t)room)
        tb_pad(t);
    if (flags & MTDB_BLOCK_THREAD_FIRST)
        t->stacks[thread] = 0;
    t->in_block = 1;
    t->blk = t->pos;
    t->rp = t->buf + t->pos + MTDB_BLOCK_HEADER_BYTES;
    t->blk_thread = thread, t->blk_events = 0;
    t->blk_first_rec = t->nrec;
    mtdb_block_open(t->buf + t->blk, thread, flags, t->next_seq[thread], base_ns);
    mtdb_enc_reset(&t->enc, base_ns);
}

static void tb_end(tb_t *t, int sealed)
{
    uint64_t payload_end = (uint64_t)(t->rp - t->buf);
    for (size_t i = t->blk_first_rec; i < t->nrec; i++)
        t->recs[i].sealed = sealed, t->recs[i].block_end = payload_end;
    tb_block_t *b = &t->blocks[t->nblock++];
    *b = (tb_block_t){t->blk, payload_end, t->blk_thread, t->blk_events, sealed};
    t->pos = t->blk + mtdb_block_span((uint32_t)(payload_end - t->blk - MTDB_BLOCK_HEADER_BYTES));
    t->in_block = 0;
}

void tb_seal(tb_t *t, uint32_t extra_flags)
{
    uint32_t payload = (uint32_t)(t->rp - t->buf - t->blk - MTDB_BLOCK_HEADER_BYTES);
    mtdb_block_seal(t->buf + t->blk, payload, t->blk_events, extra_flags);
    tb_end(t, 1);
}

void tb_leave_open(tb_t *t)
{
    tb_end(t, 0);
}

/* Starts a record: returns its slot; tb_rec_done publishes it. */
static tb_rec_t *tb_rec_start(tb_t *t, uint8_t type, uint8_t sub, size_t max_len)
{
    if (!t->in_block || t->nrec == TB_MAX_RECS)
        tb_die("record outside a block or too many records");
    if ((uint64_t)(t->rp - t->buf) + max_len > t->chunk_end)
        tb_die("record does not fit the chunk");
    tb_rec_t *r = &t->recs[t->nrec++];
    memset(r, 0, sizeof *r);
    r->offset = (uint64_t)(t->rp - t->buf);
    r->block = t->blk;
    r->type = type, r->sub = sub, r->thread = t->blk_thread;
    r->weight = 1;
    return r;
}

static tb_rec_t *tb_rec_done(tb_t *t, tb_rec_t *r, uint8_t *end, int heap)
{
    t->rp = end;
    r->end = (uint64_t)(end - t->buf);
    if (heap) {
        r->seq = t->next_seq[t->blk_thread]++;
        t->blk_events++;
        t->events++;
    }
    mtdb_block_commit(t->buf + t->blk, (uint32_t)(r->end - t->blk - MTDB_BLOCK_HEADER_BYTES));
    return r;
}

tb_rec_t *tb_alloc(tb_t *t, unsigned func, uint64_t ts, uint64_t addr, uint64_t size,
                   uint64_t stack, uint64_t weight)
{
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_ALLOC, (uint8_t)func, MTDB_MAX_EVENT_RECORD);
    r->ts = ts, r->addr = addr, r->size = size, r->stack_id = stack, r->weight = weight;
    uint8_t *e = mtdb_enc_alloc(t->rp, &t->enc, func, ts, addr, size, stack, weight);
    return tb_rec_done(t, r, e, 1);
}

tb_rec_t *tb_free_rec(tb_t *t, unsigned free_func, uint64_t ts, uint64_t addr, int with_stack,
                      uint64_t stack)
{
    uint8_t sub = (uint8_t)(free_func | (with_stack ? MTDB_SUB_FREE_STACK : 0));
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_FREE, sub, MTDB_MAX_EVENT_RECORD);
    r->ts = ts, r->addr = addr, r->has_stack = with_stack, r->stack_id = with_stack ? stack : 0;
    uint8_t *e = mtdb_enc_free(t->rp, &t->enc, free_func, ts, addr, with_stack, stack);
    return tb_rec_done(t, r, e, 1);
}

tb_rec_t *tb_realloc(tb_t *t, unsigned func, uint64_t ts, uint64_t old_addr, uint64_t ts2,
                     uint64_t addr, uint64_t size, uint64_t stack, uint64_t weight)
{
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_REALLOC, (uint8_t)func, MTDB_MAX_EVENT_RECORD);
    r->ts = ts, r->ts2 = ts2, r->old_addr = old_addr, r->addr = addr, r->size = size;
    r->stack_id = stack, r->weight = weight;
    uint8_t *e =
        mtdb_enc_realloc(t->rp, &t->enc, func, ts, old_addr, ts2, addr, size, stack, weight);
    return tb_rec_done(t, r, e, 1);
}

tb_rec_t *tb_fail(tb_t *t, unsigned func, uint64_t ts, uint64_t size)
{
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_FAIL, (uint8_t)func, MTDB_MAX_EVENT_RECORD);
    r->ts = ts, r->size = size;
    return tb_rec_done(t, r, mtdb_enc_fail(t->rp, &t->enc, func, ts, size), 1);
}

/* A STACK record of either form: what the reader must return is the whole stack. */
static tb_rec_t *tb_stack_start(tb_t *t, unsigned sub, const uintptr_t *frames, unsigned depth)
{
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_STACK, (uint8_t)sub, MTDB_MAX_STACK_RECORD(depth));
    r->depth = depth;
    for (unsigned i = 0; i < depth && i < TB_MAX_FRAMES; i++)
        r->frames[i] = frames[i];
    r->stack_id = ++t->stacks[t->blk_thread];
    r->ts = t->enc.last_ns;
    return r;
}

tb_rec_t *tb_stack(tb_t *t, const uintptr_t *frames, unsigned depth)
{
    tb_rec_t *r = tb_stack_start(t, 0, frames, depth);
    return tb_rec_done(t, r, mtdb_enc_stack(t->rp, frames, depth), 0);
}

tb_rec_t *tb_stack_shared(tb_t *t, const uintptr_t *frames, unsigned depth, unsigned shared)
{
    tb_rec_t *r = tb_stack_start(t, MTDB_SUB_STACK_SHARED, frames, depth);
    return tb_rec_done(t, r, mtdb_enc_stack_shared(t->rp, frames, depth, shared), 0);
}

tb_rec_t *tb_thread(tb_t *t, uint64_t tid, uint64_t start_ns, uint64_t flags)
{
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_THREAD, 0, 31);
    r->tid = tid, r->ts = start_ns, r->tflags = flags;
    return tb_rec_done(t, r, mtdb_enc_thread(t->rp, tid, start_ns, (uint32_t)flags), 0);
}

tb_rec_t *tb_name(tb_t *t, const char *name)
{
    size_t len = strlen(name);
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_NAME, 0, 11 + len);
    r->str = name, r->ts = t->enc.last_ns;
    return tb_rec_done(t, r, mtdb_enc_name(t->rp, name, len), 0);
}

/* Counter i holds base + i. */
tb_rec_t *tb_counters(tb_t *t, uint64_t base)
{
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_COUNTERS, 0, MTDB_MAX_COUNTERS_RECORD);
    r->value = base, r->ts = t->enc.last_ns;
    uint64_t counters[MTDB_COUNTER_COUNT];
    for (unsigned i = 0; i < MTDB_COUNTER_COUNT; i++)
        counters[i] = base + i;
    return tb_rec_done(t, r, mtdb_enc_counters(t->rp, counters), 0);
}

/* Module i: base 0x400000 + i MiB, text 0x1000 * (i + 1), "/lib/mod<i>.so", id {i,1,2,3}. */
tb_rec_t *tb_modules(tb_t *t, unsigned count)
{
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_MODULES, 0, 11 + (size_t)count * 60);
    r->value = count, r->ts = t->enc.last_ns;
    uint8_t *p = t->rp;
    p = mtdb_enc_modules_head(p, count);
    for (unsigned i = 0; i < count; i++) {
        char path[32];
        uint8_t id[4] = {(uint8_t)i, 1, 2, 3};
        snprintf(path, sizeof path, "/lib/mod%u.so", i);
        p = mtdb_enc_module(p, 0x400000u + (uint64_t)i * 0x100000u, 0x1000u * (i + 1), path,
                            strlen(path), id, sizeof id);
    }
    return tb_rec_done(t, r, p, 0);
}

tb_rec_t *tb_mark(tb_t *t, unsigned kind, uint64_t ts, const char *label)
{
    size_t len = strlen(label);
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_MARK, (uint8_t)kind, 21 + len);
    r->ts = ts, r->str = label;
    return tb_rec_done(t, r, mtdb_enc_mark(t->rp, &t->enc, kind, ts, label, len), 0);
}

tb_rec_t *tb_state(tb_t *t, unsigned state, uint64_t ts, const char *path, uint64_t pid)
{
    size_t len = path ? strlen(path) : 0;
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_STATE, (uint8_t)state, 31 + len);
    r->ts = ts, r->str = path, r->value = pid;
    uint8_t *p = mtdb_enc_state(t->rp, &t->enc, state, ts);
    if (state == MTDB_STATE_EXEC)
        p = mtdb_enc_string(p, path, len);
    if (state == MTDB_STATE_FORKED)
        p = mtdb_put_varint(p, pid);
    return tb_rec_done(t, r, p, 0);
}

static const char *const tb_argv[] = {"prog", "-x", "input file"};

/* pid 4242, ppid 1, parent nonce 7, mono 1000, wall 1700000000123456789, cost 25,
 * argv tb_argv, exe "/usr/bin/prog", version "0.1.0", unwinder "libunwind 1.6.2",
 * settings "MTDB_DEPTH=64\nMTDB_PRESET=precise\n". */
tb_rec_t *tb_process(tb_t *t)
{
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_PROCESS, 0, 400);
    r->value = 4242, r->ts = t->enc.last_ns;
    const mtdb_proc_facts_t facts = {4242, 1, 7, 1000, 1700000000123456789ull, 25, 3};
    uint8_t *p = mtdb_enc_process_head(t->rp, &facts);
    for (size_t i = 0; i < 3; i++)
        p = mtdb_enc_string(p, tb_argv[i], strlen(tb_argv[i]));
    const char *strs[] = {"/usr/bin/prog", "0.1.0", "libunwind 1.6.2",
                          "MTDB_DEPTH=64\nMTDB_PRESET=precise\n"};
    for (size_t i = 0; i < 4; i++)
        p = mtdb_enc_string(p, strs[i], strlen(strs[i]));
    return tb_rec_done(t, r, p, 0);
}

tb_rec_t *tb_exit(tb_t *t, unsigned how, uint64_t ts, uint64_t status)
{
    tb_rec_t *r = tb_rec_start(t, MTDB_REC_EXIT, (uint8_t)how, 21);
    r->ts = ts, r->value = status;
    return tb_rec_done(t, r, mtdb_enc_exit(t->rp, &t->enc, how, ts, status), 0);
}

tb_rec_t *tb_raw(tb_t *t, const uint8_t *bytes, size_t len, int heap)
{
    tb_rec_t *r = tb_rec_start(t, bytes[0] & 0x0F, bytes[0] >> 4, len);
    memcpy(t->rp, bytes, len);
    return tb_rec_done(t, r, t->rp + len, heap);
}

const tb_rec_t *tb_find(const tb_t *t, uint64_t offset)
{
    size_t lo = 0, hi = t->nrec;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->recs[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->nrec && t->recs[lo].offset == offset ? &t->recs[lo] : NULL;
}

static int tb_same_str(const char *w, const mtdb_record_t *rec)
{
    size_t len = w ? strlen(w) : 0;
    return rec->str_len == len && (len == 0 || memcmp(rec->str, w, len) == 0);
}

static int tb_same_heap(const tb_rec_t *w, const mtdb_record_t *rec)
{
    if (rec->seq != w->seq || rec->ts_ns != w->ts)
        return 0;
    switch (w->type) {
    case MTDB_REC_ALLOC:
        return rec->addr == w->addr && rec->size == w->size && rec->stack_id == w->stack_id &&
               rec->weight == w->weight;
    case MTDB_REC_FREE:
        return rec->addr == w->addr && rec->has_stack == w->has_stack &&
               rec->stack_id == w->stack_id;
    case MTDB_REC_REALLOC:
        return rec->ts2_ns == w->ts2 && rec->old_addr == w->old_addr && rec->addr == w->addr &&
               rec->size == w->size && rec->stack_id == w->stack_id && rec->weight == w->weight;
    default: /* FAIL */
        return rec->size == w->size;
    }
}

static int tb_same_stack(const tb_rec_t *w, const mtdb_record_t *rec)
{
    if (rec->depth != w->depth)
        return 0;
    for (unsigned i = 0; i < w->depth && i < TB_MAX_FRAMES; i++)
        if (rec->frames[i] != w->frames[i])
            return 0;
    return 1;
}

static int tb_same_counters(const tb_rec_t *w, const mtdb_record_t *rec)
{
    for (unsigned i = 0; i < MTDB_COUNTER_COUNT; i++)
        if (rec->counters[i] != w->value + i)
            return 0;
    return rec->counter_count == MTDB_COUNTER_COUNT;
}

int tb_same(const tb_rec_t *w, const mtdb_record_t *rec)
{
    if (rec->type != w->type || rec->sub != w->sub || rec->thread != w->thread ||
        rec->offset != w->offset || rec->block_offset != w->block)
        return 0;
    switch (w->type) {
    case MTDB_REC_ALLOC:
    case MTDB_REC_FREE:
    case MTDB_REC_REALLOC:
    case MTDB_REC_FAIL:
        return tb_same_heap(w, rec);
    case MTDB_REC_STACK:
        return tb_same_stack(w, rec);
    case MTDB_REC_THREAD:
        return rec->tid == w->tid && rec->ts_ns == w->ts && rec->thread_flags == w->tflags;
    case MTDB_REC_NAME:
        return tb_same_str(w->str, rec);
    case MTDB_REC_COUNTERS:
        return tb_same_counters(w, rec);
    case MTDB_REC_MODULES:
        return rec->module_count == w->value;
    case MTDB_REC_MARK:
        return rec->ts_ns == w->ts && tb_same_str(w->str, rec);
    case MTDB_REC_STATE:
        return rec->ts_ns == w->ts && tb_same_str(w->str, rec) && rec->value == w->value;
    case MTDB_REC_PROCESS:
        return rec->process && rec->process->pid == w->value;
    case MTDB_REC_EXIT:
        return rec->ts_ns == w->ts && rec->value == w->value;
    }
    return 0;
}

static void tb_sample_chunk0(tb_t *t)
{
    static const uintptr_t f1[] = {0x401000, 0x401100, 0x7f0000001000};
    static const uintptr_t f2[] = {0x402000, 0x401100};
    tb_begin(t, 0, MTDB_BLOCK_THREAD_FIRST, 500, 0);
    tb_process(t);
    tb_modules(t, 3);
    tb_seal(t, 0);
    tb_begin(t, 1, MTDB_BLOCK_THREAD_FIRST, 1000, 0);
    tb_thread(t, 101, 900, MTDB_THREAD_MAIN);
    tb_name(t, "main");
    tb_stack(t, f1, 3);
    tb_alloc(t, MTDB_FUNC_MALLOC, 1010, 0x10000, 16, 1, 1);
    tb_alloc(t, MTDB_FUNC_CALLOC, 1005, 0x20000, 4096, 1, 3); /* time goes back: zigzag */
    tb_free_rec(t, MTDB_FREE_FUNC_FREE, 1020, 0x10000, 0, 0);
    tb_realloc(t, MTDB_FUNC_REALLOC, 1030, 0x20000, 1045, 0x8000, 8192, 1, 1);
    tb_fail(t, MTDB_FUNC_MALLOC, 1050, 1ull << 40);
    tb_mark(t, MTDB_MARK_PHASE_BEGIN, 1060, "load");
    tb_state(t, MTDB_STATE_PAUSED, 1070, NULL, 0);
    tb_state(t, MTDB_STATE_RESUMED, 1080, NULL, 0);
    tb_stack(t, f2, 2);
    tb_free_rec(t, MTDB_FREE_FUNC_REALLOC, 1090, 0x8000, 1, 2);
    tb_seal(t, 0);
    tb_begin(t, 2, MTDB_BLOCK_THREAD_FIRST, 1500, 0);
    tb_thread(t, 102, 1400, 0);
    tb_stack(t, f2, 2);
    tb_alloc(t, MTDB_FUNC_POSIX_MEMALIGN, 1510, 0x7fff00000000ull, 64, 1, 1);
    tb_alloc(t, MTDB_FUNC_MALLOC, 1520, 0x30000, 24, 0, 1);
    tb_seal(t, 0);
    tb_begin(t, 1, 0, 2000, 0);
    for (unsigned i = 0; i < 40; i++)
        tb_alloc(t, MTDB_FUNC_MALLOC, 2000 + 10 * i, 0x40000 + 32 * i, 32, 1 + (i & 1), 1);
    tb_seal(t, 0);
    tb_pad(t);
}

static void tb_sample_chunk1(tb_t *t)
{
    static const uintptr_t f3[] = {0x403000};
    tb_begin(t, 2, 0, 3000, 0);
    tb_realloc(t, MTDB_FUNC_REALLOCARRAY, 3000, 0x30000, 3000, 0x30000, 48, 0, 5);
    tb_free_rec(t, MTDB_FREE_FUNC_REALLOCARRAY, 3010, 0x7fff00000000ull, 0, 0);
    tb_state(t, MTDB_STATE_EXEC, 3020, "/bin/sh", 0);
    tb_state(t, MTDB_STATE_FORKED, 3030, NULL, 5151);
    tb_seal(t, 0);
    tb_begin(t, 1, 0, 4000, 0);
    tb_counters(t, 100);
    tb_stack(t, f3, 1); /* thread 1's stack 3: its id depends on the blocks before */
    for (unsigned i = 0; i < 20; i++)
        tb_free_rec(t, MTDB_FREE_FUNC_FREE, 4000 + i, 0x40000 + 32 * i, 0, 0);
    tb_seal(t, 0);
    tb_begin(t, 3, MTDB_BLOCK_THREAD_FIRST, 5000, 0);
    tb_thread(t, 103, 4900, 0);
    tb_stack(t, f3, 1);
    tb_alloc(t, MTDB_FUNC_VALLOC, 5010, 0x50000, 4096, 1, 1);
    tb_seal(t, 0);
    tb_pad(t);
}

void tb_build_sample(tb_t *t, int last_open)
{
    tb_init(t, MTDB_FILE_KIND_STREAM, 4096, 8192);
    tb_sample_chunk0(t);
    tb_sample_chunk1(t);
    tb_begin(t, 0, 0, 6000, 0);
    tb_exit(t, MTDB_EXIT_ATEXIT, 6100, 3);
    tb_seal(t, 0);
    for (uint32_t th = 1; th <= 3; th++) {
        tb_begin(t, th, 0, 7000 + th, 0);
        tb_counters(t, 1000 * th);
        tb_seal(t, MTDB_BLOCK_THREAD_LAST);
    }
    tb_begin(t, 3, 0, 8000, 0);
    tb_mark(t, MTDB_MARK_POINT, 8001, "after");
    tb_alloc(t, MTDB_FUNC_MALLOC, 8002, 0x60000, 8, 1, 1);
    tb_alloc(t, MTDB_FUNC_MALLOC, 8003, 0x60020, 9, 1, 1);
    if (last_open) {
        tb_leave_open(t);
        return;
    }
    tb_seal(t, 0);
    /* Sealed images end with an event-less block, as a thread's exit leaves: whatever
     * damage hits the block before it, its events stay accountable. */
    tb_begin(t, 3, 0, 9000, 0);
    tb_counters(t, 9000);
    tb_seal(t, MTDB_BLOCK_THREAD_LAST);
}

static void tb_on_diag(void *ctx, const mtdb_diag_t *d)
{
    tb_read_t *out = ctx;
    if (!out->diags)
        snprintf(out->first_diag, sizeof out->first_diag, "%s", d->message);
    out->diags++;
    out->diag_lost += d->events_lost;
    out->diag_skipped += d->bytes_skipped;
    out->diag_kinds |= 1u << d->kind;
}

static void tb_check_record(const tb_t *t, const mtdb_record_t *rec, tb_read_t *out)
{
    const tb_rec_t *w = tb_find(t, rec->offset);
    if (!w) {
        out->unknown++;
        return;
    }
    if (!tb_same(w, rec))
        out->mismatches++;
    if (rec->type == MTDB_REC_STACK && !rec->stack_ids_uncertain && rec->stack_id != w->stack_id)
        out->stack_mismatches++;
}

void tb_read_image(const tb_t *t, const uint8_t *buf, size_t len, tb_read_t *out)
{
    memset(out, 0, sizeof *out);
    mtdb_reader_t *r;
    out->open_rc = mtdb_reader_open_mem(buf, len, "image.trace", &r, NULL, 0);
    if (out->open_rc != 0)
        return;
    mtdb_reader_set_diag(r, tb_on_diag, out);
    mtdb_record_t rec;
    while ((out->next_rc = mtdb_reader_next(r, &rec)) == 1) {
        out->records++;
        if (rec.type >= MTDB_REC_ALLOC && rec.type <= MTDB_REC_FAIL)
            out->heap_events++;
        tb_check_record(t, &rec, out);
    }
    out->stats = *mtdb_reader_stats(r);
    mtdb_reader_close(r);
}
