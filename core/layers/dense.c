/* Dense: out = act(in @ W + b) over the last axis, like Keras (kernel stored
 * (K, U) as Keras' get_weights, then the bias). Every product is one sgemm over
 * the whole batch; the activation is applied in place on the output. */
#include <stdio.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "regularize.h"
#include "registry.h"

typedef struct {
  lunet_layer_t base;
  int64_t k, units; /* K inputs per row, U outputs */
  int use_bias;
  lunet_init_t kernel_init, bias_init;
} dense_t;

static void dense_init(lunet_layer_t *l, lunet_rng_t *rng) {
  dense_t *d = (dense_t *)l;
  lunet_init_fill(d->kernel_init, rng, l->params, d->k * d->units, d->k, d->units);
  if (d->use_bias) lunet_init_fill(d->bias_init, rng, l->params + d->k * d->units, d->units, d->k, d->units);
}

static int dense_plan(lunet_layer_t *l, int max_batch) { return lunet_layer_plan_pre(l, max_batch); }

/* out (R, U) = act(in (R, K) @ W (K, U) + b (U)), R = batch * rows per sample;
 * the product goes to l->pre when the activation's backward needs it */
static void dense_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  dense_t *d = (dense_t *)l;
  int64_t rows = batch * l->in_size / d->k, u = d->units;
  const float *w = l->params, *b = l->params + d->k * u;
  float *z = l->pre ? l->pre : out;
  if (d->use_bias)
    for (int64_t r = 0; r < rows; r++) memcpy(z + r * u, b, (size_t)u * sizeof *z);
  lunet_blas_sgemm(0, 0, (int)rows, (int)u, (int)d->k, 1.0f, in, (int)d->k, w, (int)u,
                   d->use_bias ? 1.0f : 0.0f, z, (int)u);
  lunet_act_forward(l->act, out, z, rows, u);
}

static void dense_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                           int batch) {
  dense_t *d = (dense_t *)l;
  int64_t rows = batch * l->in_size / d->k, u = d->units, k = d->k;
  if (!l->act_fused_loss) lunet_act_backward(l->act, dout, out, l->pre, rows, u);
  /* dW (K, U) = in^T (K, R) @ dout (R, U) */
  /* (grads_preset: the regularizers' gradients are in grads already, add to them) */
  lunet_blas_sgemm(1, 0, (int)k, (int)u, (int)rows, 1.0f, in, (int)k, dout, (int)u, l->grads_preset ? 1.0f : 0.0f,
                   l->grads, (int)u);
  if (d->use_bias) { /* db (U) = column sums of dout */
    float *db = l->grads + k * u;
    if (!l->grads_preset) memset(db, 0, (size_t)u * sizeof *db);
    for (int64_t r = 0; r < rows; r++) {
      const float *dr = dout + r * u;
      for (int64_t j = 0; j < u; j++) db[j] += dr[j];
    }
  }
  /* din (R, K) = dout (R, U) @ W^T (U, K) */
  if (din)
    lunet_blas_sgemm(0, 1, (int)rows, (int)k, (int)u, 1.0f, dout, (int)u, l->params, (int)u, 0.0f,
                     din, (int)k);
}

static const lunet_layer_ops_t dense_ops = {
    .kind = "Dense", .init = dense_init, .plan = dense_plan, .forward = dense_forward,
    .backward = dense_backward};

/* config: units, activation, use_bias, kernel_initializer, bias_initializer and
 * the weight options of regularize.h (kernel_regularizer.l1, ...) */
static lunet_layer_t *dense_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int units, use_bias;
  lunet_act_t act;
  lunet_init_t kernel_init, bias_init;
  if (lunet_config_size(cfg, "units", 0, &units) < 0 || lunet_config_activation(cfg, &act) < 0 ||
      lunet_config_initializer(cfg, "kernel_initializer", "glorot_uniform", &kernel_init) < 0 ||
      lunet_config_initializer(cfg, "bias_initializer", "zeros", &bias_init) < 0 ||
      lunet_config_boolean(cfg, "use_bias", 1, &use_bias) < 0)
    return NULL;
  if (in_ndim < 1) { lunet_fail("Dense(%d): input must have at least 1 dimension", units); return NULL; }
  dense_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, &dense_ops, in_ndim, in_shape);
  l->mask_keep = 1;
  snprintf(l->name, sizeof l->name, "Dense(%d)", units);
  d->k = in_shape[in_ndim - 1];
  d->units = units;
  d->use_bias = use_bias;
  d->kernel_init = kernel_init;
  d->bias_init = bias_init;
  l->out_shape[in_ndim - 1] = units;
  l->out_size = lunet_shape_numel(in_ndim, l->out_shape);
  l->nparams = l->ntrainable = d->k * units + (use_bias ? units : 0);
  l->act = act;
  l->kernel = (lunet_weight_t){.off = 0, .n = d->k * units, .ndim = 2, .shape = {d->k, units}};
  l->bias = (lunet_weight_t){.off = d->k * units, .n = use_bias ? units : 0, .ndim = 1, .shape = {units}};
  if (lunet_reg_config(l, cfg) < 0) { lunet_layer_free(l); return NULL; }
  return l;
}

const lunet_layer_kind_t lunet_dense_kind = {"Dense", dense_from_config};
