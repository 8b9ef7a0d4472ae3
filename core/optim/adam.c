/* Adam as Keras 2: t = iterations + 1, lr_t = lr sqrt(1 - b2^t) / (1 - b1^t);
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr_t m / (sqrt(v) + eps).
 * With amsgrad the denominator uses the running maximum of v. AdamW (Keras 3,
 * tf.keras 2.11+) first decays the weights, p -= lr * weight_decay * p with
 * the scheduled lr (not lr_t): folded into the same pass as p * keep. */
#include <math.h>

#include "optimizer.h"

void lunet_adam_step(lunet_optimizer_t *o, float *restrict p, const float *restrict g, float lr) {
  int64_t n = o->n;
  double t = (double)(o->iterations + 1);
  float b1 = o->beta_1, b2 = o->beta_2, eps = o->epsilon;
  float lr_t = (float)(lr * sqrt(1.0 - pow(b2, t)) / (1.0 - pow(b1, t)));
  float keep = 1.0f - lr * o->weight_decay; /* 1 for Adam */
  float *restrict m = o->state, *restrict v = o->state + n; /* (n) each */
  if (o->amsgrad) {
    float *restrict vmax = o->state + 2 * n;
    for (int64_t i = 0; i < n; i++) {
      m[i] = b1 * m[i] + (1.0f - b1) * g[i];
      v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
      vmax[i] = vmax[i] > v[i] ? vmax[i] : v[i];
      p[i] = keep * p[i] - lr_t * m[i] / (sqrtf(vmax[i]) + eps);
    }
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    p[i] = keep * p[i] - lr_t * m[i] / (sqrtf(v[i]) + eps);
  }
}
