/* mtdb_importer.h: the importer's entry point for the mtdb command line.
 *
 * `mtdb import [options] DIR` reads a trace directory into an SQLite database.
 * Exit codes: 0 imported, 1 import failed (nothing written), 2 usage error,
 * 3 imported, but damage was found and skipped (see import_problems).
 */
#ifndef MTDB_IMPORTER_H
#define MTDB_IMPORTER_H

#define MTDB_IMPORT_OK 0
#define MTDB_IMPORT_FAILED 1
#define MTDB_IMPORT_USAGE 2
#define MTDB_IMPORT_DAMAGED 3

/* argv[0] is "import". Returns one of the exit codes above. */
int mtdb_cmd_import(int argc, char **argv);

#endif
