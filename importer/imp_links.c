/* imp_links.c: links each process image to the one it came from, then writes processes.
 *
 * fork: PROCESS.parent_nonce names the forking image. exec: an image of the same pid
 * that recorded an exec before this one started. spawn: an image whose pid is our ppid
 * and whose lifetime covers our start. Otherwise a root. Never links an image to itself.
 */
#include <stdio.h>

#include "imp_error.h"
#include "imp_links.h"

static uint64_t imp_proc_start(const imp_proc_t *p)
{
    return p->have_info ? p->mono_ns : p->stats.first_ns;
}

static uint64_t imp_proc_end(const imp_proc_t *p)
{
    return p->have_exit && p->exit_ns > p->stats.last_ns ? p->exit_ns : p->stats.last_ns;
}

static const imp_proc_t *imp_find_fork_parent(const imp_run_t *run, const imp_proc_t *c)
{
    for (uint32_t i = 0; c->parent_nonce && i < run->nprocs; i++)
        if (run->procs[i].nonce == c->parent_nonce && &run->procs[i] != c)
            return &run->procs[i];
    return NULL;
}

static const imp_proc_t *imp_find_exec_parent(const imp_run_t *run, const imp_proc_t *c)
{
    const imp_proc_t *best = NULL;
    for (uint32_t i = 0; i < run->nprocs; i++) {
        const imp_proc_t *x = &run->procs[i];
        if (x == c || x->pid != c->pid || !x->exec_path || x->exec_ns > imp_proc_start(c))
            continue;
        if (!best || x->exec_ns > best->exec_ns)
            best = x;
    }
    return best;
}

static const imp_proc_t *imp_find_spawn_parent(const imp_run_t *run, const imp_proc_t *c)
{
    uint64_t start = imp_proc_start(c);
    for (uint32_t i = 0; c->have_info && i < run->nprocs; i++) {
        const imp_proc_t *x = &run->procs[i];
        if (x != c && x->pid == c->ppid && imp_proc_start(x) <= start && imp_proc_end(x) >= start)
            return x;
    }
    return NULL;
}

static void imp_link_one(imp_run_t *run, imp_proc_t *c)
{
    const imp_proc_t *parent;
    c->started_by = "root";
    if ((parent = imp_find_fork_parent(run, c)))
        c->started_by = "fork";
    else if ((parent = imp_find_exec_parent(run, c)))
        c->started_by = "exec";
    else if ((parent = imp_find_spawn_parent(run, c)))
        c->started_by = "spawn";
    c->parent_process_id = parent ? parent->process_id : 0;
}

static const char *imp_exit_how(const imp_proc_t *p)
{
    if (!p->have_exit)
        return NULL;
    return p->exit_how == MTDB_EXIT_ATEXIT      ? "atexit"
           : p->exit_how == MTDB_EXIT_EXIT_CALL ? "_exit"
                                                : "other";
}

static int imp_proc_write(imp_run_t *run, const imp_proc_t *p)
{
    char nonce[17];
    snprintf(nonce, sizeof nonce, "%016llx", (unsigned long long)p->nonce);
    imp_value_t row[18] = {imp_v_int(p->process_id),
                           imp_v_int(p->pid),
                           p->have_info ? imp_v_int((int64_t)p->ppid) : imp_v_null(),
                           imp_v_id(p->parent_process_id),
                           imp_v_text(p->started_by),
                           imp_v_text(nonce),
                           imp_v_text(p->command),
                           imp_v_text(p->exe),
                           p->have_info ? imp_v_int((int64_t)p->mono_ns) : imp_v_null(),
                           p->have_info ? imp_v_int((int64_t)p->wall_ns) : imp_v_null(),
                           p->have_info ? imp_v_int((int64_t)p->clock_cost_ns) : imp_v_null(),
                           imp_v_id((int64_t)imp_proc_end(p)),
                           imp_v_text(imp_exit_how(p)),
                           p->have_exit ? imp_v_int((int64_t)p->exit_status) : imp_v_null(),
                           imp_v_text(p->exec_path),
                           imp_v_text(p->recorder_version),
                           imp_v_text(p->unwinder),
                           imp_v_text(p->settings)};
    return imp_db_put(run->db, IMP_T_PROCESS, row);
}

int imp_links_write(imp_run_t *run)
{
    int rc = 0;
    for (uint32_t i = 0; i < run->nprocs; i++)
        imp_link_one(run, &run->procs[i]);
    for (uint32_t i = 0; !rc && i < run->nprocs; i++)
        rc = imp_proc_write(run, &run->procs[i]);
    return rc;
}
