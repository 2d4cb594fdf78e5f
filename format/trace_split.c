/* trace_split.c: the split form of a trace piece (trace_split.h).
 *
 * One walk of the record grammar serves both directions: splitting reads a block's
 * payload and appends each field's bytes to the field's stream; joining reads the
 * streams and appends the same bytes to the piece being rebuilt. Writing the grammar
 * once keeps the two from drifting apart. The control stream says, in piece order, what
 * comes next: a run of literal bytes, or a block whose first k records are split (the
 * rest of its payload is literal).
 *
 * Addresses are the one field the form looks into. A block freed is mostly one allocated
 * a little earlier, and an allocation mostly reuses a block freed a little earlier (the
 * allocator's free lists are last in, first out): both sides remember the last
 * SP_RING addresses allocated and freed, and an address found there is written as how
 * many addresses ago it was seen, a small number that compresses well, instead of its
 * delta. The delta is then written again on joining, so the split side uses the short
 * form only where the original delta's bytes are the canonical varint that joining
 * writes. The two sides apply the same rules to the same records in the same order, and
 * a record's effect on them is applied only once it has moved whole, so they agree.
 *
 * Joining trusts nothing it reads: every length is checked against what is left of its
 * stream and of the piece, so damaged content fails the piece instead of the reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtdb_format.h"
#include "trace_split.h"

/* The streams, in the order their bytes follow the form's header. */
enum sp_stream {
    SP_CTL,       /* varints: (n << 1) literal bytes, (k << 1 | 1) a block of k split records */
    SP_HDR,       /* block headers, 48 bytes each */
    SP_LIT,       /* bytes kept as they are */
    SP_TAG,       /* record tags */
    SP_TIME,      /* time deltas */
    SP_ADDR,      /* address deltas of allocations not found among recent frees */
    SP_ADDR_HIT,  /* per allocation: 0, or how many frees ago its address was freed */
    SP_FREE_ADDR, /* address deltas of frees not found among recent allocations */
    SP_FREE_HIT,  /* per free: 0, or how many allocations ago its address was allocated */
    SP_SIZE,      /* requested sizes */
    SP_STACKREF,  /* stack references and weights */
    SP_STACK,     /* stack depths and shared frame counts */
    SP_IP,        /* instruction pointer deltas */
    SP_MISC,      /* the fields of the other records split */
    SP_STREAMS
};

typedef struct sp_src {
    const uint8_t *b;
    size_t pos, end;
} sp_src_t;

typedef struct sp_buf {
    uint8_t *b;
    size_t n, cap;
} sp_buf_t;

/* The grammar's steps are inlined into a splitting and a joining copy of the walk, each
 * with its direction known at compile time. */
#define SP_INLINE static inline __attribute__((always_inline))

#define SP_RING 4096u  /* addresses remembered per side, a power of two */
#define SP_SLOTS 8192u /* the split side's lookup: address -> ordinal, direct-mapped */

/* The last SP_RING addresses allocated (or freed), by ordinal. */
typedef struct sp_ring {
    uint64_t addr[SP_RING];
    uint64_t n;          /* addresses added */
    uint64_t (*slot)[2]; /* split side only: SP_SLOTS (address, ordinal) */
} sp_ring_t;

static unsigned sp_slot(uint64_t addr)
{
    return (unsigned)((addr >> 4) * 0x9E3779B97F4A7C15ull >> 51) & (SP_SLOTS - 1);
}

/* How many addresses ago addr was added (1 = the last one), or 0 when not remembered. */
static uint64_t sp_ring_find(const sp_ring_t *r, uint64_t addr)
{
    unsigned i = sp_slot(addr);
    uint64_t ord = r->slot[i][1], k = r->n - ord;
    if (r->slot[i][0] != addr || !r->n || ord >= r->n || k > SP_RING ||
        r->addr[ord % SP_RING] != addr)
        return 0;
    return k;
}

static void sp_ring_add(sp_ring_t *r, uint64_t addr, int split)
{
    if (split) {
        unsigned i = sp_slot(addr);
        r->slot[i][0] = addr, r->slot[i][1] = r->n;
    }
    r->addr[r->n++ % SP_RING] = addr;
}

typedef struct sp {
    sp_src_t rec;            /* splitting: the payload being read */
    sp_buf_t s[SP_STREAMS];  /* splitting: the streams being written */
    sp_src_t in[SP_STREAMS]; /* joining: the streams being read */
    uint8_t *out;            /* joining: the piece being rebuilt, out_n bytes so far */
    size_t out_n, out_limit; /* joining: where the current payload (or piece) ends */
    int oom;
    sp_ring_t allocs, frees;
    uint64_t last_addr; /* as the writer's: the previous address in the block */
    /* what the record being moved does to the above, applied once it has moved whole */
    uint64_t rec_last_addr;
    struct sp_pending {
        sp_ring_t *ring;
        uint64_t addr;
    } pending[2];
    int npending;
} sp_t;

/* Most fields are a varint of one to three bytes: a call to memcpy costs more. */
SP_INLINE void sp_copy(uint8_t *to, const uint8_t *from, size_t n)
{
    if (n > 16) {
        memcpy(to, from, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        to[i] = from[i];
}

static int sp_put(sp_t *c, sp_buf_t *s, const uint8_t *p, size_t n)
{
    if (n > s->cap - s->n) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap - s->n < n)
            cap *= 2;
        uint8_t *b = realloc(s->b, cap);
        if (!b) {
            c->oom = 1;
            return -1;
        }
        s->b = b, s->cap = cap;
    }
    sp_copy(s->b + s->n, p, n);
    s->n += n;
    return 0;
}

static int sp_put_varint(sp_t *c, sp_buf_t *s, uint64_t v)
{
    uint8_t tmp[10];
    return sp_put(c, s, tmp, (size_t)(mtdb_put_varint(tmp, v) - tmp));
}

/* The varint at src's position, without moving: its length, or 0 when it does not end
 * within 10 bytes and the source. */
static size_t sp_peek_varint(const sp_src_t *src, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t n = 0; n < 10 && src->pos + n < src->end; n++) {
        uint8_t byte = src->b[src->pos + n];
        x |= (uint64_t)(byte & 0x7f) << (7 * n);
        if (!(byte & 0x80)) {
            *v = x;
            return n + 1;
        }
    }
    return 0;
}

/* Where a field of stream comes from: the payload when splitting, the stream when joining. */
SP_INLINE sp_src_t *sp_from(sp_t *c, const int join, int stream)
{
    return join ? &c->in[stream] : &c->rec;
}

/* Moves n bytes of a field of stream from where they come from to where they go. */
SP_INLINE int sp_move(sp_t *c, const int join, int stream, uint64_t n)
{
    sp_src_t *src = sp_from(c, join, stream);
    if (n > src->end - src->pos)
        return -1;
    const uint8_t *p = src->b + src->pos;
    if (join) {
        if (n > c->out_limit - c->out_n)
            return -1;
        sp_copy(c->out + c->out_n, p, (size_t)n);
        c->out_n += (size_t)n;
    } else if (sp_put(c, &c->s[stream], p, (size_t)n)) {
        return -1;
    }
    src->pos += (size_t)n;
    return 0;
}

/* Moves one varint field of stream; *v (when given) its value. */
SP_INLINE int sp_varint(sp_t *c, const int join, int stream, uint64_t *v)
{
    uint64_t x;
    size_t n = sp_peek_varint(sp_from(c, join, stream), &x);
    if (!n || sp_move(c, join, stream, n))
        return -1;
    if (v)
        *v = x;
    return 0;
}

/* Joining: writes the canonical varint of v into the piece. */
static int sp_write_varint(sp_t *c, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = (size_t)(mtdb_put_varint(tmp, v) - tmp);
    if (n > c->out_limit - c->out_n)
        return -1;
    memcpy(c->out + c->out_n, tmp, n);
    c->out_n += n;
    return 0;
}

/* Splitting: the short form of the address delta (value x, n bytes at the payload's
 * position) of an address found k addresses ago, when its bytes are canonical. */
static int sp_split_hit(sp_t *c, uint64_t x, size_t n, uint64_t k, int hit)
{
    uint8_t canon[10];
    if (!k || (size_t)(mtdb_put_varint(canon, x) - canon) != n ||
        memcmp(canon, c->rec.b + c->rec.pos, n) != 0)
        return sp_put_varint(c, &c->s[hit], 0) ? -1 : 1;
    c->rec.pos += n;
    return sp_put_varint(c, &c->s[hit], k);
}

/* Moves one address delta: an allocation's (freed != 0: a free's). */
SP_INLINE int sp_addr(sp_t *c, const int join, int freed)
{
    sp_ring_t *seen = freed ? &c->allocs : &c->frees;
    int hit = freed ? SP_FREE_HIT : SP_ADDR_HIT, raw = freed ? SP_FREE_ADDR : SP_ADDR;
    uint64_t addr, x;
    if (!join) {
        size_t n = sp_peek_varint(&c->rec, &x);
        if (!n)
            return -1;
        addr = c->rec_last_addr + (uint64_t)mtdb_unzigzag(x);
        int rc = sp_split_hit(c, x, n, sp_ring_find(seen, addr), hit);
        if (rc < 0 || (rc > 0 && sp_move(c, join, raw, n)))
            return -1;
    } else {
        uint64_t k;
        size_t n = sp_peek_varint(&c->in[hit], &k);
        if (!n || k > SP_RING || k > seen->n)
            return -1;
        c->in[hit].pos += n;
        if (k) {
            addr = seen->addr[(seen->n - k) % SP_RING];
            if (sp_write_varint(c, mtdb_zigzag((int64_t)(addr - c->rec_last_addr))))
                return -1;
        } else {
            if (sp_varint(c, join, raw, &x))
                return -1;
            addr = c->rec_last_addr + (uint64_t)mtdb_unzigzag(x);
        }
    }
    c->rec_last_addr = addr;
    c->pending[c->npending++] = (struct sp_pending){freed ? &c->frees : &c->allocs, addr};
    return 0;
}

SP_INLINE int sp_string(sp_t *c, const int join, int stream)
{
    uint64_t n;
    return sp_varint(c, join, stream, &n) || sp_move(c, join, stream, n) ? -1 : 0;
}

SP_INLINE int sp_stackref(sp_t *c, const int join)
{
    uint64_t ref;
    if (sp_varint(c, join, SP_STACKREF, &ref))
        return -1;
    return ref & 1 ? sp_varint(c, join, SP_STACKREF, NULL) : 0;
}

SP_INLINE int sp_stack(sp_t *c, const int join, unsigned sub)
{
    uint64_t depth, shared = 0;
    if (sub > MTDB_SUB_STACK_SHARED || sp_varint(c, join, SP_STACK, &depth) ||
        (sub == MTDB_SUB_STACK_SHARED && sp_varint(c, join, SP_STACK, &shared)) || shared > depth)
        return -1;
    for (uint64_t i = shared; i < depth; i++)
        if (sp_varint(c, join, SP_IP, NULL))
            return -1;
    return 0;
}

SP_INLINE int sp_counters(sp_t *c, const int join)
{
    uint64_t n;
    if (sp_varint(c, join, SP_MISC, &n) || n > MTDB_MAX_COUNTERS)
        return -1;
    for (uint64_t i = 0; i < n; i++)
        if (sp_varint(c, join, SP_MISC, NULL))
            return -1;
    return 0;
}

#define SP_V(stream) sp_varint(c, join, stream, NULL)

/* Moves the fields of one record after its tag. */
SP_INLINE int sp_fields(sp_t *c, const int join, uint8_t tag)
{
    unsigned sub = MTDB_TAG_SUB(tag);
    switch (MTDB_TAG_TYPE(tag)) {
    case MTDB_REC_ALLOC:
        return SP_V(SP_TIME) || sp_addr(c, join, 0) || SP_V(SP_SIZE) || sp_stackref(c, join) ? -1
                                                                                             : 0;
    case MTDB_REC_FREE:
        return SP_V(SP_TIME) || sp_addr(c, join, 1) ||
                       ((sub & MTDB_SUB_FREE_STACK) && sp_stackref(c, join))
                   ? -1
                   : 0;
    case MTDB_REC_REALLOC:
        return SP_V(SP_TIME) || sp_addr(c, join, 1) || SP_V(SP_TIME) || sp_addr(c, join, 0) ||
                       SP_V(SP_SIZE) || sp_stackref(c, join)
                   ? -1
                   : 0;
    case MTDB_REC_FAIL:
        return SP_V(SP_TIME) || SP_V(SP_SIZE) ? -1 : 0;
    case MTDB_REC_STACK:
        return sp_stack(c, join, sub);
    case MTDB_REC_THREAD:
        return SP_V(SP_MISC) || SP_V(SP_MISC) || SP_V(SP_MISC) ? -1 : 0;
    case MTDB_REC_NAME:
        return sp_string(c, join, SP_MISC);
    case MTDB_REC_COUNTERS:
        return sp_counters(c, join);
    case MTDB_REC_MARK:
        return SP_V(SP_TIME) || sp_string(c, join, SP_MISC) ? -1 : 0;
    default:
        return -1;
    }
}

/* Moves one record of the kinds the form splits: -1 for any other kind, or a record
 * that does not parse (its bytes then stay literal, and it changes nothing). */
SP_INLINE int sp_record(sp_t *c, const int join)
{
    sp_src_t *src = sp_from(c, join, SP_TAG);
    if (src->pos >= src->end)
        return -1;
    uint8_t tag = src->b[src->pos];
    c->rec_last_addr = c->last_addr, c->npending = 0;
    if (sp_move(c, join, SP_TAG, 1) || sp_fields(c, join, tag))
        return -1;
    c->last_addr = c->rec_last_addr;
    for (int i = 0; i < c->npending; i++)
        sp_ring_add(c->pending[i].ring, c->pending[i].addr, !join);
    return 0;
}

/* ---- splitting ---------------------------------------------------------------------- */

/* Literal bytes [from, to) of the piece, when there are any. */
static void sp_literal(sp_t *c, const uint8_t *piece, size_t from, size_t to)
{
    if (to > from) {
        sp_put_varint(c, &c->s[SP_CTL], (uint64_t)(to - from) << 1);
        sp_put(c, &c->s[SP_LIT], piece + from, to - from);
    }
}

/* The payload bytes of the block whose header is at pos, when one lies whole in the piece
 * there; else -1. */
static int64_t sp_block_payload(const uint8_t *piece, size_t len, size_t pos)
{
    if (len - pos < MTDB_BLOCK_HEADER_BYTES || mtdb_get_u32le(piece + pos) != MTDB_BLOCK_MAGIC)
        return -1;
    uint32_t payload = mtdb_get_u32le(piece + pos + 4);
    if (payload > MTDB_BLOCK_MAX_PAYLOAD || payload > len - pos - MTDB_BLOCK_HEADER_BYTES)
        return -1;
    return payload;
}

/* Splits the records of the block at pos (payload bytes after its header). */
static void sp_split_block(sp_t *c, const uint8_t *piece, size_t pos, size_t payload)
{
    sp_put(c, &c->s[SP_HDR], piece + pos, MTDB_BLOCK_HEADER_BYTES);
    size_t start = pos + MTDB_BLOCK_HEADER_BYTES;
    c->rec = (sp_src_t){piece, start, start + payload};
    c->last_addr = 0;
    uint64_t k = 0;
    for (;;) {
        size_t mark[SP_STREAMS], at = c->rec.pos;
        for (int i = 0; i < SP_STREAMS; i++)
            mark[i] = c->s[i].n;
        if (sp_record(c, 0)) {
            c->rec.pos = at;
            for (int i = 0; i < SP_STREAMS; i++)
                c->s[i].n = mark[i];
            break;
        }
        k++;
    }
    sp_put(c, &c->s[SP_LIT], piece + c->rec.pos, c->rec.end - c->rec.pos);
    sp_put_varint(c, &c->s[SP_CTL], k << 1 | 1);
}

static size_t sp_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >>= 7)
        n++;
    return n;
}

size_t mtdb_split_piece(const uint8_t *piece, size_t len, uint8_t *out)
{
    sp_t *c = calloc(1, sizeof *c);
    uint64_t(*slots)[2] = calloc(2 * SP_SLOTS, sizeof *slots);
    if (!c || !slots) {
        free(c), free(slots);
        return 0;
    }
    c->allocs.slot = slots, c->frees.slot = slots + SP_SLOTS;
    size_t lit_from = 0, pos = 0;
    while (pos < len) {
        int64_t payload = sp_block_payload(piece, len, pos);
        if (payload < 0) {
            pos += MTDB_BLOCK_ALIGN - pos % MTDB_BLOCK_ALIGN;
            continue;
        }
        sp_literal(c, piece, lit_from, pos);
        sp_split_block(c, piece, pos, (size_t)payload);
        lit_from = pos + MTDB_BLOCK_HEADER_BYTES + (size_t)payload;
        pos = (lit_from + MTDB_BLOCK_ALIGN - 1) / MTDB_BLOCK_ALIGN * MTDB_BLOCK_ALIGN;
    }
    sp_literal(c, piece, lit_from, len);
    size_t total = 1;
    for (int i = 0; i < SP_STREAMS; i++)
        total += sp_varint_len(c->s[i].n) + c->s[i].n;
    size_t wrote = 0;
    if (!c->oom && c->s[SP_HDR].n && total <= MTDB_SPLIT_BOUND(len)) {
        uint8_t *p = out;
        *p++ = MTDB_SPLIT_FORM_SPLIT;
        for (int i = 0; i < SP_STREAMS; i++)
            p = mtdb_put_varint(p, c->s[i].n);
        for (int i = 0; i < SP_STREAMS; i++)
            if (c->s[i].n)
                memcpy(p, c->s[i].b, c->s[i].n), p += c->s[i].n;
        wrote = (size_t)(p - out);
    } else if (!c->oom) {
        out[0] = MTDB_SPLIT_FORM_PLAIN;
        memcpy(out + 1, piece, len);
        wrote = len + 1;
    }
    for (int i = 0; i < SP_STREAMS; i++)
        free(c->s[i].b);
    free(c), free(slots);
    return wrote;
}

/* ---- joining ------------------------------------------------------------------------ */

/* Points c's streams at theirs in the split form at in: NULL, or what is wrong. */
static const char *sp_join_streams(sp_t *c, const uint8_t *in, size_t in_len)
{
    sp_src_t head = {in, 1, in_len};
    uint64_t lens[SP_STREAMS];
    for (int i = 0; i < SP_STREAMS; i++) {
        size_t n = sp_peek_varint(&head, &lens[i]);
        if (!n)
            return "its stream table is cut off";
        head.pos += n;
    }
    size_t at = head.pos;
    for (int i = 0; i < SP_STREAMS; i++) {
        if (lens[i] > in_len - at)
            return "its streams run past its end";
        c->in[i] = (sp_src_t){in, at, at + (size_t)lens[i]};
        at += (size_t)lens[i];
    }
    return at == in_len ? NULL : "it has bytes after its streams";
}

/* Rebuilds the len bytes of the piece into c->out from c's streams: NULL, or what is wrong. */
static const char *sp_join(sp_t *c, size_t len)
{
    sp_src_t *ctl = &c->in[SP_CTL];
    while (ctl->pos < ctl->end) {
        uint64_t op;
        size_t n = sp_peek_varint(ctl, &op);
        if (!n)
            return "its control stream is cut off";
        ctl->pos += n;
        c->out_limit = len;
        if (!(op & 1)) {
            if (sp_move(c, 1, SP_LIT, op >> 1))
                return "a literal run does not fit";
            continue;
        }
        size_t hdr = c->out_n;
        if (sp_move(c, 1, SP_HDR, MTDB_BLOCK_HEADER_BYTES))
            return "a block header does not fit";
        uint32_t payload = mtdb_get_u32le(c->out + hdr + 4);
        if (payload > len - c->out_n)
            return "a block runs past the piece";
        c->out_limit = c->out_n + payload;
        c->last_addr = 0;
        for (uint64_t i = 0; i < op >> 1; i++)
            if (sp_record(c, 1))
                return "a record does not rebuild";
        if (sp_move(c, 1, SP_LIT, c->out_limit - c->out_n))
            return "a block's rest does not fit";
    }
    if (c->out_n != len)
        return "it rebuilds to the wrong length";
    for (int i = 0; i < SP_STREAMS; i++)
        if (c->in[i].pos != c->in[i].end)
            return "it has stream bytes left over";
    return NULL;
}

int mtdb_join_piece(const uint8_t *in, size_t in_len, uint8_t *out, size_t len, char *why,
                    size_t why_len)
{
    const char *bad = NULL;
    sp_t *c = NULL;
    if (in_len < 1)
        bad = "it is empty";
    else if (in[0] == MTDB_SPLIT_FORM_PLAIN && in_len - 1 != len)
        bad = "its plain form has the wrong length";
    else if (in[0] == MTDB_SPLIT_FORM_PLAIN)
        memcpy(out, in + 1, len);
    else if (in[0] != MTDB_SPLIT_FORM_SPLIT)
        bad = "its form is unknown";
    else if (!(c = calloc(1, sizeof *c)))
        bad = "out of memory";
    else {
        c->out = out;
        bad = sp_join_streams(c, in, in_len);
        if (!bad)
            bad = sp_join(c, len);
    }
    free(c);
    if (bad)
        snprintf(why, why_len, "%s", bad);
    return bad ? -1 : 0;
}
