/* The hinge losses (tf.keras 2.x): hinge and squared hinge (the mean over the
 * last axis of max(1 - t y, 0), squared or not) and categorical hinge
 * (max(max_j (1 - t_j) y_j - sum_j t_j y_j + 1, 0) per row). */
#include <math.h>
#include <string.h>

#include "loss.h"

/* tf.keras' _maybe_convert_labels: when every target of the batch is 0 or 1
 * they are taken as 0/1 labels and mapped to -1/1 (2t - 1); otherwise used
 * as given. Zero-weight rows do not count (their targets may be NaN). */
static int binary_labels(const lunet_loss_batch_t *a) {
  int64_t rows = a->batch * a->per;
  for (int64_t r = 0; r < rows; r++) {
    if (lunet_loss_row_weight(a, r) == 0.0f) continue;
    for (int64_t j = 0; j < a->k; j++) {
      float t = a->t[r * a->k + j];
      if (t != 0.0f && t != 1.0f) return 0;
    }
  }
  return 1;
}

/* ctx: {squared, convert} */
static double hinge_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w, float s,
                        const void *ctx) {
  int squared = ((const int *)ctx)[0], convert = ((const int *)ctx)[1];
  int64_t k = a->k;
  double l = 0.0;
  for (int64_t j = 0; j < k; j++) {
    float tj = convert ? 2.0f * t[j] - 1.0f : t[j], m = 1.0f - tj * y[j];
    /* tf.maximum passes the gradient on a tie (m == 0) to m; NaN passes on */
    if (m < 0.0f) { g[j] = 0.0f; continue; }
    l += squared ? (double)m * m : (double)m;
    g[j] = (squared ? -2.0f * m * tj : -tj) * s;
  }
  return (double)w * l;
}

double lunet_loss_hinge(const lunet_loss_batch_t *a, int squared) {
  int ctx[2] = { squared, binary_labels(a) };
  return lunet_loss_rows(a, 1, hinge_row, ctx);
}

/* pos = sum_j t_j y_j, neg = max_j (1 - t_j) y_j. The gradient of neg goes
 * to the arg max, split evenly among ties as tf.reduce_max's does. */
static double categorical_hinge_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w,
                                    float s, const void *ctx) {
  int64_t k = a->k;
  float neg = -INFINITY;
  double pos = 0.0;
  for (int64_t j = 0; j < k; j++) {
    float v = (1.0f - t[j]) * y[j];
    if (v > neg || v != v) neg = v;
    pos += (double)t[j] * y[j];
  }
  double m = (double)neg - pos + 1.0;
  if (m != m) { /* a NaN output or target: the loss and the gradient say so */
    for (int64_t j = 0; j < k; j++) g[j] = NAN;
    return m;
  }
  if (m < 0.0) { memset(g, 0, (size_t)k * sizeof *g); return 0.0; }
  int ties = 0;
  for (int64_t j = 0; j < k; j++) ties += (1.0f - t[j]) * y[j] == neg;
  for (int64_t j = 0; j < k; j++)
    g[j] = (-t[j] + ((1.0f - t[j]) * y[j] == neg ? (1.0f - t[j]) / (float)ties : 0.0f)) * s;
  return (double)w * m;
}

double lunet_loss_categorical_hinge(const lunet_loss_batch_t *a) {
  return lunet_loss_rows(a, 0, categorical_hinge_row, NULL);
}
