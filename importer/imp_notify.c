/* imp_notify.c: events for the importer's caller (imp_notify.h).
 * Must never print, and never fail: an event nobody listens to is dropped.
 */
#include <stdarg.h>
#include <stdio.h>

#include "imp_notify.h"

void imp_notify(const mtdb_import_options_t *opt, const mtdb_import_event_t *ev)
{
    if (opt->on_event)
        opt->on_event(opt->event_ctx, ev);
}

void imp_notify_text(const mtdb_import_options_t *opt, enum mtdb_import_event_kind kind,
                     const char *fmt, ...)
{
    if (!opt->on_event)
        return;
    char text[4608];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    imp_notify(opt, &(mtdb_import_event_t){.kind = kind, .text = text});
}
