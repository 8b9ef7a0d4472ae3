/* The cross-entropies (categorical, sparse categorical, binary). Probabilities
 * are clipped to [1e-7, 1 - 1e-7] like Keras' epsilon before the log, so a
 * saturated output gives a large finite loss; through the clip the gradient
 * is 0, as in Keras. With from_logits the outputs are logits and the loss is
 * taken as TensorFlow's *_cross_entropy_with_logits do: never through a
 * probability, so nothing is clipped and nothing overflows. label_smoothing
 * (binary, categorical) replaces the targets by t (1 - ls) + ls / 2, resp.
 * ls / k for k classes, as tf.keras 2.x does before the loss. */
#include <math.h>
#include <string.h>

#include "common.h"
#include "loss.h"

#define EPS 1e-7f

static float clip(float p) { return p < EPS ? EPS : (p > 1.0f - EPS ? 1.0f - EPS : p); }

/* log sum_j exp z_j with the max taken out, so no exp overflows */
static double log_sum_exp(const float *z, int64_t k) {
  float m = z[0];
  for (int64_t j = 1; j < k; j++) m = z[j] > m ? z[j] : m;
  double s = 0.0;
  for (int64_t j = 0; j < k; j++) s += exp((double)z[j] - m);
  return (double)m + log(s);
}

/* -sum_j t'_j log y_j per row (t' the smoothed targets); from logits z = y:
 * -sum_j t'_j (z_j - lse(z)), whose gradient is (sum t') softmax(z) - t' */
static double crossentropy_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w,
                               float s, const void *ctx) {
  (void)ctx;
  int64_t k = a->k;
  float ls = a->params.label_smoothing, keep = 1.0f - ls, add = ls / (float)k;
  double l = 0.0;
  if (a->params.from_logits) {
    double lse = log_sum_exp(y, k), st = 0.0;
    for (int64_t j = 0; j < k; j++) {
      float tj = t[j] * keep + add;
      st += tj;
      if (tj != 0.0f) l -= (double)tj * ((double)y[j] - lse);
    }
    for (int64_t j = 0; j < k; j++) g[j] = (float)((st * exp((double)y[j] - lse) - (t[j] * keep + add)) * s);
    return (double)w * l;
  }
  for (int64_t j = 0; j < k; j++) {
    float p = clip(y[j]), tj = t[j] * keep + add;
    if (tj != 0.0f) l -= (double)tj * log((double)p);
    /* fused: softmax'(.) folded in */
    g[j] = a->fused ? (y[j] - tj) * s : (y[j] == p ? -tj / p * s : 0.0f);
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
    if (a->params.from_logits) { /* lse(z) - z_k; gradient softmax(z) - onehot(k) */
      double lse = log_sum_exp(yb, n);
      sum += (double)w * (lse - (double)yb[k]);
      for (int64_t j = 0; j < n; j++) gb[j] = (float)(exp((double)yb[j] - lse) * s);
      gb[k] -= s;
      continue;
    }
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

/* -mean_j(t' log y + (1 - t') log(1 - y)) per row; from a logit x:
 * max(x, 0) - x t' + log(1 + exp(-|x|)) (tf.nn.sigmoid_cross_entropy_with_logits),
 * whose derivative is sigmoid(x) - t' */
static double binary_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w, float s,
                         const void *ctx) {
  (void)ctx;
  int64_t k = a->k;
  float ls = a->params.label_smoothing, keep = 1.0f - ls, add = 0.5f * ls;
  double l = 0.0;
  if (a->params.from_logits) {
    for (int64_t j = 0; j < k; j++) {
      double x = y[j], tj = (double)(t[j] * keep + add), e = exp(-fabs(x));
      l += (x > 0.0 ? x : 0.0) - x * tj + log1p(e);
      double sig = x >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      g[j] = (float)((sig - tj) * s);
    }
    return (double)w * l;
  }
  for (int64_t j = 0; j < k; j++) {
    float p = clip(y[j]), tj = t[j] * keep + add;
    l -= (double)tj * log((double)p) + (1.0 - (double)tj) * log(1.0 - (double)p);
    g[j] = a->fused ? (y[j] - tj) * s : (y[j] == p ? (p - tj) / (p * (1.0f - p)) * s : 0.0f);
  }
  return (double)w * l;
}

double lunet_loss_binary_crossentropy(const lunet_loss_batch_t *a) { return lunet_loss_rows(a, 1, binary_row, NULL); }
