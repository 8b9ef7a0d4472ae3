/* Dropout (inverted, as Keras): in training each input is zeroed with
 * probability rate and the survivors scaled by 1 / (1 - rate); at inference it
 * is the identity. Masks come from the layer's own seeded generator, four
 * 16-bit draws per 64-bit number so the mask costs little next to the GEMMs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"

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

static void dropout_reseed(lunet_layer_t *l, uint64_t seed) { lunet_rng_seed(&((dropout_t *)l)->rng, seed); }

/* The state is the generator's (lunet_rng_state_get: four big-endian words,
 * the format of model files). */
static size_t dropout_state_size(const lunet_layer_t *l) { return LUNET_RNG_STATE_BYTES; }

static void dropout_get_state(const lunet_layer_t *l, uint8_t *out) {
  lunet_rng_state_get(&((const dropout_t *)l)->rng, out);
}

static int dropout_set_state(lunet_layer_t *l, const uint8_t *in, size_t n) {
  return lunet_rng_state_set(&((dropout_t *)l)->rng, in, n);
}

static const lunet_layer_ops_t dropout_ops = {
    .kind = "Dropout", .plan = dropout_plan, .forward = dropout_forward, .backward = dropout_backward,
    .free = dropout_free, .reseed = dropout_reseed, .state_size = dropout_state_size,
    .get_state = dropout_get_state, .set_state = dropout_set_state, .state_name = "Dropout generator"};

/* config: rate, seed (the generator's own; else the net derives one from the
 * model's seed) */
static lunet_layer_t *dropout_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  double r;
  int64_t seed;
  if (lunet_config_number(cfg, "rate", 0, &r) < 0) return NULL;
  float rate = (float)r;
  if (!(rate >= 0.0f && rate < 1.0f)) {
    lunet_fail("Dropout(%g): rate must be in [0, 1)", (double)rate);
    return NULL;
  }
  if (lunet_config_integer(cfg, "seed", 0, &seed) < 0) return NULL;
  dropout_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_setup(&d->base, &dropout_ops, in_ndim, in_shape);
  d->base.mask_keep = 1;
  snprintf(d->base.name, sizeof d->base.name, "Dropout(%g)", (double)rate);
  d->rate = rate;
  d->base.has_seed = lunet_config_get(cfg, "seed") != NULL;
  d->base.seed = (uint64_t)seed;
  lunet_rng_seed(&d->rng, d->base.seed);
  return &d->base;
}

const lunet_layer_kind_t lunet_dropout_kind = {"Dropout", dropout_from_config};
