/* cli_exit.h: the exit statuses of every mtdb subcommand, and the one map from a part's
 * result to them (README.md "Exit statuses", docs/troubleshooting.md).
 *
 * Every part's functions return 0 or a negative code of its own X-macro error list
 * (imp_error.h, trace_reader.h, report/rpt.h); any such code is a failure here. Damage
 * is not an error: a command that skipped damaged parts of a trace did its work, and
 * says so with its own status. Never renumber: scripts and CI jobs compare them.
 */
#ifndef MTDB_CLI_EXIT_H
#define MTDB_CLI_EXIT_H

#define CLI_EXIT_LIST(X)                                                                           \
    X(CLI_EXIT_OK, 0, "success")                                                                   \
    X(CLI_EXIT_FAILURE, 1, "runtime error: nothing written (check: a limit is broken)")            \
    X(CLI_EXIT_USAGE, 2, "usage error: unknown option or command, bad argument")                   \
    X(CLI_EXIT_DAMAGED, 3, "done, but damaged parts of the trace were skipped")

enum cli_exit {
#define CLI_EXIT_ENUM(name, num, meaning) name = num,
    CLI_EXIT_LIST(CLI_EXIT_ENUM)
#undef CLI_EXIT_ENUM
};

/* The status of a command whose work returned rc (0 or a negative error code of any
 * part) and skipped `damaged` damaged parts of its input. */
static inline int cli_exit_status(int rc, int damaged)
{
    return rc < 0 ? CLI_EXIT_FAILURE : damaged ? CLI_EXIT_DAMAGED : CLI_EXIT_OK;
}

#endif
