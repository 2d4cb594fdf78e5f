/* record_program.c: checks the program before it runs (record.h): found on PATH, reachable
 * by LD_PRELOAD (dynamically linked, not set-uid or set-gid), and without an allocator of
 * its own that would hide its blocks. Reads files only: never runs the program.
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
#include "record_libs.h"

/* ---- the program ----------------------------------------------------------------------- */

/* Resolves name like execvp does: as given when it holds a '/', else through PATH. */
int record_resolve_program(const char *name, char *out, size_t len)
{
    if (strchr(name, '/')) {
        snprintf(out, len, "%s", name);
        return access(out, F_OK) == 0 ? RECORD_OK : RECORD_ENOPROG;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        struct stat st;
        snprintf(out, len, "%.*s%s%s", (int)n, path, n ? "/" : "", name);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return RECORD_OK;
        path += n + (path[n] == ':');
    }
    return RECORD_ENOPROG;
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
        return RECORD_OK; /* execvp will say what is wrong */
    const char *what = NULL;
    if ((st.st_mode & S_ISUID) && st.st_uid != geteuid())
        what = "set-uid";
    else if ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != getegid())
        what = "set-gid";
    else if (geteuid() != 0 && getxattr(path, "security.capability", NULL, 0) > 0)
        what = "given file capabilities";
    if (!what)
        return RECORD_OK;
    record_print_error("%s is %s: the dynamic loader ignores LD_PRELOAD for it (secure mode), so "
                       "nothing would be recorded; record a copy without that bit "
                       "(see docs/troubleshooting.md)",
                       shown, what);
    return RECORD_EPRELOAD;
}

typedef struct record_elf_facts {
    int has_interp;
    int exports_malloc;
    const char *sanitizer; /* "AddressSanitizer", ... when a sanitizer runtime is needed */
} record_elf_facts_t;

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

static void scan_dynsym(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, record_elf_facts_t *f)
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

static void scan_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, record_elf_facts_t *f)
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

static void scan_elf(Elf *elf, record_elf_facts_t *f)
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
static int read_elf_facts(const char *path, record_elf_facts_t *f)
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

static void warn_elf_facts(const char *shown, const record_elf_facts_t *f)
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
    static record_hidden_alloc_t found;
    if (!record_find_hidden_allocator(path, &found))
        return;
    fprintf(stderr,
            "mtdb: warning: %s has an allocator linked in (%s: %s defines %s): the blocks it "
            "serves never reach the recorder and will be missing from the trace; see "
            "docs/troubleshooting.md\n",
            shown, found.allocator, found.module, found.symbol);
}

static int check_elf(const char *path, const char *shown)
{
    record_elf_facts_t facts;
    if (!read_elf_facts(path, &facts))
        return RECORD_OK; /* not ELF: the kernel decides */
    if (!facts.has_interp) {
        record_print_error(
            "%s is statically linked (it has no ELF interpreter): LD_PRELOAD cannot "
            "reach its allocations; link it dynamically (see docs/troubleshooting.md)",
            shown);
        return RECORD_EPRELOAD;
    }
    warn_elf_facts(shown, &facts);
    warn_hidden_allocator(path, shown);
    return RECORD_OK;
}

/* Refuses what LD_PRELOAD cannot reach: checks the program, or a script's interpreter. */
int record_check_program(const char *path)
{
    int rc = check_credentials(path, path);
    if (rc != RECORD_OK)
        return rc;
    char interp[256];
    read_script_interpreter(path, interp, sizeof interp);
    if (!interp[0])
        return check_elf(path, path);
    rc = check_credentials(interp, interp);
    return rc != RECORD_OK ? rc : check_elf(interp, interp);
}
