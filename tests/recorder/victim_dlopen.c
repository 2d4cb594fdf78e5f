/* victim_dlopen.c: allocates, dlopens the plugin given as argv[1], lets it allocate.
 * With argv[2], it changes into that directory between dlopen and the plugin's first
 * allocation (a relative plugin path then means nothing in the new directory). */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "victim_common.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    for (int k = 0; k < 5; k++)
        free(malloc(VC_MARK(k)));
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib)
        return 3;
    int (*churn)(int);
    *(void **)&churn = dlsym(lib, "plugin_churn");
    if (!churn)
        return 4;
    if (argc > 2 && chdir(argv[2]) != 0)
        return 5;
    vc_put("plugin.live", churn(20));
    vc_put("plugin.allocs", 20);
    vc_put("main.allocs", 5);
    return 0;
}
