/* rpt_pprof.c: the gzip'd profile.proto that `go tool pprof` reads, with the sample types
 * of a Go heap profile: alloc_objects, alloc_space, inuse_objects, inuse_space.
 *
 * Its own small protobuf encoder (varints and length-delimited fields; the field numbers
 * are those of github.com/google/pprof/proto/profile.proto) and zlib for the gzip. Values
 * are the per-stack totals the analysis views sum by user site (stack_totals: blocks,
 * bytes, and live_blocks, live_bytes at exit). Location ids are frame_ids. Writes only to the FILE* it is given.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rpt_report.h"

/* ---- protobuf encoding ------------------------------------------------------------ */

typedef struct pb_buf {
    uint8_t *data;
    size_t len, cap;
    int failed;
} pb_buf_t;

static void pb_bytes(pb_buf_t *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *data = realloc(b->data, cap);
        if (!data) {
            b->failed = 1;
            return;
        }
        b->data = data, b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void pb_varint(pb_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    pb_bytes(b, tmp, n);
}

enum { PB_VARINT = 0, PB_LEN = 2 };

static void pb_tag(pb_buf_t *b, unsigned field, unsigned wire)
{
    pb_varint(b, (uint64_t)field << 3 | wire);
}

static void pb_int(pb_buf_t *b, unsigned field, uint64_t v)
{
    if (!v) /* proto3: zero is the default and is not written */
        return;
    pb_tag(b, field, PB_VARINT);
    pb_varint(b, v);
}

/* A nested message or a packed field: its encoded bytes in sub, appended with length. */
static void pb_message(pb_buf_t *b, unsigned field, pb_buf_t *sub)
{
    pb_tag(b, field, PB_LEN);
    pb_varint(b, sub->len);
    pb_bytes(b, sub->data, sub->len);
    b->failed |= sub->failed;
    sub->len = 0;
}

static void pb_string(pb_buf_t *b, unsigned field, const char *s)
{
    size_t n = strlen(s);
    pb_tag(b, field, PB_LEN);
    pb_varint(b, n);
    pb_bytes(b, s, n);
}

/* ---- string table ----------------------------------------------------------------- */

typedef struct pp_strings {
    char **keys;
    uint32_t *ids;
    size_t cap, count;
    pb_buf_t *profile; /* each new string is appended as field 6 at once */
} pp_strings_t;

static uint64_t pp_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 1099511628211ull;
    return h;
}

static int pp_strings_grow(pp_strings_t *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    char **keys = calloc(cap, sizeof *keys);
    uint32_t *ids = calloc(cap, sizeof *ids);
    if (!keys || !ids)
        return free(keys), free(ids), RPT_E_NOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i])
            continue;
        size_t j = pp_hash(t->keys[i]) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = t->keys[i], ids[j] = t->ids[i];
    }
    free(t->keys), free(t->ids);
    t->keys = keys, t->ids = ids, t->cap = cap;
    return RPT_OK;
}

/* The string's index in string_table, adding it when new; -1 when out of memory. */
static int64_t pp_string(pp_strings_t *t, const char *s)
{
    if (t->count * 2 >= t->cap && pp_strings_grow(t) != RPT_OK)
        return -1;
    size_t j = pp_hash(s) & (t->cap - 1);
    while (t->keys[j]) {
        if (strcmp(t->keys[j], s) == 0)
            return t->ids[j];
        j = (j + 1) & (t->cap - 1);
    }
    if (!(t->keys[j] = strdup(s)))
        return -1;
    t->ids[j] = (uint32_t)t->count++;
    pb_string(t->profile, 6, s);
    return t->ids[j];
}

static void pp_strings_free(pp_strings_t *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->keys[i]);
    free(t->keys), free(t->ids);
}

/* ---- the profile ------------------------------------------------------------------ */

typedef struct pp_state {
    rpt_db_t *db;
    pb_buf_t profile, sub, line, discard;
    pp_strings_t strings, functions; /* functions: "name\tfile" -> index; id = index + 1 */
    long long no_stack_location;     /* a location id no frame has */
} pp_state_t;

static void pp_value_type(pp_state_t *p, unsigned field, const char *type, const char *unit)
{
    pb_int(&p->sub, 1, (uint64_t)pp_string(&p->strings, type));
    pb_int(&p->sub, 2, (uint64_t)pp_string(&p->strings, unit));
    pb_message(&p->profile, field, &p->sub);
}

/* The function id of (name, file), writing the Function message when new. */
static uint64_t pp_function(pp_state_t *p, const char *name, const char *file)
{
    char key[2048];
    snprintf(key, sizeof key, "%s\t%s", name, file);
    size_t before = p->functions.count;
    p->discard.len = 0;
    int64_t index = pp_string(&p->functions, key);
    if (index < 0)
        return p->profile.failed = 1, 0;
    uint64_t id = (uint64_t)index + 1;
    if (p->functions.count != before) {
        pb_int(&p->sub, 1, id);
        pb_int(&p->sub, 2, (uint64_t)pp_string(&p->strings, name));
        pb_int(&p->sub, 3, (uint64_t)pp_string(&p->strings, name));
        pb_int(&p->sub, 4, (uint64_t)pp_string(&p->strings, file));
        pb_message(&p->profile, 5, &p->sub);
    }
    return id;
}

/* Location messages: one per frame of a stack, a Line per inlined function (innermost
 * first). From the frames themselves: through stack_symbols, every stack was walked. */
static int pp_locations(pp_state_t *p)
{
    rpt_rows_t *rows;
    int rc = rpt_rows_open(p->db,
                           "SELECT f.frame_id, coalesce(y.inline_depth, 0), y.function, y.file, "
                           "y.line, m.path, f.module_offset FROM frames f "
                           "LEFT JOIN modules m ON m.module_id = f.module_id "
                           "LEFT JOIN symbols y ON y.frame_id = f.frame_id "
                           "WHERE f.frame_id IN (SELECT frame_id FROM stack_nodes) "
                           "ORDER BY f.frame_id, 2",
                           &rows);
    long long current = -1;
    pb_buf_t location = {0};
    char name[1024];
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        long long frame = rpt_rows_int(rows, 0);
        if (frame != current && current >= 0)
            pb_message(&p->profile, 4, &location);
        if (frame != current) {
            pb_int(&location, 1, (uint64_t)frame);
            pb_int(&location, 3, (uint64_t)rpt_rows_int(rows, 6));
            current = frame;
            p->no_stack_location = frame + 1;
        }
        const char *module = rpt_rows_text(rows, 5), *base = strrchr(module, '/');
        if (*rpt_rows_text(rows, 2))
            snprintf(name, sizeof name, "%s", rpt_rows_text(rows, 2));
        else
            snprintf(name, sizeof name, "%s+0x%llx", base ? base + 1 : module,
                     rpt_rows_int(rows, 6));
        pb_int(&p->line, 1, pp_function(p, name, rpt_rows_text(rows, 3)));
        pb_int(&p->line, 2, (uint64_t)rpt_rows_int(rows, 4));
        pb_message(&location, 4, &p->line);
        rc = RPT_OK;
    }
    if (current >= 0)
        pb_message(&p->profile, 4, &location);
    free(location.data);
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

static int pp_sample(pp_state_t *p, rpt_rows_t *samples, const rpt_stacks_t *stacks)
{
    static long long frames[4096];
    pb_buf_t packed = {0};
    if (rpt_rows_type(samples, 0) == RPT_NULL) {
        pb_varint(&packed, (uint64_t)p->no_stack_location);
    } else {
        int n = rpt_stacks_frames(stacks, rpt_rows_int(samples, 0), frames, 4096);
        for (int i = 0; i < n; i++)
            pb_varint(&packed, (uint64_t)frames[i]);
    }
    pb_message(&p->sub, 1, &packed);
    for (int i = 1; i <= 4; i++)
        pb_varint(&packed, (uint64_t)rpt_rows_int(samples, i));
    pb_message(&p->sub, 2, &packed);
    pb_message(&p->profile, 2, &p->sub);
    free(packed.data);
    return RPT_OK;
}

static int pp_samples(pp_state_t *p)
{
    rpt_rows_t *samples = NULL;
    rpt_stacks_t *stacks = NULL;
    int rc = rpt_stacks_open(p->db, &stacks);
    if (rc == RPT_OK)
        rc = rpt_rows_open(p->db,
                           "SELECT stack_id, sum(blocks), sum(bytes), sum(live_blocks), "
                           "sum(live_bytes) FROM stack_totals GROUP BY stack_id "
                           "ORDER BY stack_id",
                           &samples);
    int need_no_stack = 0;
    while (rc == RPT_OK && (rc = rpt_rows_next(samples)) == 1) {
        need_no_stack |= rpt_rows_type(samples, 0) == RPT_NULL;
        rc = pp_sample(p, samples, stacks);
    }
    rpt_rows_close(samples);
    rpt_stacks_close(stacks);
    if (rc == RPT_OK && need_no_stack) {
        uint64_t function = pp_function(p, "[no stack]", "");
        pb_int(&p->sub, 1, (uint64_t)p->no_stack_location);
        pb_int(&p->line, 1, function);
        pb_message(&p->sub, 4, &p->line);
        pb_message(&p->profile, 4, &p->sub);
    }
    return rc < 0 ? rc : RPT_OK;
}

static int pp_gzip(rpt_db_t *db, const pb_buf_t *b, FILE *out)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
        return rpt_db_fail(db, RPT_E_ZLIB, "deflateInit2 failed");
    uint8_t chunk[65536];
    z.next_in = b->data;
    z.avail_in = (uInt)b->len;
    int zrc;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        zrc = deflate(&z, Z_FINISH);
        fwrite(chunk, 1, sizeof chunk - z.avail_out, out);
    } while (zrc == Z_OK);
    deflateEnd(&z);
    return zrc == Z_STREAM_END ? RPT_OK : rpt_db_fail(db, RPT_E_ZLIB, "deflate failed");
}

int rpt_write_pprof(rpt_db_t *db, const rpt_options_t *opts, FILE *out)
{
    (void)opts;
    pp_state_t p = {.db = db, .no_stack_location = 1};
    p.strings.profile = &p.profile;
    p.functions.profile = &p.discard; /* the key strings are not profile strings */
    pp_string(&p.strings, "");
    pp_value_type(&p, 1, "alloc_objects", "count");
    pp_value_type(&p, 1, "alloc_space", "bytes");
    pp_value_type(&p, 1, "inuse_objects", "count");
    pp_value_type(&p, 1, "inuse_space", "bytes");
    pp_value_type(&p, 11, "space", "bytes");
    pb_int(&p.profile, 12, 1);
    int rc = pp_locations(&p);
    if (rc == RPT_OK)
        rc = pp_samples(&p);
    pb_int(&p.profile, 14, (uint64_t)pp_string(&p.strings, "inuse_space"));
    if (rc == RPT_OK && (p.profile.failed || p.strings.cap == 0))
        rc = rpt_db_fail(db, RPT_E_NOMEM, "out of memory building the profile");
    if (rc == RPT_OK)
        rc = pp_gzip(db, &p.profile, out);
    free(p.profile.data), free(p.sub.data), free(p.line.data), free(p.discard.data);
    pp_strings_free(&p.strings), pp_strings_free(&p.functions);
    return rc;
}
