/* victim_plugin_frame.c: one source, two plugins that differ only in one function's frame
 * size (FRAME_BYTES): the same instructions at the same offsets, so their return
 * addresses are the same numbers when loaded at the same address, while the rule for
 * leaving that frame differs. Built without frame pointers, so the rule is rsp-based.
 * The frame is zeroed before the call: a walk that left it by the other plugin's rule
 * would read a zero there, not a return address left over from an earlier call. */
#include <stdlib.h>

#include "victim_common.h"

static __attribute__((noinline)) void leaf(int k)
{
    void *p = malloc(VC_MARK(800 + k % 4));
    vc_touch(p);
    free(p);
}

static __attribute__((noinline)) void framed(int k)
{
    volatile char frame[FRAME_BYTES];
    for (int i = 0; i < FRAME_BYTES; i++)
        frame[i] = 0;
    frame[0] = (char)k;
    leaf(k);
    frame[FRAME_BYTES - 1] = frame[0];
}

__attribute__((visibility("default"))) void *plugin_frames(int n)
{
    for (int k = 0; k < n; k++)
        framed(k);
    return (void *)&framed;
}
