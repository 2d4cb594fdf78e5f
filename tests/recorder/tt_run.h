/* tt_run.h: runs a victim program under the recorder and captures what it says.
 *
 * Each run gets a scratch directory (trace dir, stdout, stderr), a clean environment
 * (inherited MTDB_* removed, LD_PRELOAD set), optional resource limits, and a wall
 * clock limit: a hang is killed and reported, never waited on. Tests only.
 */
#ifndef TT_RUN_H
#define TT_RUN_H

#include <stddef.h>
#include <sys/types.h>

#define TT_ENV_MAX 16

typedef struct tt_spec {
    const char *const *argv;     /* argv[0] is the program's path; NULL-terminated */
    const char *preload;         /* library for LD_PRELOAD, or NULL */
    const char *trace_dir;       /* MTDB_OUTPUT, or NULL to leave it unset */
    const char *env[TT_ENV_MAX]; /* extra "NAME=value" entries, NULL-terminated */
    long fsize_limit;            /* RLIMIT_FSIZE in bytes for the program, 0: none */
    int timeout_ms;              /* 0: 60 s */
} tt_spec_t;

typedef struct tt_result {
    pid_t pid;
    int exited, exit_code, signaled, signal, timed_out;
    char *out, *err; /* whole stdout and stderr, NUL-terminated (owned) */
    size_t out_len, err_len;
} tt_result_t;

typedef struct tt_child {
    pid_t pid;
    char out_path[4096], err_path[4096];
} tt_child_t;

/* A fresh scratch directory; path receives its name. Returns 0 or -1. */
int tt_scratch(char *path, size_t len);
void tt_remove_tree(const char *path);

/* Starts spec's program with stdout/stderr going to files in scratch. */
int tt_start(const tt_spec_t *spec, const char *scratch, tt_child_t *child);
/* Waits up to timeout_ms (killing it with SIGKILL when it runs over), reads outputs. */
int tt_wait(tt_child_t *child, int timeout_ms, tt_result_t *res);
/* tt_start then tt_wait. */
int tt_run(const tt_spec_t *spec, const char *scratch, tt_result_t *res);
void tt_result_free(tt_result_t *res);

/* The value of the output line "key value", or TT_MISSING. */
#define TT_MISSING (-999999999LL)
long long tt_value(const tt_result_t *res, const char *key);
/* Lines of text (a trailing line without newline counts). */
int tt_count_lines(const char *text);
/* Lines of text starting with prefix. */
int tt_count_prefixed(const char *text, const char *prefix);

#endif
