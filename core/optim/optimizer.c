/* Optimizer objects: names, Keras defaults, hyper-parameters, state and the
 * step dispatcher; the update rules live one per file next to this one.
 * lua/lunet/nn/optimizers.lua checks names, options and ranges (lower-cases
 * the name, maps lr to learning_rate, refuses an option the kind has not):
 * C refuses only what it cannot store. */
#include "optimizer.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "layer.h"

static const char *const names[] = {"sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam", "adamw"};

int lunet_optimizer_parse(lunet_optim_kind_t *out, const char *name, const char *where) {
  for (int k = 0; k < (int)(sizeof names / sizeof *names); k++)
    if (strcmp(name, names[k]) == 0) { *out = (lunet_optim_kind_t)k; return 0; }
  return lunet_fail("%s: unknown optimizer '%s' (expected sgd, adagrad, adadelta, rmsprop, adam, "
                    "adamax, nadam or adamw)", where, name);
}

const char *lunet_optimizer_name(lunet_optim_kind_t kind) { return names[kind]; }

int lunet_optimizer_slots(lunet_optim_kind_t kind, int amsgrad) {
  switch (kind) {
  case LUNET_OPT_SGD: return 1;      /* velocity */
  case LUNET_OPT_ADAGRAD: return 1;  /* sum of squares */
  case LUNET_OPT_ADADELTA: return 2; /* E[g^2], E[dx^2] */
  case LUNET_OPT_RMSPROP: return 1;  /* E[g^2] */
  case LUNET_OPT_ADAM:
  case LUNET_OPT_ADAMW: return amsgrad ? 3 : 2; /* m, v (, max v) */
  case LUNET_OPT_ADAMAX: return 2;   /* m, u */
  case LUNET_OPT_NADAM: return 2;    /* m, v */
  }
  return 0;
}

lunet_optimizer_t *lunet_optimizer_new(lunet_optim_kind_t kind, int64_t n) {
  lunet_optimizer_t *o = lunet_nn_alloc(sizeof *o);
  if (!o) return NULL;
  o->kind = kind;
  o->n = n;
  o->epsilon = 1e-7f;
  o->beta_1 = 0.9f;
  o->beta_2 = 0.999f;
  o->schedule_decay = 0.004f;
  o->m_schedule = 1.0;
  switch (kind) {
  case LUNET_OPT_SGD: o->learning_rate = 0.01f; break;
  case LUNET_OPT_ADAGRAD: o->learning_rate = 0.01f; break;
  case LUNET_OPT_ADADELTA: o->learning_rate = 1.0f; o->rho = 0.95f; break;
  case LUNET_OPT_RMSPROP: o->learning_rate = 0.001f; o->rho = 0.9f; break;
  case LUNET_OPT_ADAM: o->learning_rate = 0.001f; break;
  case LUNET_OPT_ADAMAX: o->learning_rate = 0.002f; break;
  case LUNET_OPT_NADAM: o->learning_rate = 0.002f; break;
  case LUNET_OPT_ADAMW: o->learning_rate = 0.001f; o->weight_decay = 0.004f; break;
  }
  o->nslots = lunet_optimizer_slots(kind, 0);
  o->state = lunet_nn_alloc((size_t)(o->nslots * n) * sizeof(float));
  if (!o->state) { free(o); return NULL; }
  return o;
}

void lunet_optimizer_free(lunet_optimizer_t *o) {
  if (!o) return;
  free(o->state);
  free(o);
}

/* The float hyper-parameters by their Keras names: where each is stored. */
static const struct { const char *name; size_t offset; } floats[] = {
    {"learning_rate", offsetof(lunet_optimizer_t, learning_rate)}, {"decay", offsetof(lunet_optimizer_t, decay)},
    {"epsilon", offsetof(lunet_optimizer_t, epsilon)}, {"momentum", offsetof(lunet_optimizer_t, momentum)},
    {"rho", offsetof(lunet_optimizer_t, rho)}, {"beta_1", offsetof(lunet_optimizer_t, beta_1)},
    {"beta_2", offsetof(lunet_optimizer_t, beta_2)}, {"schedule_decay", offsetof(lunet_optimizer_t, schedule_decay)},
    {"weight_decay", offsetof(lunet_optimizer_t, weight_decay)}, {"clipnorm", offsetof(lunet_optimizer_t, clipnorm)},
    {"clipvalue", offsetof(lunet_optimizer_t, clipvalue)}};

int lunet_optimizer_set(lunet_optimizer_t *o, const char *key, double v) {
  for (size_t i = 0; i < sizeof floats / sizeof *floats; i++)
    if (strcmp(key, floats[i].name) == 0) {
      *(float *)((char *)o + floats[i].offset) = (float)v;
      return 0;
    }
  if (strcmp(key, "nesterov") == 0) { o->nesterov = v != 0.0; return 0; }
  if (strcmp(key, "amsgrad") != 0) return lunet_fail("%s: unknown option '%s'", names[o->kind], key);
  /* amsgrad's extra slot (Adam only) is memory: sized here, whatever Lua said */
  int slots = lunet_optimizer_slots(o->kind, v != 0.0);
  if (slots != o->nslots) {
    float *s = lunet_nn_alloc((size_t)(slots * o->n) * sizeof(float));
    if (!s) return -1;
    free(o->state);
    o->state = s;
    o->nslots = slots;
  }
  o->amsgrad = v != 0.0;
  return 0;
}

float lunet_optimizer_current_lr(const lunet_optimizer_t *o) {
  if (o->schedule.kind != LUNET_SCHED_NONE) return (float)lunet_schedule_value(&o->schedule, o->iterations);
  if (o->decay > 0.0f) return o->learning_rate / (1.0f + o->decay * (float)o->iterations);
  return o->learning_rate;
}

/* Keras 2.2/2.3 Optimizer.get_gradients: g * clipnorm / norm when the global
 * norm >= clipnorm, then clip(g, -clipvalue, clipvalue); one pass for the
 * norm (in double: n may be millions), one for both rescale and clamp. */
static void clip_gradients(const lunet_optimizer_t *o, float *restrict g) {
  int64_t n = o->n;
  float scale = 1.0f;
  if (o->clipnorm > 0.0f) {
    double ss = 0.0;
    for (int64_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
    double norm = sqrt(ss);
    if (norm >= o->clipnorm) scale = (float)(o->clipnorm / norm);
  }
  float c = o->clipvalue;
  if (c > 0.0f) {
    for (int64_t i = 0; i < n; i++) {
      float v = g[i] * scale;
      g[i] = v > c ? c : (v < -c ? -c : v);
    }
  } else if (scale != 1.0f) {
    for (int64_t i = 0; i < n; i++) g[i] *= scale;
  }
}

void lunet_optimizer_step(lunet_optimizer_t *o, float *params, float *grads) {
  float lr = lunet_optimizer_current_lr(o);
  if (o->clipnorm > 0.0f || o->clipvalue > 0.0f) clip_gradients(o, grads);
  switch (o->kind) {
  case LUNET_OPT_SGD: lunet_sgd_step(o, params, grads, lr); break;
  case LUNET_OPT_ADAGRAD: lunet_adagrad_step(o, params, grads, lr); break;
  case LUNET_OPT_ADADELTA: lunet_adadelta_step(o, params, grads, lr); break;
  case LUNET_OPT_RMSPROP: lunet_rmsprop_step(o, params, grads, lr); break;
  case LUNET_OPT_ADAM:
  case LUNET_OPT_ADAMW: lunet_adam_step(o, params, grads, lr); break; /* (adam's weight_decay is 0) */
  case LUNET_OPT_ADAMAX: lunet_adamax_step(o, params, grads, lr); break;
  case LUNET_OPT_NADAM: lunet_nadam_step(o, params, grads, lr); break;
  }
  o->iterations++;
}
