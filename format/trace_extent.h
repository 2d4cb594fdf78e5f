/* trace_extent.h: the end of a trace file's data (trace_extent.c). */
#ifndef MTDB_TRACE_EXTENT_H
#define MTDB_TRACE_EXTENT_H

#include <stdint.h>

/* One past the last byte of the last block (open, sealed or PAD) of the trace file
 * mapped at m; size when the file is not one the walk understands. Bytes after it are
 * reserved space the writer never used. */
uint64_t mtdb_trace_data_end(const uint8_t *m, uint64_t size);

#endif
