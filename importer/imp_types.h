/* imp_types.h: the importer's in-memory state, shared by its modules: the run, its
 * processes and their threads. Types only: every function is declared in the header of
 * the module that defines it, so including this header never ties a file to another
 * module's code.
 *
 * imp_run_t lives for one import; imp_pctx_t for the import of one process
 * (its files merged by time). Memory held per process is proportional to its threads,
 * live blocks and distinct addresses, never to the number of events.
 */
#ifndef IMP_TYPES_H
#define IMP_TYPES_H

#include <stdint.h>

#include "imp_db.h"
#include "imp_hashmap.h"
#include "imp_modmap.h"
#include "imp_spool.h"
#include "imp_store.h"
#include "imp_timeline.h"
#include "mtdb_importer.h"
#include "trace_reader.h"


typedef struct imp_times {
    double parse, pair, symbolize, insert, index, total;
    double sites, blocks; /* parts of index: per-stack sites, per-block totals */
} imp_times_t;

typedef struct imp_file {
    char *path;
    uint32_t kind, stream;
    uint64_t created_ns;
} imp_file_t;

typedef struct imp_stats {
    uint64_t events, alloc_calls, free_calls, realloc_calls, failed_calls;
    uint64_t unmatched_frees, double_frees, bytes_allocated;
    uint64_t live_blocks, live_bytes, peak_live_bytes, peak_ns;
    uint64_t first_ns, last_ns;
} imp_stats_t;

typedef struct imp_proc {
    int64_t process_id;
    uint32_t pid;
    uint64_t nonce;
    imp_file_t *files;
    uint32_t nfiles;
    uint64_t created_ns;
    int have_info, have_exit;
    uint64_t ppid, parent_nonce, mono_ns, wall_ns, clock_cost_ns;
    char *command, *exe, *recorder_version, *unwinder, *settings, *exec_path;
    uint64_t exec_ns, exit_ns, exit_how, exit_status;
    int64_t parent_process_id;
    const char *started_by;
    imp_stats_t stats;
    uint64_t counters[MTDB_COUNTER_COUNT];
    uint32_t counter_count;
} imp_proc_t;

typedef struct imp_run {
    const mtdb_import_options_t *opt;
    imp_db_t *db;
    imp_proc_t *procs;
    uint32_t nprocs, nprocs_done;
    imp_store_t store;
    imp_spool_t spool; /* every block's facts, for the per-block derivation */
    imp_timeline_t timeline; /* its events, gathered from the spool once it is complete */
    int timeline_started;
    int64_t next_thread_id, next_block_id;
    uint64_t events, blocks, threads, warnings;
    imp_times_t times;
    struct imp_symbols *symbols; /* the lookups, from imp_symbolize_start to _write */
    struct imp_module_alloc *module_allocs; /* per module id: its allocator check, once */
    uint32_t nmodule_allocs;
    volatile int *interrupted;
    char *msg; /* why the import failed, for mtdb_import_result_t.message */
    size_t msg_len;
} imp_run_t;

typedef struct imp_thread {
    uint32_t number;
    int64_t thread_id;
    uint64_t tid, flags, start_ns, end_ns;
    char *name;
    int ended_cleanly, seen_thread_record;
    const char *file;
    int64_t *stacks; /* local stack id - 1 -> global stack id */
    uint64_t nstacks, capstacks;
    imp_stack_path_t stack_path; /* its previous stack's path in the tree */
    uint64_t counters[MTDB_COUNTER_COUNT];
    uint32_t counter_count;
    uint64_t alloc_calls, bytes_allocated, free_calls, bytes_freed, cross_frees;
    int64_t realloc_prev; /* block the first half of its pending REALLOC ended */
    uint64_t gap_events;  /* events the reader found missing from its sequence */
} imp_thread_t;

/* A block alive in the pairing map. */
typedef struct imp_live {
    uint64_t address, size, alloc_ns, weight;
    int64_t thread_id, stack_id, prev_block_id;
    uint8_t func;
} imp_live_t;

typedef struct imp_pctx {
    imp_run_t *run;
    imp_proc_t *proc;
    imp_thread_t **threads;
    uint32_t nthreads, capthreads;
    imp_hashmap_t thread_by_number; /* number + 1 -> index + 1 */
    imp_hashmap_t by_address;       /* address -> live index + 1, or IMP_FREED | block_id */
    imp_live_t *live;
    uint64_t nlive, caplive;
    uint64_t *free_slots;
    uint64_t nfree_slots, capfree_slots;
    imp_modmap_t modmap;
    uint32_t *frame_buf;
    uint32_t capframe_buf;
    /* The frame of recent stack addresses under the module map of generation gen: the
     * same return addresses come back in stack after stack (direct-mapped, made on the
     * first stack). */
    struct imp_ip_frame {
        uint64_t ip;
        uint32_t frame_id, gen;
    } *ip_frames;
    const char *cur_file;
    uint64_t cur_offset; /* file offset of the record being applied */
    int rc;              /* sticky error of the reader's diagnostics callback */
    /* Loss: once events of this process are known lost (the recorder dropped some, or
     * the reader skipped damage), a free without a block or an allocation over a live
     * block may be the partner of a lost event: it is counted, not reported as an
     * unmatched free, a double free or a lost free. */
    int loss_seen;
    uint64_t loss_ns;            /* merge time when it was first seen */
    uint64_t unknown_frees;      /* frees of no known block after the loss */
    uint64_t frees_lost_in_gaps; /* live blocks allocated over after the loss */
} imp_pctx_t;

#define IMP_FREED (1ULL << 63)

#endif
