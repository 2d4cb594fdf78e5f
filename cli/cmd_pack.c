/* cmd_pack.c: `mtdb pack [-q] [--level N] DIR`, what `mtdb record` does after the run, for a trace
 * directory recorded with plain LD_PRELOAD.
 *
 * Every trace file of DIR whose process has ended is trimmed (record_trim.c) and packed
 * (record_pack.c); files of processes still running are left as they are, files
 * already packed are skipped, so packing twice changes nothing. Each file is replaced
 * atomically. Exit 0, 1 when a file could not be packed (it stays readable), 2 on
 * usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "record.h"
#include "trace_pack.h"

static void pack_print_help(void)
{
    printf("usage: mtdb pack [-q] [--level N] DIR\n\n"
           "Packs the trace files in DIR (zstd; every mtdb command reads them as before),\n"
           "as mtdb record does after the run: for traces recorded with LD_PRELOAD by\n"
           "hand. Files of a process still running are left as they are; files already\n"
           "packed are skipped. Each file is replaced atomically (a temporary file beside\n"
           "it, renamed over it).\n\n"
           "options:\n"
           "  -l, --level N\n        zstd level, 1..19 (default %d, as mtdb record; higher\n"
           "        packs smaller and slower)\n"
           "  -q, --quiet\n        no summary line at the end\n"
           "  -h, --help\n        this text\n",
           MTDB_PACK_LEVEL_DEFAULT);
}

static int pack_parse_level(const char *text, int *level)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text && !*end && v >= 1 && v <= 19) {
        *level = (int)v;
        return 0;
    }
    record_print_error("--level: '%s' is not valid: expected an integer in 1..19", text);
    return CLI_EXIT_USAGE;
}

static int pack_parse(int argc, char **argv, int *quiet, int *level, const char **dir)
{
    static const struct option longopts[] = {{"quiet", no_argument, NULL, 'q'},
                                             {"level", required_argument, NULL, 'l'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    for (int c, rc; (c = getopt_long(argc, argv, ":ql:h", longopts, NULL)) != -1;) {
        if (c == 'h')
            return pack_print_help(), 1;
        if (c == 'l' && (rc = pack_parse_level(optarg, level)) != 0)
            return rc;
        if (c == ':' || c == '?') {
            record_print_error("%s '%s' (see 'mtdb pack --help')",
                               c == ':' ? "a value is needed after" : "unknown option",
                               argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
        *quiet |= c == 'q';
    }
    if (optind != argc - 1) {
        record_print_error("mtdb pack takes one trace directory (usage: mtdb pack [-q] DIR)");
        return CLI_EXIT_USAGE;
    }
    *dir = argv[optind];
    return 0;
}

static void pack_summary(const char *dir, const record_pack_totals_t *t)
{
    fprintf(stderr, "mtdb: packed %zu file(s) of %s", t->packed, dir);
    if (t->packed)
        fprintf(stderr, ": %llu -> %llu bytes in %.2f s", (unsigned long long)t->raw_bytes,
                (unsigned long long)t->packed_bytes, t->seconds);
    if (t->already)
        fprintf(stderr, "; %zu already packed", t->already);
    if (t->running)
        fprintf(stderr, "; %zu left as they are (process still running)", t->running);
    if (t->failed)
        fprintf(stderr, "; %zu could not be packed", t->failed);
    fputc('\n', stderr);
}

int mtdb_cmd_pack(int argc, char **argv)
{
    int quiet = 0, level = MTDB_PACK_LEVEL_DEFAULT;
    const char *dir = NULL;
    int rc = pack_parse(argc, argv, &quiet, &level, &dir);
    if (rc)
        return rc == 1 ? CLI_EXIT_OK : rc;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        record_print_error("%s is not a directory", dir);
        return CLI_EXIT_FAILURE;
    }
    record_names_t none = {0}, names = {0};
    if (record_list_trace_names(dir, &names) != RECORD_OK)
        return CLI_EXIT_FAILURE;
    record_trim_traces(dir, &none, &names);
    record_pack_totals_t t;
    rc = record_pack_traces(dir, &none, &names, level, &t);
    if (!quiet)
        pack_summary(dir, &t);
    record_free_names(&names);
    return rc == RECORD_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
