/* The probabilistic losses beyond the cross-entropies: Kullback-Leibler
 * divergence (the sum over the last axis) and Poisson (the mean over it),
 * with tf.keras 2.x's epsilon 1e-7. */
#include <math.h>
#include <string.h>

#include "loss.h"

#define EPS 1e-7f

/* sum_j t log(t / y) with t and y clipped to [1e-7, 1] (a 0 target adds
 * ~1e-7 log(1e-7 / y), not 0); through the clip the gradient is 0, at its
 * bounds it passes (TensorFlow's clip_by_value) */
static double kl_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w, float s,
                     const void *ctx) {
  int64_t k = a->k;
  double l = 0.0;
  for (int64_t j = 0; j < k; j++) {
    float tc = t[j] < EPS ? EPS : (t[j] > 1.0f ? 1.0f : t[j]);
    float pc = y[j] < EPS ? EPS : (y[j] > 1.0f ? 1.0f : y[j]);
    l += (double)tc * log((double)tc / (double)pc);
    g[j] = y[j] == pc ? -tc / pc * s : 0.0f;
  }
  return (double)w * l;
}

double lunet_loss_kl_divergence(const lunet_loss_batch_t *a) { return lunet_loss_rows(a, 0, kl_row, NULL); }

/* mean_j(y - t log(y + 1e-7)): a negative output gives NaN, as in Keras */
static double poisson_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w, float s,
                          const void *ctx) {
  int64_t k = a->k;
  double l = 0.0;
  for (int64_t j = 0; j < k; j++) {
    float p = y[j] + EPS;
    l += (double)y[j] - (double)t[j] * log((double)p);
    g[j] = (1.0f - t[j] / p) * s;
  }
  return (double)w * l;
}

double lunet_loss_poisson(const lunet_loss_batch_t *a) { return lunet_loss_rows(a, 1, poisson_row, NULL); }
