/* Conv1D over sequences (N, steps, C), as Keras 2: padding 'valid', 'same' or
 * 'causal' (zeros on the left only, so step t sees steps <= t), dilation and
 * groups. A 1-D im2col lays the whole batch out as (N*OS, G, K, C/G) so each
 * group's patch is a strided block and the convolution is one sgemm per group
 * with the (K, C/G, F) kernel; backward is two sgemms per group and col2im. */
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
  int64_t steps, c, f, os;
  int k, stride, dil, groups, pad; /* pad: zeros before the first step */
  int use_bias;
  lunet_init_t kernel_init, bias_init;
  float *cols;  /* (max_batch * OS, K * C): group-major patches, kept from forward for dW */
  float *dcols; /* same, only when the input gradient is needed */
} conv1d_t;

static int64_t patch(const conv1d_t *d) { return (int64_t)d->k * d->c; } /* a row of cols, all groups */

static void conv1d_init(lunet_layer_t *l, lunet_rng_t *rng) {
  conv1d_t *d = (conv1d_t *)l;
  int64_t kc = d->k * (d->c / d->groups); /* Keras' fans: receptive field x kernel channels */
  lunet_init_fill(d->kernel_init, rng, l->params, kc * d->f, kc, (int64_t)d->k * d->f);
  if (d->use_bias) lunet_init_fill(d->bias_init, rng, l->params + kc * d->f, d->f, kc, d->f);
}

static int conv1d_plan(lunet_layer_t *l, int max_batch) {
  conv1d_t *d = (conv1d_t *)l;
  free(d->cols); free(d->dcols);
  d->dcols = NULL;
  size_t n = (size_t)(max_batch * d->os * patch(d)) * sizeof(float);
  d->cols = lunet_nn_alloc(n);
  if (l->need_input_grad) d->dcols = lunet_nn_alloc(n);
  if (lunet_layer_plan_pre(l, max_batch) < 0) return -1;
  return d->cols && (d->dcols || !l->need_input_grad) ? 0 : -1;
}

/* cols (B*OS, G, K, C/G) from in (B, steps, C); taps outside the sequence are 0.
 * With dcols (same shape) instead, din (B, steps, C) += the taps (col2im). */
static void lower(const conv1d_t *d, float *cols, const float *in, float *din, const float *dcols, int batch) {
  int64_t c = d->c, cg = c / d->groups, row = patch(d);
  for (int b = 0; b < batch; b++)
    for (int64_t o = 0; o < d->os; o++) {
      int64_t r = (int64_t)b * d->os + o, t0 = o * d->stride - d->pad;
      for (int g = 0; g < d->groups; g++)
        for (int j = 0; j < d->k; j++) {
          int64_t t = t0 + (int64_t)j * d->dil, at = r * row + ((int64_t)g * d->k + j) * cg;
          int inside = t >= 0 && t < d->steps;
          int64_t src = ((int64_t)b * d->steps + t) * c + (int64_t)g * cg;
          if (cols) {
            if (inside) memcpy(cols + at, in + src, (size_t)cg * sizeof *cols);
            else memset(cols + at, 0, (size_t)cg * sizeof *cols);
          } else if (inside) {
            for (int64_t i = 0; i < cg; i++) din[src + i] += dcols[at + i];
          }
        }
    }
}

/* out (P, F) = act(cols (P, K*C) @ W + b) with P = B*OS; group g multiplies
 * its block of cols (P, K*C/G) by its kernel columns W[:, g*F/G ..] (K*C/G, F/G) */
static void conv1d_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  conv1d_t *d = (conv1d_t *)l;
  int64_t p = batch * d->os, row = patch(d), kcg = row / d->groups, f = d->f, fg = f / d->groups;
  float *z = l->pre ? l->pre : out;
  lower(d, d->cols, in, NULL, NULL, batch);
  const float *bias = l->params + kcg * f;
  if (d->use_bias)
    for (int64_t r = 0; r < p; r++) memcpy(z + r * f, bias, (size_t)f * sizeof *z);
  for (int g = 0; g < d->groups; g++)
    lunet_blas_sgemm(0, 0, (int)p, (int)fg, (int)kcg, 1.0f, d->cols + g * kcg, (int)row, l->params + g * fg,
                     (int)f, d->use_bias ? 1.0f : 0.0f, z + g * fg, (int)f);
  lunet_act_forward(l->act, out, z, p, f);
}

static void conv1d_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                            int batch) {
  conv1d_t *d = (conv1d_t *)l;
  int64_t p = batch * d->os, row = patch(d), kcg = row / d->groups, f = d->f, fg = f / d->groups;
  if (!l->act_fused_loss) lunet_act_backward(l->act, dout, out, l->pre, p, f);
  /* dW[:, g] (K*C/G, F/G) = cols_g^T (K*C/G, P) @ dout_g (P, F/G); grads_preset: add to the penalties' */
  for (int g = 0; g < d->groups; g++)
    lunet_blas_sgemm(1, 0, (int)kcg, (int)fg, (int)p, 1.0f, d->cols + g * kcg, (int)row, dout + g * fg, (int)f,
                     l->grads_preset ? 1.0f : 0.0f, l->grads + g * fg, (int)f);
  if (d->use_bias) {
    float *db = l->grads + kcg * f;
    if (!l->grads_preset) memset(db, 0, (size_t)f * sizeof *db);
    for (int64_t r = 0; r < p; r++)
      for (int64_t j = 0; j < f; j++) db[j] += dout[r * f + j];
  }
  if (!din || !d->dcols) return;
  /* dcols_g (P, K*C/G) = dout_g (P, F/G) @ W_g^T (F/G, K*C/G) */
  for (int g = 0; g < d->groups; g++)
    lunet_blas_sgemm(0, 1, (int)p, (int)kcg, (int)fg, 1.0f, dout + g * fg, (int)f, l->params + g * fg, (int)f,
                     0.0f, d->dcols + g * kcg, (int)row);
  memset(din, 0, (size_t)(batch * l->in_size) * sizeof *din);
  lower(d, NULL, NULL, din, d->dcols, batch);
}

static void conv1d_free(lunet_layer_t *l) {
  conv1d_t *d = (conv1d_t *)l;
  free(d->cols);
  free(d->dcols);
}

static const lunet_layer_ops_t conv1d_ops = {
    .kind = "Conv1D", .init = conv1d_init, .plan = conv1d_plan, .forward = conv1d_forward,
    .backward = conv1d_backward, .free = conv1d_free};

/* Keras' output length and leading padding; ek is the dilated kernel's extent */
static int64_t out_len(int64_t n, int64_t ek, int s, const char *padding, int64_t *pad) {
  *pad = 0;
  if (strcmp(padding, "valid") == 0) return n >= ek ? (n - ek) / s + 1 : 0;
  int64_t o = (n + s - 1) / s, total = (o - 1) * s + ek - n;
  if (strcmp(padding, "causal") == 0) *pad = ek - 1;
  else *pad = total > 0 ? total / 2 : 0;
  return o;
}

/* config: filters, kernel_size, strides, padding ('valid', 'same', 'causal'),
 * dilation_rate, groups, activation, use_bias, initializers and the weight
 * options of regularize.h */
static lunet_layer_t *conv1d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int filters, k, stride, dil, groups, use_bias;
  const char *padding;
  lunet_act_t act;
  lunet_init_t kernel_init, bias_init;
  if (lunet_config_size(cfg, "filters", 0, &filters) < 0 || lunet_config_size(cfg, "kernel_size", 0, &k) < 0 ||
      lunet_config_size(cfg, "strides", 1, &stride) < 0 || lunet_config_size(cfg, "dilation_rate", 1, &dil) < 0 ||
      lunet_config_size(cfg, "groups", 1, &groups) < 0 || lunet_config_activation(cfg, &act) < 0 ||
      lunet_config_string(cfg, "padding", "valid", &padding) < 0 ||
      lunet_config_initializer(cfg, "kernel_initializer", "glorot_uniform", &kernel_init) < 0 ||
      lunet_config_initializer(cfg, "bias_initializer", "zeros", &bias_init) < 0 ||
      lunet_config_boolean(cfg, "use_bias", 1, &use_bias) < 0)
    return NULL;
  char name[64], have[LUNET_SHAPE_STR_MAX];
  snprintf(name, sizeof name, "Conv1D(%d, %d)", filters, k);
  if (strcmp(padding, "valid") != 0 && strcmp(padding, "same") != 0 && strcmp(padding, "causal") != 0) {
    lunet_fail("%s: padding must be 'valid', 'same' or 'causal', got '%s'", name, padding);
    return NULL;
  }
  if (in_ndim != 2) {
    lunet_fail("%s: input has per-sample shape %s, expects sequences (steps, channels)", name,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    return NULL;
  }
  int64_t steps = in_shape[0], c = in_shape[1];
  if (stride > 1 && dil > 1) { /* as Keras (tf.nn.convolution) */
    lunet_fail("%s: strides > 1 is not supported together with dilation_rate > 1", name);
    return NULL;
  }
  if (filters % groups != 0 || c % groups != 0) {
    lunet_fail("%s: groups = %d must divide both the filters (%d) and the input channels (%lld)", name, groups,
               filters, (long long)c);
    return NULL;
  }
  int64_t ek = (int64_t)(k - 1) * dil + 1, pad, row;
  if (__builtin_mul_overflow((int64_t)k, c, &row) || row > LUNET_MAX_SIZE) {
    lunet_fail("%s: kernel_size x channels must be at most %lld", name, (long long)LUNET_MAX_SIZE);
    return NULL;
  }
  int64_t os = out_len(steps, ek, stride, padding, &pad);
  if (os < 1) {
    lunet_fail("%s: input %s is shorter than the kernel (extent %lld with dilation) with padding 'valid'", name,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape), (long long)ek);
    return NULL;
  }
  conv1d_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, &conv1d_ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", name);
  d->steps = steps; d->c = c; d->f = filters; d->os = os;
  d->k = k; d->stride = stride; d->dil = dil; d->groups = groups; d->pad = (int)pad;
  d->use_bias = use_bias; d->kernel_init = kernel_init; d->bias_init = bias_init;
  l->out_shape[0] = os; l->out_shape[1] = filters;
  l->out_size = os * filters;
  int64_t kernel_n = (int64_t)k * (c / groups) * filters;
  l->nparams = l->ntrainable = kernel_n + (use_bias ? filters : 0);
  l->act = act;
  /* the kernel is (K, C/G, F) as Keras' get_weights */
  l->kernel = (lunet_weight_t){.off = 0, .n = kernel_n, .ndim = 3, .shape = {k, c / groups, filters}};
  l->bias = (lunet_weight_t){.off = kernel_n, .n = use_bias ? filters : 0, .ndim = 1, .shape = {filters}};
  if (lunet_reg_config(l, cfg) < 0) { lunet_layer_free(l); return NULL; }
  return l;
}

const lunet_layer_kind_t lunet_conv1d_kind = {"Conv1D", conv1d_from_config};
