/* victim_pause.c: starts paused (MTDB_START=paused), resumes through mtrec.h, marks.
 *
 * 5 blocks made while paused (2 freed while still paused, between two point marks),
 * then resume, 7 blocks inside a "work" phase, and everything freed.
 */
#include <stdlib.h>

#include "mtrec.h"
#include "victim_common.h"

int main(void)
{
    void *paused[5], *resumed[7];
    for (int k = 0; k < 5; k++)
        paused[k] = malloc(VC_MARK(k)), vc_touch(paused[k]);
    mtrec_point("paused-frees-begin");
    free(paused[0]);
    free(paused[1]);
    mtrec_point("paused-frees-end");
    mtrec_resume();
    mtrec_phase_begin("work");
    for (int k = 0; k < 7; k++)
        resumed[k] = malloc(VC_MARK(100 + k)), vc_touch(resumed[k]);
    mtrec_phase_end("work");
    for (int k = 2; k < 5; k++)
        free(paused[k]);
    for (int k = 0; k < 7; k++)
        free(resumed[k]);
    vc_put("paused.allocs", 5);
    vc_put("paused.frees_while_paused", 2);
    vc_put("resumed.allocs", 7);
    return 0;
}
