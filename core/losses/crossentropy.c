/* The cross-entropies (categorical, sparse categorical, binary) and the loss
 * name table. Probabilities are clipped to [1e-7, 1 - 1e-7] like Keras'
 * epsilon before the log, so a saturated output gives a large finite loss. */
#include <math.h>
#include <string.h>

#include "common.h"
#include "loss.h"

#define EPS 1e-7f

static const char *const loss_names[] = {"categorical_crossentropy", "sparse_categorical_crossentropy",
                                         "binary_crossentropy", "mean_squared_error",
                                         "mean_absolute_error"};

int lunet_loss_parse(lunet_loss_t *out, const char *name, const char *where) {
  for (int i = 0; i < 5; i++)
    if (strcmp(name, loss_names[i]) == 0) { *out = (lunet_loss_t)i; return 0; }
  if (strcmp(name, "mse") == 0) { *out = LUNET_LOSS_MEAN_SQUARED_ERROR; return 0; }
  if (strcmp(name, "mae") == 0) { *out = LUNET_LOSS_MEAN_ABSOLUTE_ERROR; return 0; }
  return lunet_fail("%s: unknown loss '%s' (expected categorical_crossentropy, "
                    "sparse_categorical_crossentropy, binary_crossentropy, mean_squared_error/mse or "
                    "mean_absolute_error/mae)", where, name);
}

const char *lunet_loss_name(lunet_loss_t loss) { return loss_names[loss]; }

int lunet_loss_sparse(lunet_loss_t loss) { return loss == LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY; }

static float clip(float p) { return p < EPS ? EPS : (p > 1.0f - EPS ? 1.0f - EPS : p); }

/* -sum_j t log y per sample, averaged over the batch */
double lunet_loss_crossentropy(float *grad, const float *y, const float *t, int64_t batch, int64_t n,
                               int fused) {
  double loss = 0.0;
  float inv_b = 1.0f / (float)batch;
  for (int64_t i = 0; i < batch * n; i++) {
    float p = clip(y[i]);
    if (t[i] != 0.0f) loss -= (double)t[i] * log((double)p);
    /* through the clip Keras' gradient is 0; fused: softmax'(.) folded in */
    grad[i] = fused ? (y[i] - t[i]) * inv_b
                    : (y[i] == p ? -t[i] / p * inv_b : 0.0f);
  }
  return loss / (double)batch;
}

int lunet_loss_sparse_crossentropy(double *loss, float *grad, const float *y, const float *t,
                                   int64_t batch, int64_t n, int fused) {
  double sum = 0.0;
  float inv_b = 1.0f / (float)batch;
  for (int64_t b = 0; b < batch; b++) {
    float label = t[b];
    int64_t k = (int64_t)label;
    if (!(label >= 0.0f) || (float)k != label || k >= n)
      return lunet_fail("sparse_categorical_crossentropy: sample %lld has label %g, expected a class "
                        "index in 0..%lld", (long long)b + 1, (double)label, (long long)n - 1);
    const float *yb = y + b * n;
    float *gb = grad + b * n;
    float p = clip(yb[k]);
    sum -= log((double)p);
    if (fused) {
      for (int64_t j = 0; j < n; j++) gb[j] = yb[j] * inv_b;
      gb[k] -= inv_b;
    } else {
      memset(gb, 0, (size_t)n * sizeof *gb);
      gb[k] = yb[k] == p ? -1.0f / p * inv_b : 0.0f;
    }
  }
  *loss = sum / (double)batch;
  return 0;
}

/* -mean(t log y + (1 - t) log(1 - y)) over every output */
double lunet_loss_binary_crossentropy(float *grad, const float *y, const float *t, int64_t batch,
                                      int64_t n, int fused) {
  double loss = 0.0;
  float inv = 1.0f / (float)(batch * n);
  for (int64_t i = 0; i < batch * n; i++) {
    float p = clip(y[i]);
    loss -= (double)t[i] * log((double)p) + (1.0 - (double)t[i]) * log(1.0 - (double)p);
    grad[i] = fused ? (y[i] - t[i]) * inv
                    : (y[i] == p ? (p - t[i]) / (p * (1.0f - p)) * inv : 0.0f);
  }
  return loss / (double)(batch * n);
}

int lunet_loss_eval(lunet_loss_t kind, double *loss, float *grad, const float *y, const float *t,
                    int64_t batch, int64_t n, int fused) {
  switch (kind) {
  case LUNET_LOSS_CATEGORICAL_CROSSENTROPY:
    *loss = lunet_loss_crossentropy(grad, y, t, batch, n, fused);
    return 0;
  case LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
    return lunet_loss_sparse_crossentropy(loss, grad, y, t, batch, n, fused);
  case LUNET_LOSS_BINARY_CROSSENTROPY:
    *loss = lunet_loss_binary_crossentropy(grad, y, t, batch, n, fused);
    return 0;
  case LUNET_LOSS_MEAN_SQUARED_ERROR:
    *loss = lunet_loss_mse(grad, y, t, batch, n);
    return 0;
  case LUNET_LOSS_MEAN_ABSOLUTE_ERROR:
    *loss = lunet_loss_mae(grad, y, t, batch, n);
    return 0;
  }
  return lunet_fail("unknown loss kind %d", (int)kind);
}
