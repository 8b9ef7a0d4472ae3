/* Optimizers with Keras 2 semantics (keras 2.2/2.3 standalone, epsilon 1e-7 =
 * K.epsilon(), Adagrad accumulators start at 0). Each step is ONE fused pass
 * over the flat parameter vector; the state (accumulators, moments) lives in
 * one (nslots, n) buffer so it can be saved and restored with the weights.
 * Every optimizer honours `decay`: lr / (1 + decay * iterations), or a
 * learning-rate schedule (schedule.h) in place of a constant rate, and the
 * gradient clipping of Keras 2.2/2.3's Optimizer.get_gradients: clipnorm
 * rescales every gradient by clipnorm / norm when the global L2 norm over all
 * parameters is >= clipnorm, then clipvalue clamps each to [-clipvalue,
 * clipvalue] (0 = off). AdamW (Keras 3 / tf.keras 2.11+) is Adam after the
 * decoupled weight decay p -= lr * weight_decay * p, lr the scheduled rate. */
#ifndef LUNET_OPTIMIZER_H
#define LUNET_OPTIMIZER_H

#include <stdint.h>

#include "schedule.h"

typedef enum {
  LUNET_OPT_SGD, LUNET_OPT_ADAGRAD, LUNET_OPT_ADADELTA, LUNET_OPT_RMSPROP, LUNET_OPT_ADAM,
  LUNET_OPT_ADAMAX, LUNET_OPT_NADAM, LUNET_OPT_ADAMW
} lunet_optim_kind_t;

typedef struct lunet_optimizer {
  lunet_optim_kind_t kind;
  float learning_rate, decay, epsilon;
  float momentum; int nesterov;           /* sgd */
  float rho;                              /* rmsprop, adadelta */
  float beta_1, beta_2; int amsgrad;      /* adam, adamax, nadam */
  float schedule_decay;                   /* nadam */
  float weight_decay;                     /* adamw (0 for the others) */
  float clipnorm, clipvalue;              /* 0 = off */
  lunet_schedule_t schedule;              /* kind NONE: learning_rate (after decay) */
  int64_t iterations;                     /* steps taken */
  double m_schedule;                      /* nadam's running product of momentum caches */
  int64_t n;                              /* parameters */
  int nslots;
  float *state;                           /* (nslots, n), zero at start */
} lunet_optimizer_t;

/* Parses a Keras name ('sgd', 'adagrad', 'adadelta', 'rmsprop', 'adam',
 * 'adamax', 'nadam', 'adamw'; lua/lunet/nn lower-cases it); -1 naming where otherwise. */
int lunet_optimizer_parse(lunet_optim_kind_t *out, const char *name, const char *where);
const char *lunet_optimizer_name(lunet_optim_kind_t kind);
/* New optimizer for n parameters with Keras defaults; NULL on OOM. */
lunet_optimizer_t *lunet_optimizer_new(lunet_optim_kind_t kind, int64_t n);
void lunet_optimizer_free(lunet_optimizer_t *o);
/* Number of state slots of kind (amsgrad adds one to adam). */
int lunet_optimizer_slots(lunet_optim_kind_t kind, int amsgrad);
/* Sets a hyper-parameter by its Keras name ('learning_rate', 'momentum',
 * 'decay', 'nesterov', 'rho', 'beta_1', 'beta_2', 'epsilon', 'amsgrad',
 * 'schedule_decay', 'weight_decay', 'clipnorm', 'clipvalue'); -1 for any
 * other name. The schedule is set on o->schedule directly. Which kind takes which, and the
 * ranges, lua/lunet/nn/optimizers.lua checks; a rule reads only its own.
 * Changing amsgrad reallocates the state (call before training). */
int lunet_optimizer_set(lunet_optimizer_t *o, const char *key, double value);
/* The learning rate of the next step: the schedule's at iterations, or
 * learning_rate after decay. */
float lunet_optimizer_current_lr(const lunet_optimizer_t *o);

/* params (n) updated from grads (n); never allocates. With clipnorm or
 * clipvalue the gradients are clipped in place first (grads then holds the
 * gradients the step used). */
void lunet_optimizer_step(lunet_optimizer_t *o, float *params, float *grads);

/* one per kind (core/optim/<name>.c) */
void lunet_sgd_step(lunet_optimizer_t *o, float *p, const float *g, float lr);
void lunet_adagrad_step(lunet_optimizer_t *o, float *p, const float *g, float lr);
void lunet_adadelta_step(lunet_optimizer_t *o, float *p, const float *g, float lr);
void lunet_rmsprop_step(lunet_optimizer_t *o, float *p, const float *g, float lr);
void lunet_adam_step(lunet_optimizer_t *o, float *p, const float *g, float lr);
void lunet_adamax_step(lunet_optimizer_t *o, float *p, const float *g, float lr);
void lunet_nadam_step(lunet_optimizer_t *o, float *p, const float *g, float lr);

#endif
