/* synth.c: the synthetic trace builder of synth.h (tests, golden files, bench).
 * Uses only the format's encoders; never writes a byte layout of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "synth.h"

#define SYNTH_BLOCK_MAX (32u * 1024)

static void synth_die(const char *what)
{
    fprintf(stderr, "synth: %s\n", what);
    abort();
}

synth_t *synth_open(const char *path, uint32_t kind, uint32_t pid, uint64_t nonce, uint32_t stream,
                    uint64_t created_ns)
{
    synth_t *s = calloc(1, sizeof *s);
    if (!s || !(s->chunk = calloc(1, SYNTH_CHUNK)) || !(s->out = fopen(path, "wb")))
        synth_die("cannot create file");
    mtdb_file_params_t fp = {kind, pid, nonce, stream, SYNTH_CHUNK, SYNTH_CHUNK, created_ns};
    mtdb_file_header_build(s->chunk, &fp);
    s->used = MTDB_FILE_HEADER_BYTES;
    return s;
}

/* Pads the current chunk and writes it out. */
static void synth_next_chunk(synth_t *s)
{
    if (s->used + MTDB_BLOCK_HEADER_BYTES <= SYNTH_CHUNK)
        mtdb_block_pad(s->chunk + s->used, 0);
    if (fwrite(s->chunk, 1, SYNTH_CHUNK, s->out) != SYNTH_CHUNK)
        synth_die("write failed");
    s->bytes += SYNTH_CHUNK;
    memset(s->chunk, 0, SYNTH_CHUNK);
    s->used = 0;
}

uint64_t synth_close(synth_t *s)
{
    if (s->blk)
        synth_die("block still open at close");
    if (fwrite(s->chunk, 1, s->used, s->out) != s->used)
        synth_die("write failed");
    uint64_t size = s->bytes + s->used;
    fclose(s->out);
    free(s->chunk);
    free(s);
    return size;
}

void synth_block_begin(synth_t *s, uint32_t thread, uint32_t flags, uint64_t base_ns)
{
    if (thread >= SYNTH_MAX_THREADS)
        synth_die("thread number too large");
    if (s->used + MTDB_BLOCK_HEADER_BYTES + SYNTH_BLOCK_MAX > SYNTH_CHUNK)
        synth_next_chunk(s);
    s->blk = s->chunk + s->used;
    mtdb_block_open(s->blk, thread, flags, s->seq[thread], base_ns);
    mtdb_enc_reset(&s->enc, base_ns);
    s->p = s->blk + MTDB_BLOCK_HEADER_BYTES;
    s->events = 0;
    s->thread = thread;
}

void synth_block_end(synth_t *s, int seal, uint32_t extra_flags)
{
    uint32_t payload = (uint32_t)(s->p - s->blk - MTDB_BLOCK_HEADER_BYTES);
    if (seal)
        mtdb_block_seal(s->blk, payload, s->events, extra_flags);
    else
        mtdb_block_commit(s->blk, payload);
    s->used += mtdb_block_span(payload);
    s->blk = NULL;
}

uint32_t synth_block_room(const synth_t *s)
{
    return SYNTH_BLOCK_MAX - (uint32_t)(s->p - s->blk - MTDB_BLOCK_HEADER_BYTES);
}

void synth_skip_events(synth_t *s, uint32_t thread, uint64_t n)
{
    s->seq[thread] += n;
}

static void synth_event(synth_t *s)
{
    if (!s->blk)
        synth_die("record outside a block");
    s->events++;
    s->seq[s->thread]++;
}

void synth_alloc(synth_t *s, unsigned func, uint64_t ts, uint64_t addr, uint64_t size,
                 uint64_t stack, uint64_t weight)
{
    synth_event(s);
    s->p = mtdb_enc_alloc(s->p, &s->enc, func, ts, addr, size, stack, weight);
}

void synth_free(synth_t *s, unsigned free_func, uint64_t ts, uint64_t addr)
{
    synth_event(s);
    s->p = mtdb_enc_free(s->p, &s->enc, free_func, ts, addr, 0, 0);
}

void synth_realloc(synth_t *s, unsigned func, uint64_t t0, uint64_t old_addr, uint64_t t1,
                   uint64_t new_addr, uint64_t size, uint64_t stack)
{
    synth_event(s);
    s->p = mtdb_enc_realloc(s->p, &s->enc, func, t0, old_addr, t1, new_addr, size, stack, 1);
}

void synth_fail(synth_t *s, unsigned func, uint64_t ts, uint64_t size)
{
    synth_event(s);
    s->p = mtdb_enc_fail(s->p, &s->enc, func, ts, size);
}

void synth_stack(synth_t *s, const uintptr_t *frames, unsigned depth)
{
    s->p = mtdb_enc_stack(s->p, frames, depth);
}

void synth_stack_shared(synth_t *s, const uintptr_t *frames, unsigned depth, unsigned shared)
{
    s->p = mtdb_enc_stack_shared(s->p, frames, depth, shared);
}

void synth_thread(synth_t *s, uint64_t tid, uint64_t start_ns, uint64_t flags)
{
    s->p = mtdb_enc_thread(s->p, tid, start_ns, (uint32_t)flags);
}

void synth_name(synth_t *s, const char *name)
{
    s->p = mtdb_enc_name(s->p, name, strlen(name));
}

void synth_mark(synth_t *s, unsigned kind, uint64_t ts, const char *label)
{
    s->p = mtdb_enc_mark(s->p, &s->enc, kind, ts, label, strlen(label));
}

void synth_state(synth_t *s, unsigned state, uint64_t ts, const char *path, uint64_t value)
{
    s->p = mtdb_enc_state(s->p, &s->enc, state, ts);
    if (state == MTDB_STATE_EXEC)
        s->p = mtdb_enc_string(s->p, path, strlen(path));
    if (state == MTDB_STATE_FORKED)
        s->p = mtdb_put_varint(s->p, value);
}

void synth_counters(synth_t *s, const uint64_t counters[MTDB_COUNTER_COUNT])
{
    s->p = mtdb_enc_counters(s->p, counters);
}

static void synth_str(synth_t *s, const char *str)
{
    s->p = mtdb_enc_string(s->p, str, strlen(str));
}

void synth_process(synth_t *s, uint32_t pid, uint32_t ppid, uint64_t parent_nonce, uint64_t mono_ns,
                   uint64_t wall_ns, const char *argv0, const char *exe)
{
    const mtdb_proc_facts_t facts = {pid, ppid, parent_nonce, mono_ns, wall_ns, 25, 2};
    s->p = mtdb_enc_process_head(s->p, &facts);
    synth_str(s, argv0);
    synth_str(s, "--test");
    synth_str(s, exe);
    synth_str(s, "0.1.0");
    synth_str(s, "synthetic");
    synth_str(s, "MTDB_PRESET=precise");
}

void synth_module(synth_t *s, uint64_t base, uint64_t text_size, const char *path,
                  const char *build_id)
{
    s->p = mtdb_enc_modules_head(s->p, path ? 1 : 0);
    if (!path)
        return;
    const char *id = build_id ? build_id : "";
    s->p = mtdb_enc_module(s->p, base, text_size, path, strlen(path), id, strlen(id));
}

void synth_exit(synth_t *s, unsigned how, uint64_t ts, uint64_t status)
{
    s->p = mtdb_enc_exit(s->p, &s->enc, how, ts, status);
}

void synth_path(char *buf, size_t len, const char *dir, uint32_t pid, uint64_t nonce, int stream)
{
    if (stream < 0)
        snprintf(buf, len, "%s/mtdb-%u-%016llx.proc", dir, pid, (unsigned long long)nonce);
    else
        snprintf(buf, len, "%s/mtdb-%u-%016llx-%04d.trace", dir, pid, (unsigned long long)nonce,
                 stream);
}

int synth_proc_file(const char *dir, uint32_t pid, uint64_t nonce, uint32_t ppid,
                    uint64_t parent_nonce, uint64_t start_ns, uint64_t exit_ns)
{
    char path[512];
    synth_path(path, sizeof path, dir, pid, nonce, -1);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_PROCESS, pid, nonce, 0, start_ns);
    synth_block_begin(s, 0, 0, start_ns);
    synth_process(s, pid, ppid, parent_nonce, start_ns, 1700000000000000000ULL + start_ns, "prog",
                  "/usr/bin/prog");
    synth_module(s, 0, 0, NULL, NULL);
    synth_block_end(s, 1, 0);
    if (exit_ns) {
        synth_block_begin(s, 0, 0, exit_ns);
        synth_exit(s, MTDB_EXIT_ATEXIT, exit_ns, 0);
        synth_block_end(s, 1, 0);
    }
    synth_close(s);
    return 0;
}
