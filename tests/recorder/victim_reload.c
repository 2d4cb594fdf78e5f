/* victim_reload.c: unloads a plugin and loads another in its place, over and over.
 *
 * argv[1] and argv[2] are two builds of victim_plugin_frame.c whose code is the same but
 * for one frame's size: loaded at the same address, their return addresses are the same
 * numbers and the rule for leaving that frame is not. A stack walker that kept the
 * first plugin's rule after it was unloaded would read the second's stack wrong.
 * Reports its marked allocations and how many loads landed where the other plugin was.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "victim_common.h"

#define ROUNDS 200
#define ALLOCS 50

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    long allocs = 0, same_place = 0;
    void *last = NULL;
    for (int r = 0; r < ROUNDS; r++) {
        void *lib = dlopen(argv[1 + r % 2], RTLD_NOW | RTLD_LOCAL);
        if (!lib)
            return 3;
        void *(*frames)(int);
        *(void **)&frames = dlsym(lib, "plugin_frames");
        if (!frames)
            return 4;
        void *at = frames(ALLOCS);
        allocs += ALLOCS;
        same_place += at == last;
        last = at;
        dlclose(lib);
    }
    vc_put("allocs", allocs);
    vc_put("same_place", same_place);
    return 0;
}
