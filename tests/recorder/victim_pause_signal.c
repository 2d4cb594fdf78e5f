/* victim_pause_signal.c: pauses and resumes through MTDB_PAUSE_SIGNAL (SIGUSR2 here).
 *
 * 3 blocks recorded, then SIGUSR2 (paused): 4 blocks made while paused and one of the
 * first 3 freed; SIGUSR2 again (resumed): 5 blocks; then everything freed.
 */
#include <signal.h>
#include <stdlib.h>

#include "victim_common.h"

int main(void)
{
    void *before[3], *paused[4], *after[5];
    for (int k = 0; k < 3; k++)
        before[k] = malloc(VC_MARK(200 + k)), vc_touch(before[k]);
    raise(SIGUSR2);
    for (int k = 0; k < 4; k++)
        paused[k] = malloc(VC_MARK(300 + k)), vc_touch(paused[k]);
    free(before[0]);
    raise(SIGUSR2);
    for (int k = 0; k < 5; k++)
        after[k] = malloc(VC_MARK(400 + k)), vc_touch(after[k]);
    for (int k = 1; k < 3; k++)
        free(before[k]);
    for (int k = 0; k < 4; k++)
        free(paused[k]);
    for (int k = 0; k < 5; k++)
        free(after[k]);
    vc_put("recorded.allocs", 3 + 5);
    vc_put("paused.allocs", 4);
    vc_put("all.frees", 3 + 4 + 5);
    return 0;
}
