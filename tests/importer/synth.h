/* synth.h: a synthetic trace builder for the importer's tests, golden files and bench.
 *
 * Writes real trace files with the encoders of format/trace_writer.h: a file header,
 * 1 MiB chunks, blocks sealed (or left open for torn tails) on request. Records are
 * given absolute times and addresses; the builder keeps the delta state. Test-only:
 * aborts on misuse instead of returning errors.
 */
#ifndef SYNTH_H
#define SYNTH_H

#include <stdint.h>
#include <stdio.h>

#include "trace_writer.h"

#define SYNTH_CHUNK (1u << 20)
#define SYNTH_MAX_THREADS 1024

typedef struct synth {
    FILE *out;
    uint8_t *chunk; /* the chunk being filled */
    uint32_t used;  /* bytes of the chunk in use */
    uint8_t *blk;   /* open block header, or NULL */
    uint8_t *p;     /* next record byte */
    mtdb_enc_t enc;
    uint32_t events, thread;
    uint64_t seq[SYNTH_MAX_THREADS];
    uint64_t bytes;
} synth_t;

/* Creates path (kind MTDB_FILE_KIND_*). */
synth_t *synth_open(const char *path, uint32_t kind, uint32_t pid, uint64_t nonce, uint32_t stream,
                    uint64_t created_ns);
/* Writes the rest and closes; returns the file size. */
uint64_t synth_close(synth_t *s);

void synth_block_begin(synth_t *s, uint32_t thread, uint32_t flags, uint64_t base_ns);
/* seal = 0 leaves the block open (a process that died while writing). */
void synth_block_end(synth_t *s, int seal, uint32_t extra_flags);
/* Bytes left in the open block before it should be ended. */
uint32_t synth_block_room(const synth_t *s);
/* Skips n heap events in the thread's sequence (lost events). */
void synth_skip_events(synth_t *s, uint32_t thread, uint64_t n);

void synth_alloc(synth_t *s, unsigned func, uint64_t ts, uint64_t addr, uint64_t size,
                 uint64_t stack, uint64_t weight);
void synth_free(synth_t *s, unsigned free_func, uint64_t ts, uint64_t addr);
void synth_realloc(synth_t *s, unsigned func, uint64_t t0, uint64_t old_addr, uint64_t t1,
                   uint64_t new_addr, uint64_t size, uint64_t stack);
void synth_fail(synth_t *s, unsigned func, uint64_t ts, uint64_t size);
void synth_stack(synth_t *s, const uintptr_t *frames, unsigned depth);
/* The shared form (format 2): frames is the whole stack, its outer `shared` frames those
 * of the block's previous STACK record. */
void synth_stack_shared(synth_t *s, const uintptr_t *frames, unsigned depth, unsigned shared);
void synth_thread(synth_t *s, uint64_t tid, uint64_t start_ns, uint64_t flags);
void synth_name(synth_t *s, const char *name);
void synth_mark(synth_t *s, unsigned kind, uint64_t ts, const char *label);
void synth_state(synth_t *s, unsigned state, uint64_t ts, const char *path, uint64_t value);
void synth_counters(synth_t *s, const uint64_t counters[MTDB_COUNTER_COUNT]);
void synth_process(synth_t *s, uint32_t pid, uint32_t ppid, uint64_t parent_nonce, uint64_t mono_ns,
                   uint64_t wall_ns, const char *argv0, const char *exe);
void synth_module(synth_t *s, uint64_t base, uint64_t text_size, const char *path,
                  const char *build_id);
void synth_exit(synth_t *s, unsigned how, uint64_t ts, uint64_t status);

/* Writes a conventional process file for pid/nonce into dir: PROCESS, MODULES (no
 * module), and EXIT at exit_ns (0: none). Returns 0. */
int synth_proc_file(const char *dir, uint32_t pid, uint64_t nonce, uint32_t ppid,
                    uint64_t parent_nonce, uint64_t start_ns, uint64_t exit_ns);
/* dir/mtdb-<pid>-<nonce>-<stream>.trace or .proc (stream < 0) into buf. */
void synth_path(char *buf, size_t len, const char *dir, uint32_t pid, uint64_t nonce, int stream);

#endif
