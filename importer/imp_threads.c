/* imp_threads.c: the threads of the process being imported, by thread number.
 *
 * Gives each thread its database id at first sight, keeps its per-thread stack id
 * table (stack ids restart at 1 per thread) and writes the threads rows and their
 * health counters when the process is done. Never shares stack ids across threads.
 */
#include <stdlib.h>
#include <string.h>

#include "imp_array.h"
#include "imp_error.h"
#include "imp_threads.h"

static const char *const imp_counter_names[MTDB_COUNTER_COUNT] = {
#define IMP_COUNTER_NAME(name, str, doc) str,
    MTDB_COUNTER_LIST(IMP_COUNTER_NAME)
#undef IMP_COUNTER_NAME
};

static imp_thread_t *imp_thread_new(imp_pctx_t *p, uint32_t number, const char *file)
{
    if (p->nthreads == p->capthreads) {
        uint32_t cap = p->capthreads ? p->capthreads * 2 : 16;
        imp_thread_t **a = realloc(p->threads, cap * sizeof *a);
        if (!a)
            return NULL;
        p->threads = a, p->capthreads = cap;
    }
    imp_thread_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->number = number;
    t->thread_id = ++p->run->next_thread_id;
    t->file = file;
    p->threads[p->nthreads++] = t;
    return t;
}

imp_thread_t *imp_thread_get(imp_pctx_t *p, uint32_t number, const char *file)
{
    int added;
    uint64_t *slot = imp_hashmap_upsert(&p->thread_by_number, (uint64_t)number + 1, &added);
    if (!slot)
        return NULL;
    if (!added)
        return p->threads[*slot - 1];
    imp_thread_t *t = imp_thread_new(p, number, file);
    if (t)
        *imp_hashmap_find(&p->thread_by_number, (uint64_t)number + 1) = p->nthreads;
    return t;
}

int64_t imp_thread_stack(imp_thread_t *t, uint64_t local_id)
{
    return local_id && local_id <= t->nstacks ? t->stacks[local_id - 1] : 0;
}

int imp_thread_set_stack(imp_thread_t *t, uint64_t local_id, int64_t stack_id)
{
    if (!local_id || local_id > (1u << 28))
        return 0; /* ids come from the reader's count: never 0, never absurd */
    if (imp_grow((void **)&t->stacks, &t->capstacks, local_id - 1, sizeof *t->stacks))
        return IMP_ENOMEM;
    while (t->nstacks < local_id)
        t->stacks[t->nstacks++] = 0;
    t->stacks[local_id - 1] = stack_id;
    return 0;
}

/* Writes counters[0..count) of one thread (thread_id 0: the process itself). */
static int imp_counters_write(imp_pctx_t *p, int64_t thread_id, const uint64_t *counters,
                              uint32_t count)
{
    int rc = 0;
    if (count > MTDB_COUNTER_COUNT)
        count = MTDB_COUNTER_COUNT;
    for (uint32_t i = 0; !rc && i < count; i++) {
        imp_value_t row[4] = {imp_v_int(p->proc->process_id), imp_v_id(thread_id),
                              imp_v_text(imp_counter_names[i]), imp_v_int((int64_t)counters[i])};
        rc = imp_db_put(p->run->db, IMP_T_COUNTER, row);
    }
    return rc;
}

static int imp_thread_write(imp_pctx_t *p, const imp_thread_t *t)
{
    imp_value_t row[15] = {imp_v_int(t->thread_id),
                           imp_v_int(p->proc->process_id),
                           imp_v_int(t->number),
                           t->seen_thread_record ? imp_v_int((int64_t)t->tid) : imp_v_null(),
                           imp_v_text(t->name),
                           imp_v_int(!!(t->flags & MTDB_THREAD_MAIN)),
                           imp_v_id((int64_t)t->start_ns),
                           imp_v_id((int64_t)t->end_ns),
                           imp_v_int(t->ended_cleanly),
                           imp_v_text(t->file),
                           imp_v_int((int64_t)t->alloc_calls),
                           imp_v_int((int64_t)t->bytes_allocated),
                           imp_v_int((int64_t)t->free_calls),
                           imp_v_int((int64_t)t->bytes_freed),
                           imp_v_int((int64_t)t->cross_frees)};
    int rc = imp_db_put(p->run->db, IMP_T_THREAD, row);
    return rc ? rc : imp_counters_write(p, t->thread_id, t->counters, t->counter_count);
}

int imp_threads_write(imp_pctx_t *p)
{
    int rc = imp_counters_write(p, 0, p->proc->counters, p->proc->counter_count);
    for (uint32_t i = 0; !rc && i < p->nthreads; i++)
        rc = imp_thread_write(p, p->threads[i]);
    p->run->threads += p->nthreads;
    return rc;
}

void imp_threads_free(imp_pctx_t *p)
{
    for (uint32_t i = 0; i < p->nthreads; i++) {
        free(p->threads[i]->stacks);
        imp_stack_path_free(&p->threads[i]->stack_path);
        free(p->threads[i]->name);
        free(p->threads[i]);
    }
    free(p->threads);
    p->threads = NULL;
    p->nthreads = p->capthreads = 0;
    imp_hashmap_free(&p->thread_by_number);
}
