/* record_options.c: `mtdb record`'s options and help (record.h). Every option is a setting
 * of format/mtdb_settings.h, validated by mtdb_setting_parse() and nothing else.
 * Parses only: never touches the environment, the file system or the program.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "mtdb_allocators.h"
#include "mtdb_names.h"
#include "mtdb_settings.h"
#include "record.h"

/* ---- messages -------------------------------------------------------------------------- */

void record_print_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mtdb: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void describe_expected(const mtdb_setting_desc_t *d, char *buf, size_t len)
{
    if (d->kind == 'i')
        snprintf(buf, len, "expected an integer in %lld..%lld", d->min, d->max);
    else if (d->kind == 'c')
        snprintf(buf, len, "expected one of %s", d->choices);
    else
        snprintf(buf, len, "expected a non-empty value");
}

/* The default as the user writes it: a number, a choice word, or the output dir. */
static void describe_default(const mtdb_setting_desc_t *d, char *buf, size_t len)
{
    if (d->kind == 'i') {
        snprintf(buf, len, "%lld", d->def);
        return;
    }
    if (d->kind == 's') {
        snprintf(buf, len, "%s", d == &mtdb_setting_descs[MTDB_SET_OUTPUT] ? MTDB_DEFAULT_DIR : "");
        return;
    }
    const char *c = d->choices;
    for (long long i = 0; i < d->def && c; i++)
        c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL;
    size_t n = c ? strcspn(c, "|") : 0;
    snprintf(buf, len, "%.*s", (int)n, c ? c : "");
}

/* Prints text wrapped at 78 columns, each line indented by indent spaces. */
static void print_wrapped(const char *text, int indent)
{
    const int width = 78 - indent;
    while (*text) {
        int n = (int)strlen(text);
        if (n > width) {
            n = width;
            while (n > 0 && text[n] != ' ')
                n--;
            if (n == 0)
                n = width;
        }
        printf("%*s%.*s\n", indent, "", n, text);
        text += n;
        text += strspn(text, " ");
    }
}

static const char *name_value(const mtdb_setting_desc_t *d)
{
    return d->kind == 'i' ? "N" : d->kind == 'c' ? "WORD" : "DIR";
}

static void print_setting_help(const mtdb_setting_desc_t *d)
{
    char expected[128], def[64], line[512];
    describe_expected(d, expected, sizeof expected);
    describe_default(d, def, sizeof def);
    printf("  %s--%s %s\n", d == &mtdb_setting_descs[MTDB_SET_OUTPUT] ? "-o, " : "", d->option,
           name_value(d));
    snprintf(line, sizeof line, "%s [%s; default %s; env %s]", d->doc,
             expected + strlen("expected "), def, d->env);
    print_wrapped(line, 8);
}

void record_print_help(void)
{
    printf("usage: mtdb record [options] [--] PROG [ARGS...]\n\n"
           "Runs PROG with the heap recorder (libmtrec.so) preloaded and writes its trace\n"
           "into a directory. Exits with PROG's exit status (128+N when killed by signal N).\n"
           "Each option sets its MTDB_* variable for PROG; inherited MTDB_* variables pass\n"
           "through (checked first), except MTDB_OUTPUT and MTDB_ROOT_PID, set here.\n\n"
           "options:\n"
           "  -f, --force\n        remove the trace files of an earlier run from the output\n"
           "        directory first (without it, a directory holding a trace is refused)\n"
           "  --no-compress\n"
           "        leave the trace files as the recorder wrote them; by default,\n"
           "        once the program has ended, the files of ended processes are packed\n"
           "        (zstd, about 6 times smaller; every mtdb command reads them as before)\n"
           "  -q, --quiet\n        no summary line at the end\n"
           "  -h, --help\n        this text\n");
    for (int i = 0; i < MTDB_SET_COUNT; i++)
        print_setting_help(&mtdb_setting_descs[i]);
    printf("\nMTDB_LIBRARY=PATH overrides where libmtrec.so is looked for.\n");
}

/* ---- options --------------------------------------------------------------------------- */

static void build_long_options(struct option *opts)
{
    int n = 0;
    for (int i = 0; i < MTDB_SET_COUNT; i++)
        opts[n++] = (struct option){mtdb_setting_descs[i].option, required_argument, NULL,
                                    RECORD_OPT_SETTING + i};
    opts[n++] = (struct option){"force", no_argument, NULL, 'f'};
    opts[n++] = (struct option){"no-compress", no_argument, NULL, RECORD_OPT_NO_COMPRESS};
    opts[n++] = (struct option){"quiet", no_argument, NULL, 'q'};
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    opts[n] = (struct option){NULL, 0, NULL, 0};
}

static int check_setting(int id, const char *text, const char *origin)
{
    long long value = 0;
    if (mtdb_setting_parse(id, text, &value) == 0)
        return RECORD_OK;
    char expected[128];
    describe_expected(&mtdb_setting_descs[id], expected, sizeof expected);
    record_print_error("%s: '%s' is not valid: %s", origin, text ? text : "", expected);
    return RECORD_EUSAGE;
}

static int take_setting(record_options_t *o, int id, const char *text)
{
    char origin[64];
    snprintf(origin, sizeof origin, "--%s", mtdb_setting_descs[id].option);
    o->values[id] = text;
    return check_setting(id, text, origin);
}

static int report_bad_option(int c, char **argv)
{
    const char *given = argv[optind - 1];
    if (c == ':')
        record_print_error("%s needs a value", given);
    else if (optopt > 0 && optopt < 128) /* a short option; long ones have values above */
        record_print_error("unknown option '-%c'", optopt);
    else
        record_print_error("unknown option '%s'", given);
    fprintf(stderr, "(see 'mtdb record --help')\n");
    return RECORD_EUSAGE;
}

int record_parse_options(int argc, char **argv, record_options_t *o)
{
    struct option longopts[MTDB_SET_COUNT + 5];
    build_long_options(longopts);
    optind = 1;
    opterr = 0;
    int c, rc = RECORD_OK;
    while (rc == RECORD_OK && (c = getopt_long(argc, argv, "+:o:fqh", longopts, NULL)) != -1) {
        if (c >= RECORD_OPT_SETTING)
            rc = take_setting(o, c - RECORD_OPT_SETTING, optarg);
        else if (c == 'o')
            rc = take_setting(o, MTDB_SET_OUTPUT, optarg);
        else if (c == 'f')
            o->force = 1;
        else if (c == RECORD_OPT_NO_COMPRESS)
            o->no_compress = 1;
        else if (c == 'q')
            o->quiet = 1;
        else if (c == 'h')
            o->help = 1;
        else
            rc = report_bad_option(c, argv);
    }
    o->prog_argv = argv + optind;
    return rc;
}

/* Inherited MTDB_* variables reach the recorder too: refuse the invalid ones here, where
 * the message can still be read. OUTPUT and ROOT_PID are always set by this command. */
int record_check_inherited_settings(const record_options_t *o)
{
    for (int i = 0; i < MTDB_SET_COUNT; i++) {
        const char *text = getenv(mtdb_setting_descs[i].env);
        if (o->values[i] || !text || i == MTDB_SET_OUTPUT || i == MTDB_SET_ROOT_PID)
            continue;
        char origin[64];
        snprintf(origin, sizeof origin, "environment %s", mtdb_setting_descs[i].env);
        if (check_setting(i, text, origin) != RECORD_OK)
            return RECORD_EUSAGE;
    }
    return RECORD_OK;
}
