/* MaxPooling2D and AveragePooling2D over channels-last images (N, H, W, C),
 * and MaxPooling1D / AveragePooling1D over sequences (N, steps, C), run as
 * images of width 1. Max pooling remembers which input won each window so backward is a scatter;
 * average pooling with 'same' padding divides by the taps inside the image,
 * as Keras does. */
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
  int64_t h, w, c, oh, ow;
  int ph, pw, sh, sw, pt, pl;
  int32_t *argmax; /* (max_batch, OH, OW, C): flat input index within the sample */
} pool_t;

static int pool_plan(lunet_layer_t *l, int max_batch) {
  pool_t *p = (pool_t *)l;
  if (!p->is_max) return 0;
  free(p->argmax);
  p->argmax = lunet_nn_alloc((size_t)(max_batch * l->out_size) * sizeof *p->argmax);
  return p->argmax ? 0 : -1;
}

/* window of output (oy, ox) clipped to the image: [y0, y1) x [x0, x1) */
static void window(const pool_t *p, int64_t oy, int64_t ox, int64_t *y0, int64_t *y1, int64_t *x0,
                   int64_t *x1) {
  *y0 = oy * p->sh - p->pt; *x0 = ox * p->sw - p->pl;
  *y1 = *y0 + p->ph; *x1 = *x0 + p->pw;
  if (*y0 < 0) *y0 = 0;
  if (*x0 < 0) *x0 = 0;
  if (*y1 > p->h) *y1 = p->h;
  if (*x1 > p->w) *x1 = p->w;
}

/* out (B, OH, OW, C) = max or mean of each window of in (B, H, W, C) */
static void pool_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  pool_t *p = (pool_t *)l;
  int64_t c = p->c;
  for (int b = 0; b < batch; b++) {
    const float *img = in + b * l->in_size;
    float *o = out + b * l->out_size;
    int32_t *am = p->is_max ? p->argmax + b * l->out_size : NULL;
    for (int64_t oy = 0; oy < p->oh; oy++)
      for (int64_t ox = 0; ox < p->ow; ox++) {
        int64_t y0, y1, x0, x1;
        window(p, oy, ox, &y0, &y1, &x0, &x1);
        float *oc = o + (oy * p->ow + ox) * c;
        if (p->is_max) {
          int32_t *ac = am + (oy * p->ow + ox) * c;
          for (int64_t k = 0; k < c; k++) { oc[k] = -FLT_MAX; ac[k] = 0; }
          for (int64_t y = y0; y < y1; y++)
            for (int64_t x = x0; x < x1; x++) {
              int64_t base = (y * p->w + x) * c;
              for (int64_t k = 0; k < c; k++) {
                float v = img[base + k];
                /* a NaN wins and stays: it must reach the loss, not vanish */
                if (v > oc[k] || (v != v && oc[k] == oc[k])) { oc[k] = v; ac[k] = (int32_t)(base + k); }
              }
            }
        } else {
          float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
          memset(oc, 0, (size_t)c * sizeof *oc);
          for (int64_t y = y0; y < y1; y++)
            for (int64_t x = x0; x < x1; x++)
              for (int64_t k = 0; k < c; k++) oc[k] += img[(y * p->w + x) * c + k];
          for (int64_t k = 0; k < c; k++) oc[k] *= inv;
        }
      }
  }
}

static void pool_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                          int batch) {
  pool_t *p = (pool_t *)l;
  if (!din) return;
  int64_t c = p->c;
  memset(din, 0, (size_t)(batch * l->in_size) * sizeof *din);
  for (int b = 0; b < batch; b++) {
    float *di = din + b * l->in_size;
    const float *d = dout + b * l->out_size;
    if (p->is_max) {
      const int32_t *am = p->argmax + b * l->out_size;
      for (int64_t i = 0; i < l->out_size; i++) di[am[i]] += d[i];
      continue;
    }
    for (int64_t oy = 0; oy < p->oh; oy++)
      for (int64_t ox = 0; ox < p->ow; ox++) {
        int64_t y0, y1, x0, x1;
        window(p, oy, ox, &y0, &y1, &x0, &x1);
        const float *dc = d + (oy * p->ow + ox) * c;
        float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
        for (int64_t y = y0; y < y1; y++)
          for (int64_t x = x0; x < x1; x++)
            for (int64_t k = 0; k < c; k++) di[(y * p->w + x) * c + k] += dc[k] * inv;
      }
  }
}

static void pool_free(lunet_layer_t *l) { free(((pool_t *)l)->argmax); }

static const lunet_layer_ops_t max_ops = {
    .kind = "MaxPooling2D", .plan = pool_plan, .forward = pool_forward, .backward = pool_backward,
    .free = pool_free};
static const lunet_layer_ops_t avg_ops = {
    .kind = "AveragePooling2D", .plan = pool_plan, .forward = pool_forward, .backward = pool_backward,
    .free = pool_free};
static const lunet_layer_ops_t max1d_ops = {
    .kind = "MaxPooling1D", .plan = pool_plan, .forward = pool_forward, .backward = pool_backward,
    .free = pool_free};
static const lunet_layer_ops_t avg1d_ops = {
    .kind = "AveragePooling1D", .plan = pool_plan, .forward = pool_forward, .backward = pool_backward,
    .free = pool_free};

static int64_t out_size(int64_t n, int k, int s, int same, int *pad) {
  if (same) {
    int64_t o = (n + s - 1) / s, total = (o - 1) * s + k - n;
    *pad = total > 0 ? (int)(total / 2) : 0;
    return o;
  }
  *pad = 0;
  return n >= k ? (n - k) / s + 1 : 0;
}

/* config: pool_size (default 2), strides (default pool_size), padding; dims
 * 2 (images, pairs) or 1 (sequences, sizes: the width is 1) */
static lunet_layer_t *pool_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape,
                                       int is_max, int dims) {
  const lunet_layer_ops_t *ops = dims == 2 ? (is_max ? &max_ops : &avg_ops) : (is_max ? &max1d_ops : &avg1d_ops);
  const char *kind = ops->kind;
  int padding_same, ph, pw = 1, sh, sw = 1;
  if (lunet_config_padding(cfg, &padding_same) < 0) return NULL;
  if (dims == 2 ? lunet_config_size_pair(cfg, "pool_size", 2, &ph, &pw) < 0
                : lunet_config_size(cfg, "pool_size", 2, &ph) < 0)
    return NULL;
  if (!lunet_config_get(cfg, "strides")) { sh = ph; sw = pw; } /* Keras: strides default to pool_size */
  else if (dims == 2 ? lunet_config_size_pair(cfg, "strides", 0, &sh, &sw) < 0
                     : lunet_config_size(cfg, "strides", 0, &sh) < 0)
    return NULL;
  char have[LUNET_SHAPE_STR_MAX], name[64];
  if (dims == 2) snprintf(name, sizeof name, "%s(%dx%d)", kind, ph, pw);
  else snprintf(name, sizeof name, "%s(%d)", kind, ph);
  if (in_ndim != dims + 1) {
    lunet_fail("%s: input must be %s, got per-sample shape %s", name,
               dims == 2 ? "images (height, width, channels)" : "sequences (steps, channels)",
               lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    return NULL;
  }
  int64_t h = in_shape[0], w = dims == 2 ? in_shape[1] : 1, c = in_shape[dims];
  int pt, pl;
  int64_t oh = out_size(h, ph, sh, padding_same, &pt);
  int64_t ow = out_size(w, pw, sw, padding_same, &pl);
  if (oh < 1 || ow < 1) {
    lunet_fail("%s: input %s is smaller than the pool", name, lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    return NULL;
  }
  pool_t *p = lunet_nn_alloc(sizeof *p);
  if (!p) return NULL;
  lunet_layer_t *l = &p->base;
  lunet_layer_setup(l, ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", name);
  p->is_max = is_max;
  p->h = h; p->w = w; p->c = c;
  p->oh = oh; p->ow = ow; p->ph = ph; p->pw = pw; p->sh = sh; p->sw = sw; p->pt = pt; p->pl = pl;
  l->out_shape[0] = oh;
  if (dims == 2) l->out_shape[1] = ow;
  l->out_size = oh * ow * p->c;
  return l;
}

static lunet_layer_t *max_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return pool_from_config(cfg, in_ndim, in_shape, 1, 2);
}

static lunet_layer_t *avg_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return pool_from_config(cfg, in_ndim, in_shape, 0, 2);
}

static lunet_layer_t *max1d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return pool_from_config(cfg, in_ndim, in_shape, 1, 1);
}

static lunet_layer_t *avg1d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return pool_from_config(cfg, in_ndim, in_shape, 0, 1);
}

const lunet_layer_kind_t lunet_max_pooling2d_kind = {"MaxPooling2D", max_from_config};
const lunet_layer_kind_t lunet_average_pooling2d_kind = {"AveragePooling2D", avg_from_config};
const lunet_layer_kind_t lunet_max_pooling1d_kind = {"MaxPooling1D", max1d_from_config};
const lunet_layer_kind_t lunet_average_pooling1d_kind = {"AveragePooling1D", avg1d_from_config};
