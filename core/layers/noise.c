/* The regularising noise layers of Keras 2, active in training only (the
 * identity at inference), each drawing from its own seeded generator whose
 * state checkpoints keep (as Dropout's):
 * - SpatialDropout1D / SpatialDropout2D: inverted dropout of whole channels,
 *   one draw per (sample, channel) of (steps, C) or (H, W, C) inputs;
 * - GaussianNoise: adds N(0, stddev) to every value.
 * All three carry the input's mask, as Keras' supports_masking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  float rate;      /* SpatialDropout: the dropped fraction; GaussianNoise: the stddev */
  int64_t c;       /* channels (the last axis) */
  lunet_rng_t rng;
  float *keep;     /* SpatialDropout: (max_batch, C), 0 or 1 / (1 - rate) */
} noise_t;

static int spatial_plan(lunet_layer_t *l, int max_batch) {
  noise_t *d = (noise_t *)l;
  free(d->keep);
  d->keep = lunet_nn_alloc((size_t)(max_batch * d->c) * sizeof *d->keep);
  return d->keep ? 0 : -1;
}

/* out (B, P, C) = in * keep (B, C), one channel draw per sample */
static void spatial_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  noise_t *d = (noise_t *)l;
  int64_t c = d->c, pos = l->in_size / c;
  if (!training || d->rate <= 0.0f) { memcpy(out, in, (size_t)(batch * l->in_size) * sizeof *out); return; }
  float scale = 1.0f / (1.0f - d->rate);
  for (int64_t i = 0; i < batch * c; i++) d->keep[i] = lunet_rng_uniform(&d->rng) < d->rate ? 0.0f : scale;
  for (int b = 0; b < batch; b++) {
    const float *k = d->keep + b * c;
    for (int64_t p = 0; p < pos; p++) {
      int64_t at = (b * pos + p) * c;
      for (int64_t j = 0; j < c; j++) out[at + j] = in[at + j] * k[j];
    }
  }
}

static void spatial_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                             int batch) {
  noise_t *d = (noise_t *)l;
  if (!din) return;
  int64_t c = d->c, pos = l->in_size / c;
  if (d->rate <= 0.0f) { memcpy(din, dout, (size_t)(batch * l->in_size) * sizeof *din); return; }
  for (int b = 0; b < batch; b++) {
    const float *k = d->keep + b * c;
    for (int64_t p = 0; p < pos; p++) {
      int64_t at = (b * pos + p) * c;
      for (int64_t j = 0; j < c; j++) din[at + j] = dout[at + j] * k[j];
    }
  }
}

/* out = in + N(0, stddev): the noise is drawn into out, then the input added */
static void gauss_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  noise_t *d = (noise_t *)l;
  int64_t n = batch * l->in_size;
  if (!training || d->rate <= 0.0f) { memcpy(out, in, (size_t)n * sizeof *out); return; }
  lunet_rng_fill_normal(&d->rng, out, (size_t)n, 0.0f, d->rate);
  for (int64_t i = 0; i < n; i++) out[i] += in[i];
}

/* additive noise: the gradient passes unchanged */
static void gauss_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                           int batch) {
  if (din) memcpy(din, dout, (size_t)(batch * l->in_size) * sizeof *din);
}

static void noise_free(lunet_layer_t *l) { free(((noise_t *)l)->keep); }
static void noise_reseed(lunet_layer_t *l, uint64_t seed) { lunet_rng_seed(&((noise_t *)l)->rng, seed); }
static size_t noise_state_size(const lunet_layer_t *l) { return LUNET_RNG_STATE_BYTES; }
static void noise_get_state(const lunet_layer_t *l, uint8_t *out) { lunet_rng_state_get(&((const noise_t *)l)->rng, out); }
static int noise_set_state(lunet_layer_t *l, const uint8_t *in, size_t n) {
  return lunet_rng_state_set(&((noise_t *)l)->rng, in, n);
}

#define NOISE_OPS(var, name, plan_fn, fwd, bwd) static const lunet_layer_ops_t var = {                     \
    .kind = name, .plan = plan_fn, .forward = fwd, .backward = bwd, .free = noise_free, .reseed = noise_reseed, \
    .state_size = noise_state_size, .get_state = noise_get_state, .set_state = noise_set_state,              \
    .state_name = name " generator"}
NOISE_OPS(spatial1d_ops, "SpatialDropout1D", spatial_plan, spatial_forward, spatial_backward);
NOISE_OPS(spatial2d_ops, "SpatialDropout2D", spatial_plan, spatial_forward, spatial_backward);
NOISE_OPS(gauss_ops, "GaussianNoise", NULL, gauss_forward, gauss_backward);

/* config: rate (SpatialDropout) or stddev (GaussianNoise), seed (the
 * generator's own; else the net derives one from the model's seed); ndim:
 * the input rank SpatialDropout needs, 0 for any */
static lunet_layer_t *noise_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape,
                                        const lunet_layer_ops_t *ops, int ndim) {
  double r;
  int64_t seed;
  const char *key = ndim ? "rate" : "stddev";
  if (lunet_config_number(cfg, key, 0, &r) < 0 || lunet_config_integer(cfg, "seed", 0, &seed) < 0) return NULL;
  if (!lunet_config_get(cfg, key)) { lunet_fail("%s: %s must be given", ops->kind, key); return NULL; }
  char name[64], have[LUNET_SHAPE_STR_MAX];
  snprintf(name, sizeof name, "%s(%g)", ops->kind, r);
  if (ndim ? !(r >= 0.0 && r < 1.0) : !(r >= 0.0 && r <= 3.4028234663852886e38)) {
    lunet_fail("%s: %s must be %s", name, key, ndim ? "in [0, 1)" : "a finite number >= 0");
    return NULL;
  }
  if (ndim && in_ndim != ndim) {
    lunet_fail("%s: input has per-sample shape %s, expects %s", name, lunet_shape_str(have, sizeof have, in_ndim, in_shape),
               ndim == 2 ? "sequences (steps, channels)" : "images (height, width, channels)");
    return NULL;
  }
  noise_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", name);
  l->mask_keep = 1;
  d->rate = (float)r;
  d->c = in_shape[in_ndim - 1];
  l->has_seed = lunet_config_get(cfg, "seed") != NULL;
  l->seed = (uint64_t)seed;
  lunet_rng_seed(&d->rng, l->seed);
  return l;
}

static lunet_layer_t *spatial1d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return noise_from_config(cfg, in_ndim, in_shape, &spatial1d_ops, 2);
}
static lunet_layer_t *spatial2d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return noise_from_config(cfg, in_ndim, in_shape, &spatial2d_ops, 3);
}
static lunet_layer_t *gauss_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return noise_from_config(cfg, in_ndim, in_shape, &gauss_ops, 0);
}

const lunet_layer_kind_t lunet_spatial_dropout1d_kind = {"SpatialDropout1D", spatial1d_from_config};
const lunet_layer_kind_t lunet_spatial_dropout2d_kind = {"SpatialDropout2D", spatial2d_from_config};
const lunet_layer_kind_t lunet_gaussian_noise_kind = {"GaussianNoise", gauss_from_config};
