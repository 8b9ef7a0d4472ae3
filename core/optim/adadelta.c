/* Adadelta as Keras 2: a = rho a + (1 - rho) g^2;
 * u = g sqrt(d + eps) / sqrt(a + eps); p -= lr u; d = rho d + (1 - rho) u^2. */
#include <math.h>

#include "optimizer.h"

void lunet_adadelta_step(lunet_optimizer_t *o, float *restrict p, const float *restrict g, float lr) {
  int64_t n = o->n;
  float rho = o->rho, eps = o->epsilon;
  float *restrict a = o->state, *restrict d = o->state + n; /* (n) each */
  for (int64_t i = 0; i < n; i++) {
    a[i] = rho * a[i] + (1.0f - rho) * g[i] * g[i];
    float u = g[i] * sqrtf(d[i] + eps) / sqrtf(a[i] + eps);
    p[i] -= lr * u;
    d[i] = rho * d[i] + (1.0f - rho) * u * u;
  }
}
