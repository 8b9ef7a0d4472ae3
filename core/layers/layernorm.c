/* LayerNormalization, as Keras 2: each row (a sample's values over the
 * normalised trailing axes: the last by default) is shifted to mean 0 and
 * scaled to variance 1 with its own statistics, in training and inference
 * alike, then scaled by gamma and shifted by beta (shaped like those axes).
 * Parameters, in Keras order: gamma, beta. The mask passes through. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  int64_t n;     /* values per row (the product of the normalised axes) */
  float eps;
  int center, scale;
  lunet_init_t gamma_init, beta_init;
  float *xhat;   /* (max_batch * rows, n): the normalised input, for backward */
  float *invstd; /* (max_batch * rows) */
} ln_t;

static void ln_init(lunet_layer_t *l, lunet_rng_t *rng) {
  ln_t *d = (ln_t *)l;
  if (d->scale) lunet_init_fill(d->gamma_init, rng, l->params, d->n, d->n, d->n);
  if (d->center) lunet_init_fill(d->beta_init, rng, l->params + (d->scale ? d->n : 0), d->n, d->n, d->n);
}

static int ln_plan(lunet_layer_t *l, int max_batch) {
  ln_t *d = (ln_t *)l;
  free(d->xhat); free(d->invstd);
  int64_t rows = max_batch * (l->in_size / d->n);
  d->xhat = lunet_nn_alloc((size_t)(rows * d->n) * sizeof *d->xhat);
  d->invstd = lunet_nn_alloc((size_t)rows * sizeof *d->invstd);
  return d->xhat && d->invstd ? 0 : -1;
}

/* out (R, n) = gamma * (in - mean_r) * invstd_r + beta, R = batch * rows per sample */
static void ln_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  ln_t *d = (ln_t *)l;
  int64_t n = d->n, rows = batch * (l->in_size / n);
  const float *gamma = d->scale ? l->params : NULL, *beta = d->center ? l->params + (d->scale ? n : 0) : NULL;
  for (int64_t r = 0; r < rows; r++) {
    const float *x = in + r * n;
    float *xh = d->xhat + r * n, *o = out + r * n;
    double s = 0.0, v = 0.0; /* two passes in double, as BatchNormalization */
    for (int64_t j = 0; j < n; j++) s += x[j];
    double mean = s / (double)n;
    for (int64_t j = 0; j < n; j++) v += (x[j] - mean) * (x[j] - mean);
    float inv = (float)(1.0 / sqrt(v / (double)n + d->eps));
    d->invstd[r] = inv;
    for (int64_t j = 0; j < n; j++) {
      xh[j] = (float)(x[j] - mean) * inv;
      o[j] = (gamma ? gamma[j] : 1.0f) * xh[j] + (beta ? beta[j] : 0.0f);
    }
  }
}

/* with g = dout * gamma: dx = invstd * (g - mean(g) - xhat * mean(g * xhat)) per row */
static void ln_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  ln_t *d = (ln_t *)l;
  int64_t n = d->n, rows = batch * (l->in_size / n);
  float *dgamma = d->scale ? l->grads : NULL, *dbeta = d->center ? l->grads + (d->scale ? n : 0) : NULL;
  const float *gamma = d->scale ? l->params : NULL;
  memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
  for (int64_t r = 0; r < rows; r++) {
    float *dy = dout + r * n;
    const float *xh = d->xhat + r * n;
    double sg = 0.0, sgx = 0.0;
    for (int64_t j = 0; j < n; j++) {
      if (dgamma) dgamma[j] += dy[j] * xh[j];
      if (dbeta) dbeta[j] += dy[j];
      float g = dy[j] * (gamma ? gamma[j] : 1.0f);
      sg += g; sgx += g * xh[j];
    }
    if (!din) continue;
    float mg = (float)(sg / (double)n), mgx = (float)(sgx / (double)n), inv = d->invstd[r];
    float *dx = din + r * n;
    for (int64_t j = 0; j < n; j++) dx[j] = inv * (dy[j] * (gamma ? gamma[j] : 1.0f) - mg - xh[j] * mgx);
  }
}

static void ln_free(lunet_layer_t *l) {
  ln_t *d = (ln_t *)l;
  free(d->xhat);
  free(d->invstd);
}

static const lunet_layer_ops_t ln_ops = {
    .kind = "LayerNormalization", .init = ln_init, .plan = ln_plan, .forward = ln_forward,
    .backward = ln_backward, .free = ln_free};

/* The normalised axes from config "axis" (Keras numbering, the batch is axis
 * 0: a per-sample axis a is 1..ndim or -ndim..-1, an integer or a list):
 * they must be the last `*count` axes, each once. */
static int read_axes(const lunet_layer_config_t *cfg, int ndim, int *count) {
  const lunet_cfg_value_t *v = lunet_config_get(cfg, "axis"), *items = v;
  int n = 1, seen[LUNET_LAYER_MAX_DIMS] = {0};
  if (!v) { *count = 1; return 0; }
  if (v->type == LUNET_CFG_LIST && lunet_config_list(cfg, "axis", "an axis or a list of axes", &n, &items) < 0)
    return -1;
  if (n < 1 || n > ndim)
    return lunet_fail("LayerNormalization: axis must list 1 to %d of the sample's axes, got %d", ndim, n);
  for (int i = 0; i < n; i++) {
    int64_t a;
    char text[64];
    if (lunet_cfg_value_int64(&items[i], &a) < 0 || a == 0 || a < -ndim || a > ndim)
      return lunet_fail("LayerNormalization: axis %s is not an axis of a sample of %d dimensions (1..%d or "
                        "-%d..-1; 0 is the batch)", lunet_cfg_value_str(text, sizeof text, &items[i]), ndim, ndim,
                        ndim);
    int k = (int)(a < 0 ? a + ndim : a - 1);
    if (seen[k]++) return lunet_fail("LayerNormalization: axis %lld names an axis given before", (long long)a);
  }
  for (int k = ndim - n; k < ndim; k++)
    if (!seen[k])
      return lunet_fail("LayerNormalization: the normalised axes must be the last ones (e.g. -1, or {-2, -1}); "
                        "only trailing axes are supported");
  *count = n;
  return 0;
}

/* config: axis, epsilon, center, scale, beta_initializer, gamma_initializer */
static lunet_layer_t *ln_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  double e;
  int center, scale, naxes = 1;
  lunet_init_t gamma_init, beta_init;
  if (lunet_config_number(cfg, "epsilon", 1e-3, &e) < 0 || lunet_config_boolean(cfg, "center", 1, &center) < 0 ||
      lunet_config_boolean(cfg, "scale", 1, &scale) < 0 ||
      lunet_config_initializer(cfg, "gamma_initializer", "ones", &gamma_init) < 0 ||
      lunet_config_initializer(cfg, "beta_initializer", "zeros", &beta_init) < 0)
    return NULL;
  if (in_ndim < 1) { lunet_fail("LayerNormalization: input must have at least 1 dimension"); return NULL; }
  if (read_axes(cfg, in_ndim, &naxes) < 0) return NULL;
  if (!(e > 0.0 && e <= 3.4028234663852886e38)) { lunet_fail("LayerNormalization: epsilon must be positive"); return NULL; }
  ln_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) return NULL;
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, &ln_ops, in_ndim, in_shape);
  l->mask_keep = 1;
  d->n = lunet_shape_numel(naxes, in_shape + in_ndim - naxes);
  d->eps = (float)e; d->center = center; d->scale = scale; d->gamma_init = gamma_init; d->beta_init = beta_init;
  l->nparams = l->ntrainable = (center + scale) * d->n;
  return l;
}

const lunet_layer_kind_t lunet_layer_normalization_kind = {"LayerNormalization", ln_from_config};
