/* What every layer shares: the common fields, freeing, Keras initialisers and
 * the nn area's allocation counter (specs prove a training step allocates
 * nothing by reading it before and after). */
#include "layer.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static atomic_uint_fast64_t alloc_count;

void *lunet_nn_alloc(size_t bytes) {
  atomic_fetch_add(&alloc_count, 1);
  void *p = lunet_calloc(1, bytes);
  return p;
}

uint64_t lunet_nn_alloc_count(void) { return atomic_load(&alloc_count); }

int64_t lunet_shape_numel(int ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++)
    if (__builtin_mul_overflow(n, shape[i], &n)) return INT64_MAX; /* refused by the net's size checks */
  return n;
}

void lunet_layer_setup(lunet_layer_t *l, const lunet_layer_ops_t *ops, int in_ndim,
                       const int64_t *in_shape) {
  l->ops = ops;
  l->in_ndim = l->out_ndim = in_ndim;
  for (int i = 0; i < in_ndim; i++) l->in_shape[i] = l->out_shape[i] = in_shape[i];
  l->in_size = l->out_size = lunet_shape_numel(in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s", ops->kind);
}

void lunet_layer_free(lunet_layer_t *l) {
  if (!l) return;
  if (l->ops->free) l->ops->free(l);
  free(l->pre);
  free(l->kernel.con.norms);
  free(l->bias.con.norms);
  free(l->recurrent.con.norms);
  free(l->kernel2.con.norms);
  free(l);
}

int lunet_layer_plan_pre(lunet_layer_t *l, int max_batch) {
  if (!lunet_act_needs_input(l->act)) return 0;
  free(l->pre);
  l->pre = lunet_nn_alloc((size_t)(max_batch * l->out_size) * sizeof *l->pre);
  return l->pre ? 0 : -1;
}

size_t lunet_layer_state_size(const lunet_layer_t *l) { return l->ops->state_size ? l->ops->state_size(l) : 0; }

static const char *const init_names[] = {"glorot_uniform", "glorot_normal", "he_normal", "he_uniform",
                                         "lecun_uniform", "lecun_normal", "zeros", "ones",
                                         "random_normal", "random_uniform", "uniform", "orthogonal"};

int lunet_init_parse(lunet_init_t *out, const char *name, const char *where) {
  for (size_t i = 0; i < sizeof init_names / sizeof *init_names; i++)
    if (strcmp(name, init_names[i]) == 0) { *out = (lunet_init_t)i; return 0; }
  return lunet_fail("%s: unknown initializer '%s' (expected glorot_uniform, glorot_normal, he_normal, "
                    "he_uniform, lecun_uniform, lecun_normal, zeros, ones, random_normal, "
                    "random_uniform, uniform or orthogonal)", where, name);
}

/* Keras' Orthogonal (gain 1): w (rows, cols) = the Q of a QR of a normal
 * matrix (modified Gram-Schmidt over the min(rows, cols) columns of a
 * (max, min) matrix, r's diagonal made positive), transposed when rows < cols. */
static void fill_orthogonal(lunet_rng_t *rng, float *w, int64_t n, int64_t rows) {
  if (rows < 1 || n % rows != 0) rows = 1;
  int64_t cols = n / rows, big = rows > cols ? rows : cols, small = rows > cols ? cols : rows;
  double *q = malloc((size_t)(big * small) * sizeof *q); /* (big, small), column j at q[i * small + j] */
  if (!q) { lunet_rng_fill_normal(rng, w, (size_t)n, 0.0f, 1.0f / (float)sqrt((double)big)); return; }
  for (int64_t i = 0; i < big * small; i++) q[i] = lunet_rng_normal(rng);
  for (int64_t j = 0; j < small; j++) {
    for (int64_t k = 0; k < j; k++) {
      double d = 0.0;
      for (int64_t i = 0; i < big; i++) d += q[i * small + k] * q[i * small + j];
      for (int64_t i = 0; i < big; i++) q[i * small + j] -= d * q[i * small + k];
    }
    double norm = 0.0;
    for (int64_t i = 0; i < big; i++) norm += q[i * small + j] * q[i * small + j];
    norm = norm > 0.0 ? 1.0 / sqrt(norm) : 0.0;
    for (int64_t i = 0; i < big; i++) q[i * small + j] *= norm;
  }
  for (int64_t i = 0; i < big; i++)
    for (int64_t j = 0; j < small; j++) {
      if (rows >= cols) w[i * cols + j] = (float)q[i * small + j];
      else w[j * cols + i] = (float)q[i * small + j];
    }
  free(q);
}

/* Keras 2 VarianceScaling: uniform limit sqrt(3 scale / n), normal draws are
 * truncated at 2 std with std sqrt(scale / n); random_* use Keras' 0.05. */
void lunet_init_fill(lunet_init_t init, lunet_rng_t *rng, float *w, int64_t n, int64_t fan_in,
                     int64_t fan_out) {
  double fin = fan_in > 0 ? (double)fan_in : 1.0, fout = fan_out > 0 ? (double)fan_out : 1.0;
  double avg = (fin + fout) / 2.0;
  size_t count = (size_t)n;
  switch (init) {
  case LUNET_INIT_GLOROT_UNIFORM: {
    float lim = (float)sqrt(3.0 / avg);
    lunet_rng_fill_uniform(rng, w, count, -lim, lim);
    break;
  }
  case LUNET_INIT_GLOROT_NORMAL:
    lunet_rng_fill_truncated_normal(rng, w, count, 0.0f, (float)sqrt(1.0 / avg));
    break;
  case LUNET_INIT_HE_NORMAL:
    lunet_rng_fill_truncated_normal(rng, w, count, 0.0f, (float)sqrt(2.0 / fin));
    break;
  case LUNET_INIT_HE_UNIFORM: {
    float lim = (float)sqrt(6.0 / fin);
    lunet_rng_fill_uniform(rng, w, count, -lim, lim);
    break;
  }
  case LUNET_INIT_LECUN_UNIFORM: {
    float lim = (float)sqrt(3.0 / fin);
    lunet_rng_fill_uniform(rng, w, count, -lim, lim);
    break;
  }
  case LUNET_INIT_LECUN_NORMAL:
    lunet_rng_fill_truncated_normal(rng, w, count, 0.0f, (float)sqrt(1.0 / fin));
    break;
  case LUNET_INIT_ZEROS:
    memset(w, 0, count * sizeof *w);
    break;
  case LUNET_INIT_ONES:
    for (size_t i = 0; i < count; i++) w[i] = 1.0f;
    break;
  case LUNET_INIT_RANDOM_NORMAL:
    lunet_rng_fill_normal(rng, w, count, 0.0f, 0.05f);
    break;
  case LUNET_INIT_RANDOM_UNIFORM:
  case LUNET_INIT_UNIFORM: /* Keras' 'uniform' is RandomUniform(-0.05, 0.05) */
    lunet_rng_fill_uniform(rng, w, count, -0.05f, 0.05f);
    break;
  case LUNET_INIT_ORTHOGONAL:
    fill_orthogonal(rng, w, n, fan_in);
    break;
  }
}
