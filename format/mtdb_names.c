/* mtdb_names.c: names derived from the format's lists (mtdb_names.h).
 * Table lookups only: never allocates, never fails.
 */
#include "mtdb_names.h"
#include "mtdb_format.h"

#include <string.h>

const char *mtdb_func_name(unsigned func)
{
    switch (func) {
#define MTDB_FUNC_CASE(name, num, str)                                                             \
    case num:                                                                                      \
        return str;
        MTDB_FUNC_LIST(MTDB_FUNC_CASE)
#undef MTDB_FUNC_CASE
    }
    return NULL;
}

unsigned mtdb_record_func(unsigned type, unsigned sub)
{
    return type == MTDB_REC_FREE ? mtdb_free_func_decode(sub) : sub;
}

static int mtdb_has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

int mtdb_trace_file_kind(const char *name)
{
    size_t n = strlen(name);
    if (strncmp(name, MTDB_FILE_PREFIX, strlen(MTDB_FILE_PREFIX)) != 0)
        return 0;
    if (mtdb_has_suffix(name, n, MTDB_PROC_SUFFIX))
        return MTDB_FILE_KIND_PROCESS;
    return mtdb_has_suffix(name, n, MTDB_STREAM_SUFFIX) ? MTDB_FILE_KIND_STREAM : 0;
}
