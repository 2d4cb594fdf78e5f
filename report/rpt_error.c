/* rpt_error.c: the message of each report error code (the list is RPT_ERROR_LIST).
 * Must never allocate.
 */
#include "rpt.h"

const char *rpt_strerror(int code)
{
    switch (code) {
    case RPT_OK:
        return "success";
#define RPT_ERROR_CASE(name, num, msg)                                                             \
    case name:                                                                                     \
        return msg;
        RPT_ERROR_LIST(RPT_ERROR_CASE)
#undef RPT_ERROR_CASE
    }
    return "unknown error";
}
