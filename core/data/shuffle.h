/* A bounded shuffle buffer over float32 rows, tf.data's Dataset.shuffle
 * semantics: the buffer fills with the first `capacity` input rows; each
 * output row is drawn uniformly from the buffer and its place refilled from
 * the input; at the end of the input the buffer drains in random order.
 * capacity 1 keeps the input order. A row is the concatenation of up to
 * LUNET_SHUFFLE_PARTS parts (features, labels, weights) of fixed widths, so
 * the parts of a row stay together. Memory: capacity * (sum of widths)
 * floats, allocated once; drawing allocates nothing. */
#ifndef LUNET_SHUFFLE_H
#define LUNET_SHUFFLE_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define LUNET_SHUFFLE_PARTS 3

typedef struct lunet_shuffle {
  float *rows;          /* capacity * width */
  size_t capacity, n;   /* rows held: 0 .. n-1 */
  size_t parts, width;  /* width = sum of part widths */
  size_t part_width[LUNET_SHUFFLE_PARTS];
  lunet_rng_t rng;
} lunet_shuffle_t;

/* Allocates the buffer; -1 (lunet_fail) on a zero capacity or width or too
 * much memory. */
int lunet_shuffle_init(lunet_shuffle_t *s, size_t capacity, size_t parts, const size_t *part_width, uint64_t seed);
void lunet_shuffle_free(lunet_shuffle_t *s);
/* Empties the buffer and reseeds its generator (a new shard). */
void lunet_shuffle_reset(lunet_shuffle_t *s, uint64_t seed);

/* Writes rows into out[p] (each out_rows rows of part_width[p], row-major)
 * from row *filled on, until out_rows are written, taking input rows in[p]
 * (in_rows of them) from *pos on. ended: no input follows this one (the
 * buffer drains). Stops early when the buffer is empty (ended) or needs more
 * input (not ended, the input used up): *filled < out_rows then. */
void lunet_shuffle_draw(lunet_shuffle_t *s, float *const *out, size_t out_rows, size_t *filled,
                        const float *const *in, size_t in_rows, size_t *pos, int ended);

#endif
