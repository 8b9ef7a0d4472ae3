/* Conv2D and DepthwiseConv2D over channels-last images (N, H, W, C), as
 * Keras: im2col turns the whole batch into one (N*OH*OW, KH*KW*C/groups)
 * matrix per group so the convolution is one sgemm per group with the
 * (KH, KW, C/groups, F) kernel; backward is two sgemms per group and col2im
 * (conv_geom.h). DepthwiseConv2D is the grouped convolution with one group
 * per channel: its (KH, KW, C, M) kernel has the memory layout of a
 * (KH, KW, 1, C*M) grouped kernel, output channel c*M + m. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "conv_geom.h"
#include "regularize.h"
#include "registry.h"

typedef struct {
  lunet_layer_t base;
  lunet_conv_geom_t g;
  int64_t f;              /* output channels */
  int64_t fan_in, fan_out; /* of the kernel, as Keras computes them from its shape */
  int use_bias;
  lunet_init_t kernel_init, bias_init;
  float *cols;  /* (groups, max_batch * OH * OW, taps), kept from forward for dW */
  float *dcols; /* same, only when the input gradient is needed */
} conv2d_t;

static int64_t kernel_size(const conv2d_t *d) { return lunet_conv_taps(&d->g) * d->f; }

static void conv_init(lunet_layer_t *l, lunet_rng_t *rng) {
  conv2d_t *d = (conv2d_t *)l;
  lunet_init_fill(d->kernel_init, rng, l->params, kernel_size(d), d->fan_in, d->fan_out);
  if (d->use_bias) lunet_init_fill(d->bias_init, rng, l->params + kernel_size(d), d->f, d->fan_in, d->fan_out);
}

static int conv_plan(lunet_layer_t *l, int max_batch) {
  conv2d_t *d = (conv2d_t *)l;
  free(d->cols); free(d->dcols);
  d->dcols = NULL;
  size_t n = (size_t)(max_batch * d->g.oh * d->g.ow * lunet_conv_taps(&d->g) * d->g.groups) * sizeof(float);
  d->cols = lunet_nn_alloc(n);
  if (l->need_input_grad) d->dcols = lunet_nn_alloc(n);
  if (lunet_conv_wants_plane(&d->g) && !d->g.plane) {
    d->g.plane = lunet_nn_alloc((size_t)(d->g.h * d->g.w * d->g.c) * sizeof(float));
    if (!d->g.plane) return -1;
  }
  if (lunet_layer_plan_pre(l, max_batch) < 0) return -1;
  return d->cols && (d->dcols || !l->need_input_grad) ? 0 : -1;
}

/* out (P, F) = act(cols @ W + b), P = B*OH*OW; the convolution goes to
 * l->pre when the activation's backward needs it */
static void conv_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  conv2d_t *d = (conv2d_t *)l;
  int64_t p = batch * d->g.oh * d->g.ow;
  float *z = l->pre ? l->pre : out;
  (void)training;
  lunet_conv_im2col(&d->g, d->cols, in, batch);
  if (d->use_bias) lunet_conv_bias_fill(z, l->params + kernel_size(d), p, d->f);
  lunet_conv_gemm_forward(&d->g, z, d->cols, l->params, d->f, batch, d->use_bias ? 1.0f : 0.0f);
  lunet_act_forward(l->act, out, z, p, d->f);
}

static void conv_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                          int batch) {
  conv2d_t *d = (conv2d_t *)l;
  int64_t p = batch * d->g.oh * d->g.ow;
  (void)in;
  if (!l->act_fused_loss) lunet_act_backward(l->act, dout, out, l->pre, p, d->f);
  /* dW = cols^T @ dout per group (grads_preset: the regularizers' gradients are in grads already, add to them) */
  lunet_conv_gemm_weights(&d->g, l->grads, d->cols, dout, d->f, batch, l->grads_preset ? 1.0f : 0.0f);
  if (d->use_bias) lunet_conv_bias_grad(l->grads + kernel_size(d), dout, p, d->f, l->grads_preset);
  if (!din || !d->dcols) return;
  /* dcols = dout @ W^T per group, summed back onto the pixels each tap read */
  lunet_conv_gemm_input(&d->g, d->dcols, dout, l->params, d->f, batch);
  lunet_conv_col2im(&d->g, din, d->dcols, batch);
}

static void conv_free(lunet_layer_t *l) {
  conv2d_t *d = (conv2d_t *)l;
  free(d->cols);
  free(d->dcols);
  free(d->g.plane);
}

static const lunet_layer_ops_t conv2d_ops = {
    .kind = "Conv2D", .init = conv_init, .plan = conv_plan, .forward = conv_forward,
    .backward = conv_backward, .free = conv_free};
static const lunet_layer_ops_t depthwise_ops = {
    .kind = "DepthwiseConv2D", .init = conv_init, .plan = conv_plan, .forward = conv_forward,
    .backward = conv_backward, .free = conv_free};

/* The layer of either kind once its options are read: f filters in groups
 * over images in_shape; the kernel's Keras shape in kshape. */
static lunet_layer_t *conv_build(const lunet_layer_ops_t *ops, const char *name, const lunet_conv_opts_t *o,
                                 int groups, int64_t f, const int64_t kshape[4], int in_ndim, const int64_t *in_shape) {
  lunet_conv_geom_t g;
  if (lunet_conv_geom_set(&g, name, in_ndim, in_shape, o, groups) < 0) return NULL;
  conv2d_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", name);
  d->g = g; d->f = f; d->use_bias = o->use_bias;
  /* Keras' fans of a (KH, KW, in, out) kernel: receptive field times in / out */
  d->fan_in = kshape[0] * kshape[1] * kshape[2];
  d->fan_out = kshape[0] * kshape[1] * kshape[3];
  l->out_shape[0] = g.oh; l->out_shape[1] = g.ow; l->out_shape[2] = f;
  l->out_size = g.oh * g.ow * f;
  l->nparams = l->ntrainable = kernel_size(d) + (o->use_bias ? f : 0);
  l->act = o->act;
  /* the kernel is shaped as Keras', so Keras' constraint axes mean the same here */
  l->kernel = (lunet_weight_t){.off = 0, .n = kernel_size(d), .ndim = 4,
                               .shape = {kshape[0], kshape[1], kshape[2], kshape[3]}};
  l->bias = (lunet_weight_t){.off = kernel_size(d), .n = o->use_bias ? f : 0, .ndim = 1, .shape = {f}};
  return l;
}

static int read_inits(const lunet_layer_config_t *cfg, const char *kernel_key, conv2d_t *d) {
  return lunet_config_initializer(cfg, kernel_key, "glorot_uniform", &d->kernel_init) < 0 ||
         lunet_config_initializer(cfg, "bias_initializer", "zeros", &d->bias_init) < 0 ? -1 : 0;
}

/* config: filters, kernel_size, strides, padding, dilation_rate, groups,
 * activation, use_bias, kernel_initializer, bias_initializer and the weight
 * options of regularize.h (kernel_regularizer.l1, ...) */
static lunet_layer_t *conv2d_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int filters, groups;
  lunet_conv_opts_t o;
  conv2d_t probe;
  if (lunet_config_size(cfg, "filters", 0, &filters) < 0 || lunet_config_size(cfg, "groups", 1, &groups) < 0 ||
      lunet_conv_opts_read(cfg, &o) < 0 || read_inits(cfg, "kernel_initializer", &probe) < 0)
    return NULL;
  char name[64];
  snprintf(name, sizeof name, "Conv2D(%d, %dx%d)", filters, o.kh, o.kw);
  if (filters % groups != 0) {
    lunet_fail("%s: filters (%d) must be a multiple of groups (%d)", name, filters, groups);
    return NULL;
  }
  if (in_ndim == 3 && in_shape[2] % groups != 0) {
    lunet_fail("%s: the input's %lld channels must be a multiple of groups (%d)", name, (long long)in_shape[2],
               groups);
    return NULL;
  }
  int64_t kshape[4] = {o.kh, o.kw, in_ndim == 3 ? in_shape[2] / groups : 1, filters};
  lunet_layer_t *l = conv_build(&conv2d_ops, name, &o, groups, filters, kshape, in_ndim, in_shape);
  if (!l) return NULL;
  conv2d_t *d = (conv2d_t *)l;
  d->kernel_init = probe.kernel_init; d->bias_init = probe.bias_init;
  if (lunet_reg_config(l, cfg) < 0) { lunet_layer_free(l); return NULL; }
  return l;
}

/* config: kernel_size, strides, padding, depth_multiplier, dilation_rate,
 * activation, use_bias, depthwise_initializer, bias_initializer,
 * depthwise_regularizer / depthwise_constraint, bias_*, activity_regularizer */
static lunet_layer_t *depthwise_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int mult;
  lunet_conv_opts_t o;
  conv2d_t probe;
  if (lunet_config_size(cfg, "depth_multiplier", 1, &mult) < 0 || lunet_conv_opts_read(cfg, &o) < 0 ||
      read_inits(cfg, "depthwise_initializer", &probe) < 0)
    return NULL;
  char name[64];
  snprintf(name, sizeof name, "DepthwiseConv2D(%dx%d)", o.kh, o.kw);
  int64_t c = in_ndim == 3 ? in_shape[2] : 1, f;
  if (__builtin_mul_overflow(c, (int64_t)mult, &f) || f > LUNET_MAX_SIZE) {
    lunet_fail("%s: channels x depth_multiplier must be at most %lld", name, (long long)LUNET_MAX_SIZE);
    return NULL;
  }
  int64_t kshape[4] = {o.kh, o.kw, c, mult};
  lunet_layer_t *l = conv_build(&depthwise_ops, name, &o, (int)c, f, kshape, in_ndim, in_shape);
  if (!l) return NULL;
  conv2d_t *d = (conv2d_t *)l;
  d->kernel_init = probe.kernel_init; d->bias_init = probe.bias_init;
  if (lunet_reg_config_named(l, cfg, "depthwise", NULL) < 0) { lunet_layer_free(l); return NULL; }
  return l;
}

const lunet_layer_kind_t lunet_conv2d_kind = {"Conv2D", conv2d_from_config};
const lunet_layer_kind_t lunet_depthwise_conv2d_kind = {"DepthwiseConv2D", depthwise_from_config};
