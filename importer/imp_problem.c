/* imp_problem.c: one import_problems row and one warning per problem (imp_problem.h).
 * Must never stop the import for a problem: only a failed row write is an error.
 */
#include <stdio.h>

#include "imp_notify.h"
#include "imp_problem.h"

/* The warning as a person reads it: where, what, and what it cost. */
static void imp_problem_text(const imp_problem_t *pr, char *text, size_t len)
{
    if (pr->file)
        snprintf(text, len, "%s: offset %llu: %s (%llu bytes, %llu events skipped)", pr->file,
                 (unsigned long long)pr->offset, pr->message, (unsigned long long)pr->bytes,
                 (unsigned long long)pr->events);
    else if (pr->pid)
        snprintf(text, len, "process %lld (pid %u): %s", (long long)pr->process_id, pr->pid,
                 pr->message);
    else
        snprintf(text, len, "process %lld: %s (%llu events lost)", (long long)pr->process_id,
                 pr->message, (unsigned long long)pr->events);
}

static void imp_problem_notify(const imp_run_t *run, const imp_problem_t *pr)
{
    if (!run->opt->on_event)
        return;
    char text[8192];
    imp_problem_text(pr, text, sizeof text);
    imp_notify(run->opt, &(mtdb_import_event_t){.kind = MTDB_IMPORT_EV_PROBLEM,
                                                .text = text,
                                                .problem_kind = pr->kind,
                                                .file = pr->file,
                                                .offset = pr->offset,
                                                .process_id = pr->process_id,
                                                .thread = pr->thread,
                                                .bytes_skipped = pr->bytes,
                                                .events_lost = pr->events});
}

int imp_problem_add(imp_run_t *run, const imp_problem_t *pr)
{
    imp_value_t row[9] = {imp_v_null(),
                          imp_v_text(pr->file),
                          pr->file ? imp_v_int((int64_t)pr->offset) : imp_v_null(),
                          imp_v_text(pr->kind),
                          imp_v_id(pr->process_id),
                          imp_v_id(pr->thread),
                          imp_v_int((int64_t)pr->bytes),
                          imp_v_int((int64_t)pr->events),
                          imp_v_text(pr->message)};
    int rc = imp_db_put(run->db, IMP_T_PROBLEM, row);
    if (rc)
        return rc;
    run->warnings++;
    imp_problem_notify(run, pr);
    return 0;
}
