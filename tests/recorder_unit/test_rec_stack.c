/* test_rec_stack.c: the frame-pointer walker fed real chains, forged stacks and random
 * register values, in-process (under ASan/UBSan in the sanitizer build, which also
 * catches a read outside the forged stack).
 *
 * Whatever it is given, the walker must never read outside [lo, hi), never crash, and
 * only ever follow 8-aligned records that rise strictly.
 */
#define UNW_LOCAL_ONLY
#include <check.h>
#include <dirent.h>
#include <libunwind.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>

#include "rec_internal.h"

#define FORGED_WORDS 256

/* splitmix64: a fixed seed, so a failure can be replayed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void thread_stack(uintptr_t *lo, uintptr_t *hi)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    ck_assert_int_eq(pthread_getattr_np(pthread_self(), &attr), 0);
    ck_assert_int_eq(pthread_attr_getstack(&attr, &addr, &size), 0);
    pthread_attr_destroy(&attr);
    *lo = (uintptr_t)addr;
    *hi = (uintptr_t)addr + size;
}

/* Values a register holds in code built without frame pointers: the ends of the address
 * space, the edges of the stack, misaligned neighbours, small integers. */
static size_t hostile_values(uintptr_t lo, uintptr_t hi, uintptr_t *v)
{
    size_t n = 0;
    const uintptr_t top = UINTPTR_MAX;
    uintptr_t fixed[] = {0,       1,        8,        16,       0x4000,  top,     top - 7,
                         top - 8, top - 15, top - 16, top - 24, top / 2, lo - 16, lo - 8,
                         lo,      lo + 1,   lo + 8,   hi - 24,  hi - 17, hi - 16, hi - 15,
                         hi - 8,  hi - 1,   hi,       hi + 8,   hi + 16};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        v[n++] = fixed[i];
    return n;
}

START_TEST(test_fp_walk_hostile_start_values)
{
    uintptr_t lo, hi, v[64];
    thread_stack(&lo, &hi);
    size_t n = hostile_values(lo, hi, v);
    void *out[64];
    for (size_t i = 0; i < n; i++) {
        int got = rec_fp_walk(v[i], lo, hi, out, 64);
        ck_assert_int_ge(got, 0);
        ck_assert_int_le(got, 64);
        if (v[i] > hi - 16 || v[i] < lo || (v[i] & 7))
            ck_assert_int_eq(got, 0);
    }
}
END_TEST

/* A forged stack whose words are random or hostile values, walked from every word:
 * every record followed must lie inside the forgery, aligned, rising. */
START_TEST(test_fp_walk_forged_stacks_never_escape)
{
    uintptr_t lo, hi, v[64];
    thread_stack(&lo, &hi);
    size_t nv = hostile_values(lo, hi, v);
    static uintptr_t forged[FORGED_WORDS];
    uintptr_t flo = (uintptr_t)forged, fhi = (uintptr_t)(forged + FORGED_WORDS);
    uint64_t seed = 20261202;
    void *out[REC_MAX_DEPTH];
    for (int round = 0; round < 2000; round++) {
        for (int i = 0; i < FORGED_WORDS; i++) {
            uint64_t r = next_random(&seed);
            switch (r % 4) {
            case 0:
                forged[i] = (uintptr_t)next_random(&seed);
                break;
            case 1:
                forged[i] = v[r / 4 % nv];
                break;
            case 2:
                forged[i] = flo + (uintptr_t)(r / 4 % (FORGED_WORDS * 8 + 32)) - 16;
                break;
            default:
                forged[i] = flo + (uintptr_t)(i + 2 + r / 4 % 8) * 8;
                break; /* a chain */
            }
        }
        uintptr_t start = flo + (uintptr_t)(next_random(&seed) % (FORGED_WORDS * 8 + 64)) - 32;
        int got = rec_fp_walk(start, flo, fhi, out, REC_MAX_DEPTH);
        ck_assert_int_ge(got, 0);
        ck_assert_int_le(got, FORGED_WORDS);
        /* The same walk done by the rules: each return address comes from the next record. */
        uintptr_t fp = start;
        for (int k = 0; k < got; k++) {
            ck_assert_uint_eq(fp & 7, 0);
            ck_assert_uint_ge(fp, flo);
            ck_assert_uint_le(fp + 16, fhi);
            ck_assert_ptr_eq(out[k], (void *)((uintptr_t *)fp)[1]);
            fp = ((uintptr_t *)fp)[0];
        }
    }
}
END_TEST

/* Random start values anywhere in the address space, with the real stack's bounds. */
START_TEST(test_fp_walk_random_registers)
{
    uintptr_t lo, hi;
    thread_stack(&lo, &hi);
    uint64_t seed = 8;
    void *out[64];
    for (int i = 0; i < 200000; i++) {
        uintptr_t fp = (uintptr_t)next_random(&seed);
        if (i % 4 == 1)
            fp |= (uintptr_t)0xffff000000000000ull; /* the top of the address space */
        if (i % 4 == 2)
            fp = hi - (fp % 64); /* near the top of the stack */
        int got = rec_fp_walk(fp, lo, hi, out, 64);
        ck_assert_int_ge(got, 0);
        ck_assert_int_le(got, 64);
    }
}
END_TEST

/* Real frames built with frame pointers: the walk finds each caller's return address. */
__attribute__((noinline)) static int walk_here(int depth, void **out, int max, uintptr_t lo,
                                               uintptr_t hi)
{
    if (depth > 0) {
        int n = walk_here(depth - 1, out, max, lo, hi);
        __asm__ volatile("" ::: "memory");
        return n;
    }
    return rec_fp_walk((uintptr_t)__builtin_frame_address(0), lo, hi, out, max);
}

START_TEST(test_fp_walk_real_chain)
{
    uintptr_t lo, hi;
    thread_stack(&lo, &hi);
    void *out[64];
    int got = walk_here(10, out, 64, lo, hi);
    ck_assert_int_ge(got, 11); /* ten recursive returns and the call from this test */
    for (int k = 0; k < 10; k++)
        ck_assert_ptr_eq(out[k], out[0]); /* the same return site each time */
    ck_assert_int_eq(walk_here(10, out, 4, lo, hi), 4);
}
END_TEST

/* ---- libunwind kept off descriptors ------------------------------------------------ */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

START_TEST(test_memory_readable_answers_like_the_pipe)
{
    long page = sysconf(_SC_PAGESIZE);
    char *rw =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(rw, MAP_FAILED);
    ck_assert_int_eq(mprotect(rw + page, (size_t)page, PROT_NONE), 0);
    int local = 0;
    ck_assert_int_eq(rec_memory_readable(&local), 1);
    ck_assert_int_eq(rec_memory_readable(rw), 1);
    ck_assert_int_eq(rec_memory_readable(rw + page - 1), 1);
    ck_assert_int_eq(rec_memory_readable(rw + page), 0); /* mapped, not readable */
    ck_assert_int_eq(rec_memory_readable(NULL), 0);
    ck_assert_int_eq(rec_memory_readable((void *)(uintptr_t)0xfffffffffffff000ull), 0);
    munmap(rw, (size_t)page * 2);
    ck_assert_int_eq(rec_memory_readable(rw), 0); /* gone */
}
END_TEST

/* Check runs each test in a fresh child: libunwind starts here, after the guard. */
START_TEST(test_unwinder_opens_no_descriptor)
{
    int before = count_fds();
    ck_assert_int_ge(rec_unwind_guard_install((void *)unw_backtrace), 4);
    void *frames[32];
    ck_assert_int_gt(unw_backtrace(frames, 32), 0);
    ck_assert_int_eq(count_fds(), before); /* no validation pipe */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder_stack");
    TCase *tc = tcase_create("fp_walk");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fp_walk_real_chain);
    tcase_add_test(tc, test_fp_walk_hostile_start_values);
    tcase_add_test(tc, test_fp_walk_forged_stacks_never_escape);
    tcase_add_test(tc, test_fp_walk_random_registers);
    suite_add_tcase(s, tc);
    TCase *guard = tcase_create("unwind_guard");
    tcase_add_test(guard, test_memory_readable_answers_like_the_pipe);
    tcase_add_test(guard, test_unwinder_opens_no_descriptor);
    suite_add_tcase(s, guard);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
