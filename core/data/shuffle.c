/* The bounded shuffle buffer (shuffle.h): per-row work of the streaming
 * training path, in C. */
#include "shuffle.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

int lunet_shuffle_init(lunet_shuffle_t *s, size_t capacity, size_t parts, const size_t *part_width, uint64_t seed) {
  memset(s, 0, sizeof *s);
  if (capacity == 0) return lunet_fail("shuffle buffer: capacity must be at least 1");
  if (parts == 0 || parts > LUNET_SHUFFLE_PARTS)
    return lunet_fail("shuffle buffer: 1 to %d parts per row, got %zu", LUNET_SHUFFLE_PARTS, parts);
  size_t width = 0;
  for (size_t p = 0; p < parts; p++) {
    s->part_width[p] = part_width[p];
    width += part_width[p];
  }
  if (width == 0) return lunet_fail("shuffle buffer: rows of width 0");
  if (capacity > SIZE_MAX / sizeof(float) / width)
    return lunet_fail("shuffle buffer: %zu rows of %zu values do not fit in memory", capacity, width);
  s->rows = malloc(capacity * width * sizeof(float));
  if (!s->rows)
    return lunet_fail("shuffle buffer: cannot allocate %zu rows of %zu values (%zu bytes)", capacity, width,
                      capacity * width * sizeof(float));
  s->capacity = capacity;
  s->parts = parts;
  s->width = width;
  lunet_rng_seed(&s->rng, seed);
  return 0;
}

void lunet_shuffle_free(lunet_shuffle_t *s) {
  free(s->rows);
  s->rows = NULL;
  s->n = 0;
}

void lunet_shuffle_reset(lunet_shuffle_t *s, uint64_t seed) {
  s->n = 0;
  lunet_rng_seed(&s->rng, seed);
}

static void take(lunet_shuffle_t *s, float *dst, const float *const *in, size_t row) {
  for (size_t p = 0; p < s->parts; p++) {
    size_t w = s->part_width[p];
    memcpy(dst, in[p] + row * w, w * sizeof(float));
    dst += w;
  }
}

static void give(lunet_shuffle_t *s, float *const *out, size_t row, const float *src) {
  for (size_t p = 0; p < s->parts; p++) {
    size_t w = s->part_width[p];
    memcpy(out[p] + row * w, src, w * sizeof(float));
    src += w;
  }
}

void lunet_shuffle_draw(lunet_shuffle_t *s, float *const *out, size_t out_rows, size_t *filled,
                        const float *const *in, size_t in_rows, size_t *pos, int ended) {
  size_t w = s->width;
  while (*filled < out_rows) {
    while (s->n < s->capacity && *pos < in_rows) take(s, s->rows + s->n++ * w, in, (*pos)++);
    if (s->n == 0 || (s->n < s->capacity && !ended)) return;
    size_t i = (size_t)lunet_rng_below(&s->rng, s->n);
    give(s, out, (*filled)++, s->rows + i * w);
    /* the last row fills the hole; the next input row refills the end */
    if (i != --s->n) memcpy(s->rows + i * w, s->rows + s->n * w, w * sizeof(float));
  }
}
