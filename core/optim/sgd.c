/* SGD as Keras 2: v = momentum * v - lr * g; p += v, or with Nesterov
 * p += momentum * v - lr * g. Plain SGD (momentum 0) skips the velocity. */
#include "optimizer.h"

void lunet_sgd_step(lunet_optimizer_t *o, float *p, const float *g, float lr) {
  int64_t n = o->n;
  float mu = o->momentum;
  if (mu == 0.0f) {
    for (int64_t i = 0; i < n; i++) p[i] -= lr * g[i];
    return;
  }
  float *v = o->state; /* (n) */
  if (o->nesterov)
    for (int64_t i = 0; i < n; i++) {
      v[i] = mu * v[i] - lr * g[i];
      p[i] += mu * v[i] - lr * g[i];
    }
  else
    for (int64_t i = 0; i < n; i++) {
      v[i] = mu * v[i] - lr * g[i];
      p[i] += v[i];
    }
}
