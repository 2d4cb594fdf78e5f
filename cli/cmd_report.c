/* cmd_report.c: `mtdb report`, `check`, `diff` and `query`: options in, the report
 * library (report/rpt.h) does the work.
 *
 * Each --help text here is also the man page (scripts/gen-man.sh runs --help at build).
 * Usage errors exit 2, runtime errors 1 with "mtdb: error: ..."; never calls exit().
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "rpt.h"

#define CLI_DEFAULT_DB "trace.db"

static const char report_help[] =
    "usage: mtdb report [options] [trace.db]\n\n"
    "Answers the standard questions from an imported database (default trace.db): per\n"
    "process the totals, peak, leaks, hotspots, bottlenecks, the thread interaction\n"
    "matrix, advice and what is incomplete. Every number is a row of a view, so the\n"
    "report and sqlite3 agree.\n\n"
    "  -f, --format FMT    text (default), json, html, folded or pprof\n"
    "  -o, --output FILE   write to FILE instead of standard output\n"
    "  -n, --rows N        rows per table (text, json; default 10)\n"
    "  -p, --process ID    only the process with this process_id\n"
    "  -w, --weight W      folded: allocations (default), bytes or leaked\n"
    "      --no-color      no colour (also when NO_COLOR is set or not on a terminal)\n"
    "  -h, --help          this text\n\n"
    "Formats: text fits 100 columns; json follows docs/report-json.md; html is one\n"
    "self-contained file that works offline; folded is 'frame;frame;... count', outermost\n"
    "first, for flamegraph.pl, inferno and speedscope; pprof is a gzip'd profile.proto\n"
    "for 'go tool pprof' with the sample types of a Go heap profile.\n";

static const char check_help[] =
    "usage: mtdb check [options] [trace.db]\n\n"
    "Gates a CI job on memory: exits 1 with one line per broken limit, 0 when all hold.\n"
    "Sizes take a K, M or G suffix (KiB, MiB, GiB).\n\n"
    "  --max-leaked-bytes N   bytes still live at exit at the program's sites (user and\n"
    "                         unknown; the runtime's own, as libstdc++'s pool, apart)\n"
    "  --max-peak-bytes N     the largest process's peak of live bytes\n"
    "  --max-allocations N    allocation calls, all processes\n"
    "  --max-temporaries N    short-lived blocks, freed by their thread within\n"
    "                         temporary_us (as mtdb diff counts them)\n"
    "  -p, --process ID       only the process with this process_id\n"
    "  -h, --help             this text\n\n"
    "A limit the database cannot answer (its view is missing) counts as broken.\n";

static const char diff_help[] =
    "usage: mtdb diff [options] BASE.db NEW.db\n\n"
    "What grew, shrank, appeared and vanished between two runs: calls, bytes, leaked\n"
    "blocks and bytes, peak bytes and temporaries per user site (runtime sites apart),\n"
    "sites matched by function and file (not by address), and the totals.\n\n"
    "  -f, --format FMT    text (default) or json\n"
    "  -n, --rows N        changed sites shown (text default 20, json all)\n"
    "  -h, --help          this text\n";

static const char query_help[] =
    "usage: mtdb query NAME [trace.db]\n"
    "       mtdb query --list\n\n"
    "Runs a bundled query (the same files sqlite3 runs: share/mtdb/queries/NAME.sql) on\n"
    "an imported database (default trace.db) and prints its rows.\n\n"
    "  -l, --list          the bundled queries and the question each answers\n"
    "  -h, --help          this text\n\n"
    "MTDB_QUERIES=DIR reads the queries from DIR instead.\n";

static int cli_usage_error(const char *help, const char *msg, const char *arg)
{
    if (msg)
        fprintf(stderr, "mtdb: error: %s%s%s\n\n", msg, arg ? ": " : "", arg ? arg : "");
    fputs(help, stderr);
    return CLI_EXIT_USAGE;
}

static int cli_parse_count(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    long long scale = 1;
    if (end != s && *end && !end[1])
        scale = *end == 'K' || *end == 'k'   ? 1024LL
                : *end == 'M' || *end == 'm' ? 1048576LL
                : *end == 'G' || *end == 'g' ? 1073741824LL
                                             : 0;
    else if (*end)
        scale = 0;
    if (errno || end == s || scale == 0 || v < 0 || v > (long long)(9e18 / (double)scale))
        return -1;
    *out = v * scale;
    return 0;
}

static int cli_open_db(const char *path, rpt_db_t **db)
{
    char err[4400];
    int rc = rpt_db_open(path, db, err, sizeof err);
    if (rc != RPT_OK)
        fprintf(stderr, "mtdb: error: %s\n", err);
    return rc;
}

static int cli_fail(rpt_db_t *db, int rc)
{
    const char *msg = rpt_db_message(db);
    fprintf(stderr, "mtdb: error: %s%s%s\n", rpt_strerror(rc), *msg ? ": " : "", msg);
    return cli_exit_status(rc, 0);
}

/* ---- report ------------------------------------------------------------------------- */

static int report_parse_format(const char *s, rpt_format_t *f)
{
    static const char *const names[] = {[RPT_TEXT] = "text",
                                        [RPT_JSON] = "json",
                                        [RPT_FOLDED] = "folded",
                                        [RPT_PPROF] = "pprof",
                                        [RPT_HTML] = "html"};
    for (int i = 0; i <= RPT_HTML; i++)
        if (strcmp(s, names[i]) == 0)
            return *f = (rpt_format_t)i, 0;
    return -1;
}

static int report_parse_weight(const char *s, rpt_weight_t *w)
{
    static const char *const names[] = {"allocations", "bytes", "leaked"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0)
            return *w = (rpt_weight_t)i, 0;
    return -1;
}

/* Opens -o FILE or takes stdout; refuses binary formats on a terminal. */
static FILE *report_output(const char *path, rpt_format_t format)
{
    if (path) {
        FILE *f = fopen(path, "wb");
        if (!f)
            fprintf(stderr, "mtdb: error: %s: %s\n", path, strerror(errno));
        return f;
    }
    if (format == RPT_PPROF && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "mtdb: error: pprof output is binary: give -o FILE.pb.gz\n");
        return NULL;
    }
    return stdout;
}

static int report_run(const char *db_path, const char *out_path, rpt_options_t *opts)
{
    rpt_db_t *db;
    if (cli_open_db(db_path, &db) != RPT_OK)
        return CLI_EXIT_FAILURE;
    FILE *out = report_output(out_path, opts->format);
    if (!out)
        return rpt_db_close(db), CLI_EXIT_FAILURE;
    const char *no_color = getenv("NO_COLOR");
    if (out != stdout || !isatty(STDOUT_FILENO) || (no_color && *no_color))
        opts->colour = 0;
    opts->db_name = db_path;
    int rc = rpt_write_report(db, opts, out);
    int status = rc == RPT_OK ? CLI_EXIT_OK : cli_fail(db, rc);
    if (out != stdout && fclose(out) != 0 && status == CLI_EXIT_OK)
        status = (fprintf(stderr, "mtdb: error: %s: %s\n", out_path, strerror(errno)), 1);
    if (out_path && status != CLI_EXIT_OK)
        remove(out_path);
    if (out_path && status == CLI_EXIT_OK && opts->format == RPT_HTML)
        fprintf(stderr, "mtdb: wrote %s\n", out_path);
    rpt_db_close(db);
    return status;
}

int mtdb_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"rows", required_argument, NULL, 'n'},   {"process", required_argument, NULL, 'p'},
        {"weight", required_argument, NULL, 'w'}, {"no-color", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    rpt_options_t opts = {.format = RPT_TEXT, .colour = 1};
    const char *out_path = NULL;
    long long n;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:n:p:w:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (report_parse_format(optarg, &opts.format))
                return cli_usage_error(report_help, "unknown format", optarg);
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'n':
            if (cli_parse_count(optarg, &n) || n < 1 || n > 1000000)
                return cli_usage_error(report_help, "--rows: expected 1..1000000", optarg);
            opts.rows = (int)n;
            break;
        case 'p':
            if (cli_parse_count(optarg, &n) || n < 1)
                return cli_usage_error(report_help, "--process: expected a process_id", optarg);
            opts.process = n;
            break;
        case 'w':
            if (report_parse_weight(optarg, &opts.weight))
                return cli_usage_error(report_help, "unknown weight", optarg);
            break;
        case 'C':
            opts.colour = 0;
            break;
        case 'h':
            return fputs(report_help, stdout), CLI_EXIT_OK;
        default:
            return cli_usage_error(report_help, NULL, NULL);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error(report_help, "one database at most", argv[optind + 1]);
    return report_run(optind < argc ? argv[optind] : CLI_DEFAULT_DB, out_path, &opts);
}

/* ---- check -------------------------------------------------------------------------- */

int mtdb_cmd_check(int argc, char **argv)
{
    enum { OPT_LEAKED = 256, OPT_PEAK, OPT_ALLOCS, OPT_TEMPS };
    static const struct option longopts[] = {
        {"max-leaked-bytes", required_argument, NULL, OPT_LEAKED},
        {"max-peak-bytes", required_argument, NULL, OPT_PEAK},
        {"max-allocations", required_argument, NULL, OPT_ALLOCS},
        {"max-temporaries", required_argument, NULL, OPT_TEMPS},
        {"process", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    rpt_limits_t limits = {-1, -1, -1, -1};
    long long *slots[] = {&limits.max_leaked_bytes, &limits.max_peak_bytes, &limits.max_allocations,
                          &limits.max_temporaries};
    long long process = 0;
    int c, any = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
        if (c >= OPT_LEAKED && c <= OPT_TEMPS) {
            if (cli_parse_count(optarg, slots[c - OPT_LEAKED]))
                return cli_usage_error(check_help, "expected a size or count", optarg);
            any = 1;
        } else if (c == 'p') {
            if (cli_parse_count(optarg, &process) || process < 1)
                return cli_usage_error(check_help, "--process: expected a process_id", optarg);
        } else if (c == 'h') {
            return fputs(check_help, stdout), CLI_EXIT_OK;
        } else {
            return cli_usage_error(check_help, NULL, NULL);
        }
    }
    if (!any)
        return cli_usage_error(check_help, "no limit given", NULL);
    if (argc - optind > 1)
        return cli_usage_error(check_help, "one database at most", argv[optind + 1]);
    rpt_db_t *db;
    if (cli_open_db(optind < argc ? argv[optind] : CLI_DEFAULT_DB, &db) != RPT_OK)
        return CLI_EXIT_FAILURE;
    int broken = 0, rc = rpt_check(db, &limits, process, stdout, &broken);
    int status = rc != RPT_OK ? cli_fail(db, rc) : broken ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
    rpt_db_close(db);
    return status;
}

/* ---- diff --------------------------------------------------------------------------- */

int mtdb_cmd_diff(int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"rows", required_argument, NULL, 'n'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c, json = 0;
    long long rows = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:n:h", longopts, NULL)) != -1) {
        if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0))
            json = strcmp(optarg, "json") == 0;
        else if (c == 'f')
            return cli_usage_error(diff_help, "unknown format", optarg);
        else if (c == 'n' && (cli_parse_count(optarg, &rows) || rows < 1 || rows > 1000000))
            return cli_usage_error(diff_help, "--rows: expected 1..1000000", optarg);
        else if (c == 'h')
            return fputs(diff_help, stdout), CLI_EXIT_OK;
        else if (c != 'n')
            return cli_usage_error(diff_help, NULL, NULL);
    }
    if (argc - optind != 2)
        return cli_usage_error(diff_help, "expected two databases: BASE.db NEW.db", NULL);
    rpt_db_t *base = NULL, *next = NULL;
    if (cli_open_db(argv[optind], &base) != RPT_OK ||
        cli_open_db(argv[optind + 1], &next) != RPT_OK) {
        rpt_db_close(base);
        return CLI_EXIT_FAILURE;
    }
    int rc = rpt_diff(base, next, json, (int)rows, stdout);
    int status = rc == RPT_OK ? CLI_EXIT_OK : cli_fail(base, rc);
    rpt_db_close(base), rpt_db_close(next);
    return status;
}

/* ---- query -------------------------------------------------------------------------- */

/* The bundled queries: $MTDB_QUERIES, <bin>/../share/mtdb/queries, or the source tree. */
static int query_dir(char *out, size_t len)
{
    const char *env = getenv("MTDB_QUERIES");
    if (env && *env)
        return snprintf(out, len, "%s", env), 0;
    char exe[2048];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(out, len, "%s/../share/mtdb/queries", exe);
            if (access(out, R_OK) == 0)
                return 0;
        }
    }
#ifdef MTDB_QUERIES_DIR
    snprintf(out, len, "%s", MTDB_QUERIES_DIR);
    return access(out, R_OK);
#else
    return -1;
#endif
}

static char *query_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[8192];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            char *grown = realloc(buf, cap = (len + got + 1) * 2);
            if (!grown)
                return free(buf), fclose(f), NULL;
            buf = grown;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    fclose(f);
    if (buf)
        buf[len] = 0;
    return buf;
}

static int query_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The "-- Question:" header of a query, its continuation lines ("--   ...") joined by
 * blanks, in place in text; NULL when there is none. */
static char *query_question(char *text)
{
    char *q = text ? strstr(text, "-- Question: ") : NULL;
    if (!q)
        return NULL;
    q += strlen("-- Question: ");
    char *w = q, *r = q;
    for (;;) {
        while (*r && *r != '\n')
            *w++ = *r++;
        if (*r == '\n' && strncmp(r + 1, "--   ", 5) == 0) {
            r += 1 + 5;
            *w++ = ' ';
            continue;
        }
        break;
    }
    *w = 0;
    return q;
}

/* "name  question", the question wrapped to fit 100 columns under its own column. */
static void query_list_line(const char *name, const char *question)
{
    enum { indent = 21, width = 100 - indent };
    printf("%-20s ", name);
    for (int first = 1; first || *question; first = 0) {
        int len = (int)strlen(question), cut = len;
        if (len > width) {
            cut = width;
            while (cut > 0 && question[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = width;
        }
        printf("%*s%.*s\n", first ? 0 : indent, "", cut, question);
        question += cut;
        while (*question == ' ')
            question++;
    }
}

static int query_list(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return fprintf(stderr, "mtdb: error: %s: %s\n", dir, strerror(errno)), CLI_EXIT_FAILURE;
    char *names[256];
    size_t count = 0;
    for (struct dirent *e; (e = readdir(d)) && count < 256;) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0)
            names[count++] = strndup(e->d_name, n - 4);
    }
    closedir(d);
    qsort(names, count, sizeof names[0], query_name_cmp);
    for (size_t i = 0; i < count; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s.sql", dir, names[i]);
        char *text = query_read(path), *q = query_question(text);
        query_list_line(names[i], q ? q : "");
        free(text), free(names[i]);
    }
    return CLI_EXIT_OK;
}

static int query_run(const char *dir, const char *name, const char *db_path)
{
    char path[4400];
    if (strchr(name, '/') || !*name)
        return cli_usage_error(query_help, "a query name, not a path", name);
    snprintf(path, sizeof path, "%s/%s.sql", dir, name);
    char *sql = query_read(path);
    if (!sql) {
        fprintf(stderr, "mtdb: error: no query named '%s' ('mtdb query --list' names them)\n",
                name);
        return CLI_EXIT_FAILURE;
    }
    rpt_db_t *db;
    int status = CLI_EXIT_FAILURE;
    if (cli_open_db(db_path, &db) == RPT_OK) {
        int rc = rpt_run_sql(db, sql, stdout);
        status = rc == RPT_OK ? CLI_EXIT_OK : cli_fail(db, rc);
        rpt_db_close(db);
    }
    free(sql);
    return status;
}

int mtdb_cmd_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"list", no_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c, list = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "lh", longopts, NULL)) != -1) {
        if (c == 'l')
            list = 1;
        else if (c == 'h')
            return fputs(query_help, stdout), CLI_EXIT_OK;
        else
            return cli_usage_error(query_help, NULL, NULL);
    }
    char dir[4096];
    if (query_dir(dir, sizeof dir) != 0) {
        fprintf(stderr, "mtdb: error: the bundled queries were not found (set MTDB_QUERIES)\n");
        return CLI_EXIT_FAILURE;
    }
    if (list)
        return query_list(dir);
    if (argc - optind < 1 || argc - optind > 2)
        return cli_usage_error(query_help, "expected NAME [trace.db]", NULL);
    return query_run(dir, argv[optind], optind + 1 < argc ? argv[optind + 1] : CLI_DEFAULT_DB);
}
