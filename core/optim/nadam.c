/* Nadam as Keras 2 (Dozat's schedule): with momentum caches
 * mu_t = b1 (1 - 0.5 * 0.96^(t sd)) and mu_t1 = b1 (1 - 0.5 * 0.96^((t+1) sd)),
 * m_bar = (1 - mu_t) g / (1 - prod mu..t) + mu_t1 m / (1 - prod mu..t+1),
 * p -= lr m_bar / (sqrt(v / (1 - b2^t)) + eps). */
#include <math.h>

#include "optimizer.h"

void lunet_nadam_step(lunet_optimizer_t *o, float *restrict p, const float *restrict g, float lr) {
  int64_t n = o->n;
  double t = (double)(o->iterations + 1);
  float b1 = o->beta_1, b2 = o->beta_2, eps = o->epsilon;
  double mu_t = b1 * (1.0 - 0.5 * pow(0.96, t * o->schedule_decay));
  double mu_t1 = b1 * (1.0 - 0.5 * pow(0.96, (t + 1.0) * o->schedule_decay));
  double sched_new = o->m_schedule * mu_t, sched_next = sched_new * mu_t1;
  o->m_schedule = sched_new;
  float cg = (float)((1.0 - mu_t) / (1.0 - sched_new)); /* coefficient of g */
  float cm = (float)(mu_t1 / (1.0 - sched_next));       /* coefficient of m */
  float cv = (float)(1.0 / (1.0 - pow(b2, t)));
  float *restrict m = o->state, *restrict v = o->state + n; /* (n) each */
  for (int64_t i = 0; i < n; i++) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    p[i] -= lr * (cg * g[i] + cm * m[i]) / (sqrtf(v[i] * cv) + eps);
  }
}
