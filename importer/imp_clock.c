/* imp_clock.c: the importer's one clock for timing its phases (imp_clock.h).
 * Never used for trace times: those come from the recorder.
 */
#include <time.h>

#include "imp_clock.h"

double imp_clock_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
