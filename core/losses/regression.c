/* The regression losses (Keras' grouping): mean squared error, mean absolute
 * error, Huber and log-cosh (each the mean over the last axis), and cosine
 * similarity (the negated sum over it). tf.keras 2.x formulas; gradients are
 * the ones TensorFlow's ops give, ties included (|0|' = 0). */
#include <math.h>
#include <string.h>

#include "loss.h"

static double squared(float d, float *dl, lunet_loss_params_t p) {
  (void)p;
  *dl = 2.0f * d;
  return (double)d * d;
}

static double absolute(float d, float *dl, lunet_loss_params_t p) {
  (void)p;
  *dl = d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);
  return fabs((double)d);
}

/* 0.5 d^2 within delta of the target, delta (|d| - delta / 2) beyond: the
 * derivative is d clipped to [-delta, delta] */
static double huber(float d, float *dl, lunet_loss_params_t p) {
  double ad = fabs((double)d), q = ad < p.delta ? ad : p.delta;
  *dl = d > p.delta ? p.delta : (d < -p.delta ? -p.delta : d);
  return 0.5 * q * q + p.delta * (ad - q);
}

/* log(cosh d) = d + softplus(-2d) - log 2, which does not overflow where
 * cosh would (tf.keras computes it so); the derivative is tanh d */
static double log_cosh(float d, float *dl, lunet_loss_params_t p) {
  (void)p;
  double z = -2.0 * d, softplus = z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z));
  *dl = tanhf(d);
  return (double)d + softplus - log(2.0);
}

/* The row of the element-wise losses; ctx points to the ELEMENT naming
 * the loss of one difference d = y - t (its derivative into dl). The
 * switch is constant where the row is inlined (each kernel below), so it
 * leaves the loop. */
enum { SQUARED, ABSOLUTE, HUBER, LOG_COSH };
static const int ELEMENT[] = { SQUARED, ABSOLUTE, HUBER, LOG_COSH };

static double elementwise_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w,
                              float s, const void *ctx) {
  int element = *(const int *)ctx;
  int64_t k = a->k;
  double l = 0.0;
  for (int64_t j = 0; j < k; j++) {
    float d = y[j] - t[j], dl;
    switch (element) {
    case SQUARED: l += squared(d, &dl, a->params); break;
    case ABSOLUTE: l += absolute(d, &dl, a->params); break;
    case HUBER: l += huber(d, &dl, a->params); break;
    default: l += log_cosh(d, &dl, a->params);
    }
    g[j] = s * dl;
  }
  return (double)w * l;
}

double lunet_loss_mse(const lunet_loss_batch_t *a) { return lunet_loss_rows(a, 1, elementwise_row, &ELEMENT[SQUARED]); }
double lunet_loss_mae(const lunet_loss_batch_t *a) { return lunet_loss_rows(a, 1, elementwise_row, &ELEMENT[ABSOLUTE]); }
double lunet_loss_huber(const lunet_loss_batch_t *a) { return lunet_loss_rows(a, 1, elementwise_row, &ELEMENT[HUBER]); }
double lunet_loss_log_cosh(const lunet_loss_batch_t *a) {
  return lunet_loss_rows(a, 1, elementwise_row, &ELEMENT[LOG_COSH]);
}

/* -sum_j u_j q_j with u, q the rows of t and y scaled to unit length, as
 * tf.math.l2_normalize does: x / sqrt(max(sum x^2, 1e-12)). Below that
 * floor the denominator is a constant, so its gradient term vanishes. */
static double cosine_row(const lunet_loss_batch_t *a, const float *y, const float *t, float *g, float w,
                         float s, const void *ctx) {
  int64_t k = a->k;
  double st = 0.0, sy = 0.0, dot = 0.0;
  for (int64_t j = 0; j < k; j++) {
    st += (double)t[j] * t[j];
    sy += (double)y[j] * y[j];
    dot += (double)t[j] * y[j];
  }
  double nt = 1.0 / sqrt(st > 1e-12 ? st : 1e-12), ny = 1.0 / sqrt(sy > 1e-12 ? sy : 1e-12);
  /* tf.maximum passes its gradient to sum y^2 on a tie */
  double c = sy >= 1e-12 ? dot * ny * ny : 0.0, sn = (double)s * nt * ny;
  for (int64_t j = 0; j < k; j++) g[j] = (float)(-sn * ((double)t[j] - c * y[j]));
  return -(double)w * dot * nt * ny;
}

double lunet_loss_cosine_similarity(const lunet_loss_batch_t *a) { return lunet_loss_rows(a, 0, cosine_row, NULL); }
