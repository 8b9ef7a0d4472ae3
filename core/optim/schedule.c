/* Learning-rate schedules: each rule is the formula of its Keras 3 class
 * (keras/src/optimizers/schedules/learning_rate_schedule.py; tf.keras 2.13+
 * computes the same) or of Caffe's SGDSolver::GetLearningRate, in double. */
#include "schedule.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "common.h"

static const char *const names[] = {"none", "ExponentialDecay", "PiecewiseConstantDecay", "InverseTimeDecay",
                                    "PolynomialDecay", "CosineDecay", "InversePowerDecay", "SigmoidDecay"};
#define NKINDS ((int)(sizeof names / sizeof *names))

int lunet_schedule_init(lunet_schedule_t *s, const char *name, const char *where) {
  for (int k = 1; k < NKINDS; k++)
    if (strcmp(name, names[k]) == 0) {
      memset(s, 0, sizeof *s);
      s->kind = (lunet_schedule_kind_t)k;
      s->warmup_target = NAN;
      return 0;
    }
  return lunet_fail("%s: unknown schedule '%s'", where, name);
}

const char *lunet_schedule_name(lunet_schedule_kind_t kind) { return names[kind]; }

static double *field(lunet_schedule_t *s, const char *key) {
  static const struct { const char *name; size_t offset; } fields[] = {
      {"initial_learning_rate", offsetof(lunet_schedule_t, initial_learning_rate)},
      {"decay_steps", offsetof(lunet_schedule_t, decay_steps)},
      {"decay_rate", offsetof(lunet_schedule_t, decay_rate)},
      {"end_learning_rate", offsetof(lunet_schedule_t, end_learning_rate)},
      {"power", offsetof(lunet_schedule_t, power)}, {"alpha", offsetof(lunet_schedule_t, alpha)},
      {"warmup_steps", offsetof(lunet_schedule_t, warmup_steps)},
      {"warmup_target", offsetof(lunet_schedule_t, warmup_target)},
      {"gamma", offsetof(lunet_schedule_t, gamma)}, {"stepsize", offsetof(lunet_schedule_t, stepsize)}};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    if (strcmp(key, fields[i].name) == 0) return (double *)((char *)s + fields[i].offset);
  return NULL;
}

int lunet_schedule_set(lunet_schedule_t *s, const char *key, double v) {
  double *f = field(s, key);
  if (f) { *f = v; return 0; }
  if (strcmp(key, "staircase") == 0) { s->staircase = v != 0.0; return 0; }
  if (strcmp(key, "cycle") == 0) { s->cycle = v != 0.0; return 0; }
  return lunet_fail("%s: unknown option '%s'", names[s->kind], key);
}

int lunet_schedule_set_list(lunet_schedule_t *s, const char *key, const double *v, int n) {
  int is_values = strcmp(key, "values") == 0;
  if (!is_values && strcmp(key, "boundaries") != 0) return lunet_fail("%s: unknown option '%s'", names[s->kind], key);
  int max = LUNET_SCHEDULE_MAX_BOUNDARIES + is_values;
  if (n < 0 || n > max) return lunet_fail("%s: %s has %d entries, at most %d allowed", names[s->kind], key, n, max);
  memcpy(is_values ? s->values : s->boundaries, v, (size_t)n * sizeof *v);
  *(is_values ? &s->nvalues : &s->nboundaries) = n;
  return 0;
}

/* CosineDecay's cosine part: from `from` down to alpha * from over decay_steps. */
static double cosine(const lunet_schedule_t *s, double step, double from) {
  double decayed = 0.5 * (1.0 + cos(M_PI * step / s->decay_steps));
  return from * ((1.0 - s->alpha) * decayed + s->alpha);
}

double lunet_schedule_value(const lunet_schedule_t *s, int64_t step_count) {
  double step = (double)step_count, lr0 = s->initial_learning_rate;
  switch (s->kind) {
  case LUNET_SCHED_NONE: return lr0;
  case LUNET_SCHED_EXPONENTIAL: {
    double p = step / s->decay_steps;
    return lr0 * pow(s->decay_rate, s->staircase ? floor(p) : p);
  }
  case LUNET_SCHED_PIECEWISE: {
    /* values[i] while boundaries[i-1] < step <= boundaries[i] */
    int i = 0;
    while (i < s->nboundaries && step > s->boundaries[i]) i++;
    if (s->nvalues == 0) return 0.0;
    return s->values[i < s->nvalues ? i : s->nvalues - 1];
  }
  case LUNET_SCHED_INVERSE_TIME: {
    double p = step / s->decay_steps;
    return lr0 / (1.0 + s->decay_rate * (s->staircase ? floor(p) : p));
  }
  case LUNET_SCHED_POLYNOMIAL: {
    double steps = s->decay_steps;
    /* cycle: the decay restarts every decay_steps (step 0 counts as the first cycle) */
    if (s->cycle) steps *= step == 0.0 ? 1.0 : ceil(step / steps);
    else if (step > steps) step = steps;
    return (lr0 - s->end_learning_rate) * pow(1.0 - step / steps, s->power) + s->end_learning_rate;
  }
  case LUNET_SCHED_COSINE: {
    if (isnan(s->warmup_target)) return cosine(s, fmin(step, s->decay_steps), lr0);
    step = fmin(step, s->decay_steps + s->warmup_steps);
    if (step < s->warmup_steps) /* linear warmup from initial_learning_rate to warmup_target */
      return (s->warmup_target - lr0) * (step / s->warmup_steps) + lr0;
    return cosine(s, step - s->warmup_steps, s->warmup_target);
  }
  case LUNET_SCHED_INVERSE_POWER: return lr0 * pow(1.0 + s->gamma * step, -s->power);
  case LUNET_SCHED_SIGMOID: return lr0 / (1.0 + exp(-s->gamma * (step - s->stepsize)));
  }
  return lr0;
}
