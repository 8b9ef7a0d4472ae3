/* Conv2DTranspose, as Keras: the gradient of a convolution with respect to
 * its input. Its output (OH, OW, F) is the image of a convolution whose
 * output is this layer's input (H, W, C), with the (KH, KW, F, C) kernel
 * read as that convolution's (KH*KW*F, C) matrix. So forward is
 * dcols = in @ W^T (one sgemm) and col2im; backward is im2col of dout and two
 * sgemms (dW = cols^T @ in, din = cols @ W). Output sizes are Keras'
 * deconv_output_length; the placement of the window is TensorFlow's
 * conv2d_backprop_input's for that output size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "conv_geom.h"
#include "regularize.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  lunet_conv_geom_t g; /* the convolution from this layer's output (its image) to its input */
  int64_t c, f;        /* input and output channels */
  int use_bias;
  lunet_init_t kernel_init, bias_init;
  float *cols;         /* (max_batch * H * W, KH*KW*F): forward's dcols, backward's im2col of dout */
} deconv_t;

static int64_t kernel_size(const deconv_t *d) { return lunet_conv_taps(&d->g) * d->c; }

static void deconv_init(lunet_layer_t *l, lunet_rng_t *rng) {
  deconv_t *d = (deconv_t *)l;
  /* Keras' fans of the (KH, KW, F, C) kernel: receptive field x F in, x C out */
  int64_t rf = (int64_t)d->g.kh * d->g.kw;
  lunet_init_fill(d->kernel_init, rng, l->params, kernel_size(d), rf * d->f, rf * d->c);
  if (d->use_bias) lunet_init_fill(d->bias_init, rng, l->params + kernel_size(d), d->f, rf * d->f, rf * d->c);
}

static int deconv_plan(lunet_layer_t *l, int max_batch) {
  deconv_t *d = (deconv_t *)l;
  free(d->cols);
  d->cols = lunet_nn_alloc((size_t)(max_batch * d->g.oh * d->g.ow * lunet_conv_taps(&d->g)) * sizeof(float));
  if (lunet_layer_plan_pre(l, max_batch) < 0) return -1;
  return d->cols ? 0 : -1;
}

/* out (B, OH, OW, F) = act(col2im(in (B*H*W, C) @ W^T) + b) */
static void deconv_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  deconv_t *d = (deconv_t *)l;
  int64_t rows = batch * d->g.h * d->g.w;
  float *z = l->pre ? l->pre : out;
  (void)training;
  lunet_conv_gemm_input(&d->g, d->cols, in, l->params, d->c, batch);
  lunet_conv_col2im(&d->g, z, d->cols, batch);
  if (d->use_bias) {
    const float *b = l->params + kernel_size(d);
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < d->f; j++) z[r * d->f + j] += b[j];
  }
  lunet_act_forward(l->act, out, z, rows, d->f);
}

static void deconv_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                            int batch) {
  deconv_t *d = (deconv_t *)l;
  int64_t rows = batch * d->g.h * d->g.w;
  if (!l->act_fused_loss) lunet_act_backward(l->act, dout, out, l->pre, rows, d->f);
  if (d->use_bias) lunet_conv_bias_grad(l->grads + kernel_size(d), dout, rows, d->f, l->grads_preset);
  /* the adjoint of col2im is im2col: cols = im2col(dout), dW (KKF, C) = cols^T @ in, din = cols @ W */
  lunet_conv_im2col(&d->g, d->cols, dout, batch);
  lunet_conv_gemm_weights(&d->g, l->grads, d->cols, in, d->c, batch, l->grads_preset ? 1.0f : 0.0f);
  if (din) lunet_conv_gemm_forward(&d->g, din, d->cols, l->params, d->c, batch, 0.0f);
}

static void deconv_free(lunet_layer_t *l) { free(((deconv_t *)l)->cols); }

static const lunet_layer_ops_t deconv_ops = {
    .kind = "Conv2DTranspose", .init = deconv_init, .plan = deconv_plan, .forward = deconv_forward,
    .backward = deconv_backward, .free = deconv_free};

/* Keras' deconv_output_length for one axis (op < 0: output_padding None) */
static int64_t deconv_length(int64_t n, int k, int s, int dil, int same, int op) {
  int64_t keff = (int64_t)(k - 1) * dil + 1;
  if (op < 0) return same ? n * s : n * s + (keff > s ? keff - s : 0);
  return (n - 1) * s + keff - 2 * (same ? keff / 2 : 0) + op;
}

/* The axis of the convolution from length o (the output) back to n (the
 * input), as TensorFlow places it; -1 when that convolution does not give n
 * (TensorFlow's error at run time, Keras' at build), else the padding. */
static int deconv_pad(int64_t o, int64_t n, int k, int s, int dil, int same) {
  int pad;
  return lunet_conv_out_length(o, k, s, dil, same, &pad) == n ? pad : -1;
}

/* output_padding: absent (Keras' None: -1 each), an integer >= 0 or a pair
 * of them. (Keras' output_padding < strides is the constructor's check: a
 * larger one gives an output the convolution does not map back, refused
 * below.) */
static int read_output_padding(const lunet_layer_config_t *cfg, const char *name, int *ph, int *pw) {
  const lunet_cfg_value_t *v = lunet_config_get(cfg, "output_padding");
  int64_t a = -1, b = -1;
  int ok = 1;
  *ph = *pw = -1;
  if (!v) return 0;
  if (v->type == LUNET_CFG_LIST) {
    int n;
    const lunet_cfg_value_t *items;
    ok = lunet_config_list(cfg, "output_padding", "a pair", &n, &items) == 0 && n == 2 &&
         lunet_cfg_value_int64(&items[0], &a) == 0 && lunet_cfg_value_int64(&items[1], &b) == 0;
  } else {
    ok = lunet_cfg_value_int64(v, &a) == 0;
    b = a;
  }
  if (!ok || a < 0 || b < 0 || a > 1 << 30 || b > 1 << 30)
    return lunet_fail("%s: output_padding must be an integer >= 0 or a pair of them", name);
  *ph = (int)a; *pw = (int)b;
  return 0;
}

/* config: filters, kernel_size, strides, padding, output_padding (a pair,
 * absent for Keras' None), dilation_rate, activation, use_bias,
 * kernel_initializer, bias_initializer and the weight options */
static lunet_layer_t *deconv_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int filters, oph = -1, opw = -1;
  lunet_conv_opts_t o;
  lunet_init_t kernel_init, bias_init;
  if (lunet_config_size(cfg, "filters", 0, &filters) < 0 || lunet_conv_opts_read(cfg, &o) < 0 ||
      lunet_config_initializer(cfg, "kernel_initializer", "glorot_uniform", &kernel_init) < 0 ||
      lunet_config_initializer(cfg, "bias_initializer", "zeros", &bias_init) < 0)
    return NULL;
  char name[64], have[LUNET_SHAPE_STR_MAX];
  snprintf(name, sizeof name, "Conv2DTranspose(%d, %dx%d)", filters, o.kh, o.kw);
  if (read_output_padding(cfg, name, &oph, &opw) < 0) return NULL;
  if (in_ndim != 3) {
    lunet_fail("%s: input must be images (height, width, channels), got per-sample shape %s", name,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    return NULL;
  }
  int64_t oh = deconv_length(in_shape[0], o.kh, o.sh, o.dh, o.same, oph);
  int64_t ow = deconv_length(in_shape[1], o.kw, o.sw, o.dw, o.same, opw);
  if (oh > LUNET_MAX_SIZE || ow > LUNET_MAX_SIZE) {
    lunet_fail("%s: the output (%lld x %lld) is too large", name, (long long)oh, (long long)ow);
    return NULL;
  }
  int pt = oh >= 1 ? deconv_pad(oh, in_shape[0], o.kh, o.sh, o.dh, o.same) : -1;
  int pl = ow >= 1 ? deconv_pad(ow, in_shape[1], o.kw, o.sw, o.dw, o.same) : -1;
  if (pt < 0 || pl < 0) {
    lunet_fail("%s: input %s gives an output of %lld x %lld, which a '%s' convolution with these strides does not "
               "map back to the input (change kernel_size or output_padding)", name,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape), (long long)oh, (long long)ow,
               o.same ? "same" : "valid");
    return NULL;
  }
  int64_t image[3] = {oh, ow, filters};
  lunet_conv_geom_t g;
  if (lunet_conv_geom_set(&g, name, 3, image, &o, 1) < 0) return NULL;
  deconv_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, &deconv_ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", name);
  d->g = g; d->g.pt = pt; d->g.pl = pl;
  d->c = in_shape[2]; d->f = filters; d->use_bias = o.use_bias;
  d->kernel_init = kernel_init; d->bias_init = bias_init;
  l->out_shape[0] = oh; l->out_shape[1] = ow; l->out_shape[2] = filters;
  l->out_size = lunet_shape_numel(3, l->out_shape);
  l->nparams = l->ntrainable = kernel_size(d) + (o.use_bias ? filters : 0);
  l->act = o.act;
  l->kernel = (lunet_weight_t){.off = 0, .n = kernel_size(d), .ndim = 4, .shape = {o.kh, o.kw, filters, d->c}};
  l->bias = (lunet_weight_t){.off = kernel_size(d), .n = o.use_bias ? filters : 0, .ndim = 1, .shape = {filters}};
  if (lunet_reg_config(l, cfg) < 0) { lunet_layer_free(l); return NULL; }
  return l;
}

const lunet_layer_kind_t lunet_conv2d_transpose_kind = {"Conv2DTranspose", deconv_from_config};
