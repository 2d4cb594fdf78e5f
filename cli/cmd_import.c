/* cmd_import.c: `mtdb import`: options, messages and exit status around the importer
 * library (importer/mtdb_importer.h).
 *
 * Usage errors go to stderr with exit 2, --help to stdout with exit 0; the library's
 * events become warnings, progress and notes on stderr; SIGINT/SIGTERM stop the import
 * (nothing is written). Does no importing of its own.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "mtdb_format.h" /* MTDB_DEFAULT_DIR */
#include "mtdb_importer.h"

static const char imp_usage[] =
    "usage: mtdb import [options] [DIR]\n"
    "Reads the trace directory DIR (default " MTDB_DEFAULT_DIR ") into an SQLite database.\n"
    "  -o, --output PATH  database to write (default trace.db)\n"
    "  -f, --force        replace PATH if it exists and is a regular file\n"
    "      --no-symbols   keep frames as module + offset, skip libdw\n"
    "      --rule KIND=PATTERN  add a site rule before the sites are derived (repeat\n"
    "                     it): allocator=my_alloc names the callers of your own\n"
    "                     allocation wrapper as the sites; KIND is runtime_module,\n"
    "                     allocator, std_code or library_file (docs/analyses.md)\n"
    "  -j, --jobs N       threads: 2 (default) inserts while decoding, 1 does not\n"
    "      --no-spool     read the blocks back from the database to derive the\n"
    "                     analyses' tables, instead of keeping 56 bytes a block in an\n"
    "                     unnamed file beside PATH while the import runs (slower)\n"
    "  -v, --verbose      print where the time went\n"
    "  -q, --quiet        no progress, warnings or summary line\n"
    "  -h, --help         this text\n"
    "Exit status: 0 imported; 1 failed (no database written); 2 usage error;\n"
    "3 imported, but damaged parts of the trace were skipped, or module files could not\n"
    "be read for symbols (see import_problems).\n";

static const struct option imp_long_options[] = {{"output", required_argument, NULL, 'o'},
                                                 {"force", no_argument, NULL, 'f'},
                                                 {"no-symbols", no_argument, NULL, 'S'},
                                                 {"jobs", required_argument, NULL, 'j'},
                                                 {"verbose", no_argument, NULL, 'v'},
                                                 {"quiet", no_argument, NULL, 'q'},
                                                 {"no-spool", no_argument, NULL, 'P'},
                                                 {"rule", required_argument, NULL, 'R'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};

/* What the user asked to see. */
typedef struct cmd_import_view {
    int verbose, quiet, progress;
} cmd_import_view_t;

/* Returns -1 to go on, else an exit status. rules: room for every argument's --rule. */
static int imp_parse_option(int c, mtdb_import_options_t *opt, cmd_import_view_t *view,
                            const char **rules)
{
    char msg[512];
    switch (c) {
    case 'R':
        if (mtdb_import_rule_check(optarg, msg, sizeof msg)) {
            fprintf(stderr, "mtdb: error: %s\n", msg);
            return CLI_EXIT_USAGE;
        }
        rules[opt->nrules++] = optarg;
        opt->rules = rules;
        return -1;
    case 'o':
        opt->output = optarg;
        return -1;
    case 'f':
        opt->force = 1;
        return -1;
    case 'S':
        opt->symbols = 0;
        return -1;
    case 'P':
        opt->spool = 0;
        return -1;
    case 'v':
        view->verbose = 1;
        return -1;
    case 'j':
        opt->threads = atoi(optarg);
        if (opt->threads == 1 || opt->threads == 2)
            return -1;
        fprintf(stderr, "mtdb: error: --jobs takes 1 or 2\n");
        return CLI_EXIT_USAGE;
    case 'q':
        view->quiet = 1;
        return -1;
    case 'h':
        fputs(imp_usage, stdout);
        return CLI_EXIT_OK;
    default:
        fputs(imp_usage, stderr);
        return CLI_EXIT_USAGE;
    }
}

/* Returns -1 to go on, else an exit status. */
static int imp_parse(int argc, char **argv, mtdb_import_options_t *opt, cmd_import_view_t *view,
                     const char **rules)
{
    optind = 0;
    for (int c; (c = getopt_long(argc, argv, "o:fvqhj:", imp_long_options, NULL)) != -1;) {
        int rc = imp_parse_option(c, opt, view, rules);
        if (rc >= 0)
            return rc;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "mtdb: error: import takes one directory\n%s", imp_usage);
        return CLI_EXIT_USAGE;
    }
    if (optind < argc)
        opt->dir = argv[optind];
    if (!opt->output[0]) {
        fprintf(stderr, "mtdb: error: empty output path\n");
        return CLI_EXIT_USAGE;
    }
    view->progress = !view->quiet && isatty(STDERR_FILENO);
    return -1;
}

static void imp_on_event(void *ctx, const mtdb_import_event_t *ev)
{
    const cmd_import_view_t *view = ctx;
    switch (ev->kind) {
    case MTDB_IMPORT_EV_PROBLEM:
        if (!view->quiet)
            fprintf(stderr, "mtdb: warning: %s\n", ev->text);
        break;
    case MTDB_IMPORT_EV_PROGRESS:
        if (view->progress && ev->done)
            fputs("\r\033[K", stderr);
        else if (view->progress)
            fprintf(stderr, "\rmtdb: %s", ev->text);
        break;
    case MTDB_IMPORT_EV_NOTICE:
        if (!view->quiet)
            fprintf(stderr, "mtdb: %s\n", ev->text);
        break;
    case MTDB_IMPORT_EV_DETAIL:
        if (view->verbose)
            fprintf(stderr, "mtdb: note: %s\n", ev->text);
        break;
    }
}

static void imp_print_summary(const mtdb_import_result_t *r, const cmd_import_view_t *view)
{
    if (view->verbose)
        fprintf(stderr,
                "mtdb: time: parse %.3f s, pair %.3f s, symbolize %.3f s, insert %.3f s, "
                "index %.3f s (sites %.3f s, block totals %.3f s)\n",
                r->parse_s, r->pair_s, r->symbolize_s, r->insert_s, r->index_s, r->sites_s,
                r->blocks_s);
    if (view->quiet)
        return;
    fprintf(stderr,
            "imported %u processes, %llu threads, %llu events, %llu blocks, %llu warnings "
            "in %.2f s (%.0f events/s)\n",
            r->processes, (unsigned long long)r->threads, (unsigned long long)r->events,
            (unsigned long long)r->blocks, (unsigned long long)r->problems, r->total_s,
            r->total_s > 0 ? r->events / r->total_s : 0.0);
}

static void imp_on_signal(int sig)
{
    (void)sig;
    mtdb_import_interrupt();
}

/* install 1: SIGINT and SIGTERM stop the import; 0: the old handlers are back. */
static void imp_signals(struct sigaction *old_int, struct sigaction *old_term, int install)
{
    if (!install) {
        sigaction(SIGINT, old_int, NULL);
        sigaction(SIGTERM, old_term, NULL);
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = imp_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

int mtdb_cmd_import(int argc, char **argv)
{
    mtdb_import_options_t opt;
    mtdb_import_options_init(&opt);
    cmd_import_view_t view = {0};
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    if (!rules) {
        fprintf(stderr, "mtdb: error: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    int status = imp_parse(argc, argv, &opt, &view, rules);
    if (status >= 0) {
        free(rules);
        return status;
    }
    opt.on_event = imp_on_event, opt.event_ctx = &view;
    struct sigaction old_int, old_term;
    imp_signals(&old_int, &old_term, 1);
    mtdb_import_result_t res;
    int rc = mtdb_import(&opt, &res);
    imp_signals(&old_int, &old_term, 0);
    free(rules);
    if (rc)
        fprintf(stderr, "mtdb: error: import failed: %s\n",
                res.message[0] ? res.message : imp_strerror(rc));
    else
        imp_print_summary(&res, &view);
    return cli_exit_status(rc, res.problems > 0);
}
