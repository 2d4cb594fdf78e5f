/* cmd_record.c: `mtdb record [options] -- PROG ARGS`, the launcher of the recorder.
 *
 * Turns the options of the settings table (format/mtdb_settings.h) into MTDB_* variables
 * 1:1, preloads libmtrec.so, runs the program and passes its exit status through. It
 * refuses, before running anything, the programs LD_PRELOAD cannot reach (static, set-uid)
 * and fails loudly when the program left no trace. Must never validate a setting any other
 * way than mtdb_setting_parse(), nor write into the trace directory itself.
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
#include "rec_libs.h"
#include "trace_reader.h"

/* X(name, code, exit status, what went wrong). Functions return the code; the record
 * command exits with the status. */
#define REC_ERRORS(X)                                                                              \
    X(REC_OK, 0, CLI_EXIT_OK, "ok")                                                                \
    X(REC_EUSAGE, -1, CLI_EXIT_USAGE, "usage error")                                               \
    X(REC_ENOLIB, -2, CLI_EXIT_FAILURE, "recorder library not found")                              \
    X(REC_EOUTDIR, -3, CLI_EXIT_FAILURE, "output directory unusable")                              \
    X(REC_ENOPROG, -4, 127, "program not found")                                                   \
    X(REC_EPRELOAD, -5, CLI_EXIT_FAILURE, "LD_PRELOAD cannot reach the program")                   \
    X(REC_ESYS, -6, CLI_EXIT_FAILURE, "system call failed")                                        \
    X(REC_EEXEC, -7, 126, "program could not be executed")
enum rec_error {
#define REC_ERR_ENUM(name, code, status, msg) name = code,
    REC_ERRORS(REC_ERR_ENUM)
#undef REC_ERR_ENUM
};

static int rec_exit_status(int code)
{
#define REC_ERR_STATUS(name, c, status, msg)                                                       \
    if (code == c)                                                                                 \
        return status;
    REC_ERRORS(REC_ERR_STATUS)
#undef REC_ERR_STATUS
    return CLI_EXIT_FAILURE;
}

#define REC_OPT_SETTING 256 /* getopt value of setting i is REC_OPT_SETTING + i */

typedef struct rec_options {
    const char *values[MTDB_SET_COUNT]; /* given on the command line, or NULL */
    int quiet;
    int help;
    int force; /* -f: remove an earlier trace in the output directory first */
    char **prog_argv;
} rec_options_t;

/* Names in a trace directory before the run, to tell the new files from old ones. */
typedef struct rec_names {
    char **names;
    size_t count;
} rec_names_t;

/* ---- messages -------------------------------------------------------------------------- */

static void print_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void print_error(const char *fmt, ...)
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
        snprintf(buf, len, "%s",
                 d == &mtdb_setting_descs[MTDB_SET_OUTPUT] ? MTDB_DEFAULT_DIR : "");
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

static void print_help(void)
{
    printf("usage: mtdb record [options] [--] PROG [ARGS...]\n\n"
           "Runs PROG with the heap recorder (libmtrec.so) preloaded and writes its trace\n"
           "into a directory. Exits with PROG's exit status (128+N when killed by signal N).\n"
           "Each option sets its MTDB_* variable for PROG; inherited MTDB_* variables pass\n"
           "through (checked first), except MTDB_OUTPUT and MTDB_ROOT_PID, set here.\n\n"
           "options:\n"
           "  -f, --force\n        remove the trace files of an earlier run from the output\n"
           "        directory first (without it, a directory holding a trace is refused)\n"
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
                                    REC_OPT_SETTING + i};
    opts[n++] = (struct option){"force", no_argument, NULL, 'f'};
    opts[n++] = (struct option){"quiet", no_argument, NULL, 'q'};
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    opts[n] = (struct option){NULL, 0, NULL, 0};
}

static int check_setting(int id, const char *text, const char *origin)
{
    long long value = 0;
    if (mtdb_setting_parse(id, text, &value) == 0)
        return REC_OK;
    char expected[128];
    describe_expected(&mtdb_setting_descs[id], expected, sizeof expected);
    print_error("%s: '%s' is not valid: %s", origin, text ? text : "", expected);
    return REC_EUSAGE;
}

static int take_setting(rec_options_t *o, int id, const char *text)
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
        print_error("%s needs a value", given);
    else if (optopt && optopt < REC_OPT_SETTING)
        print_error("unknown option '-%c'", optopt);
    else
        print_error("unknown option '%s'", given);
    fprintf(stderr, "(see 'mtdb record --help')\n");
    return REC_EUSAGE;
}

static int parse_options(int argc, char **argv, rec_options_t *o)
{
    struct option longopts[MTDB_SET_COUNT + 4];
    build_long_options(longopts);
    optind = 1;
    opterr = 0;
    int c, rc = REC_OK;
    while (rc == REC_OK && (c = getopt_long(argc, argv, "+:o:fqh", longopts, NULL)) != -1) {
        if (c >= REC_OPT_SETTING)
            rc = take_setting(o, c - REC_OPT_SETTING, optarg);
        else if (c == 'o')
            rc = take_setting(o, MTDB_SET_OUTPUT, optarg);
        else if (c == 'f')
            o->force = 1;
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
static int check_inherited_settings(const rec_options_t *o)
{
    for (int i = 0; i < MTDB_SET_COUNT; i++) {
        const char *text = getenv(mtdb_setting_descs[i].env);
        if (o->values[i] || !text || i == MTDB_SET_OUTPUT || i == MTDB_SET_ROOT_PID)
            continue;
        char origin[64];
        snprintf(origin, sizeof origin, "environment %s", mtdb_setting_descs[i].env);
        if (check_setting(i, text, origin) != REC_OK)
            return REC_EUSAGE;
    }
    return REC_OK;
}

/* ---- the recorder library -------------------------------------------------------------- */

static int is_readable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

/* Build tree: <exe dir>/../recorder/libmtrec.so; installed: <prefix>/lib/mtdb/libmtrec.so
 * with the exe in <prefix>/bin. */
static int find_library_near_exe(char *out, size_t len)
{
    static const char *const rel[] = {"/../recorder/libmtrec.so", "/../lib/mtdb/libmtrec.so"};
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return REC_ENOLIB;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char candidate[PATH_MAX + 64];
        snprintf(candidate, sizeof candidate, "%s%s", exe, rel[i]);
        if (is_readable_file(candidate) && realpath(candidate, out) && strlen(out) < len)
            return REC_OK;
    }
    print_error("cannot find libmtrec.so: looked in %s/../recorder/ and %s/../lib/mtdb/; "
                "set MTDB_LIBRARY to its path",
                exe, exe);
    return REC_ENOLIB;
}

static int find_library(char *out, size_t len)
{
    const char *env = getenv("MTDB_LIBRARY");
    int rc = REC_OK;
    if (env && *env) {
        if (!is_readable_file(env) || !realpath(env, out)) {
            print_error("MTDB_LIBRARY=%s: not a readable file", env);
            return REC_ENOLIB;
        }
    } else {
        rc = find_library_near_exe(out, len);
    }
    if (rc == REC_OK && strpbrk(out, " :")) {
        print_error("%s: LD_PRELOAD cannot name a path with spaces or colons", out);
        return REC_ENOLIB;
    }
    return rc;
}

/* ---- the program ----------------------------------------------------------------------- */

/* Resolves name like execvp does: as given when it holds a '/', else through PATH. */
static int resolve_program(const char *name, char *out, size_t len)
{
    if (strchr(name, '/')) {
        snprintf(out, len, "%s", name);
        return access(out, F_OK) == 0 ? REC_OK : REC_ENOPROG;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        struct stat st;
        snprintf(out, len, "%.*s%s%s", (int)n, path, n ? "/" : "", name);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return REC_OK;
        path += n + (path[n] == ':');
    }
    return REC_ENOPROG;
}

/* The interpreter of a "#!" script, or "" when path is not a script. */
static void read_script_interpreter(const char *path, char *out, size_t len)
{
    char line[256] = {0};
    out[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n < 3 || line[0] != '#' || line[1] != '!')
        return;
    char *p = line + 2 + strspn(line + 2, " \t");
    snprintf(out, len, "%.*s", (int)strcspn(p, " \t\r\n"), p);
}

/* Secure mode: the loader ignores LD_PRELOAD when the exec changes credentials. */
static int check_credentials(const char *path, const char *shown)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return REC_OK; /* execvp will say what is wrong */
    const char *what = NULL;
    if ((st.st_mode & S_ISUID) && st.st_uid != geteuid())
        what = "set-uid";
    else if ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != getegid())
        what = "set-gid";
    else if (geteuid() != 0 && getxattr(path, "security.capability", NULL, 0) > 0)
        what = "given file capabilities";
    if (!what)
        return REC_OK;
    print_error("%s is %s: the dynamic loader ignores LD_PRELOAD for it (secure mode), so "
                "nothing would be recorded; record a copy without that bit "
                "(see docs/troubleshooting.md)",
                shown, what);
    return REC_EPRELOAD;
}

typedef struct rec_elf_facts {
    int has_interp;
    int exports_malloc;
    const char *sanitizer; /* "AddressSanitizer", ... when a sanitizer runtime is needed */
} rec_elf_facts_t;

static const char *name_sanitizer(const char *needed)
{
    static const char *const map[][2] = {{"libasan", "AddressSanitizer"},
                                         {"libtsan", "ThreadSanitizer"},
                                         {"libmsan", "MemorySanitizer"},
                                         {"liblsan", "LeakSanitizer"},
                                         {"libhwasan", "HWAddressSanitizer"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(needed, map[i][0], strlen(map[i][0])) == 0)
            return map[i][1];
    return NULL;
}

static void scan_dynsym(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, rec_elf_facts_t *f)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
    for (size_t i = 0; data && i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
            continue;
        const char *name = elf_strptr(elf, sh->sh_link, sym.st_name);
        if (name && strcmp(name, "malloc") == 0)
            f->exports_malloc = 1;
    }
}

static void scan_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, rec_elf_facts_t *f)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
    for (size_t i = 0; data && i < count; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag != DT_NEEDED)
            continue;
        const char *name = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);
        if (name && name_sanitizer(name))
            f->sanitizer = name_sanitizer(name);
    }
}

static void scan_elf(Elf *elf, rec_elf_facts_t *f)
{
    size_t phnum = 0;
    for (size_t i = 0; elf_getphdrnum(elf, &phnum) == 0 && i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
            f->has_interp = 1;
    }
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_DYNSYM)
            scan_dynsym(elf, scn, &sh, f);
        else if (sh.sh_type == SHT_DYNAMIC)
            scan_dynamic(elf, scn, &sh, f);
    }
}

/* Returns 1 and fills f when path is an ELF file, 0 when it is not (or unreadable). */
static int read_elf_facts(const char *path, rec_elf_facts_t *f)
{
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    int is_elf = elf && elf_kind(elf) == ELF_K_ELF;
    if (is_elf)
        scan_elf(elf, f);
    elf_end(elf);
    close(fd);
    return is_elf;
}

static void warn_elf_facts(const char *shown, const rec_elf_facts_t *f)
{
    if (f->exports_malloc)
        fprintf(stderr,
                "mtdb: warning: %s defines its own malloc (a statically linked allocator?): "
                "its allocations may never reach the recorder\n",
                shown);
    if (f->sanitizer)
        fprintf(stderr,
                "mtdb: warning: %s is built with %s, whose runtime wants to come first; if it "
                "refuses to start, see docs/troubleshooting.md\n",
                shown, f->sanitizer);
}

/* An allocator linked into the program or a library it needs serves that code without
 * malloc: warn, since those blocks will be missing (the importer notes it again). */
static void warn_hidden_allocator(const char *path, const char *shown)
{
    static rec_hidden_alloc_t found;
    if (!rec_find_hidden_allocator(path, &found))
        return;
    fprintf(stderr,
            "mtdb: warning: %s has an allocator linked in (%s: %s defines %s): the blocks it "
            "serves never reach the recorder and will be missing from the trace; see "
            "docs/troubleshooting.md\n",
            shown, found.allocator, found.module, found.symbol);
}

static int check_elf(const char *path, const char *shown)
{
    rec_elf_facts_t facts;
    if (!read_elf_facts(path, &facts))
        return REC_OK; /* not ELF: the kernel decides */
    if (!facts.has_interp) {
        print_error("%s is statically linked (it has no ELF interpreter): LD_PRELOAD cannot "
                    "reach its allocations; link it dynamically (see docs/troubleshooting.md)",
                    shown);
        return REC_EPRELOAD;
    }
    warn_elf_facts(shown, &facts);
    warn_hidden_allocator(path, shown);
    return REC_OK;
}

/* Refuses what LD_PRELOAD cannot reach: checks the program, or a script's interpreter. */
static int check_program(const char *path)
{
    int rc = check_credentials(path, path);
    if (rc != REC_OK)
        return rc;
    char interp[256];
    read_script_interpreter(path, interp, sizeof interp);
    if (!interp[0])
        return check_elf(path, path);
    rc = check_credentials(interp, interp);
    return rc != REC_OK ? rc : check_elf(interp, interp);
}

/* ---- the output directory -------------------------------------------------------------- */

static int make_parents(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static int check_existing_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        print_error("output directory %s: %s", dir, strerror(errno));
        return REC_EOUTDIR;
    }
    if (!S_ISDIR(st.st_mode)) {
        print_error("output directory %s exists and is not a directory", dir);
        return REC_EOUTDIR;
    }
    if (st.st_uid != geteuid()) {
        print_error("output directory %s belongs to another user (uid %u); traces hold the "
                    "program's memory layout, use a directory of your own",
                    dir, (unsigned)st.st_uid);
        return REC_EOUTDIR;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        print_error("output directory %s is not writable: %s", dir, strerror(errno));
        return REC_EOUTDIR;
    }
    return REC_OK;
}

/* Creates dir with mode 0700 (parents as the umask allows), or accepts an existing
 * directory of ours; fills abs with its absolute path for the recorder. */
static int prepare_output_dir(const char *dir, char *abs, size_t len)
{
    if (strlen(dir) >= PATH_MAX - 1) {
        print_error("output directory name too long");
        return REC_EOUTDIR;
    }
    if (make_parents(dir) == 0 && mkdir(dir, 0700) == 0) {
        if (chmod(dir, 0700) != 0)
            return print_error("output directory %s: %s", dir, strerror(errno)), REC_EOUTDIR;
    } else if (errno != EEXIST) {
        print_error("cannot create output directory %s: %s", dir, strerror(errno));
        return REC_EOUTDIR;
    } else if (check_existing_dir(dir) != REC_OK) {
        return REC_EOUTDIR;
    }
    char resolved[PATH_MAX];
    if (!realpath(dir, resolved) || strlen(resolved) >= len) {
        print_error("output directory %s: %s", dir, strerror(errno));
        return REC_EOUTDIR;
    }
    snprintf(abs, len, "%s", resolved);
    return REC_OK;
}

/* ---- trace files before and after ------------------------------------------------------ */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_name(rec_names_t *set, const char *name)
{
    char **grown = realloc(set->names, (set->count + 1) * sizeof *grown);
    if (!grown)
        return REC_ESYS;
    set->names = grown;
    if (!(set->names[set->count] = strdup(name)))
        return REC_ESYS;
    set->count++;
    return REC_OK;
}

static void free_names(rec_names_t *set)
{
    for (size_t i = 0; i < set->count; i++)
        free(set->names[i]);
    free(set->names);
    set->names = NULL;
    set->count = 0;
}

/* The trace file names in dir, sorted. */
static int list_trace_names(const char *dir, rec_names_t *set)
{
    DIR *d = opendir(dir);
    if (!d) {
        print_error("cannot read output directory %s: %s", dir, strerror(errno));
        return REC_EOUTDIR;
    }
    int rc = REC_OK;
    for (struct dirent *e; rc == REC_OK && (e = readdir(d));)
        if (mtdb_trace_file_kind(e->d_name))
            rc = add_name(set, e->d_name);
    closedir(d);
    if (set->count)
        qsort(set->names, set->count, sizeof *set->names, compare_names);
    return rc;
}

static int is_known(const rec_names_t *set, const char *name)
{
    return set->count && bsearch(&name, set->names, set->count, sizeof *set->names, compare_names);
}

typedef struct rec_outcome {
    size_t processes; /* new process files */
    int root_traced;  /* a new file of the launched pid exists */
} rec_outcome_t;

static void count_new_traces(const rec_names_t *before, const rec_names_t *after, pid_t pid,
                             rec_outcome_t *out)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, MTDB_FILE_PREFIX "%d-", (int)pid);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < after->count; i++) {
        const char *name = after->names[i];
        if (is_known(before, name))
            continue;
        out->processes += mtdb_trace_file_kind(name) == MTDB_FILE_KIND_PROCESS;
        out->root_traced |= strncmp(name, prefix, strlen(prefix)) == 0;
    }
}

/* The launched program left its process file but no stream file: it made no heap call
 * the recorder saw. After MTDB_QUIET_NS or more, that is what a hidden allocator looks
 * like (mtdb import notes it too, for every process, as no_heap_calls). */
/* 1 when the stream file holds a heap event (a thread's file may hold only marks, such as
 * the one written when exit begins); 1 also when it cannot be read, to warn only when sure. */
static int stream_has_heap_call(const char *dir, const char *name)
{
    char path[PATH_MAX];
    mtdb_reader_t *r = NULL;
    mtdb_record_t rec;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
        mtdb_reader_open(path, &r, NULL, 0) < 0)
        return 1;
    int found = 0;
    while (!found && mtdb_reader_next(r, &rec) > 0)
        found = rec.type == MTDB_REC_ALLOC || rec.type == MTDB_REC_FREE ||
                rec.type == MTDB_REC_REALLOC || rec.type == MTDB_REC_FAIL;
    mtdb_reader_close(r);
    return found;
}

static void warn_quiet_root(const char *dir, pid_t pid, const char *prog, double ran_s)
{
    rec_names_t names = {0}, *after = &names;
    if (ran_s * 1e9 < (double)MTDB_QUIET_NS || list_trace_names(dir, after) != REC_OK) {
        free_names(after);
        return;
    }
    char prefix[32];
    snprintf(prefix, sizeof prefix, MTDB_FILE_PREFIX "%d-", (int)pid);
    int procs = 0, heap_calls = 0;
    for (size_t i = 0; i < after->count && !heap_calls; i++)
        if (strncmp(after->names[i], prefix, strlen(prefix)) == 0) {
            int kind = mtdb_trace_file_kind(after->names[i]);
            procs += kind == MTDB_FILE_KIND_PROCESS;
            if (kind == MTDB_FILE_KIND_STREAM)
                heap_calls = stream_has_heap_call(dir, after->names[i]);
        }
    if (procs && !heap_calls)
        fprintf(stderr,
                "mtdb: warning: %s ran %.1f s without a single heap call the recorder saw: if it "
                "has its own allocator, its blocks are missing; see docs/troubleshooting.md\n",
                prog, ran_s);
    free_names(after);
}

/* ---- environment and running ----------------------------------------------------------- */

static int append_preload(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    if (!old || !*old)
        return setenv("LD_PRELOAD", lib, 1);
    if (strstr(old, lib))
        return 0;
    size_t len = strlen(old) + strlen(lib) + 2;
    char *joined = malloc(len);
    if (!joined)
        return -1;
    snprintf(joined, len, "%s:%s", old, lib);
    int rc = setenv("LD_PRELOAD", joined, 1);
    free(joined);
    return rc;
}

static int export_settings(const rec_options_t *o, const char *abs_output, const char *lib)
{
    for (int i = 0; i < MTDB_SET_COUNT; i++)
        if (o->values[i] && i != MTDB_SET_OUTPUT &&
            setenv(mtdb_setting_descs[i].env, o->values[i], 1))
            return REC_ESYS;
    if (setenv(mtdb_setting_descs[MTDB_SET_OUTPUT].env, abs_output, 1) || append_preload(lib)) {
        print_error("cannot set the environment: %s", strerror(errno));
        return REC_ESYS;
    }
    return REC_OK;
}

static volatile sig_atomic_t rec_child_pid;

/* SIGTERM/SIGHUP to mtdb go to the program: its status then tells what happened. */
static void forward_signal(int sig)
{
    if (rec_child_pid > 0)
        kill((pid_t)rec_child_pid, sig);
}

static void set_parent_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* SIGINT and SIGQUIT as they were before mtdb ignored them (nohup, background jobs). */
static struct sigaction rec_saved_int, rec_saved_quit;

static void ignore_terminal_signals(void)
{
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &rec_saved_int);
    sigaction(SIGQUIT, &ignore, &rec_saved_quit);
}

/* In the child: signals as inherited, ROOT_PID, exec. Only reports errno through the pipe. */
static void exec_child(char **argv, int report_fd)
{
    char pid[24];
    sigaction(SIGINT, &rec_saved_int, NULL);
    sigaction(SIGQUIT, &rec_saved_quit, NULL);
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv(mtdb_setting_descs[MTDB_SET_ROOT_PID].env, pid, 1);
    execvp(argv[0], argv);
    int err = errno;
    if (write(report_fd, &err, sizeof err) < 0)
        err = 0;
    _exit(127);
}

static int wait_child(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR) {
            print_error("waitpid: %s", strerror(errno));
            return REC_ESYS;
        }
    return REC_OK;
}

/* Reads the exec errno from the pipe: 0 when exec succeeded (the pipe closed empty). */
static int read_exec_error(int fd)
{
    int err = 0;
    ssize_t n;
    while ((n = read(fd, &err, sizeof err)) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof err ? err : 0;
}

static int collect_child(pid_t pid, int report_fd, const char *prog, int *status)
{
    int err = read_exec_error(report_fd);
    close(report_fd);
    int rc = wait_child(pid, status);
    if (rc != REC_OK || !err)
        return rc;
    print_error("cannot run %s: %s", prog, strerror(err));
    return err == ENOENT ? REC_ENOPROG : REC_EEXEC;
}

/* Runs argv; *status gets the wait status. SIGINT and SIGQUIT reach the program from the
 * terminal; mtdb ignores them meanwhile, like system(3). */
static int run_program(char **argv, pid_t *pid_out, int *status)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return print_error("pipe: %s", strerror(errno)), REC_ESYS;
    ignore_terminal_signals();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]), close(fds[1]);
        return print_error("fork: %s", strerror(errno)), REC_ESYS;
    }
    if (pid == 0) {
        close(fds[0]);
        exec_child(argv, fds[1]);
    }
    close(fds[1]);
    rec_child_pid = pid;
    set_parent_signals();
    *pid_out = pid;
    return collect_child(pid, fds[0], argv[0], status);
}

/* The program's status as ours: its exit code, or 128+N when signal N killed it. */
static int pass_status(const char *prog, int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        fprintf(stderr, "mtdb: %s was killed by signal %d (%s)%s\n", prog, sig, strsignal(sig),
                WCOREDUMP(status) ? ", core dumped" : "");
        return 128 + sig;
    }
    return CLI_EXIT_FAILURE;
}

/* ---- the command ----------------------------------------------------------------------- */

typedef struct rec_run {
    rec_options_t opts;
    const char *output; /* as the user wrote it */
    char abs_output[PATH_MAX];
    char library[PATH_MAX];
    char program[PATH_MAX];
    rec_names_t before, after;
    pid_t pid;
    int wait_status;
} rec_run_t;

static int check_request(rec_run_t *r, int argc, char **argv)
{
    int rc = parse_options(argc, argv, &r->opts);
    if (rc != REC_OK || r->opts.help)
        return rc;
    if (!r->opts.prog_argv[0]) {
        print_error("no program to record (usage: mtdb record [options] -- PROG [ARGS...])");
        return REC_EUSAGE;
    }
    r->output =
        r->opts.values[MTDB_SET_OUTPUT] ? r->opts.values[MTDB_SET_OUTPUT] : MTDB_DEFAULT_DIR;
    return check_inherited_settings(&r->opts);
}

/* A directory that already holds a trace would sum two runs in one import: refused, or
 * with --force its trace files are removed first. */
static int clear_old_traces(rec_run_t *r)
{
    if (!r->before.count)
        return REC_OK;
    if (!r->opts.force) {
        print_error("output directory %s already holds a trace (%zu files) that an import "
                    "would add to this run: use -f to remove it first, or another -o DIR",
                    r->output, r->before.count);
        return REC_EOUTDIR;
    }
    char path[PATH_MAX + NAME_MAX + 2];
    for (size_t i = 0; i < r->before.count; i++) {
        snprintf(path, sizeof path, "%s/%s", r->abs_output, r->before.names[i]);
        if (unlink(path) != 0 && errno != ENOENT) {
            print_error("cannot remove %s: %s", path, strerror(errno));
            return REC_EOUTDIR;
        }
    }
    free_names(&r->before);
    return REC_OK;
}

static int prepare_run(rec_run_t *r)
{
    const char *prog = r->opts.prog_argv[0];
    if (resolve_program(prog, r->program, sizeof r->program) != REC_OK) {
        print_error("%s: program not found%s", prog, strchr(prog, '/') ? "" : " in PATH");
        return REC_ENOPROG;
    }
    int rc = check_program(r->program);
    if (rc == REC_OK)
        rc = find_library(r->library, sizeof r->library);
    if (rc == REC_OK)
        rc = prepare_output_dir(r->output, r->abs_output, sizeof r->abs_output);
    if (rc == REC_OK)
        rc = list_trace_names(r->abs_output, &r->before);
    if (rc == REC_OK)
        rc = clear_old_traces(r);
    if (rc == REC_OK)
        rc = export_settings(&r->opts, r->abs_output, r->library);
    return rc;
}

/* A recorder that ran but could not write its process file leaves an empty mark,
 * mtdb-<pid>-<nonce>.failed-<errno>. Returns that errno (0: no mark) and removes the
 * mark: the directory keeps only traces. */
static int take_failure_mark(const char *dir, pid_t pid)
{
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, MTDB_FILE_PREFIX "%d-", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int err = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const char *mark = strstr(e->d_name, ".failed-");
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0 || !mark)
            continue;
        err = atoi(mark + strlen(".failed-"));
        err = err > 0 ? err : EIO;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
    return err;
}

/* After the run: loud when the program left no trace, else the one-line summary. */
static int finish_run(rec_run_t *r, int status)
{
    rec_outcome_t out;
    if (list_trace_names(r->abs_output, &r->after) != REC_OK)
        return status ? status : CLI_EXIT_FAILURE;
    count_new_traces(&r->before, &r->after, r->pid, &out);
    int write_error = out.root_traced ? 0 : take_failure_mark(r->abs_output, r->pid);
    if (write_error) {
        print_error("no trace written: the recorder ran in %s (pid %d) but could not write its "
                    "trace into %s: %s; see docs/troubleshooting.md",
                    r->opts.prog_argv[0], (int)r->pid, r->output, strerror(write_error));
        return status ? status : CLI_EXIT_FAILURE;
    }
    if (!out.root_traced) {
        print_error("no trace written: %s (pid %d) left no trace file in %s; the recorder never "
                    "ran in it (static, set-uid, its own malloc, or LD_PRELOAD cleared?), see "
                    "docs/troubleshooting.md",
                    r->opts.prog_argv[0], (int)r->pid, r->output);
        return status ? status : CLI_EXIT_FAILURE;
    }
    if (!r->opts.quiet)
        fprintf(stderr, "mtdb: recorded %zu process(es) into %s\n", out.processes, r->output);
    return status;
}

int mtdb_cmd_record(int argc, char **argv)
{
    static rec_run_t run; /* large; one per process */
    rec_run_t *r = &run;
    memset(r, 0, sizeof *r);
    int rc = check_request(r, argc, argv);
    if (rc == REC_OK && r->opts.help)
        return print_help(), CLI_EXIT_OK;
    if (rc == REC_OK)
        rc = prepare_run(r);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rc == REC_OK)
        rc = run_program(r->opts.prog_argv, &r->pid, &r->wait_status);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == REC_OK)
        warn_quiet_root(r->abs_output, r->pid, r->opts.prog_argv[0],
                        (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
    int status = rc == REC_OK ? finish_run(r, pass_status(r->opts.prog_argv[0], r->wait_status))
                              : rec_exit_status(rc);
    free_names(&r->before);
    free_names(&r->after);
    return status;
}
