/* UpSampling2D over channels-last images (N, H, W, C), as Keras 2 (and
 * UpSampling1D, each step repeated, as images of width 1): each image
 * resized by integer factors (SH, SW), 'nearest' (every pixel repeated) or
 * 'bilinear' as tf.image.resize with half-pixel centres (what Keras 2.x
 * calls; torch's align_corners=False is the same): output pixel y reads
 * input position (y + 0.5) / SH - 0.5, clamped to the image, between its two
 * neighbouring rows. The taps and weights of every output row and column are
 * computed once at build; backward scatters with the same weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  int64_t h, w, c, oh, ow;
  int bilinear;
  int32_t *ty, *tx; /* (OH, 2), (OW, 2): the two input rows / columns each output row / column reads */
  float *wy, *wx;   /* (OH), (OW): the weight of the second one (nearest: both taps equal, weight 0) */
} upsample_t;

/* taps (n_out, 2) and weights (n_out) of one axis of size n scaled by s */
static void axis_taps(int32_t *taps, float *wt, int64_t n, int64_t n_out, int s, int bilinear) {
  for (int64_t o = 0; o < n_out; o++) {
    if (!bilinear) { taps[2 * o] = taps[2 * o + 1] = (int32_t)(o / s); wt[o] = 0.0f; continue; }
    double src = ((double)o + 0.5) / s - 0.5;
    if (src < 0.0) src = 0.0;
    int64_t i0 = (int64_t)floor(src), i1 = i0 + 1 < n ? i0 + 1 : n - 1;
    taps[2 * o] = (int32_t)i0; taps[2 * o + 1] = (int32_t)i1;
    wt[o] = (float)(src - (double)i0);
  }
}

/* out (B, OH, OW, C) = the weighted four taps of in (B, H, W, C) */
static void up_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  upsample_t *u = (upsample_t *)l;
  int64_t c = u->c;
  for (int b = 0; b < batch; b++) {
    const float *img = in + b * l->in_size;
    float *o = out + b * l->out_size;
    for (int64_t y = 0; y < u->oh; y++) {
      const float *r0 = img + u->ty[2 * y] * u->w * c, *r1 = img + u->ty[2 * y + 1] * u->w * c;
      float fy = u->wy[y];
      for (int64_t x = 0; x < u->ow; x++) {
        int64_t a = u->tx[2 * x] * c, e = u->tx[2 * x + 1] * c;
        float fx = u->wx[x], *dst = o + (y * u->ow + x) * c;
        if (!u->bilinear) { memcpy(dst, r0 + a, (size_t)c * sizeof *dst); continue; }
        for (int64_t k = 0; k < c; k++) {
          float top = r0[a + k] + fx * (r0[e + k] - r0[a + k]);
          float bottom = r1[a + k] + fx * (r1[e + k] - r1[a + k]);
          dst[k] = top + fy * (bottom - top);
        }
      }
    }
  }
}

static void up_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  upsample_t *u = (upsample_t *)l;
  if (!din) return;
  int64_t c = u->c;
  memset(din, 0, (size_t)(batch * l->in_size) * sizeof *din);
  for (int b = 0; b < batch; b++) {
    float *img = din + b * l->in_size;
    const float *d = dout + b * l->out_size;
    for (int64_t y = 0; y < u->oh; y++) {
      float *r0 = img + u->ty[2 * y] * u->w * c, *r1 = img + u->ty[2 * y + 1] * u->w * c;
      float fy = u->wy[y];
      for (int64_t x = 0; x < u->ow; x++) {
        int64_t a = u->tx[2 * x] * c, e = u->tx[2 * x + 1] * c;
        float fx = u->wx[x];
        const float *g = d + (y * u->ow + x) * c;
        if (!u->bilinear) {
          for (int64_t k = 0; k < c; k++) r0[a + k] += g[k];
          continue;
        }
        float w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx), w11 = fy * fx;
        for (int64_t k = 0; k < c; k++) {
          r0[a + k] += w00 * g[k]; r0[e + k] += w01 * g[k];
          r1[a + k] += w10 * g[k]; r1[e + k] += w11 * g[k];
        }
      }
    }
  }
}

static void up_free(lunet_layer_t *l) {
  upsample_t *u = (upsample_t *)l;
  free(u->ty); free(u->tx); free(u->wy); free(u->wx);
}

static const lunet_layer_ops_t up_ops = {
    .kind = "UpSampling2D", .forward = up_forward, .backward = up_backward, .free = up_free};
static const lunet_layer_ops_t up1d_ops = {
    .kind = "UpSampling1D", .forward = up_forward, .backward = up_backward, .free = up_free};

/* config: size (a size or a pair, default 2), interpolation ('nearest' or
 * 'bilinear'); dims 1: size is one size, nearest only (Keras' UpSampling1D) */
static lunet_layer_t *up_build(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape, int dims) {
  int sh, sw = 1;
  const char *interp = "nearest";
  if (dims == 2 ? lunet_config_size_pair(cfg, "size", 2, &sh, &sw) < 0 ||
                  lunet_config_string(cfg, "interpolation", "nearest", &interp) < 0
                : lunet_config_size(cfg, "size", 2, &sh) < 0)
    return NULL;
  char name[64], have[LUNET_SHAPE_STR_MAX];
  if (dims == 2) snprintf(name, sizeof name, "UpSampling2D(%dx%d)", sh, sw);
  else snprintf(name, sizeof name, "UpSampling1D(%d)", sh);
  int bilinear = strcmp(interp, "bilinear") == 0;
  if (!bilinear && strcmp(interp, "nearest") != 0) {
    lunet_fail("%s: interpolation must be 'nearest' or 'bilinear', got '%s'", name, interp);
    return NULL;
  }
  if (in_ndim != dims + 1) {
    lunet_fail("%s: input has per-sample shape %s, expects %s", name, lunet_shape_str(have, sizeof have, in_ndim, in_shape),
               dims == 2 ? "images (height, width, channels)" : "sequences (steps, channels)");
    return NULL;
  }
  int64_t oh, ow, w = dims == 2 ? in_shape[1] : 1;
  if (__builtin_mul_overflow(in_shape[0], (int64_t)sh, &oh) || __builtin_mul_overflow(w, (int64_t)sw, &ow) ||
      oh > LUNET_MAX_SIZE || ow > LUNET_MAX_SIZE) {
    lunet_fail("%s: the output of input %s would have more than %lld rows or columns", name,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape), (long long)LUNET_MAX_SIZE);
    return NULL;
  }
  upsample_t *u = lunet_nn_alloc(sizeof *u);
  if (!u) return NULL;
  lunet_layer_t *l = &u->base;
  lunet_layer_setup(l, dims == 2 ? &up_ops : &up1d_ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", name);
  u->h = in_shape[0]; u->w = w; u->c = in_shape[dims]; u->oh = oh; u->ow = ow; u->bilinear = bilinear;
  l->out_shape[0] = oh;
  if (dims == 2) l->out_shape[1] = ow;
  l->out_size = lunet_shape_numel(in_ndim, l->out_shape);
  if (l->out_size > LUNET_MAX_SIZE) { /* refused by the net: no tables for it */
    lunet_fail("%s: the output has more than %lld values per sample", name, (long long)LUNET_MAX_SIZE);
    lunet_layer_free(l);
    return NULL;
  }
  u->ty = lunet_nn_alloc((size_t)(2 * oh) * sizeof *u->ty); u->wy = lunet_nn_alloc((size_t)oh * sizeof *u->wy);
  u->tx = lunet_nn_alloc((size_t)(2 * ow) * sizeof *u->tx); u->wx = lunet_nn_alloc((size_t)ow * sizeof *u->wx);
  if (!u->ty || !u->wy || !u->tx || !u->wx) { lunet_layer_free(l); return NULL; }
  axis_taps(u->ty, u->wy, u->h, oh, sh, bilinear);
  axis_taps(u->tx, u->wx, u->w, ow, sw, bilinear);
  return l;
}

static lunet_layer_t *up_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return up_build(cfg, in_ndim, in_shape, 2);
}

static lunet_layer_t *up1d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return up_build(cfg, in_ndim, in_shape, 1);
}

const lunet_layer_kind_t lunet_upsampling2d_kind = {"UpSampling2D", up_from_config};
const lunet_layer_kind_t lunet_upsampling1d_kind = {"UpSampling1D", up1d_from_config};
