/* cli_harness.h: runs `mtdb` (or any program) for the CLI tests and captures what it says.
 *
 * Each run gets its own stdout and stderr files in a scratch directory and a clean
 * environment change list, so a case asserts on exact text and exit status. Never used
 * by the product: tests only.
 */
#ifndef MTDB_CLI_HARNESS_H
#define MTDB_CLI_HARNESS_H

#include <stddef.h>

#define CLI_TEXT_MAX 65536

typedef struct cli_result {
    int status; /* exit status, or 128+N when killed by signal N */
    char out[CLI_TEXT_MAX];
    char err[CLI_TEXT_MAX];
} cli_result_t;

/* Runs argv (argv[0] a path) with the environment changes in env ("NAME=value" sets,
 * "NAME" unsets; NULL-terminated, may be NULL), in directory cwd (NULL: the current one). */
int cli_run(const char *const *argv, const char *const *env, const char *cwd, cli_result_t *res);

/* A new scratch directory under TMPDIR (or /tmp); path gets its name. */
int cli_make_scratch(char *path, size_t len);
/* Removes a directory tree. */
void cli_remove_tree(const char *path);
/* Reads a whole small file into buf (NUL-terminated); returns bytes or -1. */
long cli_read_file(const char *path, char *buf, size_t len);
/* Counts the files in dir whose name ends with suffix; -1 when dir cannot be read. */
int cli_count_files(const char *dir, const char *suffix);
/* The size of the largest file in dir ending in suffix (-1: unreadable); the number of
 * them whose size is not a multiple of 8 into *misaligned. */
long long cli_largest_file(const char *dir, const char *suffix, int *misaligned);
/* Finds the first file in dir ending with suffix; 0 and its full path in out, or -1. */
int cli_find_file(const char *dir, const char *suffix, char *out, size_t len);

#endif
