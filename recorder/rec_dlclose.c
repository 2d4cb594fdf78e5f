/* rec_dlclose.c: the dlclose wrapper.
 *
 * An unloaded module's addresses may be given to another module, whose unwind rules for
 * the same addresses differ: before and after the real dlclose, every thread's rules are
 * marked for reading again (rec_unwind.c). Walks through modules loaded after start-up
 * also check the module map themselves, which covers the unloads glibc makes without
 * this call (iconv's and NSS's modules). dlopen is not wrapped: that would change the
 * caller its RUNPATH lookup goes by.
 */
#include <dlfcn.h>

#include "rec_internal.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT int dlclose(void *handle)
{
    static int (*real)(void *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "dlclose");
    __atomic_add_fetch(&rec_unwind_unloads, 1, __ATOMIC_ACQ_REL);
    int rc = real(handle);
    __atomic_add_fetch(&rec_unwind_unloads, 1, __ATOMIC_ACQ_REL);
    return rc;
}
