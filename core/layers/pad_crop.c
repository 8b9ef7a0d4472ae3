/* ZeroPadding2D and Cropping2D over channels-last images (N, H, W, C), as
 * Keras 2: rows and columns of zeros added around each image, or removed from
 * its borders; ZeroPadding1D and Cropping1D do the same to the steps of
 * sequences (N, steps, C), run as images of width 1. Both are one shifted copy (out(y, x) = in(y + dy, x + dx), 0
 * outside), and each one's backward is the other's shifted copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  int64_t h, w, c, oh, ow;
  int64_t dy, dx; /* out(y, x) reads in(y + dy, x + dx): -top/-left to pad, +top/+left to crop */
} padcrop_t;

/* dst (B, DH, DW, C) = src (B, SH, SW, C) shifted by (oy, ox), zeros outside */
static void shift(float *dst, int64_t dh, int64_t dw, const float *src, int64_t sh, int64_t sw, int64_t c,
                  int64_t oy, int64_t ox, int batch) {
  int64_t x0 = ox < 0 ? -ox : 0, x1 = sw - ox < dw ? sw - ox : dw; /* the dst columns that read src */
  for (int b = 0; b < batch; b++) {
    float *d = dst + b * dh * dw * c;
    const float *s = src + b * sh * sw * c;
    for (int64_t y = 0; y < dh; y++) {
      float *row = d + y * dw * c;
      int64_t sy = y + oy;
      if (sy < 0 || sy >= sh || x1 <= x0) { memset(row, 0, (size_t)(dw * c) * sizeof *row); continue; }
      memset(row, 0, (size_t)(x0 * c) * sizeof *row);
      memcpy(row + x0 * c, s + (sy * sw + x0 + ox) * c, (size_t)((x1 - x0) * c) * sizeof *row);
      memset(row + x1 * c, 0, (size_t)((dw - x1) * c) * sizeof *row);
    }
  }
}

static void padcrop_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  padcrop_t *p = (padcrop_t *)l;
  shift(out, p->oh, p->ow, in, p->h, p->w, p->c, p->dy, p->dx, batch);
}

static void padcrop_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                             int batch) {
  padcrop_t *p = (padcrop_t *)l;
  if (din) shift(din, p->h, p->w, dout, p->oh, p->ow, p->c, -p->dy, -p->dx, batch);
}

static const lunet_layer_ops_t pad_ops = {
    .kind = "ZeroPadding2D", .forward = padcrop_forward, .backward = padcrop_backward};
static const lunet_layer_ops_t crop_ops = {
    .kind = "Cropping2D", .forward = padcrop_forward, .backward = padcrop_backward};
static const lunet_layer_ops_t pad1d_ops = {
    .kind = "ZeroPadding1D", .forward = padcrop_forward, .backward = padcrop_backward};
static const lunet_layer_ops_t crop1d_ops = {
    .kind = "Cropping1D", .forward = padcrop_forward, .backward = padcrop_backward};

/* config: padding or cropping = {top, bottom, left, right} (lunet.nn spells
 * Keras' forms out), each an integer >= 0; dims 1: {start, end} of the steps */
static lunet_layer_t *padcrop_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape,
                                          const lunet_layer_ops_t *ops, const char *key, int crop, int dims) {
  int n;
  const lunet_cfg_value_t *items;
  int64_t v[4] = {0, 0, 0, 0};
  const char *form = dims == 2 ? "a list {top, bottom, left, right}" : "a list {start, end}";
  if (lunet_config_list(cfg, key, form, &n, &items) < 0) return NULL;
  if (n != 2 * dims) {
    lunet_fail("%s: %s must be %s, got a list of %d", ops->kind, key, form, n);
    return NULL;
  }
  for (int i = 0; i < n; i++)
    if (lunet_cfg_value_int64(&items[i], &v[i]) < 0 || v[i] < 0 || v[i] > LUNET_MAX_SIZE) {
      char text[64];
      lunet_fail("%s: %s[%d] must be an integer from 0 to %lld, got %s", ops->kind, key, i + 1,
                 (long long)LUNET_MAX_SIZE, lunet_cfg_value_str(text, sizeof text, &items[i]));
      return NULL;
    }
  char name[64], have[LUNET_SHAPE_STR_MAX];
  if (dims == 2)
    snprintf(name, sizeof name, "%s((%lld, %lld), (%lld, %lld))", ops->kind, (long long)v[0], (long long)v[1],
             (long long)v[2], (long long)v[3]);
  else snprintf(name, sizeof name, "%s((%lld, %lld))", ops->kind, (long long)v[0], (long long)v[1]);
  if (in_ndim != dims + 1) {
    lunet_fail("%s: input has per-sample shape %s, expects %s", name, lunet_shape_str(have, sizeof have, in_ndim, in_shape),
               dims == 2 ? "images (height, width, channels)" : "sequences (steps, channels)");
    return NULL;
  }
  int64_t sign = crop ? -1 : 1, w = dims == 2 ? in_shape[1] : 1;
  int64_t oh = in_shape[0] + sign * (v[0] + v[1]), ow = w + sign * (v[2] + v[3]);
  if (oh < 1 || ow < 1) {
    if (dims == 2)
      lunet_fail("%s: cropping %lld rows and %lld columns leaves nothing of input %s", name,
                 (long long)(v[0] + v[1]), (long long)(v[2] + v[3]),
                 lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    else
      lunet_fail("%s: cropping %lld steps leaves nothing of input %s", name, (long long)(v[0] + v[1]),
                 lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    return NULL;
  }
  padcrop_t *p = lunet_nn_alloc(sizeof *p);
  if (!p) return NULL;
  lunet_layer_t *l = &p->base;
  lunet_layer_setup(l, ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", name);
  p->h = in_shape[0]; p->w = w; p->c = in_shape[dims]; p->oh = oh; p->ow = ow;
  p->dy = -sign * v[0]; p->dx = -sign * v[2];
  l->out_shape[0] = oh;
  if (dims == 2) l->out_shape[1] = ow;
  l->out_size = lunet_shape_numel(in_ndim, l->out_shape);
  return l;
}

static lunet_layer_t *pad_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return padcrop_from_config(cfg, in_ndim, in_shape, &pad_ops, "padding", 0, 2);
}

static lunet_layer_t *crop_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return padcrop_from_config(cfg, in_ndim, in_shape, &crop_ops, "cropping", 1, 2);
}

static lunet_layer_t *pad1d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return padcrop_from_config(cfg, in_ndim, in_shape, &pad1d_ops, "padding", 0, 1);
}

static lunet_layer_t *crop1d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return padcrop_from_config(cfg, in_ndim, in_shape, &crop1d_ops, "cropping", 1, 1);
}

const lunet_layer_kind_t lunet_zero_padding2d_kind = {"ZeroPadding2D", pad_from_config};
const lunet_layer_kind_t lunet_cropping2d_kind = {"Cropping2D", crop_from_config};
const lunet_layer_kind_t lunet_zero_padding1d_kind = {"ZeroPadding1D", pad1d_from_config};
const lunet_layer_kind_t lunet_cropping1d_kind = {"Cropping1D", crop1d_from_config};
