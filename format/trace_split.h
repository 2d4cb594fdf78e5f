/* trace_split.h: the split form of a piece of a trace file (packed codec 2, docs/format.md
 * "Split pieces").
 *
 * A heap event's fields are each a varint of a different kind (time deltas, addresses,
 * sizes, stack ids), and one kind follows another record after record: a compressor sees
 * them interleaved and finds little to share between neighbouring bytes. The split form
 * keeps every byte of the piece but groups the bytes by kind, one stream per kind, so
 * that zstd compresses each kind against its own. It is a permutation of the piece's
 * bytes guided by the record grammar: varints are moved, never decoded and encoded again,
 * so joining gives back the same bytes whatever they hold. Blocks cut by the piece's
 * edges, records it does not split and everything between blocks stay as they are, in a
 * literal stream. Used only by trace_pack.c and trace_unpack.c.
 */
#ifndef MTDB_TRACE_SPLIT_H
#define MTDB_TRACE_SPLIT_H

#include <stddef.h>
#include <stdint.h>

/* The form byte that starts a codec-2 piece's content. */
#define MTDB_SPLIT_FORM_PLAIN 0 /* the piece's bytes follow as they are */
#define MTDB_SPLIT_FORM_SPLIT 1 /* the split form follows */

/* The most bytes a codec-2 frame's content takes for a piece of len bytes: the split
 * form adds its control stream and stream table to the piece's bytes. */
#define MTDB_SPLIT_BOUND(len) ((len) + (len) / 16 + 256)

/* Writes the content of a codec-2 frame for the len bytes at piece (whose first byte is
 * at a multiple of 8 in its file) into out, which holds MTDB_SPLIT_BOUND(len) bytes: the
 * split form when the piece has blocks to split and it fits, else the plain form.
 * Returns the bytes written, or 0 when out of memory. */
size_t mtdb_split_piece(const uint8_t *piece, size_t len, uint8_t *out);

/* Rebuilds the len bytes of a piece into out from the content (in_len bytes at in) of
 * its codec-2 frame: 0, or -1 when the content is not a valid form of len bytes, with
 * why saying what is wrong. */
int mtdb_join_piece(const uint8_t *in, size_t in_len, uint8_t *out, size_t len, char *why,
                    size_t why_len);

#endif
