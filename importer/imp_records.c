/* imp_records.c: what each trace record does to the import, one function per type.
 *
 * Called by the merge in global time order. Heap events go to the pairing; the rest
 * fill threads, stacks, module maps, marks, states and process facts. A REALLOC is
 * applied in two halves (free of the old block, then the new block) at its two times.
 * Must never trust a stack id or thread number it has not seen defined.
 */
#include <stdlib.h>
#include <string.h>

#include "imp_error.h"
#include "imp_func_name.h"
#include "imp_hashmap.h"
#include "imp_loss.h"
#include "imp_pair.h"
#include "imp_records.h"
#include "imp_threads.h"

#define IMP_IP_FRAMES 4096 /* entries of imp_pctx_t.ip_frames, a power of two */

typedef int (*imp_record_fn)(imp_pctx_t *p, const mtdb_record_t *r, int half);

static imp_thread_t *imp_rec_thread(imp_pctx_t *p, const mtdb_record_t *r)
{
    imp_thread_t *t = imp_thread_get(p, r->thread, p->cur_file);
    if (!t)
        return NULL;
    if (r->block_flags & MTDB_BLOCK_THREAD_LAST)
        t->ended_cleanly = 1;
    return t;
}

/* The global stack of a heap record; none when records of the thread were lost since
 * its first block (the reader then cannot be sure which STACK a number means). */
static int64_t imp_rec_stack_id(imp_thread_t *t, const mtdb_record_t *r)
{
    return r->stack_ids_uncertain ? 0 : imp_thread_stack(t, r->stack_id);
}

static void imp_rec_times(imp_pctx_t *p, imp_thread_t *t, uint64_t ts)
{
    imp_stats_t *s = &p->proc->stats;
    if (!s->first_ns || ts < s->first_ns)
        s->first_ns = ts;
    if (ts > s->last_ns)
        s->last_ns = ts;
    if (ts > t->end_ns)
        t->end_ns = ts;
}

static int imp_rec_alloc(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    imp_thread_t *t = imp_rec_thread(p, r);
    if (!t)
        return IMP_ENOMEM;
    p->proc->stats.events++;
    imp_rec_times(p, t, r->ts_ns);
    imp_live_t b = {
        r->addr, r->size, r->ts_ns, r->weight ? r->weight : 1, t->thread_id, imp_rec_stack_id(t, r),
        0,       r->sub};
    return imp_pair_alloc(p, t, &b);
}

static int imp_rec_free(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    imp_thread_t *t = imp_rec_thread(p, r);
    if (!t)
        return IMP_ENOMEM;
    p->proc->stats.events++;
    imp_rec_times(p, t, r->ts_ns);
    if (!r->addr)
        return 0;
    int64_t stack = r->has_stack ? imp_rec_stack_id(t, r) : 0, block;
    return imp_pair_free(p, t, r->addr, r->ts_ns, (int)mtdb_free_func_decode(r->sub), stack, &block);
}

/* Half 0 frees the old block at the first time; half 1 allocates the new one. */
static int imp_rec_realloc(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    imp_thread_t *t = imp_rec_thread(p, r);
    if (!t)
        return IMP_ENOMEM;
    if (half == 0) {
        p->proc->stats.events++;
        imp_rec_times(p, t, r->ts_ns);
        t->realloc_prev = 0;
        if (!r->old_addr)
            return 0;
        return imp_pair_free(p, t, r->old_addr, r->ts_ns, r->sub, 0, &t->realloc_prev);
    }
    imp_rec_times(p, t, r->ts2_ns);
    p->proc->stats.realloc_calls++;
    if (!r->addr)
        return 0;
    imp_live_t b = {r->addr,         r->size,
                    r->ts2_ns,       r->weight ? r->weight : 1,
                    t->thread_id,    imp_rec_stack_id(t, r),
                    t->realloc_prev, r->sub};
    return imp_pair_alloc(p, t, &b);
}

static int imp_rec_fail(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    imp_thread_t *t = imp_rec_thread(p, r);
    if (!t)
        return IMP_ENOMEM;
    p->proc->stats.events++;
    p->proc->stats.failed_calls++;
    imp_rec_times(p, t, r->ts_ns);
    imp_value_t row[5] = {imp_v_int(p->proc->process_id), imp_v_int(t->thread_id),
                          imp_v_int((int64_t)r->ts_ns), imp_v_text(imp_func_name(r->sub)),
                          imp_v_int((int64_t)r->size)};
    return imp_db_put(p->run->db, IMP_T_FAILED, row);
}

static int imp_rec_stack(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    imp_thread_t *t = imp_rec_thread(p, r);
    if (!t)
        return IMP_ENOMEM;
    if (r->depth > p->capframe_buf) {
        uint32_t *a = realloc(p->frame_buf, r->depth * sizeof *a);
        if (!a)
            return IMP_ENOMEM;
        p->frame_buf = a, p->capframe_buf = r->depth;
    }
    if (!p->ip_frames && !(p->ip_frames = calloc(IMP_IP_FRAMES, sizeof *p->ip_frames)))
        return IMP_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; !rc && i < r->depth; i++) {
        uint64_t ip = r->frames[i];
        struct imp_ip_frame *c = &p->ip_frames[imp_hash64(ip) & (IMP_IP_FRAMES - 1)];
        if (c->frame_id && c->ip == ip && c->gen == p->modmap.gen) {
            p->frame_buf[i] = c->frame_id;
            continue;
        }
        uint32_t module;
        uint64_t offset;
        imp_modmap_resolve(&p->modmap, ip, &module, &offset);
        rc = imp_store_frame(&p->run->store, module, offset, &p->frame_buf[i]);
        if (!rc)
            c->ip = ip, c->frame_id = p->frame_buf[i], c->gen = p->modmap.gen;
    }
    int64_t stack_id = 0;
    if (!rc)
        rc = imp_store_stack(&p->run->store, p->frame_buf, r->depth, &t->stack_path, &stack_id);
    return rc ? rc : imp_thread_set_stack(t, r->stack_id, stack_id);
}

static int imp_rec_thread_start(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    imp_thread_t *t = imp_rec_thread(p, r);
    if (!t)
        return IMP_ENOMEM;
    t->tid = r->tid, t->flags = r->thread_flags, t->start_ns = r->ts_ns;
    t->seen_thread_record = 1;
    t->file = p->cur_file;
    return 0;
}

static int imp_rec_name(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    imp_thread_t *t = imp_rec_thread(p, r);
    char *name = strndup((const char *)r->str, r->str_len);
    if (!t || !name)
        return free(name), IMP_ENOMEM;
    free(t->name);
    t->name = name;
    return 0;
}

static int imp_rec_counters(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    uint64_t *dst = p->proc->counters;
    uint32_t *count = &p->proc->counter_count;
    if (r->thread) {
        imp_thread_t *t = imp_rec_thread(p, r);
        if (!t)
            return IMP_ENOMEM;
        dst = t->counters, count = &t->counter_count;
    }
    *count = r->counter_count < MTDB_COUNTER_COUNT ? r->counter_count : MTDB_COUNTER_COUNT;
    memcpy(dst, r->counters, *count * sizeof *dst);
    imp_loss_on_counters(p, r);
    return 0;
}

static int imp_rec_modules(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    return imp_modmap_update(&p->modmap, &p->run->store, r->modules, r->module_count, r->ts_ns);
}

static int imp_rec_mark(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    static const char *const kinds[] = {"point", "phase_begin", "phase_end"};
    imp_thread_t *t = r->thread ? imp_rec_thread(p, r) : NULL;
    if (r->thread && !t)
        return IMP_ENOMEM;
    imp_value_t row[5] = {imp_v_int(p->proc->process_id), imp_v_id(t ? t->thread_id : 0),
                          imp_v_int((int64_t)r->ts_ns),
                          imp_v_text(r->sub < 3 ? kinds[r->sub] : "other"),
                          imp_v_bytes(r->str ? (const void *)r->str : "", r->str_len)};
    return imp_db_put(p->run->db, IMP_T_MARK, row);
}

static int imp_rec_state(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    static const char *const states[] = {"other", "paused", "resumed", "exec", "forked"};
    imp_thread_t *t = r->thread ? imp_rec_thread(p, r) : NULL;
    if (r->thread && !t)
        return IMP_ENOMEM;
    imp_proc_t *proc = p->proc;
    if (r->sub == MTDB_STATE_EXEC && !proc->exec_path) {
        proc->exec_path = strndup(r->str ? (const char *)r->str : "", r->str_len);
        proc->exec_ns = r->ts_ns;
    }
    int has_text = r->sub == MTDB_STATE_EXEC && r->str;
    imp_value_t row[6] = {imp_v_int(proc->process_id),
                          imp_v_id(t ? t->thread_id : 0),
                          imp_v_int((int64_t)r->ts_ns),
                          imp_v_text(states[r->sub < 5 ? r->sub : 0]),
                          r->sub == MTDB_STATE_FORKED ? imp_v_int((int64_t)r->value) : imp_v_null(),
                          has_text ? imp_v_bytes(r->str, r->str_len) : imp_v_null()};
    return imp_db_put(p->run->db, IMP_T_STATE, row);
}

static char *imp_join_argv(const mtdb_process_info_t *pi)
{
    size_t len = 1;
    for (uint32_t i = 0; i < pi->argc; i++)
        len += strlen(pi->argv[i]) + 1;
    char *s = calloc(1, len);
    for (uint32_t i = 0; s && i < pi->argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, pi->argv[i]);
    }
    return s;
}

static int imp_rec_process(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    imp_proc_t *proc = p->proc;
    const mtdb_process_info_t *pi = r->process;
    if (!pi || proc->have_info)
        return 0;
    proc->have_info = 1;
    proc->ppid = pi->ppid, proc->parent_nonce = pi->parent_nonce;
    proc->mono_ns = pi->mono_ns, proc->wall_ns = pi->wall_ns;
    proc->clock_cost_ns = pi->clock_cost_ns;
    proc->command = imp_join_argv(pi);
    proc->exe = pi->exe ? strdup(pi->exe) : NULL;
    proc->recorder_version = pi->recorder_version ? strdup(pi->recorder_version) : NULL;
    proc->unwinder = pi->unwinder ? strdup(pi->unwinder) : NULL;
    proc->settings = pi->settings ? strdup(pi->settings) : NULL;
    return 0;
}

/* The last EXIT wins (an _exit called by an exit handler sets the real status). Its
 * block names the thread that ended the process: that thread ended cleanly. */
static int imp_rec_exit(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    (void)half;
    if (r->thread) {
        imp_thread_t *t = imp_thread_get(p, r->thread, p->cur_file);
        if (!t)
            return IMP_ENOMEM;
        t->ended_cleanly = 1;
    }
    p->proc->have_exit = 1;
    p->proc->exit_ns = r->ts_ns;
    p->proc->exit_how = r->sub;
    p->proc->exit_status = r->value;
    return 0;
}

static const imp_record_fn imp_record_fns[16] = {
    [MTDB_REC_ALLOC] = imp_rec_alloc,     [MTDB_REC_FREE] = imp_rec_free,
    [MTDB_REC_REALLOC] = imp_rec_realloc, [MTDB_REC_FAIL] = imp_rec_fail,
    [MTDB_REC_STACK] = imp_rec_stack,     [MTDB_REC_THREAD] = imp_rec_thread_start,
    [MTDB_REC_NAME] = imp_rec_name,       [MTDB_REC_COUNTERS] = imp_rec_counters,
    [MTDB_REC_MODULES] = imp_rec_modules, [MTDB_REC_MARK] = imp_rec_mark,
    [MTDB_REC_STATE] = imp_rec_state,     [MTDB_REC_PROCESS] = imp_rec_process,
    [MTDB_REC_EXIT] = imp_rec_exit,
};

int imp_record_apply(imp_pctx_t *p, const mtdb_record_t *r, int half)
{
    imp_record_fn fn = imp_record_fns[r->type & 0x0F];
    return fn ? fn(p, r, half) : 0;
}
