/* imp_error.c: messages for the importer's error codes (imp_error.h).
 * Pure table lookup: never allocates, never fails.
 */
#include "imp_error.h"

const char *imp_strerror(int code)
{
    switch (code) {
#define IMP_ERR_CASE(name, num, msg)                                                               \
    case num:                                                                                      \
        return msg;
        IMP_ERRORS(IMP_ERR_CASE)
#undef IMP_ERR_CASE
    }
    return "unknown error";
}
