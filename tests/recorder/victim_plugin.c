/* victim_plugin.c: a library the dlopen victim loads at run time; it allocates. */
#include <stdlib.h>

#include "victim_common.h"

__attribute__((visibility("default"))) int plugin_churn(int n)
{
    void *keep = NULL;
    for (int k = 0; k < n; k++) {
        void *p = malloc(VC_MARK(700));
        vc_touch(p);
        if (keep)
            free(keep);
        keep = p;
    }
    return keep != NULL; /* one block stays */
}
