/* PReLU as Keras 2: out = x for x >= 0, alpha * x below, with a learned
 * alpha shaped like the sample except its shared_axes (size 1, broadcast
 * along them): Keras' weight "alpha" of that shape, initialised by
 * alpha_initializer ('zeros'), with alpha_regularizer and alpha_constraint. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "regularize.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  lunet_init_t init;
  int64_t dims[3];   /* the sample's shape padded with leading 1s to 3 axes */
  int64_t astride[3]; /* alpha's stride along each of them, 0 along a shared axis */
} prelu_t;

/* Keras' fans (initializers.py _compute_fans) of a weight of ndim axes */
static void fans(const lunet_weight_t *w, int64_t *fan_in, int64_t *fan_out) {
  if (w->ndim == 1) { *fan_in = *fan_out = w->shape[0]; return; }
  if (w->ndim == 2) { *fan_in = w->shape[0]; *fan_out = w->shape[1]; return; }
  int64_t rf = 1;
  for (int i = 0; i < w->ndim - 2; i++) rf *= w->shape[i];
  *fan_in = w->shape[w->ndim - 2] * rf;
  *fan_out = w->shape[w->ndim - 1] * rf;
}

static void prelu_init(lunet_layer_t *l, lunet_rng_t *rng) {
  int64_t fi, fo;
  fans(&l->kernel, &fi, &fo);
  lunet_init_fill(((prelu_t *)l)->init, rng, l->params, l->nparams, fi, fo);
}

/* out (B, sample) = x >= 0 ? x : alpha (broadcast) * x */
static void prelu_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  (void)training;
  prelu_t *p = (prelu_t *)l;
  const float *alpha = l->params;
  for (int b = 0; b < batch; b++)
    for (int64_t i = 0, at = b * l->in_size; i < p->dims[0]; i++)
      for (int64_t j = 0; j < p->dims[1]; j++) {
        const float *a = alpha + i * p->astride[0] + j * p->astride[1];
        for (int64_t k = 0; k < p->dims[2]; k++, at++) {
          float x = in[at];
          out[at] = x < 0.0f ? a[k * p->astride[2]] * x : x;
        }
      }
}

/* dalpha = sum over the batch and shared axes of dout * min(x, 0); din = dout * (x < 0 ? alpha : 1) */
static void prelu_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  (void)out;
  prelu_t *p = (prelu_t *)l;
  const float *alpha = l->params;
  if (!l->grads_preset) memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
  for (int b = 0; b < batch; b++)
    for (int64_t i = 0, at = b * l->in_size; i < p->dims[0]; i++)
      for (int64_t j = 0; j < p->dims[1]; j++) {
        int64_t base = i * p->astride[0] + j * p->astride[1];
        for (int64_t k = 0; k < p->dims[2]; k++, at++) {
          int64_t ai = base + k * p->astride[2];
          float x = in[at];
          if (x < 0.0f) l->grads[ai] += dout[at] * x;
          if (din) din[at] = x < 0.0f ? dout[at] * alpha[ai] : dout[at];
        }
      }
}

static const lunet_layer_ops_t prelu_ops = {
    .kind = "PReLU", .init = prelu_init, .forward = prelu_forward, .backward = prelu_backward};

/* config: alpha_initializer ('zeros'), shared_axes (absent, an axis or a
 * list: Keras' numbering, 1 the first axis after the batch),
 * alpha_regularizer, alpha_constraint (records, regularize.h) */
static lunet_layer_t *prelu_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  lunet_init_t init;
  char have[LUNET_SHAPE_STR_MAX], text[64];
  if (lunet_config_initializer(cfg, "alpha_initializer", "zeros", &init) < 0) return NULL;
  int shared[LUNET_LAYER_MAX_DIMS] = {0};
  const lunet_cfg_value_t *v = lunet_config_get(cfg, "shared_axes");
  if (v) {
    int n = 1;
    const lunet_cfg_value_t *items = v;
    if (v->type == LUNET_CFG_LIST && lunet_config_list(cfg, "shared_axes", "a list of axes", &n, &items) < 0)
      return NULL;
    for (int i = 0; i < n; i++) {
      int64_t a;
      if (i >= LUNET_CFG_MAX_ITEMS || lunet_cfg_value_int64(&items[i], &a) < 0 || a < 1 || a > in_ndim) {
        lunet_fail("PReLU: shared_axes %s is not an axis of the input, whose samples have shape %s (1 to %d; 0 is "
                   "the batch)", i >= LUNET_CFG_MAX_ITEMS ? "list" : lunet_cfg_value_str(text, sizeof text, &items[i]),
                   lunet_shape_str(have, sizeof have, in_ndim, in_shape), in_ndim);
        return NULL;
      }
      shared[a - 1] = 1;
    }
  }
  prelu_t *p = lunet_nn_alloc(sizeof *p);
  if (!p) return NULL;
  lunet_layer_t *l = &p->base;
  lunet_layer_setup(l, &prelu_ops, in_ndim, in_shape);
  l->mask_keep = 1;
  p->init = init;
  lunet_weight_t w = {.off = 0, .ndim = in_ndim};
  for (int i = 0; i < in_ndim; i++) w.shape[i] = shared[i] ? 1 : in_shape[i];
  w.n = lunet_shape_numel(in_ndim, w.shape);
  int pad = 3 - in_ndim;
  for (int i = 0; i < 3; i++) p->dims[i] = i < pad ? 1 : in_shape[i - pad];
  int64_t stride = 1;
  for (int i = 2; i >= 0; i--) { /* alpha is row-major over its own shape */
    int64_t size = i < pad ? 1 : w.shape[i - pad];
    p->astride[i] = size == 1 ? 0 : stride;
    stride *= size;
  }
  l->kernel = w;
  l->nparams = l->ntrainable = w.n;
  if (lunet_reg_config_named(l, cfg, "alpha", NULL) < 0) { lunet_layer_free(l); return NULL; }
  return l;
}

const lunet_layer_kind_t lunet_prelu_kind = {"PReLU", prelu_from_config};
