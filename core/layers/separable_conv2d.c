/* SeparableConv2D, as Keras: a depthwise convolution (one (KH, KW) window
 * per input channel and depth multiplier M, no bias) into a (B, OH, OW, C*M)
 * intermediate, then a pointwise 1x1 convolution to F filters, + bias,
 * activation. Weights in Keras' get_weights order: depthwise (KH, KW, C, M),
 * pointwise (1, 1, C*M, F), bias (F). The depthwise part is the grouped
 * im2col + sgemm of conv_geom.h with one group per channel; the pointwise
 * part is one sgemm over the whole batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "conv_geom.h"
#include "regularize.h"
#include "registry.h"

typedef struct {
  lunet_layer_t base;
  lunet_conv_geom_t g; /* the depthwise window, groups = C */
  int64_t cm, f;       /* C*M intermediate channels, F filters */
  int use_bias;
  lunet_init_t depthwise_init, pointwise_init, bias_init;
  float *cols;  /* (C, max_batch * OH * OW, KH*KW) for the depthwise dW */
  float *dcols; /* same, only when the input gradient is needed */
  float *mid;   /* (max_batch * OH * OW, C*M): the depthwise output, kept for the pointwise dW */
  float *dmid;  /* same shape: dL/dmid */
} sepconv_t;

static int64_t dw_size(const sepconv_t *d) { return lunet_conv_taps(&d->g) * d->cm; }
static int64_t pw_size(const sepconv_t *d) { return d->cm * d->f; }

static void sep_init(lunet_layer_t *l, lunet_rng_t *rng) {
  sepconv_t *d = (sepconv_t *)l;
  /* Keras' fans: depthwise (KH, KW, C, M) -> KH*KW*C in, KH*KW*M out; pointwise (1, 1, C*M, F) -> C*M, F */
  int64_t rf = (int64_t)d->g.kh * d->g.kw, m = d->cm / d->g.c;
  lunet_init_fill(d->depthwise_init, rng, l->params, dw_size(d), rf * d->g.c, rf * m);
  lunet_init_fill(d->pointwise_init, rng, l->params + dw_size(d), pw_size(d), d->cm, d->f);
  if (d->use_bias) lunet_init_fill(d->bias_init, rng, l->params + dw_size(d) + pw_size(d), d->f, d->cm, d->f);
}

static int sep_plan(lunet_layer_t *l, int max_batch) {
  sepconv_t *d = (sepconv_t *)l;
  free(d->cols); free(d->dcols); free(d->mid); free(d->dmid);
  d->dcols = NULL;
  int64_t p = max_batch * d->g.oh * d->g.ow;
  size_t n = (size_t)(p * lunet_conv_taps(&d->g) * d->g.groups) * sizeof(float);
  d->cols = lunet_nn_alloc(n);
  if (l->need_input_grad) d->dcols = lunet_nn_alloc(n);
  if (lunet_conv_wants_plane(&d->g) && !d->g.plane) {
    d->g.plane = lunet_nn_alloc((size_t)(d->g.h * d->g.w * d->g.c) * sizeof(float));
    if (!d->g.plane) return -1;
  }
  d->mid = lunet_nn_alloc((size_t)(p * d->cm) * sizeof(float));
  d->dmid = lunet_nn_alloc((size_t)(p * d->cm) * sizeof(float));
  if (lunet_layer_plan_pre(l, max_batch) < 0) return -1;
  return d->cols && d->mid && d->dmid && (d->dcols || !l->need_input_grad) ? 0 : -1;
}

/* mid (P, C*M) = depthwise(in); out (P, F) = act(mid @ Wp + b) */
static void sep_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  sepconv_t *d = (sepconv_t *)l;
  int64_t p = batch * d->g.oh * d->g.ow;
  const float *wp = l->params + dw_size(d);
  float *z = l->pre ? l->pre : out;
  (void)training;
  lunet_conv_im2col(&d->g, d->cols, in, batch);
  lunet_conv_gemm_forward(&d->g, d->mid, d->cols, l->params, d->cm, batch, 0.0f);
  if (d->use_bias) lunet_conv_bias_fill(z, wp + pw_size(d), p, d->f);
  lunet_blas_sgemm(0, 0, (int)p, (int)d->f, (int)d->cm, 1.0f, d->mid, (int)d->cm, wp, (int)d->f,
                   d->use_bias ? 1.0f : 0.0f, z, (int)d->f);
  lunet_act_forward(l->act, out, z, p, d->f);
}

static void sep_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                         int batch) {
  sepconv_t *d = (sepconv_t *)l;
  int64_t p = batch * d->g.oh * d->g.ow;
  const float *wp = l->params + dw_size(d);
  float *gwp = l->grads + dw_size(d), beta = l->grads_preset ? 1.0f : 0.0f;
  (void)in;
  if (!l->act_fused_loss) lunet_act_backward(l->act, dout, out, l->pre, p, d->f);
  if (d->use_bias) lunet_conv_bias_grad(gwp + pw_size(d), dout, p, d->f, l->grads_preset);
  /* pointwise: dWp (CM, F) = mid^T @ dout, dmid (P, CM) = dout @ Wp^T */
  lunet_blas_sgemm(1, 0, (int)d->cm, (int)d->f, (int)p, 1.0f, d->mid, (int)d->cm, dout, (int)d->f, beta, gwp,
                   (int)d->f);
  lunet_blas_sgemm(0, 1, (int)p, (int)d->cm, (int)d->f, 1.0f, dout, (int)d->f, wp, (int)d->f, 0.0f, d->dmid,
                   (int)d->cm);
  /* depthwise: dWd = cols^T @ dmid per channel, din = col2im(dmid @ Wd^T) */
  lunet_conv_gemm_weights(&d->g, l->grads, d->cols, d->dmid, d->cm, batch, beta);
  if (!din || !d->dcols) return;
  lunet_conv_gemm_input(&d->g, d->dcols, d->dmid, l->params, d->cm, batch);
  lunet_conv_col2im(&d->g, din, d->dcols, batch);
}

static void sep_free(lunet_layer_t *l) {
  sepconv_t *d = (sepconv_t *)l;
  free(d->cols); free(d->dcols); free(d->mid); free(d->dmid); free(d->g.plane);
}

static const lunet_layer_ops_t sep_ops = {
    .kind = "SeparableConv2D", .init = sep_init, .plan = sep_plan, .forward = sep_forward,
    .backward = sep_backward, .free = sep_free};

/* config: filters, kernel_size, strides, padding, depth_multiplier,
 * dilation_rate, activation, use_bias, depthwise_initializer,
 * pointwise_initializer, bias_initializer, depthwise_* / pointwise_* /
 * bias_* regularizers and constraints, activity_regularizer */
static lunet_layer_t *sep_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int filters, mult;
  lunet_conv_opts_t o;
  lunet_init_t dinit, pinit, binit;
  if (lunet_config_size(cfg, "filters", 0, &filters) < 0 || lunet_config_size(cfg, "depth_multiplier", 1, &mult) < 0 ||
      lunet_conv_opts_read(cfg, &o) < 0 ||
      lunet_config_initializer(cfg, "depthwise_initializer", "glorot_uniform", &dinit) < 0 ||
      lunet_config_initializer(cfg, "pointwise_initializer", "glorot_uniform", &pinit) < 0 ||
      lunet_config_initializer(cfg, "bias_initializer", "zeros", &binit) < 0)
    return NULL;
  char name[64];
  snprintf(name, sizeof name, "SeparableConv2D(%d, %dx%d)", filters, o.kh, o.kw);
  int64_t c = in_ndim == 3 ? in_shape[2] : 1, cm;
  if (__builtin_mul_overflow(c, (int64_t)mult, &cm) || cm > LUNET_MAX_SIZE) {
    lunet_fail("%s: channels x depth_multiplier must be at most %lld", name, (long long)LUNET_MAX_SIZE);
    return NULL;
  }
  lunet_conv_geom_t g;
  if (lunet_conv_geom_set(&g, name, in_ndim, in_shape, &o, (int)c) < 0) return NULL;
  sepconv_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, &sep_ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", name);
  d->g = g; d->cm = cm; d->f = filters; d->use_bias = o.use_bias;
  d->depthwise_init = dinit; d->pointwise_init = pinit; d->bias_init = binit;
  l->out_shape[0] = g.oh; l->out_shape[1] = g.ow; l->out_shape[2] = filters;
  l->out_size = g.oh * g.ow * filters;
  l->nparams = l->ntrainable = dw_size(d) + pw_size(d) + (o.use_bias ? filters : 0);
  l->act = o.act;
  l->kernel = (lunet_weight_t){.off = 0, .n = dw_size(d), .ndim = 4, .shape = {o.kh, o.kw, c, mult}};
  l->kernel2 = (lunet_weight_t){.off = dw_size(d), .n = pw_size(d), .ndim = 4, .shape = {1, 1, cm, filters}};
  l->bias = (lunet_weight_t){.off = dw_size(d) + pw_size(d), .n = o.use_bias ? filters : 0, .ndim = 1,
                             .shape = {filters}};
  if (lunet_reg_config_named(l, cfg, "depthwise", "pointwise") < 0) { lunet_layer_free(l); return NULL; }
  return l;
}

const lunet_layer_kind_t lunet_separable_conv2d_kind = {"SeparableConv2D", sep_from_config};
