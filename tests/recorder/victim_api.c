/* victim_api.c: every heap entry point once or a few times, edge cases included.
 *
 * Single-threaded; each call's outcome is checked here and counted, so the test can
 * compare the trace with what really happened. Must not use stdio (its buffer would be
 * an allocation of its own); it reports through vc_put.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "mtrec.h"
#include "victim_common.h"

static long n_alloc[11], n_realloc_rec[11], n_free, n_free_realloc, n_free_reallocarray;
static long n_fail[11], n_moved, n_zero;
static void *keep[3];

static void *counted(int func, void *p)
{
    if (p)
        n_alloc[func]++, vc_touch(p);
    else
        n_fail[func]++;
    return p;
}

static void release(void *p)
{
    free(p);
    n_free++;
}

static void plain_calls(void)
{
    for (int k = 0; k < 10; k++)
        release(counted(1, malloc(VC_MARK(k))));
    for (int k = 0; k < 3; k++) {
        void *p = malloc(0);
        n_zero += p != NULL;
        free(p);
    }
    for (int k = 0; k < 5; k++)
        release(counted(2, calloc(8, 5130 + k))); /* 41040 + 8k */
    for (int k = 0; k < 2; k++)
        counted(2, calloc(SIZE_MAX / 2, 4)); /* overflow */
    for (int k = 0; k < 2; k++)
        counted(1, malloc(SIZE_MAX - 4096));
}

static void realloc_calls(void)
{
    void *p = counted(3, realloc(NULL, VC_MARK(100)));
    void *blocker = counted(1, malloc(VC_MARK(101)));
    void *q = realloc(p, VC_MARK(900)); /* grows past the blocker: moves */
    n_realloc_rec[3]++, n_moved += q != p;
    void *r = realloc(q, VC_MARK(300)); /* shrinks */
    n_realloc_rec[3]++, n_moved += r != q;
    if (realloc(r, SIZE_MAX - 4096) == NULL) /* fails: r stays */
        n_fail[3]++;
    if (realloc(r, 0) == NULL) /* glibc frees r */
        n_free_realloc++;
    release(blocker);
}

static void reallocarray_calls(void)
{
    void *a = counted(4, reallocarray(NULL, 41, 1001)); /* 41041 */
    void *b = reallocarray(a, 42, 1001);                /* 42042 */
    n_realloc_rec[4]++, n_moved += b != a;
    if (reallocarray(b, SIZE_MAX / 2, 3) == NULL) /* overflow: b stays */
        n_fail[4]++;
    if (reallocarray(b, 0, 5) == NULL)
        n_free_reallocarray++;
}

static void aligned_calls(void)
{
    void *p;
    for (int k = 0; k < 3; k++)
        if (posix_memalign(&p, 64, VC_MARK(200 + k)) == 0)
            n_alloc[5]++, release(p);
    int einval = 0, enomem = 0;
    for (int k = 0; k < 2; k++) {
        einval += posix_memalign(&p, 3, VC_MARK(210)) == EINVAL;
        enomem += posix_memalign(&p, 64, SIZE_MAX - (1u << 20)) == ENOMEM;
    }
    n_fail[5] += einval + enomem;
    vc_put("posix_memalign.einval", einval);
    vc_put("posix_memalign.enomem", enomem);
    for (int k = 0; k < 2; k++) {
        release(counted(6, aligned_alloc(64, VC_MARK(1024 + 64 * k))));
        release(counted(7, memalign(128, VC_MARK(220 + k))));
        release(counted(8, valloc(VC_MARK(230 + k))));
        release(counted(9, pvalloc(VC_MARK(240 + k))));
    }
}

static void edge_calls(void)
{
    mtrec_point("free-null-begin");
    for (int k = 0; k < 1000; k++)
        free(NULL);
    mtrec_point("free-null-end");
    void *p = counted(1, malloc(VC_MARK(400)));
    errno = 1234;
    free(p);
    n_free++;
    vc_put("errno_after_free", errno);
}

static void report(void)
{
    static const char *const names[11] = {"",
                                          "malloc",
                                          "calloc",
                                          "realloc",
                                          "reallocarray",
                                          "posix_memalign",
                                          "aligned_alloc",
                                          "memalign",
                                          "valloc",
                                          "pvalloc",
                                          ""};
    for (int f = 1; f <= 9; f++) {
        vc_put2("alloc", f, names[f], n_alloc[f]);
        vc_put2("fail", f, names[f], n_fail[f]);
        vc_put2("realloc", f, names[f], n_realloc_rec[f]);
    }
    vc_put("free.free", n_free);
    vc_put("free.realloc", n_free_realloc);
    vc_put("free.reallocarray", n_free_reallocarray);
    vc_put("moved", n_moved);
    vc_put("zero_mallocs", n_zero);
    vc_put("live", 3);
    vc_put("pid", getpid());
}

/* argv[1] picks one group of calls: plain, realloc, reallocarray, aligned, edge; none: all */
int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } groups[] = {{"plain", plain_calls},
                  {"realloc", realloc_calls},
                  {"reallocarray", reallocarray_calls},
                  {"aligned", aligned_calls},
                  {"edge", edge_calls}};
    mtrec_point("warm-up"); /* the first call looks the recorder up */
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (argc < 2 || !strcmp(argv[1], groups[i].name))
            groups[i].fn();
    for (int k = 0; k < 3; k++)
        keep[k] = counted(1, malloc(VC_MARK(500 + k)));
    report();
    return 0;
}
