/* cmd_dump.c: `mtdb dump`: trace files as readable text, one line per record, or a summary.
 *
 * Reads through format/trace_reader.h only; every diagnostic goes to stderr as
 * "mtdb: warning: FILE: offset N: ...". Exit status (cli_exit.h): 0 when every file was
 * read clean, 3 when damage was skipped, 1 when a file could not be read, 2 on a usage
 * error. Must never write to a trace file and never call exit().
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_exit.h"
#include "mtdb_names.h"
#include "trace_reader.h"

#define DUMP_DIAG_KINDS MTDB_DIAG_END_

/* What --summary counts, per file and in total. */
typedef struct dump_counts {
    uint64_t files, bytes, blocks, sealed, open, bad_blocks, records;
    uint64_t by_type[16];
    uint64_t by_func[16][16]; /* heap events: [type][function number] */
    uint64_t threads, stacks;
    uint64_t diags[DUMP_DIAG_KINDS], bytes_skipped, events_lost;
} dump_counts_t;

typedef struct dump_state {
    int summary;
    int damaged; /* any file with diagnostics */
    int error;   /* the first file that could not be read: its reader code */
    dump_counts_t file, total;
    uint32_t *threads; /* distinct thread numbers of the file being read, sorted */
    size_t nthreads, cap_threads;
} dump_state_t;

/* The allocation function a heap-event record names, as an MTDB_FUNC_* number. */
static unsigned dump_func_of(const mtdb_record_t *rec)
{
    return mtdb_record_func(rec->type, rec->sub);
}

static const char *dump_func_name(unsigned func)
{
    const char *name = mtdb_func_name(func);
    return name ? name : "?";
}

static void dump_usage(FILE *out)
{
    fprintf(out, "usage: mtdb dump [--summary] FILE|DIR...\n\n"
                 "Decodes mtdb trace files (a directory: every mtdb-*.proc and mtdb-*.trace in\n"
                 "it) and prints one line per record: offset, thread, type, fields.\n\n"
                 "  -s, --summary  per file and in total: blocks, records, events by type and\n"
                 "                 function, threads, stacks, bytes, damage found\n"
                 "  -h, --help     this text\n\n"
                 "Damage is reported on stderr. Exit status: 0 clean, 1 a file could not be\n"
                 "read, 2 usage error, 3 damaged parts were skipped.\n");
}

/* ---- text ------------------------------------------------------------------------------ */

static void dump_bytes(const uint8_t *s, uint32_t len)
{
    putchar('"');
    for (uint32_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c >= 0x20 && c < 0x7F)
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('"');
}

static void dump_cstr(const char *s)
{
    dump_bytes((const uint8_t *)s, (uint32_t)strlen(s));
}

static void dump_hex(const uint8_t *s, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        printf("%02x", s[i]);
    if (!len)
        putchar('-');
}

static void dump_block_line(const mtdb_record_t *rec)
{
    static const char *const flag_names[] = {"sealed", "pad", "thread_first", "thread_last",
                                             "late"};
    printf("@%" PRIu64 " block thread=%u flags=", rec->block_offset, rec->thread);
    const char *sep = "";
    for (unsigned i = 0; i < 5; i++)
        if (rec->block_flags & (1u << i))
            printf("%s%s", sep, flag_names[i]), sep = ",";
    printf("%s\n", *sep ? "" : "open");
}

/* ---- one line per record: a printer per type ------------------------------------------ */

static void dump_stackref(const mtdb_record_t *rec)
{
    printf(" stack=%" PRIu64, rec->stack_id);
    if (rec->weight != 1)
        printf(" weight=%" PRIu64, rec->weight);
}

static void dump_alloc(const mtdb_record_t *rec)
{
    printf(" %s ts=%" PRIu64 " addr=0x%" PRIx64 " size=%" PRIu64, dump_func_name(rec->sub),
           rec->ts_ns, rec->addr, rec->size);
    dump_stackref(rec);
}

static void dump_free(const mtdb_record_t *rec)
{
    printf(" %s ts=%" PRIu64 " addr=0x%" PRIx64, dump_func_name(dump_func_of(rec)), rec->ts_ns,
           rec->addr);
    if (rec->has_stack)
        dump_stackref(rec);
}

static void dump_realloc(const mtdb_record_t *rec)
{
    printf(" %s ts=%" PRIu64 " old=0x%" PRIx64 " ts_after=%" PRIu64 " addr=0x%" PRIx64
           " size=%" PRIu64,
           dump_func_name(rec->sub), rec->ts_ns, rec->old_addr, rec->ts2_ns, rec->addr, rec->size);
    dump_stackref(rec);
}

static void dump_fail(const mtdb_record_t *rec)
{
    printf(" %s ts=%" PRIu64 " size=%" PRIu64, dump_func_name(rec->sub), rec->ts_ns, rec->size);
}

static void dump_stack(const mtdb_record_t *rec)
{
    printf(" id=%" PRIu64 "%s depth=%u", rec->stack_id, rec->stack_ids_uncertain ? "?" : "",
           rec->depth);
    for (uint32_t i = 0; i < rec->depth; i++)
        printf(" 0x%" PRIx64, rec->frames[i]);
}

static void dump_thread(const mtdb_record_t *rec)
{
    printf(" tid=%" PRIu64 " start_ns=%" PRIu64 " flags=0x%" PRIx64 "%s%s", rec->tid, rec->ts_ns,
           rec->thread_flags, (rec->thread_flags & MTDB_THREAD_MAIN) ? " main" : "",
           (rec->thread_flags & MTDB_THREAD_FORK_CHILD) ? " fork_child" : "");
}

static void dump_name(const mtdb_record_t *rec)
{
    putchar(' ');
    dump_bytes(rec->str, rec->str_len);
}

static void dump_counters(const mtdb_record_t *rec)
{
    static const char *const names[] = {
#define DUMP_COUNTER_NAME(name, str, doc) str,
        MTDB_COUNTER_LIST(DUMP_COUNTER_NAME)
#undef DUMP_COUNTER_NAME
    };
    for (uint32_t i = 0; i < rec->counter_count && i < MTDB_COUNTER_COUNT; i++)
        printf(" %s=%" PRIu64, names[i], rec->counters[i]);
}

static void dump_modules(const mtdb_record_t *rec)
{
    printf(" count=%u", rec->module_count);
    for (uint32_t i = 0; i < rec->module_count; i++) {
        const mtdb_module_t *m = &rec->modules[i];
        printf("\n    module base=0x%" PRIx64 " text_size=0x%" PRIx64 " path=", m->base,
               m->text_size);
        dump_bytes((const uint8_t *)m->path, m->path_len);
        fputs(" build_id=", stdout);
        dump_hex(m->build_id, m->build_id_len);
    }
}

static void dump_mark(const mtdb_record_t *rec)
{
    static const char *const kinds[] = {"point", "phase_begin", "phase_end"};
    printf(" %s ts=%" PRIu64 " label=", rec->sub < 3 ? kinds[rec->sub] : "?", rec->ts_ns);
    dump_bytes(rec->str, rec->str_len);
}

static void dump_state_rec(const mtdb_record_t *rec)
{
    static const char *const states[] = {"?", "paused", "resumed", "exec", "forked"};
    printf(" %s ts=%" PRIu64, rec->sub < 5 ? states[rec->sub] : "?", rec->ts_ns);
    if (rec->sub == MTDB_STATE_EXEC) {
        fputs(" path=", stdout);
        dump_bytes(rec->str, rec->str_len);
    } else if (rec->sub == MTDB_STATE_FORKED) {
        printf(" child_pid=%" PRIu64, rec->value);
    }
}

static void dump_process(const mtdb_record_t *rec)
{
    const mtdb_process_info_t *p = rec->process;
    printf(" pid=%" PRIu64 " ppid=%" PRIu64 " parent_nonce=%016" PRIx64 " mono_ns=%" PRIu64
           " wall_ns=%" PRIu64 " clock_cost_ns=%" PRIu64 "\n    argv=[",
           p->pid, p->ppid, p->parent_nonce, p->mono_ns, p->wall_ns, p->clock_cost_ns);
    for (uint32_t i = 0; i < p->argc; i++) {
        if (i)
            putchar(' ');
        dump_cstr(p->argv[i]);
    }
    fputs("]\n    exe=", stdout);
    dump_cstr(p->exe);
    fputs(" recorder=", stdout);
    dump_cstr(p->recorder_version);
    fputs(" unwinder=", stdout);
    dump_cstr(p->unwinder);
    fputs("\n    settings=", stdout);
    dump_cstr(p->settings);
}

static void dump_exit(const mtdb_record_t *rec)
{
    const char *how = rec->sub == MTDB_EXIT_ATEXIT      ? "atexit"
                      : rec->sub == MTDB_EXIT_EXIT_CALL ? "exit_call"
                                                        : "?";
    printf(" %s ts=%" PRIu64 " status=%" PRIu64, how, rec->ts_ns, rec->value);
}

typedef void (*dump_print_fn)(const mtdb_record_t *rec);

static const dump_print_fn dump_printers[16] = {
    [MTDB_REC_ALLOC] = dump_alloc,     [MTDB_REC_FREE] = dump_free,
    [MTDB_REC_REALLOC] = dump_realloc, [MTDB_REC_FAIL] = dump_fail,
    [MTDB_REC_STACK] = dump_stack,     [MTDB_REC_THREAD] = dump_thread,
    [MTDB_REC_NAME] = dump_name,       [MTDB_REC_COUNTERS] = dump_counters,
    [MTDB_REC_MODULES] = dump_modules, [MTDB_REC_MARK] = dump_mark,
    [MTDB_REC_STATE] = dump_state_rec, [MTDB_REC_PROCESS] = dump_process,
    [MTDB_REC_EXIT] = dump_exit,
};

static int dump_is_heap(unsigned type)
{
    return type >= MTDB_REC_ALLOC && type <= MTDB_REC_FAIL;
}

static void dump_record_line(const mtdb_record_t *rec)
{
    printf("@%" PRIu64 " t%u %s", rec->offset, rec->thread, mtdb_rec_type_name(rec->type));
    if (dump_is_heap(rec->type))
        printf(" seq=%" PRIu64, rec->seq);
    if (dump_printers[rec->type])
        dump_printers[rec->type](rec);
    putchar('\n');
}

/* ---- counting -------------------------------------------------------------------------- */

/* Adds thread number n to the file's sorted set; returns 1 when it is new. */
static int dump_note_thread(dump_state_t *st, uint32_t n)
{
    size_t lo = 0, hi = st->nthreads;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (st->threads[mid] == n)
            return 0;
        if (st->threads[mid] < n)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (st->nthreads == st->cap_threads) {
        size_t cap = st->cap_threads ? 2 * st->cap_threads : 64;
        uint32_t *t = realloc(st->threads, cap * sizeof *t);
        if (!t)
            return 0; /* the count is then a lower bound; nothing else depends on it */
        st->threads = t, st->cap_threads = cap;
    }
    memmove(st->threads + lo + 1, st->threads + lo, (st->nthreads - lo) * sizeof *st->threads);
    st->threads[lo] = n;
    st->nthreads++;
    return 1;
}

static void dump_count_record(dump_state_t *st, const mtdb_record_t *rec)
{
    dump_counts_t *c = &st->file;
    c->by_type[rec->type]++;
    if (dump_is_heap(rec->type))
        c->by_func[rec->type][dump_func_of(rec) & 15]++;
    if (rec->type == MTDB_REC_STACK)
        c->stacks++;
    if (rec->thread != 0 && dump_note_thread(st, rec->thread))
        c->threads++;
}

static void dump_add_counts(dump_counts_t *to, const dump_counts_t *from)
{
    const uint64_t *f = (const uint64_t *)from;
    uint64_t *t = (uint64_t *)to;
    for (size_t i = 0; i < sizeof *from / sizeof(uint64_t); i++)
        t[i] += f[i];
}

static void dump_print_counts(const char *title, const dump_counts_t *c)
{
    printf("%s\n  files %" PRIu64 ", %" PRIu64 " bytes\n", title, c->files, c->bytes);
    printf("  blocks %" PRIu64 " (%" PRIu64 " sealed, %" PRIu64 " open, %" PRIu64 " bad)\n",
           c->blocks, c->sealed, c->open, c->bad_blocks);
    printf("  records %" PRIu64 ", threads %" PRIu64 ", stacks %" PRIu64 "\n", c->records,
           c->threads, c->stacks);
    for (unsigned type = 1; type < 16; type++) {
        if (!c->by_type[type])
            continue;
        printf("  %-9s %" PRIu64, mtdb_rec_type_name(type), c->by_type[type]);
        const char *sep = " (";
        for (unsigned f = 0; dump_is_heap(type) && f < 16; f++)
            if (c->by_func[type][f])
                printf("%s%s %" PRIu64, sep, dump_func_name(f), c->by_func[type][f]), sep = ", ";
        printf("%s\n", *sep == ',' ? ")" : "");
    }
    uint64_t diags = 0;
    for (unsigned k = 0; k < DUMP_DIAG_KINDS; k++)
        diags += c->diags[k];
    if (!diags && !c->bytes_skipped && !c->events_lost) {
        printf("  damage: none\n");
        return;
    }
    printf("  damage: %" PRIu64 " problems (", diags);
    const char *sep = "";
    for (unsigned k = 1; k < DUMP_DIAG_KINDS; k++)
        if (c->diags[k])
            printf("%s%s %" PRIu64, sep, mtdb_diag_kind_name(k), c->diags[k]), sep = ", ";
    printf("), %" PRIu64 " bytes skipped, %" PRIu64 " events lost\n", c->bytes_skipped,
           c->events_lost);
}

/* ---- files ------------------------------------------------------------------------------ */

static void dump_on_diag(void *ctx, const mtdb_diag_t *d)
{
    dump_state_t *st = ctx;
    st->file.diags[(unsigned)d->kind < DUMP_DIAG_KINDS ? d->kind : 0]++;
    fflush(stdout);
    fprintf(stderr, "mtdb: warning: %s: offset %" PRIu64 ": %s\n", d->path, d->offset, d->detail);
}

static void dump_file_header(const char *path, const mtdb_file_info_t *fi)
{
    printf("== %s: %s file", path, fi->kind == MTDB_FILE_KIND_PROCESS ? "process" : "stream");
    if (fi->kind == MTDB_FILE_KIND_STREAM)
        printf(" %u", fi->stream);
    printf(" of pid %u (nonce %016" PRIx64 "), format %u.%u, %" PRIu64
           " bytes, chunks %u..%u, created %" PRIu64 " ns\n",
           fi->pid, fi->nonce, fi->major, fi->minor, fi->file_bytes, fi->chunk_first,
           fi->chunk_largest, fi->created_ns);
}

static void dump_take_stats(dump_state_t *st, const mtdb_reader_t *r)
{
    const mtdb_read_stats_t *s = mtdb_reader_stats(r);
    dump_counts_t *c = &st->file;
    c->files = 1;
    c->bytes = mtdb_reader_info(r)->file_bytes;
    c->blocks = s->blocks, c->sealed = s->sealed_blocks, c->open = s->open_blocks;
    c->bad_blocks = s->bad_blocks, c->records = s->records;
    c->bytes_skipped = s->bytes_skipped, c->events_lost = s->events_lost;
    if (s->diagnostics)
        st->damaged = 1;
}

/* Reads every record of r, printing lines unless summarising. */
static int dump_records(dump_state_t *st, mtdb_reader_t *r, const char *path)
{
    mtdb_record_t rec;
    uint64_t block = 0;
    int rc;
    while ((rc = mtdb_reader_next(r, &rec)) == 1) {
        dump_count_record(st, &rec);
        if (st->summary)
            continue;
        if (rec.block_offset != block)
            dump_block_line(&rec), block = rec.block_offset;
        dump_record_line(&rec);
    }
    if (rc < 0) {
        fprintf(stderr, "mtdb: error: %s: %s\n", path, mtdb_read_strerror(rc));
        st->error = st->error ? st->error : rc;
    }
    return rc;
}

static void dump_file(dump_state_t *st, const char *path)
{
    mtdb_reader_t *r;
    char msg[512];
    int rc = mtdb_reader_open(path, &r, msg, sizeof msg);
    fflush(stdout);
    if (rc != 0) {
        fprintf(stderr, "mtdb: error: %s\n", msg);
        st->error = st->error ? st->error : rc;
        return;
    }
    memset(&st->file, 0, sizeof st->file);
    st->nthreads = 0;
    mtdb_reader_set_diag(r, dump_on_diag, st);
    if (!st->summary)
        dump_file_header(path, mtdb_reader_info(r));
    dump_records(st, r, path);
    dump_take_stats(st, r);
    if (st->summary)
        dump_print_counts(path, &st->file);
    dump_add_counts(&st->total, &st->file);
    mtdb_reader_close(r);
}

static int dump_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The trace file names in dir, sorted; *count of them. NULL with *count 0 on failure. */
static char **dump_list_dir(const char *dir, size_t *count)
{
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!mtdb_trace_file_kind(e->d_name))
            continue;
        if (*count == cap) {
            cap = cap ? 2 * cap : 16;
            char **n = realloc(names, cap * sizeof *n);
            if (!n)
                break;
            names = n;
        }
        if ((names[*count] = strdup(e->d_name)) != NULL)
            (*count)++;
    }
    closedir(d);
    if (names)
        qsort(names, *count, sizeof *names, dump_cmp_names);
    return names;
}

static void dump_dir(dump_state_t *st, const char *dir)
{
    size_t count;
    char **names = dump_list_dir(dir, &count);
    if (!count) {
        fprintf(stderr, "mtdb: error: %s: no mtdb-*.proc or mtdb-*.trace files\n", dir);
        st->error = st->error ? st->error : MTDB_READ_EIO; /* nothing that could be opened */
    }
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        if (path) {
            snprintf(path, len, "%s/%s", dir, names[i]);
            dump_file(st, path);
        }
        free(path);
        free(names[i]);
    }
    free(names);
}

static void dump_arg(dump_state_t *st, const char *arg)
{
    struct stat sb;
    if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode))
        dump_dir(st, arg);
    else
        dump_file(st, arg);
}

/* Parses options; returns -1 to go on, or an exit status. */
static int dump_parse(int argc, char **argv, dump_state_t *st)
{
    static const struct option longopts[] = {
        {"summary", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* a fresh scan: argv[0] is the subcommand's name */
    while ((c = getopt_long(argc, argv, "+sh", longopts, NULL)) != -1) {
        if (c == 's') {
            st->summary = 1;
        } else if (c == 'h') {
            dump_usage(stdout);
            return CLI_EXIT_OK;
        } else {
            dump_usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "mtdb: error: dump: no trace file or directory given\n\n");
        dump_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

int mtdb_cmd_dump(int argc, char **argv)
{
    dump_state_t st = {0};
    int rc = dump_parse(argc, argv, &st);
    if (rc >= 0)
        return rc;
    for (int i = optind; i < argc; i++)
        dump_arg(&st, argv[i]);
    if (st.summary)
        dump_print_counts("total", &st.total);
    fflush(stdout);
    free(st.threads);
    return cli_exit_status(st.error, st.damaged);
}
