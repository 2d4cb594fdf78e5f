/* mtrec.h: optional API for programs recorded by mtdb.
 *
 * Mark a point or a phase in time with a label, pause and resume recording, flush the
 * calling thread's records. Header-only: each call looks the recorder up at run time
 * (dlsym), so a program using it runs unchanged, and the calls do nothing, without the
 * recorder. Link with -ldl on glibc older than 2.34.
 *
 *   mtrec_phase_begin("load");  ...  mtrec_phase_end("load");
 *   mtrec_point("checkpoint 3");
 *   mtrec_pause();  ...  mtrec_resume();   // frees are still recorded while paused
 */
#ifndef MTREC_H
#define MTREC_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>

#define MTREC_MARK_POINT 0
#define MTREC_MARK_PHASE_BEGIN 1
#define MTREC_MARK_PHASE_END 2

static inline void *mtrec__find(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

static inline void mtrec__call_mark(int kind, const char *label)
{
    static void (*fn)(int, const char *);
    static int looked;
    if (!looked) {
        *(void **)&fn = mtrec__find("mtrec__mark");
        looked = 1;
    }
    if (fn)
        fn(kind, label);
}

static inline void mtrec__call_paused(int paused)
{
    static void (*fn)(int);
    static int looked;
    if (!looked) {
        *(void **)&fn = mtrec__find("mtrec__set_paused");
        looked = 1;
    }
    if (fn)
        fn(paused);
}

static inline void mtrec_point(const char *label)
{
    mtrec__call_mark(MTREC_MARK_POINT, label);
}
static inline void mtrec_phase_begin(const char *label)
{
    mtrec__call_mark(MTREC_MARK_PHASE_BEGIN, label);
}
static inline void mtrec_phase_end(const char *label)
{
    mtrec__call_mark(MTREC_MARK_PHASE_END, label);
}
static inline void mtrec_pause(void)
{
    mtrec__call_paused(1);
}
static inline void mtrec_resume(void)
{
    mtrec__call_paused(0);
}

static inline void mtrec_flush(void)
{
    void (*fn)(void);
    *(void **)&fn = mtrec__find("mtrec__flush");
    if (fn)
        fn();
}

/* 1 when the recorder is loaded and recording (not paused). */
static inline int mtrec_active(void)
{
    int (*fn)(void);
    *(void **)&fn = mtrec__find("mtrec__recording");
    return fn ? fn() : 0;
}

#endif
