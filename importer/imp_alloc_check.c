/* imp_alloc_check.c: notes, per process, heap use the recorder could not have seen: an
 * allocator linked into one of its modules (the symbols of format/mtdb_allocators.h), or
 * a run of MTDB_QUIET_NS or more without a single heap call. Each becomes one
 * import_problems row (kind hidden_allocator or no_heap_calls) and a warning.
 * Reads module files only; a missing or unreadable file is simply not checked.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imp_alloc_check.h"
#include "imp_problem.h"
#include "mtdb_allocators.h"

/* One problem about the program itself (no file, no offset). */
static int imp_note(imp_pctx_t *p, const char *kind, const char *message)
{
    return imp_problem_add(p->run, &(imp_problem_t){.kind = kind,
                                                    .message = message,
                                                    .process_id = p->proc->process_id,
                                                    .pid = p->proc->pid});
}

/* What a module file's symbol tables say about allocators (mtdb_allocators.h). */
struct imp_module_alloc {
    int checked, exports_malloc;
    const char *who; /* the allocator, or NULL */
    char symbol[64]; /* the symbol that names it */
};

/* The facts of module id (at path), read from the file the first time only; NULL when
 * out of memory. A file that cannot be read has none. */
static const struct imp_module_alloc *imp_module_facts(imp_run_t *run, uint32_t id,
                                                       const char *path)
{
    if (id > run->nmodule_allocs) {
        uint32_t n = id > 2 * run->nmodule_allocs ? id : 2 * run->nmodule_allocs;
        struct imp_module_alloc *m = realloc(run->module_allocs, n * sizeof *m);
        if (!m)
            return NULL;
        memset(m + run->nmodule_allocs, 0, (n - run->nmodule_allocs) * sizeof *m);
        run->module_allocs = m, run->nmodule_allocs = n;
    }
    struct imp_module_alloc *f = &run->module_allocs[id - 1];
    if (f->checked)
        return f;
    f->checked = 1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return f;
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    const char *symbol = NULL;
    f->who = elf ? mtdb_elf_allocator_facts(elf, &symbol, &f->exports_malloc) : NULL;
    if (f->who)
        snprintf(f->symbol, sizeof f->symbol, "%s", symbol ? symbol : "");
    elf_end(elf);
    close(fd);
    return f;
}

/* Writes the problem row when module id (at path) has an allocator that hides blocks
 * from the recorder: 1 if it did, 0 if it has none, or the code of a failed write. */
static int imp_module_allocator(imp_pctx_t *p, uint32_t id, const char *path)
{
    const struct imp_module_alloc *f = imp_module_facts(p->run, id, path);
    if (!f)
        return IMP_ENOMEM;
    int is_program = p->proc->exe && strcmp(path, p->proc->exe) == 0;
    if (!mtdb_allocator_hides(f->who, is_program, f->exports_malloc))
        return 0;
    char msg[1024];
    snprintf(msg, sizeof msg,
             "%s has an allocator linked in (%s: %s defines %s): the blocks it serves "
             "never reached the recorder and are missing",
             p->proc->exe ? p->proc->exe : "the program", f->who, path, f->symbol);
    int rc = imp_note(p, "hidden_allocator", msg);
    return rc ? rc : 1;
}

void imp_alloc_check_free(imp_run_t *run)
{
    free(run->module_allocs);
    run->module_allocs = NULL, run->nmodule_allocs = 0;
}

/* When the process ended: its exit, else the last thing any of its threads did. */
static uint64_t imp_process_end(const imp_pctx_t *p)
{
    if (p->proc->have_exit)
        return p->proc->exit_ns;
    uint64_t end = 0;
    for (uint32_t i = 0; i < p->nthreads; i++)
        end = p->threads[i]->end_ns > end ? p->threads[i]->end_ns : end;
    return end;
}

static int imp_check_quiet(imp_pctx_t *p)
{
    const imp_proc_t *proc = p->proc;
    if (proc->stats.events || !proc->have_info ||
        (proc->settings && strstr(proc->settings, "MTDB_START=paused")))
        return 0;
    uint64_t end = imp_process_end(p);
    if (end < proc->mono_ns + MTDB_QUIET_NS)
        return 0;
    char msg[1024];
    snprintf(msg, sizeof msg,
             "%s ran %.1f s without a single heap call the recorder saw: if it has its own "
             "allocator, its blocks are missing",
             proc->exe ? proc->exe : "the program", (double)(end - proc->mono_ns) / 1e9);
    return imp_note(p, "no_heap_calls", msg);
}

int imp_alloc_check(imp_pctx_t *p)
{
    const imp_store_t *s = &p->run->store;
    int found = 0;
    for (uint32_t i = 0; i < p->modmap.ncur && !found; i++) {
        uint32_t id = p->modmap.cur[i].module_id;
        if (id && id <= s->nmodules)
            found = imp_module_allocator(p, id, s->module_path[id - 1]);
    }
    return found < 0 ? found : found ? 0 : imp_check_quiet(p);
}
