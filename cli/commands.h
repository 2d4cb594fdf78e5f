/* commands.h: the contract between `mtdb` (cli/mtdb.c) and its subcommands.
 *
 * Each subcommand is one function that gets argv with argv[0] = the subcommand's name
 * (so getopt_long starts at optind 1) and returns the process exit status of
 * cli_exit.h, or the recorded program's status (record). A subcommand prints its own
 * messages ("mtdb: error: ..."); it must never call exit().
 */
#ifndef MTDB_CLI_COMMANDS_H
#define MTDB_CLI_COMMANDS_H

#include "cli_exit.h"

typedef int (*cli_command_fn)(int argc, char **argv);

int mtdb_cmd_record(int argc, char **argv); /* cli/cmd_record.c */
int mtdb_cmd_dump(int argc, char **argv);   /* cli/cmd_dump.c */
int mtdb_cmd_pack(int argc, char **argv);   /* cli/cmd_pack.c */
int mtdb_cmd_import(int argc, char **argv); /* cli/cmd_import.c, library mtdb_importer */
int mtdb_cmd_report(int argc, char **argv); /* cli/cmd_report.c, MTDB_HAVE_REPORT */
int mtdb_cmd_check(int argc, char **argv);  /* cli/cmd_report.c, MTDB_HAVE_REPORT */
int mtdb_cmd_diff(int argc, char **argv);   /* cli/cmd_report.c, MTDB_HAVE_REPORT */
int mtdb_cmd_query(int argc, char **argv);  /* cli/cmd_report.c, MTDB_HAVE_REPORT */

#endif
