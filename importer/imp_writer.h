/* imp_writer.h: the loader's second core: rows are copied into batches that a writer
 * thread applies, so decoding and pairing run while SQLite inserts.
 *
 * One producer (the import) and one consumer (the writer thread). Errors are sticky:
 * once the apply function fails, every later put returns that error. Knows nothing
 * of SQLite: the apply callback does the insert.
 */
#ifndef IMP_WRITER_H
#define IMP_WRITER_H

#include "imp_rows.h"

typedef int (*imp_apply_fn)(void *ctx, enum imp_table t, const imp_value_t *vals);
typedef struct imp_writer imp_writer_t;

int imp_writer_start(imp_writer_t **out, imp_apply_fn fn, void *ctx);

/* Copies the row (ncols values, text included) for the writer thread. */
int imp_writer_put(imp_writer_t *w, enum imp_table t, int ncols, const imp_value_t *vals);

/* Applies what is queued, joins the thread, frees w; returns the sticky error or 0.
 * busy_s: seconds the writer spent applying; wait_s: seconds put waited for it. */
int imp_writer_stop(imp_writer_t *w, double *busy_s, double *wait_s);

/* Seconds put has waited for the writer so far (producer side only). */
double imp_writer_wait_seconds(const imp_writer_t *w);

#endif
