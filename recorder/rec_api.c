/* rec_api.c: the functions behind mtrec.h: marks, pause, resume, flush.
 *
 * Programs reach them through mtrec.h, which finds them at run time, so a program
 * that uses the API runs unchanged without the recorder. Allocation-free.
 */
#include <errno.h>

#include "mtrec.h"
#include "rec_internal.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT void mtrec__mark(int kind, const char *label)
{
    if (!rec_ready())
        return;
    rec_thread_t *t = rec_tls;
    if (t->mode == REC_UNBORN)
        t = rec_thread_attach();
    if (!t || t->mode != REC_ACTIVE || t->depth)
        return;
    int saved = errno;
    t->depth = 1;
    uint8_t rec[16 + 256], *p = rec;
    size_t len = label ? strnlen(label, 255) : 0;
    uint64_t now = rec_now_ns();
    /* The delta is from the block's last time; open a block first so it is known. */
    if (rec_block_ensure(t, sizeof rec, now) == 0) {
        p = mtdb_enc_mark(p, &t->enc, (unsigned)kind, now, label ? label : "", len);
        rec_append_meta(t, rec, (uint32_t)(p - rec));
    }
    t->depth = 0;
    errno = saved;
}

EXPORT void mtrec__set_paused(int paused)
{
    if (rec_ready())
        rec_set_paused(paused);
}

EXPORT void mtrec__flush(void)
{
    rec_thread_t *t = rec_tls;
    if (!rec_ready() || t->mode != REC_ACTIVE || t->depth)
        return;
    t->depth = 1;
    rec_append_counters(t);
    rec_block_close(t, 0);
    t->depth = 0;
}

EXPORT int mtrec__recording(void)
{
    return rec_ready() && !rec_paused();
}
