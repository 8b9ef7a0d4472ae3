/* GlobalAveragePooling1D/2D and GlobalMaxPooling1D/2D, as Keras 2: the mean or
 * maximum over every step (or pixel) of a sample, per channel: (steps, C) or
 * (H, W, C) -> (C), or with keepdims (1, C) / (1, 1, C). GlobalAveragePooling1D
 * reads the input's mask (Embedding's mask_zero) and averages the unmasked
 * steps only; GlobalMaxPooling1D, as in Keras 2, does not support masking. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  int is_max;
  int64_t n, c;     /* n positions (steps or H*W) of c channels per sample */
  int32_t *argmax;  /* (max_batch, C): the winning position of each channel */
} gpool_t;

static int gpool_plan(lunet_layer_t *l, int max_batch) {
  gpool_t *p = (gpool_t *)l;
  if (!p->is_max) return 0;
  free(p->argmax);
  p->argmax = lunet_nn_alloc((size_t)(max_batch * p->c) * sizeof *p->argmax);
  return p->argmax ? 0 : -1;
}

/* The weight of a counted position of sample b in its mean: 1 / (its
 * unmasked positions). A sample with every step masked has nothing to
 * average and gives 0 (Keras would divide by 0). */
static float mean_weight(const lunet_layer_t *l, int b, int64_t n) {
  if (!l->mask_in) return 1.0f / (float)n;
  const float *m = l->mask_in + (int64_t)b * n;
  int64_t count = 0;
  for (int64_t t = 0; t < n; t++) count += m[t] != 0.0f;
  return count ? 1.0f / (float)count : 0.0f;
}

/* 1 when position i of sample b counts (is not a masked step) */
static int counted(const lunet_layer_t *l, int b, int64_t i, int64_t n) {
  return !l->mask_in || l->mask_in[(int64_t)b * n + i] != 0.0f;
}

/* out (B, C) = mean or max over the n positions of in (B, n, C) */
static void gpool_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  gpool_t *p = (gpool_t *)l;
  int64_t n = p->n, c = p->c;
  for (int b = 0; b < batch; b++) {
    const float *x = in + b * n * c;
    float *o = out + b * c;
    if (p->is_max) {
      int32_t *am = p->argmax + b * c;
      for (int64_t k = 0; k < c; k++) { o[k] = -FLT_MAX; am[k] = 0; }
      for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < c; k++) {
          float v = x[i * c + k];
          /* a NaN wins and stays: it must reach the loss, not vanish */
          if (v > o[k] || (v != v && o[k] == o[k])) { o[k] = v; am[k] = (int32_t)i; }
        }
      continue;
    }
    memset(o, 0, (size_t)c * sizeof *o);
    float w = mean_weight(l, b, n);
    for (int64_t i = 0; i < n; i++)
      if (counted(l, b, i, n))
        for (int64_t k = 0; k < c; k++) o[k] += w * x[i * c + k];
  }
}

static void gpool_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                           int batch) {
  gpool_t *p = (gpool_t *)l;
  if (!din) return;
  int64_t n = p->n, c = p->c;
  for (int b = 0; b < batch; b++) {
    float *dx = din + b * n * c;
    const float *d = dout + b * c;
    if (p->is_max) {
      const int32_t *am = p->argmax + b * c;
      memset(dx, 0, (size_t)(n * c) * sizeof *dx);
      for (int64_t k = 0; k < c; k++) dx[am[k] * c + k] = d[k];
      continue;
    }
    float w = mean_weight(l, b, n);
    for (int64_t i = 0; i < n; i++) {
      float wi = counted(l, b, i, n) ? w : 0.0f;
      for (int64_t k = 0; k < c; k++) dx[i * c + k] = wi * d[k];
    }
  }
}

static void gpool_free(lunet_layer_t *l) { free(((gpool_t *)l)->argmax); }

#define GPOOL_OPS(var, name) static const lunet_layer_ops_t var = { \
    .kind = name, .plan = gpool_plan, .forward = gpool_forward, .backward = gpool_backward, .free = gpool_free}
GPOOL_OPS(avg1d_ops, "GlobalAveragePooling1D");
GPOOL_OPS(max1d_ops, "GlobalMaxPooling1D");
GPOOL_OPS(avg2d_ops, "GlobalAveragePooling2D");
GPOOL_OPS(max2d_ops, "GlobalMaxPooling2D");

/* config: keepdims (default false) */
static lunet_layer_t *gpool_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape,
                                        const lunet_layer_ops_t *ops, int is_max, int dims) {
  int keepdims;
  if (lunet_config_boolean(cfg, "keepdims", 0, &keepdims) < 0) return NULL;
  char have[LUNET_SHAPE_STR_MAX];
  if (in_ndim != dims + 1) {
    lunet_fail("%s: input has per-sample shape %s, expects %s", ops->kind,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape),
               dims == 1 ? "sequences (steps, channels)" : "images (height, width, channels)");
    return NULL;
  }
  gpool_t *p = lunet_nn_alloc(sizeof *p);
  if (!p) return NULL;
  lunet_layer_t *l = &p->base;
  lunet_layer_setup(l, ops, in_ndim, in_shape);
  p->is_max = is_max;
  p->c = in_shape[dims];
  p->n = l->in_size / p->c;
  l->mask_use = !is_max && dims == 1; /* the mask ends here, as Keras' compute_mask returns None */
  if (keepdims) {
    for (int i = 0; i < dims; i++) l->out_shape[i] = 1;
  } else {
    l->out_ndim = 1;
    l->out_shape[0] = p->c;
  }
  l->out_size = p->c;
  return l;
}

static lunet_layer_t *avg1d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return gpool_from_config(cfg, in_ndim, in_shape, &avg1d_ops, 0, 1);
}
static lunet_layer_t *max1d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return gpool_from_config(cfg, in_ndim, in_shape, &max1d_ops, 1, 1);
}
static lunet_layer_t *avg2d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return gpool_from_config(cfg, in_ndim, in_shape, &avg2d_ops, 0, 2);
}
static lunet_layer_t *max2d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return gpool_from_config(cfg, in_ndim, in_shape, &max2d_ops, 1, 2);
}

const lunet_layer_kind_t lunet_global_average_pooling1d_kind = {"GlobalAveragePooling1D", avg1d_from_config};
const lunet_layer_kind_t lunet_global_max_pooling1d_kind = {"GlobalMaxPooling1D", max1d_from_config};
const lunet_layer_kind_t lunet_global_average_pooling2d_kind = {"GlobalAveragePooling2D", avg2d_from_config};
const lunet_layer_kind_t lunet_global_max_pooling2d_kind = {"GlobalMaxPooling2D", max2d_from_config};
