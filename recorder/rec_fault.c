/* rec_fault.c: the fault seam of the libmtrec-fault.so test build.
 *
 * Every operation that writes trace data (creating, reserving, mapping, writing, renaming
 * a file) calls rec_fault_next() first; with MTDB_TEST_FAIL_AT=N the Nth call answers
 * ENOSPC, once, and says so on stderr, so a test can try N = 1, 2, 3, ... until a run
 * completes without a fault. Never part of the library that users preload.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "rec_internal.h"

static long fail_at = -1; /* -1: not read yet; 0: never */
static long calls;

int rec_fault_next(void)
{
    long at = __atomic_load_n(&fail_at, __ATOMIC_RELAXED);
    if (at < 0) {
        const char *text = getenv("MTDB_TEST_FAIL_AT");
        at = text ? atol(text) : 0;
        __atomic_store_n(&fail_at, at, __ATOMIC_RELAXED);
    }
    if (at <= 0 || __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) != at)
        return 0;
    static const char line[] = "mtdb: test: injected a write failure (ENOSPC)\n";
    rec_write_all(2, line, sizeof line - 1);
    return -ENOSPC;
}
