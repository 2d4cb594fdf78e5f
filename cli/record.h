/* record.h: the parts of `mtdb record` (cmd_record.c) and what they share: the error
 * codes, the options, the trace names seen before and after the run.
 *
 * record_options.c parses and explains the options; record_program.c checks the program
 * (LD_PRELOAD must reach it: the ELF scan); record_traces.c prepares the trace directory
 * and tells the new files from the old; record_run.c finds the recorder library, sets the
 * environment and runs the program; after the run, record_trim.c gives back unused
 * reserved space and record_pack.c packs the files (both also serve `mtdb pack`,
 * cmd_pack.c). Only cmd_record.c turns a code into an exit status.
 */
#ifndef MTDB_RECORD_H
#define MTDB_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli_exit.h"
#include "mtdb_settings.h"

/* X(name, code, exit status, what went wrong). Functions return the code; the record
 * command exits with the status. */
#define RECORD_ERRORS(X)                                                                           \
    X(RECORD_OK, 0, CLI_EXIT_OK, "ok")                                                             \
    X(RECORD_EUSAGE, -1, CLI_EXIT_USAGE, "usage error")                                            \
    X(RECORD_ENOLIB, -2, CLI_EXIT_FAILURE, "recorder library not found")                           \
    X(RECORD_EOUTDIR, -3, CLI_EXIT_FAILURE, "output directory unusable")                           \
    X(RECORD_ENOPROG, -4, 127, "program not found")                                                \
    X(RECORD_EPRELOAD, -5, CLI_EXIT_FAILURE, "LD_PRELOAD cannot reach the program")                \
    X(RECORD_ESYS, -6, CLI_EXIT_FAILURE, "system call failed")                                     \
    X(RECORD_EEXEC, -7, 126, "program could not be executed")
enum record_error {
#define RECORD_ERR_ENUM(name, code, status, msg) name = code,
    RECORD_ERRORS(RECORD_ERR_ENUM)
#undef RECORD_ERR_ENUM
};

#define RECORD_OPT_SETTING 256     /* getopt value of setting i is RECORD_OPT_SETTING + i */
#define RECORD_OPT_NO_COMPRESS 200 /* --no-compress: below every setting's value */

typedef struct record_options {
    const char *values[MTDB_SET_COUNT]; /* given on the command line, or NULL */
    int quiet;
    int help;
    int force;       /* -f: remove an earlier trace in the output directory first */
    int no_compress; /* --no-compress: leave the trace files unpacked */
    char **prog_argv;
} record_options_t;

/* Names in a trace directory before the run, to tell the new files from old ones. */
typedef struct record_names {
    char **names;
    size_t count;
} record_names_t;

typedef struct record_outcome {
    size_t processes; /* new process files */
    int root_traced;  /* a new file of the launched pid exists */
} record_outcome_t;

/* ---- record_options.c ---- */

/* "mtdb: error: ..." and a newline on stderr. */
void record_print_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void record_print_help(void);
/* Fills o from the command line; RECORD_EUSAGE (said on stderr) when it is wrong. */
int record_parse_options(int argc, char **argv, record_options_t *o);
/* MTDB_* variables already in the environment must be valid: the recorder would read them. */
int record_check_inherited_settings(const record_options_t *o);

/* ---- record_program.c ---- */

/* The program's path as execvp would find it, into out. */
int record_resolve_program(const char *name, char *out, size_t len);
/* RECORD_OK when LD_PRELOAD reaches the program (not static, not set-uid); warns of an
 * allocator linked into it, whose blocks the recorder cannot see. */
int record_check_program(const char *path);

/* ---- record_traces.c ---- */

/* Creates dir (and its parents) if needed, checks it is ours and writable; its absolute
 * path into abs. */
int record_prepare_output_dir(const char *dir, char *abs, size_t len);
/* The trace file names in dir, sorted. */
int record_list_trace_names(const char *dir, record_names_t *set);
void record_free_names(record_names_t *set);
/* 1 when the process that wrote the trace file `name` (mtdb-<pid>-...) has ended: no
 * process of that pid exists. A file whose process may still run (it may write into its
 * mapped file) must not be cut or replaced: trimming and packing ask this first. */
int record_writer_ended(const char *name);
/* 1 when name is in set (sorted by record_list_trace_names). */
int record_names_contain(const record_names_t *set, const char *name);
/* What the run added: new process files, and whether the launched pid left one. */
void record_count_new_traces(const record_names_t *before, const record_names_t *after, pid_t pid,
                             record_outcome_t *out);
/* Warns when the launched program ran long without a heap call the recorder saw. */
void record_warn_quiet_root(const char *dir, pid_t pid, const char *prog, double ran_s);

/* ---- record_trim.c ---- */

/* Gives back the reserved space the run's files never used (zero tails cut, zero pages
 * made holes), in the files of processes that have ended; the bytes cut. */
uint64_t record_trim_traces(const char *dir, const record_names_t *before,
                            const record_names_t *after);

/* ---- record_pack.c ---- */

typedef struct record_pack_totals {
    size_t packed, already, running, failed;
    uint64_t raw_bytes, packed_bytes; /* of the files packed now */
    double seconds;
} record_pack_totals_t;

/* Replaces the files in after but not in before whose process has ended by their packed
 * form at zstd `level` (format/trace_pack.h; files already packed are left alone); a file
 * that cannot be packed stays as it is, said on stderr. Fills t; RECORD_OK, or
 * RECORD_ESYS when a file failed. */
int record_pack_traces(const char *dir, const record_names_t *before, const record_names_t *after,
                       int level, record_pack_totals_t *t);

/* ---- record_run.c ---- */

/* The recorder library's path into out: MTDB_LIBRARY, or next to the mtdb executable. */
int record_find_library(char *out, size_t len);
/* The MTDB_* variables of the options and LD_PRELOAD of lib. */
int record_export_settings(const record_options_t *o, const char *abs_output, const char *lib);
/* Runs argv to its end, forwarding signals; its pid and wait status. */
int record_run_program(char **argv, pid_t *pid_out, int *status);
/* The exit status mtdb passes on for the program's wait status. */
int record_pass_status(const char *prog, int status);

#endif
