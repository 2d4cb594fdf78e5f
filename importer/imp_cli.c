/* imp_cli.c: `mtdb import` option parsing; dispatches to imp_import_run.
 * Usage errors go to stderr with exit 2, --help to stdout with exit 0. Does no work
 * of its own beyond deciding the options.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imp_import.h"
#include "mtdb_importer.h"

static const char imp_usage[] =
    "usage: mtdb import [options] [DIR]\n"
    "Reads the trace directory DIR (default mtdb-out) into an SQLite database.\n"
    "  -o, --output PATH  database to write (default trace.db)\n"
    "  -f, --force        replace PATH if it exists and is a regular file\n"
    "      --no-symbols   keep frames as module + offset, skip libdw\n"
    "  -j, --jobs N       threads: 2 (default) inserts while decoding, 1 does not\n"
    "  -v, --verbose      print where the time went\n"
    "  -q, --quiet        no progress, warnings or summary line\n"
    "  -h, --help         this text\n"
    "Exit status: 0 imported; 1 failed (no database written); 2 usage error;\n"
    "3 imported, but damaged parts of the trace were skipped, or module files could not\n"
    "be read for symbols (see import_problems).\n";

static const struct option imp_long_options[] = {
    {"output", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
    {"no-symbols", no_argument, NULL, 'S'},   {"jobs", required_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},      {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};

/* Returns -1 to go on, else an exit code. */
static int imp_parse_option(int c, imp_options_t *opt)
{
    switch (c) {
    case 'o':
        opt->output = optarg;
        return -1;
    case 'f':
        opt->force = 1;
        return -1;
    case 'S':
        opt->symbols = 0;
        return -1;
    case 'v':
        opt->verbose = 1;
        return -1;
    case 'j':
        opt->threads = atoi(optarg);
        if (opt->threads == 1 || opt->threads == 2)
            return -1;
        fprintf(stderr, "mtdb: error: --jobs takes 1 or 2\n");
        return MTDB_IMPORT_USAGE;
    case 'q':
        opt->quiet = 1;
        return -1;
    case 'h':
        fputs(imp_usage, stdout);
        return MTDB_IMPORT_OK;
    default:
        fputs(imp_usage, stderr);
        return MTDB_IMPORT_USAGE;
    }
}

int mtdb_cmd_import(int argc, char **argv)
{
    imp_options_t opt = {"mtdb-out", "trace.db", 0, 0, 0, 0, 1, 2};
    optind = 0;
    for (int c; (c = getopt_long(argc, argv, "o:fvqhj:", imp_long_options, NULL)) != -1;) {
        int rc = imp_parse_option(c, &opt);
        if (rc >= 0)
            return rc;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "mtdb: error: import takes one directory\n%s", imp_usage);
        return MTDB_IMPORT_USAGE;
    }
    if (optind < argc)
        opt.dir = argv[optind];
    if (!opt.output[0]) {
        fprintf(stderr, "mtdb: error: empty output path\n");
        return MTDB_IMPORT_USAGE;
    }
    opt.progress = !opt.quiet && isatty(STDERR_FILENO);
    return imp_import_run(&opt);
}
