/* imp_func_name.c: heap function names as the database holds them (imp_func_name.h):
 * the format's names (mtdb_names.h), "unknown" for a number it does not know.
 * Pure table lookup: never allocates, never fails.
 */
#include "imp_func_name.h"
#include "mtdb_names.h"

const char *imp_func_name(unsigned func)
{
    const char *name = mtdb_func_name(func);
    return name ? name : "unknown";
}
