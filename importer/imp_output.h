/* imp_output.h: the database file an import publishes, atomically (imp_output.c). */
#ifndef IMP_OUTPUT_H
#define IMP_OUTPUT_H

#include <stddef.h>

#include "mtdb_importer.h"

/* Refuses an existing target without force, and anything but a regular file with it
 * (a symbolic link is refused, never followed). Returns 0 when it may be written, else
 * IMP_EEXIST or IMP_EIO with msg set. */
int imp_target_check(const char *output, int force, char *msg, size_t msg_len);

/* Removes the temporary files of this target left by imports that were killed. */
void imp_temp_clean(const mtdb_import_options_t *opt);
/* Removes the temporary database tmp and the rollback journal SQLite may leave with it. */
void imp_temp_remove(const char *tmp);

/* Creates the temporary file tmp, owner-only, locked for as long as the import runs.
 * Returns the descriptor, or -1 with msg set. */
int imp_temp_create(const char *tmp, char *msg, size_t msg_len);

/* Publishes tmp as output (link, or with force rename); the caller removes tmp.
 * Returns 0, IMP_EEXIST or IMP_EIO with msg set. */
int imp_publish(const char *tmp, const char *output, int force, char *msg, size_t msg_len);

#endif
