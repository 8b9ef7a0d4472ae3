/* Dropout (inverted, as Keras): in training each input is zeroed with
 * probability rate and the survivors scaled by 1 / (1 - rate); at inference it
 * is the identity. Masks come from the layer's own seeded generator, four
 * 16-bit draws per 64-bit number so the mask costs little next to the GEMMs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "layer.h"

typedef struct {
  lunet_layer_t base;
  float rate;
  lunet_rng_t rng;
  float *mask; /* (max_batch, in_size): 0 or 1 / (1 - rate) */
  int max_batch;
} dropout_t;

static int dropout_plan(lunet_layer_t *l, int max_batch) {
  dropout_t *d = (dropout_t *)l;
  free(d->mask);
  d->mask = lunet_nn_alloc((size_t)(max_batch * l->in_size) * sizeof(float));
  d->max_batch = d->mask ? max_batch : 0;
  return d->mask ? 0 : -1;
}

static void dropout_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  dropout_t *d = (dropout_t *)l;
  int64_t n = batch * l->in_size;
  if (!training || d->rate <= 0.0f) { memcpy(out, in, (size_t)n * sizeof *out); return; }
  uint32_t threshold = (uint32_t)(d->rate * 65536.0f); /* drop when the 16-bit draw is below */
  float keep = 1.0f / (1.0f - d->rate);
  float *m = d->mask;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint64_t r = lunet_rng_next(&d->rng);
    for (int j = 0; j < 4; j++) m[i + j] = ((r >> (16 * j)) & 0xffff) < threshold ? 0.0f : keep;
  }
  if (i < n) {
    uint64_t r = lunet_rng_next(&d->rng);
    for (int j = 0; i < n; i++, j++) m[i] = ((r >> (16 * j)) & 0xffff) < threshold ? 0.0f : keep;
  }
  for (i = 0; i < n; i++) out[i] = in[i] * m[i];
}

static void dropout_backward(lunet_layer_t *l, float *din, float *dout, const float *in,
                             const float *out, int batch) {
  dropout_t *d = (dropout_t *)l;
  if (!din) return;
  int64_t n = batch * l->in_size;
  if (d->rate <= 0.0f) { memcpy(din, dout, (size_t)n * sizeof *din); return; }
  for (int64_t i = 0; i < n; i++) din[i] = dout[i] * d->mask[i];
}

static void dropout_free(lunet_layer_t *l) { free(((dropout_t *)l)->mask); }

static const lunet_layer_ops_t dropout_ops = {"Dropout", NULL, dropout_plan, dropout_forward,
                                              dropout_backward, dropout_free};

void lunet_dropout_reseed(lunet_layer_t *l, uint64_t seed) {
  if (l->ops == &dropout_ops) lunet_rng_seed(&((dropout_t *)l)->rng, seed);
}

int lunet_dropout_state(lunet_layer_t *l, uint64_t *s, int set) {
  if (l->ops != &dropout_ops) return 0;
  lunet_rng_t *r = &((dropout_t *)l)->rng;
  for (int i = 0; i < 4; i++) {
    if (set) r->s[i] = s[i];
    else s[i] = r->s[i];
  }
  return 1;
}

lunet_layer_t *lunet_dropout_new(int in_ndim, const int64_t *in_shape, float rate, uint64_t seed) {
  if (!(rate >= 0.0f && rate < 1.0f)) {
    lunet_fail("Dropout(%g): rate must be in [0, 1)", (double)rate);
    return NULL;
  }
  dropout_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_setup(&d->base, &dropout_ops, in_ndim, in_shape);
  snprintf(d->base.name, sizeof d->base.name, "Dropout(%g)", (double)rate);
  d->rate = rate;
  lunet_rng_seed(&d->rng, seed);
  return &d->base;
}
