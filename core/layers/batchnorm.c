/* BatchNormalization over the last axis (features, or channels of an image),
 * as Keras 2: training normalises with the batch statistics and moves the
 * running ones (momentum 0.99, Bessel-corrected variance); inference uses the
 * running statistics. Parameters, in Keras order: gamma, beta (trainable),
 * moving_mean, moving_variance (non-trainable: their gradient stays 0). A
 * frozen layer (trainable = false) runs in inference mode in training too,
 * as tf.keras >= 2.1: moving statistics, not updated. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"

typedef struct {
  lunet_layer_t base;
  int64_t c;
  float momentum, eps;
  int center, scale;
  float *xhat;   /* (max_batch, in_size): normalised input, for backward */
  float *stats;  /* (4, C): mean, invstd, then two sums for backward */
} bn_t;

static int64_t off_beta(const bn_t *b) { return b->scale ? b->c : 0; }
static int64_t off_mean(const bn_t *b) { return off_beta(b) + (b->center ? b->c : 0); }

static void bn_init(lunet_layer_t *l, lunet_rng_t *rng) {
  bn_t *b = (bn_t *)l;
  int64_t c = b->c;
  for (int64_t i = 0; i < c; i++) {
    if (b->scale) l->params[i] = 1.0f;
    if (b->center) l->params[off_beta(b) + i] = 0.0f;
    l->params[off_mean(b) + i] = 0.0f;
    l->params[off_mean(b) + c + i] = 1.0f;
  }
}

static int bn_plan(lunet_layer_t *l, int max_batch) {
  bn_t *b = (bn_t *)l;
  free(b->xhat);
  b->xhat = lunet_nn_alloc((size_t)(max_batch * l->in_size) * sizeof(float));
  return b->xhat ? 0 : -1;
}

/* out (R, C) = gamma * (in - mean) * invstd + beta, R = batch * rows per sample */
static void bn_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  bn_t *b = (bn_t *)l;
  int64_t c = b->c, rows = batch * l->in_size / c;
  float *mean = b->stats, *invstd = b->stats + c;
  float *mm = l->params + off_mean(b), *mv = mm + c;
  training = training && !l->frozen; /* a frozen layer runs in inference mode (tf.keras >= 2.1) */
  if (training) {
    /* two passes in double: batch statistics are sums of many small terms */
    for (int64_t j = 0; j < c; j++) {
      double s = 0.0;
      for (int64_t r = 0; r < rows; r++) s += in[r * c + j];
      mean[j] = (float)(s / (double)rows);
      double v = 0.0;
      for (int64_t r = 0; r < rows; r++) {
        double d = in[r * c + j] - mean[j];
        v += d * d;
      }
      double var = v / (double)rows;
      invstd[j] = (float)(1.0 / sqrt(var + b->eps));
      double unbiased = rows > 1 ? v / (double)(rows - 1) : var;
      mm[j] = b->momentum * mm[j] + (1.0f - b->momentum) * mean[j];
      mv[j] = b->momentum * mv[j] + (1.0f - b->momentum) * (float)unbiased;
    }
  } else {
    for (int64_t j = 0; j < c; j++) { mean[j] = mm[j]; invstd[j] = 1.0f / sqrtf(mv[j] + b->eps); }
  }
  const float *gamma = b->scale ? l->params : NULL, *beta = b->center ? l->params + off_beta(b) : NULL;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < c; j++) {
      float xh = (in[r * c + j] - mean[j]) * invstd[j];
      if (training) b->xhat[r * c + j] = xh;
      out[r * c + j] = (gamma ? gamma[j] : 1.0f) * xh + (beta ? beta[j] : 0.0f);
    }
}

/* dx = gamma * invstd * (dout - mean(dout) - xhat * mean(dout * xhat)) */
static void bn_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                        int batch) {
  bn_t *b = (bn_t *)l;
  int64_t c = b->c, rows = batch * l->in_size / c;
  float *invstd = b->stats + c, *sum_d = b->stats + 2 * c, *sum_dx = b->stats + 3 * c;
  if (l->frozen) { /* inference mode: the moving statistics are constants, dx = gamma invstd dout */
    memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
    if (din)
      for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < c; j++) din[r * c + j] = (b->scale ? l->params[j] : 1.0f) * invstd[j] * dout[r * c + j];
    return;
  }
  memset(sum_d, 0, (size_t)(2 * c) * sizeof *sum_d);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < c; j++) {
      sum_d[j] += dout[r * c + j];
      sum_dx[j] += dout[r * c + j] * b->xhat[r * c + j];
    }
  memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
  if (b->scale) memcpy(l->grads, sum_dx, (size_t)c * sizeof *l->grads);
  if (b->center) memcpy(l->grads + off_beta(b), sum_d, (size_t)c * sizeof *l->grads);
  if (!din) return;
  float inv_rows = 1.0f / (float)rows;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < c; j++) {
      float g = (b->scale ? l->params[j] : 1.0f) * invstd[j];
      din[r * c + j] = g * (dout[r * c + j] - sum_d[j] * inv_rows - b->xhat[r * c + j] * sum_dx[j] * inv_rows);
    }
}

static void bn_free(lunet_layer_t *l) {
  bn_t *b = (bn_t *)l;
  free(b->xhat);
  free(b->stats);
}

static const lunet_layer_ops_t bn_ops = {
    .kind = "BatchNormalization", .init = bn_init, .plan = bn_plan, .forward = bn_forward,
    .backward = bn_backward, .free = bn_free};

/* config: momentum, epsilon, center, scale */
static lunet_layer_t *bn_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  double m, e;
  int center, scale;
  if (lunet_config_number(cfg, "momentum", 0.99, &m) < 0 || lunet_config_number(cfg, "epsilon", 1e-3, &e) < 0 ||
      lunet_config_boolean(cfg, "center", 1, &center) < 0 || lunet_config_boolean(cfg, "scale", 1, &scale) < 0)
    return NULL;
  float momentum = (float)m, epsilon = (float)e;
  if (in_ndim < 1) { lunet_fail("BatchNormalization: input must have at least 1 dimension"); return NULL; }
  if (!(momentum >= 0.0f && momentum <= 1.0f) || !(epsilon > 0.0f)) {
    lunet_fail("BatchNormalization: momentum must be in [0, 1] and epsilon positive");
    return NULL;
  }
  bn_t *b = lunet_nn_alloc(sizeof *b);
  if (!b) return NULL;
  lunet_layer_t *l = &b->base;
  lunet_layer_setup(l, &bn_ops, in_ndim, in_shape);
  l->mask_keep = 1;
  b->c = in_shape[in_ndim - 1];
  b->stats = lunet_nn_alloc((size_t)(4 * b->c) * sizeof(float));
  if (!b->stats) { free(b); return NULL; }
  b->momentum = momentum; b->eps = epsilon; b->center = center; b->scale = scale;
  l->ntrainable = (center + scale) * b->c;
  l->nparams = l->ntrainable + 2 * b->c;
  return l;
}

const lunet_layer_kind_t lunet_batchnorm_kind = {"BatchNormalization", bn_from_config};
