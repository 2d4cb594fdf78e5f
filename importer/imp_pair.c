/* imp_pair.c: pairs allocations with frees by address, in the merged time order.
 *
 * The map holds, per address ever seen, either the live block there or, once freed,
 * the id of the block the free ended (to tell a double free from an unmatched one).
 * A block's row is written when it ends, so memory follows the live blocks, not the
 * trace. Freed addresses are forgotten when they outnumber the live blocks by far
 * (imp_pair_compact): a double free of a forgotten address counts as unmatched.
 * Once the process is known to have lost events (imp_loss.c), a free without a block
 * and an allocation over a live block are the partners of lost events: counted, never
 * reported as unmatched, double or lost frees. Must never pair a free with a block
 * allocated after it.
 */
#include <stdlib.h>

#include "imp_array.h"
#include "imp_func_name.h"
#include "imp_pair.h"
#include "imp_problem.h"
#include "imp_error.h"

/* Freed addresses remembered beyond twice the live blocks (for double frees). */
#ifndef IMP_MAX_FREED
#define IMP_MAX_FREED (1u << 20)
#endif

static int imp_live_slot(imp_pctx_t *p, uint64_t *index)
{
    if (p->nfree_slots) {
        *index = p->free_slots[--p->nfree_slots];
        return 0;
    }
    if (p->nlive == p->caplive) {
        uint64_t cap = p->caplive ? p->caplive * 2 : 4096;
        imp_live_t *a = imp_realloc_big(p->live, p->caplive * sizeof *a, cap * sizeof *a);
        if (!a)
            return IMP_ENOMEM;
        p->live = a, p->caplive = cap;
    }
    *index = p->nlive++;
    return 0;
}

static int imp_live_release(imp_pctx_t *p, uint64_t index)
{
    if (p->nfree_slots == p->capfree_slots) {
        uint64_t cap = p->capfree_slots ? p->capfree_slots * 2 : 4096;
        uint64_t *a = realloc(p->free_slots, cap * sizeof *a);
        if (!a)
            return IMP_ENOMEM;
        p->free_slots = a, p->capfree_slots = cap;
    }
    p->free_slots[p->nfree_slots++] = index;
    return 0;
}

/* free_func of a block whose free was among lost events: free_ns is an upper bound. */
#define IMP_FREE_LOST (-1)

/* Writes the row of block b, ended by a free (free_thread 0: still live, unless its
 * free was lost). */
static int imp_block_emit(imp_pctx_t *p, const imp_live_t *b, int64_t free_thread, uint64_t free_ns,
                          int free_func, int64_t free_stack, int64_t *id)
{
    int ended = free_thread || free_func == IMP_FREE_LOST;
    *id = ++p->run->next_block_id;
    p->run->blocks++;
    imp_value_t row[14] = {imp_v_int(*id),
                           imp_v_int(p->proc->process_id),
                           imp_v_int(b->thread_id),
                           imp_v_int((int64_t)b->address),
                           imp_v_int((int64_t)b->size),
                           imp_v_int((int64_t)b->alloc_ns),
                           imp_v_text(imp_func_name(b->func)),
                           imp_v_id(b->stack_id),
                           imp_v_int((int64_t)b->weight),
                           imp_v_id(b->prev_block_id),
                           imp_v_id(free_thread),
                           ended ? imp_v_int((int64_t)free_ns) : imp_v_null(),
                           !ended ? imp_v_null()
                           : free_func == IMP_FREE_LOST
                               ? imp_v_text("lost")
                               : imp_v_text(imp_func_name((unsigned)free_func)),
                           imp_v_id(free_stack)};
    imp_spool_block_t s = {(uint32_t)p->proc->process_id,
                           (uint32_t)b->thread_id,
                           (uint32_t)b->stack_id,
                           (uint32_t)free_thread,
                           (uint32_t)free_stack,
                           (uint32_t)ended,
                           b->size,
                           b->weight,
                           b->alloc_ns,
                           ended ? free_ns : 0};
    imp_spool_add(&p->run->spool, &s);
    return imp_db_put(p->run->db, IMP_T_BLOCK, row);
}

static void imp_stats_alloc(imp_pctx_t *p, imp_thread_t *t, const imp_live_t *b)
{
    imp_stats_t *s = &p->proc->stats;
    s->alloc_calls++;
    s->bytes_allocated += b->size;
    s->live_blocks++;
    s->live_bytes += b->size;
    if (s->live_bytes > s->peak_live_bytes) {
        s->peak_live_bytes = s->live_bytes;
        s->peak_ns = b->alloc_ns;
    }
    t->alloc_calls++;
    t->bytes_allocated += b->size;
}

int imp_pair_alloc(imp_pctx_t *p, imp_thread_t *t, const imp_live_t *b)
{
    int added;
    uint64_t *slot = imp_hashmap_upsert(&p->by_address, b->address, &added);
    if (!slot)
        return IMP_ENOMEM;
    if (!added && !(*slot & IMP_FREED)) { /* the free of the block there was lost */
        int64_t id;
        imp_live_t *old = &p->live[*slot - 1];
        p->proc->stats.live_blocks--;
        p->proc->stats.live_bytes -= old->size;
        int rc;
        if (p->loss_seen) { /* its free was among the lost events: it ended by now */
            p->frees_lost_in_gaps++;
            rc = imp_block_emit(p, old, 0, b->alloc_ns, IMP_FREE_LOST, 0, &id);
        } else {
            rc = imp_problem_add(
                p->run,
                &(imp_problem_t){.kind = "lost_free",
                                 .message = "allocation at the address of a live block: its free "
                                            "was lost",
                                 .process_id = p->proc->process_id,
                                 .file = p->cur_file,
                                 .offset = p->cur_offset,
                                 .thread = t->number,
                                 .events = 1});
            if (!rc)
                rc = imp_block_emit(p, old, 0, 0, 0, 0, &id);
        }
        old[0] = *b;
        imp_stats_alloc(p, t, b);
        return rc;
    }
    uint64_t index;
    if (imp_live_slot(p, &index))
        return IMP_ENOMEM;
    p->live[index] = *b;
    *slot = index + 1;
    imp_stats_alloc(p, t, b);
    return 0;
}

static int imp_pair_lone_free(imp_pctx_t *p, imp_thread_t *t, uint64_t addr, uint64_t ts, int func,
                              int64_t stack_id, uint64_t *slot)
{
    if (p->loss_seen) { /* its block's allocation, or a later one, may have been lost */
        p->unknown_frees++;
        return 0;
    }
    imp_value_t row[7] = {imp_v_int(p->proc->process_id),
                          imp_v_int(t->thread_id),
                          imp_v_int((int64_t)addr),
                          imp_v_int((int64_t)ts),
                          imp_v_text(imp_func_name((unsigned)func)),
                          imp_v_id(stack_id),
                          imp_v_null()};
    if (!slot) {
        p->proc->stats.unmatched_frees++;
        return imp_db_put(p->run->db, IMP_T_UNMATCHED, row);
    }
    p->proc->stats.double_frees++;
    row[6] = imp_v_int((int64_t)(*slot & ~IMP_FREED));
    return imp_db_put(p->run->db, IMP_T_DOUBLE, row);
}

/* Rebuilds the address map with the live blocks only. */
static int imp_pair_compact(imp_pctx_t *p)
{
    imp_hashmap_t fresh;
    imp_hashmap_init(&fresh);
    const imp_hashmap_t *old = &p->by_address;
    for (uint64_t i = 0; i <= old->mask; i++) {
        if (!old->keys[i] || (old->vals[i] & IMP_FREED))
            continue;
        int added;
        uint64_t *slot = imp_hashmap_upsert(&fresh, old->keys[i], &added);
        if (!slot)
            return imp_hashmap_free(&fresh), IMP_ENOMEM;
        *slot = old->vals[i];
    }
    imp_hashmap_free(&p->by_address);
    p->by_address = fresh;
    return 0;
}

static int imp_pair_maybe_compact(imp_pctx_t *p)
{
    uint64_t live = p->nlive - p->nfree_slots;
    if (p->by_address.count - live <= IMP_MAX_FREED + 2 * live)
        return 0;
    return imp_pair_compact(p);
}

int imp_pair_free(imp_pctx_t *p, imp_thread_t *t, uint64_t addr, uint64_t ts, int func,
                  int64_t stack_id, int64_t *freed_block)
{
    uint64_t *slot = imp_hashmap_find(&p->by_address, addr);
    *freed_block = 0;
    if (!slot || (*slot & IMP_FREED))
        return imp_pair_lone_free(p, t, addr, ts, func, stack_id, slot);
    uint64_t index = *slot - 1;
    const imp_live_t *b = &p->live[index];
    imp_stats_t *s = &p->proc->stats;
    s->free_calls++;
    s->live_blocks--;
    s->live_bytes -= b->size;
    t->free_calls++;
    t->bytes_freed += b->size;
    t->cross_frees += b->thread_id != t->thread_id;
    int rc = imp_block_emit(p, b, t->thread_id, ts, func, stack_id, freed_block);
    *slot = IMP_FREED | (uint64_t)*freed_block;
    if (!rc)
        rc = imp_live_release(p, index);
    return rc ? rc : imp_pair_maybe_compact(p);
}

int imp_pair_finish(imp_pctx_t *p)
{
    int rc = 0;
    for (uint64_t i = 0; !rc && p->by_address.keys && i <= p->by_address.mask; i++) {
        uint64_t v = p->by_address.vals[i];
        if (!p->by_address.keys[i] || (v & IMP_FREED))
            continue;
        int64_t id;
        rc = imp_block_emit(p, &p->live[v - 1], 0, 0, 0, 0, &id);
    }
    return rc;
}

void imp_pair_release(imp_pctx_t *p)
{
    imp_hashmap_free(&p->by_address);
    free(p->live);
    free(p->free_slots);
    p->live = NULL, p->free_slots = NULL;
    p->nlive = p->caplive = p->nfree_slots = p->capfree_slots = 0;
}
