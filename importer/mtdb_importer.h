/* mtdb_importer.h: the importer library's public API: a trace directory in, an SQLite
 * database out (docs/schema.md describes the database).
 *
 * The library never prints, never exits and installs no signal handler: it returns 0 or
 * a negative code of imp_error.h (with a sentence in result->message), and tells its
 * caller what it meets on the way through one callback. `mtdb import` (cli/cmd_import.c)
 * is one caller; a report or a test may be another.
 *
 * The import is atomic: the database is written to "<output>.tmp-<pid>" beside the
 * output and appears under its name only when complete; on failure nothing is left.
 * One import at a time per process (mtdb_import_interrupt has no handle to name it).
 */
#ifndef MTDB_IMPORTER_H
#define MTDB_IMPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "imp_error.h"

enum mtdb_import_event_kind {
    /* Damage skipped or a finding about a program: one import_problems row each. The
     * import goes on; the caller may want to say so (`mtdb import` exits 3). */
    MTDB_IMPORT_EV_PROBLEM,
    /* A process is being decoded: sent about every million events, and once with
     * done = 1 when it is finished. */
    MTDB_IMPORT_EV_PROGRESS,
    /* Worth telling a person, not a problem: a temporary file of a killed import of the
     * same output was removed. */
    MTDB_IMPORT_EV_NOTICE,
    /* Detail for a verbose log: a module without symbols, where the time went. */
    MTDB_IMPORT_EV_DETAIL,
};

typedef struct mtdb_import_event {
    enum mtdb_import_event_kind kind;
    const char *text; /* one line for a person: no "mtdb: " prefix, no newline */
    /* MTDB_IMPORT_EV_PROBLEM: the import_problems row (docs/schema.md) */
    const char *problem_kind; /* "bad_block", "missing_module", ... */
    const char *file;         /* NULL: about a whole process */
    uint64_t offset;          /* in file */
    int64_t process_id;       /* 0: none; also set for MTDB_IMPORT_EV_PROGRESS */
    uint32_t thread;          /* thread number in the trace, 0: none */
    uint64_t bytes_skipped, events_lost;
    /* MTDB_IMPORT_EV_PROGRESS */
    uint32_t processes; /* process images in the directory */
    uint64_t events;    /* events decoded so far, all processes */
    int done;           /* 1: process_id is finished */
} mtdb_import_event_t;

/* Called on the importing thread; the event and its strings live for the call only. */
typedef void (*mtdb_import_event_fn)(void *ctx, const mtdb_import_event_t *event);

typedef struct mtdb_import_options {
    const char *dir;    /* the trace directory */
    const char *output; /* the database to create */
    int force;          /* 1: replace output if it exists and is a regular file */
    int symbols;        /* 1: symbolize frames with libdw; 0: keep module + offset */
    int threads;        /* 2: SQLite inserts on a second thread while decoding; 1: not */
    int spool;          /* 1: keep each block's facts in an unnamed file beside output (56 bytes a
                           block while the import runs) for the per-block derivation; 0: read
                           them back from the database (slower) */
    const char *const *rules; /* "KIND=PATTERN" each (mtdb_import_rule_check): site_rules
                                 rows added to the defaults before the sites are derived */
    int nrules;
    mtdb_import_event_fn on_event; /* may be NULL */
    void *event_ctx;
} mtdb_import_options_t;

typedef struct mtdb_import_result {
    uint32_t processes;
    uint64_t threads, events, blocks;
    uint64_t problems; /* import_problems rows: damage skipped, findings */
    /* seconds: decoding, pairing, symbolizing, inserting, post-load schema, in all; and
     * two parts of index_s: each stack's site and functions (sql/55-derive.sql), the
     * totals of the blocks (sql/56-derive-blocks.sql) */
    double parse_s, pair_s, symbolize_s, insert_s, index_s, total_s;
    double sites_s, blocks_s;
    char message[512]; /* on failure: why, one sentence; "" when the code says it all */
} mtdb_import_result_t;

/* The defaults of `mtdb import`: dir MTDB_DEFAULT_DIR (mtdb_format.h), output "trace.db", symbols
 * on, two threads, no callback. */
void mtdb_import_options_init(mtdb_import_options_t *opt);

/* 0 when rule is a site rule `mtdb import --rule` takes (KIND=PATTERN, KIND one of
 * runtime_module, allocator, std_code, library_file, PATTERN a GLOB: docs/analyses.md);
 * else IMP_EUSAGE with msg saying why and what is valid. */
int mtdb_import_rule_check(const char *rule, char *msg, size_t msg_len);

/* Imports opt->dir into opt->output. Returns 0 (result filled) or a negative IMP_E*
 * code (result->message says why; imp_strerror names the code). IMP_EINTR: stopped by
 * mtdb_import_interrupt. */
int mtdb_import(const mtdb_import_options_t *opt, mtdb_import_result_t *result);

/* Async-signal-safe: makes the running import stop soon with IMP_EINTR, removing its
 * temporary file. For the caller's SIGINT/SIGTERM handler. */
void mtdb_import_interrupt(void);

#endif
