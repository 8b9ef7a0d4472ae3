/* Adamax as Keras 2: lr_t = lr / (1 - b1^t); m = b1 m + (1 - b1) g;
 * u = max(b2 u, |g|); p -= lr_t m / (u + eps). */
#include <math.h>

#include "optimizer.h"

void lunet_adamax_step(lunet_optimizer_t *o, float *restrict p, const float *restrict g, float lr) {
  int64_t n = o->n;
  double t = (double)(o->iterations + 1);
  float b1 = o->beta_1, b2 = o->beta_2, eps = o->epsilon;
  float lr_t = (float)(lr / (1.0 - pow(b1, t)));
  float *restrict m = o->state, *restrict u = o->state + n; /* (n) each */
  for (int64_t i = 0; i < n; i++) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    float a = fabsf(g[i]), bu = b2 * u[i];
    u[i] = bu > a ? bu : a;
    p[i] -= lr_t * m[i] / (u[i] + eps);
  }
}
