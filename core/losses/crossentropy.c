/* The cross-entropies (categorical, sparse categorical, binary). Probabilities
 * are clipped to [1e-7, 1 - 1e-7] like Keras' epsilon before the log, so a
 * saturated output gives a large finite loss; through the clip the gradient
 * is 0, as in Keras. */
#include <math.h>
#include <string.h>

#include "common.h"
#include "loss.h"

#define EPS 1e-7f

static float clip(float p) { return p < EPS ? EPS : (p > 1.0f - EPS ? 1.0f - EPS : p); }

/* -sum_j t log y per row */
static double crossentropy_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w,
                               float s, const void *ctx) {
  int64_t k = a->k;
  double l = 0.0;
  for (int64_t j = 0; j < k; j++) {
    float p = clip(y[j]);
    if (t[j] != 0.0f) l -= (double)t[j] * log((double)p);
    /* fused: softmax'(.) folded in */
    g[j] = a->fused ? (y[j] - t[j]) * s : (y[j] == p ? -t[j] / p * s : 0.0f);
  }
  return (double)w * l;
}

double lunet_loss_crossentropy(const lunet_loss_batch_t *a) { return lunet_loss_rows(a, 0, crossentropy_row, NULL); }

/* one class index per sample over its k outputs (per is 1) */
int lunet_loss_sparse_crossentropy(double *loss, const lunet_loss_batch_t *a) {
  int64_t n = a->k;
  float inv = 1.0f / (float)a->batch;
  double sum = 0.0;
  for (int64_t b = 0; b < a->batch; b++) {
    float label = a->t[b], w = lunet_loss_row_weight(a, b), s = w * inv;
    const float *yb = a->y + b * n;
    float *gb = a->grad + b * n;
    if (w == 0.0f) { memset(gb, 0, (size_t)n * sizeof *gb); continue; }
    int64_t k = (int64_t)label;
    if (!(label >= 0.0f) || (float)k != label || k >= n)
      return lunet_fail("sparse_categorical_crossentropy: sample %lld has label %g, expected a class "
                        "index in 0..%lld", (long long)b + 1, (double)label, (long long)n - 1);
    float p = clip(yb[k]);
    sum -= (double)w * log((double)p);
    if (a->fused) {
      for (int64_t j = 0; j < n; j++) gb[j] = yb[j] * s;
      gb[k] -= s;
    } else {
      memset(gb, 0, (size_t)n * sizeof *gb);
      gb[k] = yb[k] == p ? -1.0f / p * s : 0.0f;
    }
  }
  *loss = sum / (double)a->batch;
  return 0;
}

/* -mean_j(t log y + (1 - t) log(1 - y)) per row */
static double binary_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w, float s,
                         const void *ctx) {
  int64_t k = a->k;
  double l = 0.0;
  for (int64_t j = 0; j < k; j++) {
    float p = clip(y[j]);
    l -= (double)t[j] * log((double)p) + (1.0 - (double)t[j]) * log(1.0 - (double)p);
    g[j] = a->fused ? (y[j] - t[j]) * s : (y[j] == p ? (p - t[j]) / (p * (1.0f - p)) * s : 0.0f);
  }
  return (double)w * l;
}

double lunet_loss_binary_crossentropy(const lunet_loss_batch_t *a) { return lunet_loss_rows(a, 1, binary_row, NULL); }
