/* imp_demangle.c: C++ name demangling through libstdc++'s __cxa_demangle.
 * Must return a malloc'd string the caller frees, or NULL only when out of memory.
 */
#include <stdlib.h>
#include <string.h>

#include "imp_dwarf.h"

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *imp_demangle(const char *name)
{
    if (!name)
        return NULL;
    if (name[0] == '_' && name[1] == 'Z') {
        int status = -1;
        char *d = __cxa_demangle(name, NULL, NULL, &status);
        if (d && status == 0)
            return d;
        free(d);
    }
    return strdup(name);
}
