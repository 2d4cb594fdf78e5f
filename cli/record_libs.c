/* record_libs.c: walks a program's DT_NEEDED tree the way the dynamic loader resolves it and
 * looks in every module's symbol tables for a linked-in allocator (record_libs.h).
 *
 * Search order (glibc): the needing object's DT_RPATH when it has no DT_RUNPATH, then the
 * program's DT_RPATH, LD_LIBRARY_PATH, the object's DT_RUNPATH, the directories of
 * /etc/ld.so.conf, then the default directories; $ORIGIN is the object's directory. Only
 * files of the program's ELF class and machine are taken. Never executes anything.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "record_libs.h"

#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtdb_allocators.h"

#define RECORD_LIBS_MAX 512 /* modules followed at most */
#define RECORD_CONF_DIRS_MAX 64

typedef struct record_module {
    char *path;            /* real path */
    char *rpath, *runpath; /* as written in the file, or NULL */
    char **needed;
    size_t nneeded;
} record_module_t;

typedef struct record_walk {
    record_module_t mods[RECORD_LIBS_MAX];
    size_t nmods;
    int elf_class, machine;
    char *conf_dirs[RECORD_CONF_DIRS_MAX];
    size_t nconf;
    record_hidden_alloc_t *found;
} record_walk_t;

static const char *const record_default_dirs[] = {"/lib/x86_64-linux-gnu",
                                                  "/usr/lib/x86_64-linux-gnu",
                                                  "/lib64",
                                                  "/usr/lib64",
                                                  "/lib",
                                                  "/usr/lib"};

/* ---- one module ------------------------------------------------------------------------- */

static void record_read_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, record_module_t *m)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
    m->needed = calloc(count ? count : 1, sizeof *m->needed);
    for (size_t i = 0; data && m->needed && i < count; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(data, (int)i, &dyn))
            continue;
        const char *s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);
        if (!s)
            continue;
        if (dyn.d_tag == DT_NEEDED)
            m->needed[m->nneeded++] = strdup(s);
        else if (dyn.d_tag == DT_RPATH && !m->rpath)
            m->rpath = strdup(s);
        else if (dyn.d_tag == DT_RUNPATH && !m->runpath)
            m->runpath = strdup(s);
    }
}

/* Scans m's file: 1 when an allocator hides in it (w->found filled); fills its needed list. */
static int record_scan_module(record_walk_t *w, record_module_t *m)
{
    int fd = open(m->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    for (Elf_Scn *scn = elf ? elf_nextscn(elf, NULL) : NULL; scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNAMIC && !m->needed)
            record_read_dynamic(elf, scn, &sh, m);
    }
    const char *symbol = NULL;
    const char *who = elf ? mtdb_elf_allocator(elf, m == &w->mods[0], &symbol) : NULL;
    if (who) {
        snprintf(w->found->module, sizeof w->found->module, "%s", m->path);
        snprintf(w->found->symbol, sizeof w->found->symbol, "%s", symbol);
        w->found->allocator = who;
    }
    elf_end(elf);
    close(fd);
    return who != NULL;
}

/* 1 when path is an ELF file of the program's class and machine. */
static int record_elf_matches(const record_walk_t *w, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    GElf_Ehdr eh;
    int ok = elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh) &&
             gelf_getclass(elf) == w->elf_class && eh.e_machine == w->machine;
    elf_end(elf);
    close(fd);
    return ok;
}

/* ---- the search path --------------------------------------------------------------------- */

static void record_read_conf(record_walk_t *w, const char *file, int depth);

static void record_conf_include(record_walk_t *w, const char *pattern, int depth)
{
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s%s", pattern[0] == '/' ? "" : "/etc/", pattern);
    glob_t g;
    if (glob(full, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++)
            record_read_conf(w, g.gl_pathv[i], depth + 1);
    globfree(&g);
}

static void record_read_conf(record_walk_t *w, const char *file, int depth)
{
    FILE *f = depth < 4 ? fopen(file, "re") : NULL;
    char line[PATH_MAX];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "#\r\n")] = 0;
        char *s = line + strspn(line, " \t");
        if (strncmp(s, "include", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
            s += 8 + strspn(s + 8, " \t");
            s[strcspn(s, " \t")] = 0;
            record_conf_include(w, s, depth);
        } else if (s[0] == '/' && w->nconf < RECORD_CONF_DIRS_MAX) {
            s[strcspn(s, " \t")] = 0;
            w->conf_dirs[w->nconf++] = strdup(s);
        }
    }
    if (f)
        fclose(f);
}

/* Tries dir/name with $ORIGIN expanded; 1 and path filled when it is a usable module. */
static int record_try_dir(const record_walk_t *w, const char *dir, size_t dir_len,
                          const char *origin, const char *name, char *path)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%.*s", (int)dir_len, dir);
    const char *o = strstr(d, "${ORIGIN}") ? "${ORIGIN}" : "$ORIGIN";
    char *at = strstr(d, o);
    int n;
    if (at)
        n = snprintf(path, PATH_MAX, "%.*s%s%s/%s", (int)(at - d), d, origin, at + strlen(o), name);
    else
        n = snprintf(path, PATH_MAX, "%s/%s", d[0] ? d : ".", name);
    return n > 0 && n < PATH_MAX && access(path, R_OK) == 0 && record_elf_matches(w, path);
}

/* Tries each directory of a ':'- or ';'-separated list. */
static int record_try_list(const record_walk_t *w, const char *list, const char *origin,
                           const char *name, char *path)
{
    for (const char *s = list; s && *s;) {
        size_t n = strcspn(s, ":;");
        if (n && record_try_dir(w, s, n, origin, name, path))
            return 1;
        s += n + (s[n] != 0);
    }
    return 0;
}

static int record_resolve(const record_walk_t *w, const record_module_t *from, const char *name,
                          char *path)
{
    char origin[PATH_MAX];
    snprintf(origin, sizeof origin, "%s", from->path);
    char *slash = strrchr(origin, '/');
    *(slash ? slash : origin) = 0;
    if (strchr(name, '/'))
        return snprintf(path, PATH_MAX, "%s", name), record_elf_matches(w, path);
    const record_module_t *prog = &w->mods[0];
    if (!from->runpath &&
        (record_try_list(w, from->rpath, origin, name, path) ||
         (from != prog && !prog->runpath && record_try_list(w, prog->rpath, origin, name, path))))
        return 1;
    if (record_try_list(w, getenv("LD_LIBRARY_PATH"), origin, name, path) ||
        record_try_list(w, from->runpath, origin, name, path))
        return 1;
    for (size_t i = 0; i < w->nconf; i++)
        if (record_try_dir(w, w->conf_dirs[i], strlen(w->conf_dirs[i]), origin, name, path))
            return 1;
    for (size_t i = 0; i < sizeof record_default_dirs / sizeof *record_default_dirs; i++)
        if (record_try_dir(w, record_default_dirs[i], strlen(record_default_dirs[i]), origin, name,
                           path))
            return 1;
    return 0;
}

/* ---- the walk ---------------------------------------------------------------------------- */

static void record_add_module(record_walk_t *w, const char *path)
{
    char *real = realpath(path, NULL);
    int known = !real || w->nmods == RECORD_LIBS_MAX;
    for (size_t i = 0; !known && i < w->nmods; i++)
        known = strcmp(w->mods[i].path, real) == 0;
    if (known) {
        free(real);
        return;
    }
    memset(&w->mods[w->nmods], 0, sizeof w->mods[0]);
    w->mods[w->nmods++].path = real;
}

static int record_program_kind(record_walk_t *w, const char *program)
{
    int fd = open(program, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    GElf_Ehdr eh;
    int ok = elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh);
    if (ok)
        w->elf_class = gelf_getclass(elf), w->machine = eh.e_machine;
    elf_end(elf);
    close(fd);
    return ok;
}

static void record_walk_free(record_walk_t *w)
{
    for (size_t i = 0; i < w->nmods; i++) {
        record_module_t *m = &w->mods[i];
        for (size_t j = 0; j < m->nneeded; j++)
            free(m->needed[j]);
        free(m->needed), free(m->path), free(m->rpath), free(m->runpath);
    }
    for (size_t i = 0; i < w->nconf; i++)
        free(w->conf_dirs[i]);
}

int record_find_hidden_allocator(const char *program, record_hidden_alloc_t *out)
{
    static record_walk_t walk; /* large; one walk per process */
    record_walk_t *w = &walk;
    memset(w, 0, sizeof *w);
    w->found = out;
    elf_version(EV_CURRENT);
    if (!record_program_kind(w, program))
        return 0;
    record_read_conf(w, "/etc/ld.so.conf", 0);
    record_add_module(w, program);
    int hit = 0;
    for (size_t i = 0; i < w->nmods && !hit; i++) {
        hit = record_scan_module(w, &w->mods[i]);
        for (size_t j = 0; !hit && j < w->mods[i].nneeded; j++) {
            char path[PATH_MAX];
            if (record_resolve(w, &w->mods[i], w->mods[i].needed[j], path))
                record_add_module(w, path);
        }
    }
    record_walk_free(w);
    return hit;
}
