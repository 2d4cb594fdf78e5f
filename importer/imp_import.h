/* imp_import.h: runs one import with parsed options (imp_import.c).
 * Returns an MTDB_IMPORT_* exit code; prints its own messages on stderr.
 */
#ifndef IMP_IMPORT_H
#define IMP_IMPORT_H

#include "imp_types.h"

int imp_import_run(const imp_options_t *opt);

#endif
