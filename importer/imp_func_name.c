/* imp_func_name.c: heap function names from the format's list (imp_func_name.h).
 * Pure table lookup: never allocates, never fails.
 */
#include "imp_func_name.h"
#include "mtdb_format.h"

const char *imp_func_name(unsigned func)
{
    switch (func) {
#define IMP_FUNC_CASE(name, num, str)                                                              \
    case num:                                                                                      \
        return str;
        MTDB_FUNC_LIST(IMP_FUNC_CASE)
#undef IMP_FUNC_CASE
    }
    return "unknown";
}
