/* Adagrad as Keras 2: a += g^2; p -= lr * g / (sqrt(a) + eps), a starting at 0.
 * The notebook's optimizer: one pass, vectorised sqrt (-fno-math-errno). */
#include <math.h>

#include "optimizer.h"

void lunet_adagrad_step(lunet_optimizer_t *o, float *restrict p, const float *restrict g, float lr) {
  int64_t n = o->n;
  float eps = o->epsilon;
  float *restrict a = o->state; /* (n) */
  for (int64_t i = 0; i < n; i++) {
    a[i] += g[i] * g[i];
    p[i] -= lr * g[i] / (sqrtf(a[i]) + eps);
  }
}
