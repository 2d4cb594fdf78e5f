/* rec_clock.c: choosing and calibrating the recorder's clock (see rec_internal.h).
 *
 * Runs once per process image at start-up (a fork child keeps its parent's clock).
 * The TSC is used only when the kernel's own clocksource is "tsc" and the CPU says the
 * TSC is invariant: then every core's counter agrees and a single linear map keeps
 * timestamps of all threads in one order. Calibration spins for about a millisecond.
 */
#include <fcntl.h>
#include <unistd.h>

#include "rec_internal.h"

rec_clock_t rec_clock;

#define CALIBRATION_NS 1000000u

static int kernel_uses_tsc(void)
{
    char buf[16] = {0};
    int fd = rec_open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                      O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    ssize_t n = rec_read(fd, buf, sizeof buf - 1);
    rec_close(fd);
    return n >= 3 && memcmp(buf, "tsc", 3) == 0 && (buf[3] == '\n' || buf[3] == 0);
}

#if defined(__x86_64__)
static int cpu_tsc_invariant(void)
{
    unsigned a, b, c, d;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u), "c"(0));
    if (a < 0x80000007u)
        return 0;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000007u), "c"(0));
    return (d >> 8) & 1u;
}

/* A (tick, ns) pair: the tick read between two clock reads, ns their midpoint. The pair
 * with the narrowest bracket of several is kept, so a preemption between the reads
 * cannot shift the anchor. */
static void sample_pair(uint64_t *tick, uint64_t *ns)
{
    uint64_t best_gap = UINT64_MAX;
    for (int i = 0; i < 16; i++) {
        unsigned aux;
        uint64_t a = rec_monotonic_ns();
        uint64_t t = __builtin_ia32_rdtscp(&aux);
        uint64_t b = rec_monotonic_ns();
        if (b - a < best_gap) {
            best_gap = b - a;
            *tick = t;
            *ns = a + (b - a) / 2;
        }
    }
}
#endif

void rec_clock_setup(int allow_tsc)
{
    rec_clock.use_tsc = 0;
#if defined(__x86_64__)
    if (!allow_tsc || !cpu_tsc_invariant() || !kernel_uses_tsc())
        return;
    uint64_t t0, n0, t1, n1;
    sample_pair(&t0, &n0);
    do
        sample_pair(&t1, &n1);
    while (n1 - n0 < CALIBRATION_NS);
    if (t1 <= t0)
        return;
    rec_clock.tsc0 = t0;
    rec_clock.ns0 = n0;
    rec_clock.mult = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) / (t1 - t0));
    rec_clock.use_tsc = 1;
#else
    (void)allow_tsc;
#endif
}
