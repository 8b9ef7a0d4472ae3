/* RMSprop as Keras 2: a = rho a + (1 - rho) g^2; p -= lr g / (sqrt(a) + eps). */
#include <math.h>

#include "optimizer.h"

void lunet_rmsprop_step(lunet_optimizer_t *o, float *restrict p, const float *restrict g, float lr) {
  int64_t n = o->n;
  float rho = o->rho, eps = o->epsilon;
  float *restrict a = o->state; /* (n) */
  for (int64_t i = 0; i < n; i++) {
    a[i] = rho * a[i] + (1.0f - rho) * g[i] * g[i];
    p[i] -= lr * g[i] / (sqrtf(a[i]) + eps);
  }
}
