/* trace_extent.c: where a trace file's data ends, for giving back unused reserved space
 * (mtdb record). Walks the block headers chunk by chunk as the reader does; anything it
 * does not understand keeps the whole file. */
#include "trace_extent.h"

#include <string.h>

#include "mtdb_format.h"

uint64_t mtdb_trace_data_end(const uint8_t *m, uint64_t size)
{
    if (size < MTDB_FILE_HEADER_BYTES || memcmp(m, MTDB_FILE_MAGIC, 8) != 0)
        return size;
    uint32_t first = mtdb_get_u32le(m + 36), largest = mtdb_get_u32le(m + 40);
    if (first < 4096 || largest < first)
        return size;
    uint64_t data_end = MTDB_FILE_HEADER_BYTES, start = 0;
    for (unsigned k = 0; start < size; k++) {
        uint64_t chunk_end = start + mtdb_chunk_bytes(first, largest, k);
        uint64_t end = chunk_end < size ? chunk_end : size;
        uint64_t at = k == 0 ? MTDB_FILE_HEADER_BYTES : start;
        while (at + MTDB_BLOCK_HEADER_BYTES <= end && mtdb_get_u32le(m + at) == MTDB_BLOCK_MAGIC) {
            uint32_t flags = mtdb_get_u32le(m + at + 12);
            uint64_t span = MTDB_BLOCK_HEADER_BYTES;
            if (!(flags & MTDB_BLOCK_PAD))
                span += (mtdb_get_u32le(m + at + 4) + 7ull) & ~7ull;
            if (at + span > end)
                return size; /* a block past its chunk or the file: keep everything */
            at += span;
            data_end = at > data_end ? at : data_end;
            if (flags & MTDB_BLOCK_PAD)
                break;
        }
        start = chunk_end;
    }
    return data_end;
}
