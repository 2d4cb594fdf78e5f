/* trace_tally.h: decodes a whole trace directory into exact per-image tallies.
 *
 * The recorder tests run victims that allocate blocks of "marker" sizes and print their
 * own counts; this follows those blocks by address across threads (ALLOC -> REALLOC ->
 * FREE, ordered by time) and counts what the trace says, so a test compares numbers.
 * Tests only: it allocates freely and never touches the trace files it reads.
 */
#ifndef TT_TRACE_TALLY_H
#define TT_TRACE_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "mtdb_format.h"

#define TT_FUNCS 16
#define TT_LABEL_MAX 64

/* One thread of one image, by its thread number. */
typedef struct tt_thread {
    uint32_t number;
    int thread_records; /* THREAD records naming this number (1 when all is well) */
    uint64_t tid, flags;
    uint64_t allocs, frees, reallocs, fails; /* all records of the kind, decode order */
    uint64_t marked_allocs, marked_frees;    /* marked blocks made / ended by this thread */
    uint64_t counters[MTDB_COUNTER_COUNT];   /* largest value seen (they are cumulative) */
} tt_thread_t;

/* A MARK record with the thread's record counts at that point. */
typedef struct tt_mark {
    uint32_t thread;
    unsigned kind;
    char label[TT_LABEL_MAX];
    uint64_t allocs, frees, reallocs, fails;
} tt_mark_t;

/* What happened to blocks of one marker size (index: size - mark_lo). */
typedef struct tt_size_stat {
    uint64_t allocs;         /* ALLOC or REALLOC records making a block of this size */
    uint64_t with_stack;     /* of those, records with a stack id */
    uint64_t weight_stacked; /* sum of weights of the records with a stack */
    uint64_t weight_all;     /* sum of weights of all of them */
    uint64_t frees;          /* FREE records (or reallocs) ending a block of this size */
    uint64_t frees_with_stack;
    uint64_t live; /* blocks still live at the end of the trace */
} tt_size_stat_t;

typedef struct tt_event tt_event_t;

/* One recorded process image: (pid, nonce). */
typedef struct tt_image {
    uint32_t pid;
    uint64_t nonce;
    uint64_t created_ns; /* the process file's creation time */
    int proc_files, stream_files;
    int process_records;
    uint64_t ppid, parent_nonce;
    char exe[256];
    char arg1[64]; /* argv[1] from the PROCESS record, "" when none */
    int exit_records;
    unsigned exit_how;
    uint64_t exit_status;
    uint64_t states[8]; /* STATE records by value */
    /* marked blocks, replayed in time order */
    uint64_t alloc_by_func[TT_FUNCS];   /* ALLOC records of a marker size, by function */
    uint64_t realloc_by_func[TT_FUNCS]; /* REALLOC records touching a marked block */
    uint64_t free_by_func[8];           /* FREE records ending a marked block, MTDB_FREE_FUNC_* */
    uint64_t fail_by_func[TT_FUNCS];    /* every FAIL record */
    uint64_t fail_sizes[TT_FUNCS];      /* the last FAIL size per function */
    uint64_t zero_mallocs;              /* malloc ALLOC records of size 0 */
    uint64_t realloc_moved;             /* marked reallocs whose address changed */
    uint64_t cross_thread_frees;        /* ended by another thread than the one that made it */
    uint64_t unmatched_frees;           /* FREE of no known block (any size) */
    uint64_t lost_frees;                /* an allocation landed on a live marked block */
    uint64_t live_marked;               /* marked blocks live at the end */
    uint64_t heap_events;
    /* modules: MODULES records naming the needle, by file kind */
    int needle_in_proc, needle_in_stream;
    tt_thread_t *threads; /* indexed by thread number; [0] is process level */
    uint32_t nthreads;
    int duplicate_threads; /* THREAD records reusing a thread number */
    tt_mark_t *marks;
    size_t nmarks;
    tt_size_stat_t *sizes; /* mark_hi - mark_lo entries */
    tt_event_t *events;    /* heap events kept for the replay */
    size_t nevents, events_cap;
    uint64_t counters[MTDB_COUNTER_COUNT]; /* per-thread counters summed, plus process level */
} tt_image_t;

typedef struct tt_tally {
    tt_image_t *images; /* sorted by creation time */
    size_t nimages;
    int files, foreign_files, unreadable_files, misnamed_files;
    uint64_t diags[8]; /* by MTDB_DIAG_* */
    uint64_t diag_total, diag_events_lost;
    uint64_t torn_tail_bytes_max;
    char first_diag[256];
    char first_error[256];
    uint64_t mark_lo, mark_hi;
} tt_tally_t;

typedef struct tt_opts {
    uint64_t mark_lo, mark_hi; /* marker sizes: [lo, hi) */
    const char *module_needle; /* substring of a module path to look for, or NULL */
} tt_opts_t;

/* Decodes every file of dir. Returns 0, or -1 when dir cannot be read (first_error). */
int tt_decode_dir(const char *dir, const tt_opts_t *opts, tt_tally_t *out);
void tt_tally_free(tt_tally_t *t);

/* The nth image (by creation time) with this pid, or NULL. */
tt_image_t *tt_image_by_pid(tt_tally_t *t, uint32_t pid, int nth);
/* The image with this pid whose argv[1] is arg1, or NULL. */
tt_image_t *tt_image_by_arg(tt_tally_t *t, uint32_t pid, const char *arg1);
/* Thread of an image by kernel tid (the last one with it), or NULL. */
tt_thread_t *tt_thread_by_tid(tt_image_t *im, uint64_t tid);
/* The first mark with this label (and kind, or any kind when kind < 0), or NULL. */
const tt_mark_t *tt_find_mark(const tt_image_t *im, const char *label, int kind);
/* Sums of the marked tallies over functions. */
uint64_t tt_marked_allocs(const tt_image_t *im);
uint64_t tt_marked_frees(const tt_image_t *im);
/* Number of trace (stream) files in dir, or -1. */
int tt_count_files(const char *dir, const char *suffix);

#endif
