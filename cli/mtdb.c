/* mtdb.c: the `mtdb` command: a table of subcommands and nothing else.
 *
 * main only looks up argv[1] in the table and hands the rest of argv to the
 * subcommand. Subcommands that are not built into this binary (import, report before
 * their parts exist) are simply absent from the table. Must never do a subcommand's work.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "mtdb_format.h"

typedef struct cli_command {
    const char *name;
    cli_command_fn run;
    const char *help;
} cli_command_t;

static const cli_command_t cli_commands[] = {
    {"record", mtdb_cmd_record, "run a program under the heap recorder, writing a trace directory"},
    {"dump", mtdb_cmd_dump, "print the records or a summary of trace files"},
    {"pack", mtdb_cmd_pack, "pack the trace files of ended processes (mtdb record does it)"},
    {"import", mtdb_cmd_import, "check a trace directory and load it into an SQLite database"},
#ifdef MTDB_HAVE_REPORT
    {"report", mtdb_cmd_report, "answer the standard questions from an imported database"},
    {"check", mtdb_cmd_check, "exit 1 when a database breaks memory limits (for CI)"},
    {"diff", mtdb_cmd_diff, "what grew, shrank, appeared and vanished between two runs"},
    {"query", mtdb_cmd_query, "run a bundled query by name (--list names them)"},
#endif
};
#define CLI_COMMAND_COUNT (sizeof cli_commands / sizeof cli_commands[0])

static void print_usage(FILE *out)
{
    fprintf(out, "usage: mtdb <command> [options] [arguments]\n"
                 "       mtdb help <command> | --help | --version\n\n"
                 "Where did a multithreaded program's heap go, and which threads hand it to "
                 "each other?\n\ncommands:\n");
    for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
        fprintf(out, "  %-8s %s\n", cli_commands[i].name, cli_commands[i].help);
    fprintf(out, "\n'mtdb <command> --help' describes a command's options.\n");
}

static void print_version(void)
{
    printf("mtdb %s (trace format %d.%d)\n", MTDB_VERSION, MTDB_FORMAT_MAJOR, MTDB_FORMAT_MINOR);
}

static const cli_command_t *find_command(const char *name)
{
    for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    return NULL;
}

static int report_unknown(const char *name)
{
    fprintf(stderr, "mtdb: error: unknown command '%s'\n\n", name);
    print_usage(stderr);
    return CLI_EXIT_USAGE;
}

/* `mtdb help [command]`: the command's own --help, or the list of commands. */
static int run_help(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stdout);
        return CLI_EXIT_OK;
    }
    const cli_command_t *cmd = find_command(argv[1]);
    if (!cmd)
        return report_unknown(argv[1]);
    char *help_argv[] = {(char *)cmd->name, "--help", NULL};
    return cmd->run(2, help_argv);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return print_usage(stdout), CLI_EXIT_OK;
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
        return print_version(), CLI_EXIT_OK;
    if (strcmp(name, "help") == 0)
        return run_help(argc - 1, argv + 1);
    const cli_command_t *cmd = find_command(name);
    if (!cmd)
        return report_unknown(name);
    return cmd->run(argc - 1, argv + 1);
}
