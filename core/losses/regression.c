/* The regression losses: mean squared and mean absolute error, averaged over
 * every output of every sample (Keras: mean over the last axis, then over the
 * batch, which is the same number). */
#include <math.h>

#include "loss.h"

double lunet_loss_mse(float *grad, const float *y, const float *t, int64_t batch, int64_t n) {
  double loss = 0.0;
  float scale = 2.0f / (float)(batch * n);
  for (int64_t i = 0; i < batch * n; i++) {
    float d = y[i] - t[i];
    loss += (double)d * d;
    grad[i] = scale * d;
  }
  return loss / (double)(batch * n);
}

double lunet_loss_mae(float *grad, const float *y, const float *t, int64_t batch, int64_t n) {
  double loss = 0.0;
  float scale = 1.0f / (float)(batch * n);
  for (int64_t i = 0; i < batch * n; i++) {
    float d = y[i] - t[i];
    loss += fabs((double)d);
    grad[i] = d > 0.0f ? scale : (d < 0.0f ? -scale : 0.0f);
  }
  return loss / (double)(batch * n);
}
