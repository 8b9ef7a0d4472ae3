/* GaussianDropout and AlphaDropout as Keras 2, active in training only (the
 * identity at inference, and for rate 0), each drawing from its own seeded
 * generator whose state checkpoints keep (as Dropout's):
 * - GaussianDropout(rate): multiplies every value by N(1, sqrt(rate / (1 -
 *   rate))) noise;
 * - AlphaDropout(rate): for SELU networks, keeps mean and variance: a value
 *   is dropped (with probability rate) to SELU's negative saturation
 *   alpha' = -scale * alpha, then out = a * x + b with a = ((1 - rate) (1 +
 *   rate alpha'^2))^-1/2 and b = -a alpha' rate (Klambauer et al. 2017).
 * Both carry the input's mask, as Keras' supports_masking. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"

#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

typedef struct {
  lunet_layer_t base;
  float rate;
  int alpha;       /* AlphaDropout */
  float a, b, fill; /* AlphaDropout's affine map and the value of a dropped input (a alpha' + b) */
  lunet_rng_t rng;
  float *factor;   /* (max_batch, in_size): dout/din of the last training forward */
} ndrop_t;

static int ndrop_plan(lunet_layer_t *l, int max_batch) {
  ndrop_t *d = (ndrop_t *)l;
  free(d->factor);
  d->factor = lunet_nn_alloc((size_t)(max_batch * l->in_size) * sizeof *d->factor);
  return d->factor ? 0 : -1;
}

/* Gaussian: out = in * factor, factor ~ N(1, stddev); Alpha: out = in * factor + (kept ? b : fill), factor a or 0 */
static void ndrop_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  ndrop_t *d = (ndrop_t *)l;
  int64_t n = batch * l->in_size;
  if (!training || d->rate <= 0.0f) { memcpy(out, in, (size_t)n * sizeof *out); return; }
  float *f = d->factor;
  if (!d->alpha) {
    lunet_rng_fill_normal(&d->rng, f, (size_t)n, 1.0f, sqrtf(d->rate / (1.0f - d->rate)));
    for (int64_t i = 0; i < n; i++) out[i] = in[i] * f[i];
    return;
  }
  for (int64_t i = 0; i < n; i++) { /* Keras keeps a value when its uniform draw is >= rate */
    int kept = lunet_rng_uniform(&d->rng) >= d->rate;
    f[i] = kept ? d->a : 0.0f;
    out[i] = kept ? d->a * in[i] + d->b : d->fill;
  }
}

static void ndrop_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  ndrop_t *d = (ndrop_t *)l;
  if (!din) return;
  int64_t n = batch * l->in_size;
  if (d->rate <= 0.0f) { memcpy(din, dout, (size_t)n * sizeof *din); return; }
  for (int64_t i = 0; i < n; i++) din[i] = dout[i] * d->factor[i];
}

static void ndrop_free(lunet_layer_t *l) { free(((ndrop_t *)l)->factor); }
static void ndrop_reseed(lunet_layer_t *l, uint64_t seed) { lunet_rng_seed(&((ndrop_t *)l)->rng, seed); }
static size_t ndrop_state_size(const lunet_layer_t *l) { return LUNET_RNG_STATE_BYTES; }
static void ndrop_get_state(const lunet_layer_t *l, uint8_t *out) { lunet_rng_state_get(&((const ndrop_t *)l)->rng, out); }
static int ndrop_set_state(lunet_layer_t *l, const uint8_t *in, size_t n) {
  return lunet_rng_state_set(&((ndrop_t *)l)->rng, in, n);
}

#define NDROP_OPS(var, name) static const lunet_layer_ops_t var = {                                             \
    .kind = name, .plan = ndrop_plan, .forward = ndrop_forward, .backward = ndrop_backward, .free = ndrop_free,    \
    .reseed = ndrop_reseed, .state_size = ndrop_state_size, .get_state = ndrop_get_state,                          \
    .set_state = ndrop_set_state, .state_name = name " generator"}
NDROP_OPS(gaussian_ops, "GaussianDropout");
NDROP_OPS(alpha_ops, "AlphaDropout");

/* config: rate (in [0, 1)), seed (the generator's own; else the net derives
 * one from the model's seed) */
static lunet_layer_t *ndrop_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape,
                                        const lunet_layer_ops_t *ops, int alpha) {
  double r;
  int64_t seed;
  if (lunet_config_number(cfg, "rate", 0, &r) < 0 || lunet_config_integer(cfg, "seed", 0, &seed) < 0) return NULL;
  if (!lunet_config_get(cfg, "rate")) { lunet_fail("%s: rate must be given", ops->kind); return NULL; }
  if (!(r >= 0.0 && r < 1.0)) { lunet_fail("%s(%g): rate must be in [0, 1)", ops->kind, r); return NULL; }
  ndrop_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s(%g)", ops->kind, r);
  l->mask_keep = 1;
  d->rate = (float)r;
  d->alpha = alpha;
  double ap = -SELU_ALPHA * SELU_SCALE, a = pow((1.0 - r) * (1.0 + r * ap * ap), -0.5), b = -a * ap * r;
  d->a = (float)a; d->b = (float)b; d->fill = (float)(a * ap + b);
  l->has_seed = lunet_config_get(cfg, "seed") != NULL;
  l->seed = (uint64_t)seed;
  lunet_rng_seed(&d->rng, l->seed);
  return l;
}

static lunet_layer_t *gaussian_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return ndrop_from_config(cfg, in_ndim, in_shape, &gaussian_ops, 0);
}
static lunet_layer_t *alpha_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return ndrop_from_config(cfg, in_ndim, in_shape, &alpha_ops, 1);
}

const lunet_layer_kind_t lunet_gaussian_dropout_kind = {"GaussianDropout", gaussian_from_config};
const lunet_layer_kind_t lunet_alpha_dropout_kind = {"AlphaDropout", alpha_from_config};
