/* Learning-rate schedules as data: the rate of an optimizer's step `step`
 * (its iterations before the step: 0 at the first step), with the semantics
 * of Keras 3 / tf.keras 2.13+ keras.optimizers.schedules (ExponentialDecay,
 * PiecewiseConstantDecay, InverseTimeDecay, PolynomialDecay, CosineDecay with
 * its linear warmup) and two of Caffe's lr_policy rules that have no Keras
 * class (inv with power != 1, sigmoid). A schedule is a fixed-size struct the
 * optimizer holds: evaluating it never allocates. lua/lunet/nn/schedules.lua
 * checks every value; C refuses only what it cannot store. */
#ifndef LUNET_SCHEDULE_H
#define LUNET_SCHEDULE_H

#include <stdint.h>

/* PiecewiseConstantDecay's boundaries (values: one more). */
#define LUNET_SCHEDULE_MAX_BOUNDARIES 64

typedef enum {
  LUNET_SCHED_NONE, LUNET_SCHED_EXPONENTIAL, LUNET_SCHED_PIECEWISE, LUNET_SCHED_INVERSE_TIME,
  LUNET_SCHED_POLYNOMIAL, LUNET_SCHED_COSINE, LUNET_SCHED_INVERSE_POWER, LUNET_SCHED_SIGMOID
} lunet_schedule_kind_t;

typedef struct {
  lunet_schedule_kind_t kind;
  double initial_learning_rate;
  double decay_steps, decay_rate; int staircase;   /* exponential, inverse time, polynomial, cosine */
  double end_learning_rate, power; int cycle;      /* polynomial (power: inverse power too) */
  double alpha, warmup_steps, warmup_target;       /* cosine; warmup_target NaN = no warmup */
  double gamma, stepsize;                          /* inverse power, sigmoid */
  int nboundaries, nvalues;                        /* piecewise */
  double boundaries[LUNET_SCHEDULE_MAX_BOUNDARIES], values[LUNET_SCHEDULE_MAX_BOUNDARIES + 1];
} lunet_schedule_t;

/* A schedule of kind `name` (its Keras class name: 'ExponentialDecay', ...,
 * 'InversePowerDecay', 'SigmoidDecay') with every number 0, no warmup;
 * -1 naming where for any other name. */
int lunet_schedule_init(lunet_schedule_t *s, const char *name, const char *where);
const char *lunet_schedule_name(lunet_schedule_kind_t kind);
/* Sets a scalar option by its Keras name; -1 for a name the struct has not. */
int lunet_schedule_set(lunet_schedule_t *s, const char *key, double value);
/* Sets 'boundaries' or 'values' (n numbers); -1 when there are more than the
 * struct holds or for another key. */
int lunet_schedule_set_list(lunet_schedule_t *s, const char *key, const double *v, int n);
/* The learning rate at step (>= 0). */
double lunet_schedule_value(const lunet_schedule_t *s, int64_t step);

#endif
