/* Conv2D over channels-last images (N, H, W, C), as Keras: im2col turns the
 * whole batch into one (N*OH*OW, KH*KW*C) matrix so the convolution is a single
 * sgemm with the (KH, KW, C, F) kernel; backward is two sgemms and col2im. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "regularize.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  int64_t h, w, c, f, oh, ow;
  int kh, kw, sh, sw, pt, pl; /* kernel, strides, top/left padding */
  int use_bias;
  lunet_init_t kernel_init, bias_init;
  float *cols;  /* (max_batch * OH * OW, KH * KW * C), kept from forward for dW */
  float *dcols; /* same, only when the input gradient is needed */
} conv2d_t;

static int64_t patch(const conv2d_t *d) { return (int64_t)d->kh * d->kw * d->c; }

static void conv_init(lunet_layer_t *l, lunet_rng_t *rng) {
  conv2d_t *d = (conv2d_t *)l;
  int64_t kkc = patch(d);
  lunet_init_fill(d->kernel_init, rng, l->params, kkc * d->f, kkc, (int64_t)d->kh * d->kw * d->f);
  if (d->use_bias) lunet_init_fill(d->bias_init, rng, l->params + kkc * d->f, d->f, kkc, d->f);
}

static int conv_plan(lunet_layer_t *l, int max_batch) {
  conv2d_t *d = (conv2d_t *)l;
  free(d->cols); free(d->dcols);
  d->dcols = NULL;
  size_t n = (size_t)(max_batch * d->oh * d->ow * patch(d)) * sizeof(float);
  d->cols = lunet_nn_alloc(n);
  if (l->need_input_grad) d->dcols = lunet_nn_alloc(n);
  if (lunet_layer_plan_pre(l, max_batch) < 0) return -1;
  return d->cols && (d->dcols || !l->need_input_grad) ? 0 : -1;
}

/* cols (B*OH*OW, KH*KW*C) from in (B, H, W, C); out-of-image taps are 0 */
static void im2col(const conv2d_t *d, float *cols, const float *in, int batch) {
  int64_t c = d->c, rowlen = d->kw * c;
  float *dst = cols;
  for (int b = 0; b < batch; b++) {
    const float *img = in + b * d->h * d->w * c;
    for (int64_t oy = 0; oy < d->oh; oy++)
      for (int64_t ox = 0; ox < d->ow; ox++) {
        int64_t y0 = oy * d->sh - d->pt, x0 = ox * d->sw - d->pl;
        int inside_x = x0 >= 0 && x0 + d->kw <= d->w;
        for (int i = 0; i < d->kh; i++, dst += rowlen) {
          int64_t y = y0 + i;
          if (y < 0 || y >= d->h) { memset(dst, 0, (size_t)rowlen * sizeof *dst); continue; }
          const float *src = img + (y * d->w + x0) * c;
          if (inside_x) { memcpy(dst, src, (size_t)rowlen * sizeof *dst); continue; }
          for (int j = 0; j < d->kw; j++) {
            int64_t x = x0 + j;
            if (x < 0 || x >= d->w) memset(dst + j * c, 0, (size_t)c * sizeof *dst);
            else memcpy(dst + j * c, src + j * c, (size_t)c * sizeof *dst);
          }
        }
      }
  }
}

/* din (B, H, W, C) = sum of the dcols taps that read each pixel */
static void col2im(const conv2d_t *d, float *din, const float *dcols, int batch) {
  int64_t c = d->c, rowlen = d->kw * c;
  memset(din, 0, (size_t)(batch * d->h * d->w * c) * sizeof *din);
  const float *src = dcols;
  for (int b = 0; b < batch; b++) {
    float *img = din + b * d->h * d->w * c;
    for (int64_t oy = 0; oy < d->oh; oy++)
      for (int64_t ox = 0; ox < d->ow; ox++) {
        int64_t y0 = oy * d->sh - d->pt, x0 = ox * d->sw - d->pl;
        for (int i = 0; i < d->kh; i++, src += rowlen) {
          int64_t y = y0 + i;
          if (y < 0 || y >= d->h) continue;
          for (int j = 0; j < d->kw; j++) {
            int64_t x = x0 + j;
            if (x < 0 || x >= d->w) continue;
            float *dst = img + (y * d->w + x) * c;
            const float *s = src + j * c;
            for (int64_t k = 0; k < c; k++) dst[k] += s[k];
          }
        }
      }
  }
}

/* out (P, F) = act(cols (P, KKC) @ W (KKC, F) + b), P = B*OH*OW; the
 * convolution goes to l->pre when the activation's backward needs it */
static void conv_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  conv2d_t *d = (conv2d_t *)l;
  int64_t p = batch * d->oh * d->ow, kkc = patch(d), f = d->f;
  float *z = l->pre ? l->pre : out;
  im2col(d, d->cols, in, batch);
  if (d->use_bias)
    for (int64_t r = 0; r < p; r++) memcpy(z + r * f, l->params + kkc * f, (size_t)f * sizeof *z);
  lunet_blas_sgemm(0, 0, (int)p, (int)f, (int)kkc, 1.0f, d->cols, (int)kkc, l->params, (int)f,
                   d->use_bias ? 1.0f : 0.0f, z, (int)f);
  lunet_act_forward(l->act, out, z, p, f);
}

static void conv_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                          int batch) {
  conv2d_t *d = (conv2d_t *)l;
  int64_t p = batch * d->oh * d->ow, kkc = patch(d), f = d->f;
  if (!l->act_fused_loss) lunet_act_backward(l->act, dout, out, l->pre, p, f);
  /* dW (KKC, F) = cols^T (KKC, P) @ dout (P, F) */
  /* (grads_preset: the regularizers' gradients are in grads already, add to them) */
  lunet_blas_sgemm(1, 0, (int)kkc, (int)f, (int)p, 1.0f, d->cols, (int)kkc, dout, (int)f,
                   l->grads_preset ? 1.0f : 0.0f, l->grads, (int)f);
  if (d->use_bias) {
    float *db = l->grads + kkc * f;
    if (!l->grads_preset) memset(db, 0, (size_t)f * sizeof *db);
    for (int64_t r = 0; r < p; r++)
      for (int64_t j = 0; j < f; j++) db[j] += dout[r * f + j];
  }
  if (!din || !d->dcols) return;
  /* dcols (P, KKC) = dout (P, F) @ W^T (F, KKC) */
  lunet_blas_sgemm(0, 1, (int)p, (int)kkc, (int)f, 1.0f, dout, (int)f, l->params, (int)f, 0.0f,
                   d->dcols, (int)kkc);
  col2im(d, din, d->dcols, batch);
}

static void conv_free(lunet_layer_t *l) {
  conv2d_t *d = (conv2d_t *)l;
  free(d->cols);
  free(d->dcols);
}

static const lunet_layer_ops_t conv2d_ops = {
    .kind = "Conv2D", .init = conv_init, .plan = conv_plan, .forward = conv_forward,
    .backward = conv_backward, .free = conv_free};

/* Keras output size and leading padding for one axis */
static int64_t out_size(int64_t n, int k, int s, int same, int *pad) {
  if (same) {
    int64_t o = (n + s - 1) / s, total = (o - 1) * s + k - n;
    *pad = total > 0 ? (int)(total / 2) : 0;
    return o;
  }
  *pad = 0;
  return n >= k ? (n - k) / s + 1 : 0;
}

/* config: filters, kernel_size, strides, padding, activation, use_bias,
 * kernel_initializer, bias_initializer and the weight options of
 * regularize.h (kernel_regularizer.l1, ...) */
static lunet_layer_t *conv2d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int filters, kh, kw, sh, sw, padding_same, use_bias;
  lunet_act_t act;
  lunet_init_t kernel_init, bias_init;
  if (lunet_config_size(cfg, "filters", 0, &filters) < 0 || lunet_config_activation(cfg, &act) < 0 ||
      lunet_config_padding(cfg, &padding_same) < 0 ||
      lunet_config_initializer(cfg, "kernel_initializer", "glorot_uniform", &kernel_init) < 0 ||
      lunet_config_initializer(cfg, "bias_initializer", "zeros", &bias_init) < 0 ||
      lunet_config_size_pair(cfg, "kernel_size", 0, &kh, &kw) < 0 ||
      lunet_config_size_pair(cfg, "strides", 1, &sh, &sw) < 0 || lunet_config_boolean(cfg, "use_bias", 1, &use_bias) < 0)
    return NULL;
  char name[64], have[LUNET_SHAPE_STR_MAX];
  snprintf(name, sizeof name, "Conv2D(%d, %dx%d)", filters, kh, kw);
  int64_t taps;
  if (__builtin_mul_overflow((int64_t)kh * kw, in_ndim == 3 ? in_shape[2] : 1, &taps) ||
      taps > LUNET_MAX_SIZE) { /* the sizes of the one GEMM */
    lunet_fail("%s: filters and kernel height x width x channels must each be at most %lld", name,
               (long long)LUNET_MAX_SIZE);
    return NULL;
  }
  if (in_ndim != 3) {
    lunet_fail("%s: input must be images (height, width, channels), got per-sample shape %s", name,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    return NULL;
  }
  int pt, pl;
  int64_t oh = out_size(in_shape[0], kh, sh, padding_same, &pt);
  int64_t ow = out_size(in_shape[1], kw, sw, padding_same, &pl);
  if (oh < 1 || ow < 1) {
    lunet_fail("%s: input %s is smaller than the kernel with padding 'valid'", name,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    return NULL;
  }
  conv2d_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, &conv2d_ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", name);
  d->h = in_shape[0]; d->w = in_shape[1]; d->c = in_shape[2]; d->f = filters;
  d->oh = oh; d->ow = ow; d->kh = kh; d->kw = kw; d->sh = sh; d->sw = sw; d->pt = pt; d->pl = pl;
  d->use_bias = use_bias; d->kernel_init = kernel_init; d->bias_init = bias_init;
  l->out_shape[0] = oh; l->out_shape[1] = ow; l->out_shape[2] = filters;
  l->out_size = oh * ow * filters;
  l->nparams = l->ntrainable = patch(d) * filters + (use_bias ? filters : 0);
  l->act = act;
  /* the kernel is (KH, KW, C, F) as Keras', so Keras' constraint axes mean the same here */
  l->kernel = (lunet_weight_t){.off = 0, .n = patch(d) * filters, .ndim = 4, .shape = {kh, kw, d->c, filters}};
  l->bias = (lunet_weight_t){.off = patch(d) * filters, .n = use_bias ? filters : 0, .ndim = 1, .shape = {filters}};
  if (lunet_reg_config(l, cfg) < 0) { lunet_layer_free(l); return NULL; }
  return l;
}

const lunet_layer_kind_t lunet_conv2d_kind = {"Conv2D", conv2d_from_config};
