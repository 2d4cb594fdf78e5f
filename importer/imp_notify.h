/* imp_notify.h: the one way the importer tells its caller anything (imp_notify.c):
 * events through the caller's callback (mtdb_importer.h), never stdio.
 */
#ifndef IMP_NOTIFY_H
#define IMP_NOTIFY_H

#include "mtdb_importer.h"

/* Hands ev to opt->on_event, if there is one. */
void imp_notify(const mtdb_import_options_t *opt, const mtdb_import_event_t *ev);

/* An event of this kind with only a text, formatted like printf. */
void imp_notify_text(const mtdb_import_options_t *opt, enum mtdb_import_event_kind kind,
                     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
