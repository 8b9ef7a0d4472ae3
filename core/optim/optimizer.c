/* Optimizer objects: names, Keras defaults, hyper-parameters, state and the
 * step dispatcher; the update rules live one per file next to this one. */
#include "optimizer.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "layer.h"

static const char *const names[] = {"sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam"};

int lunet_optimizer_parse(lunet_optim_kind_t *out, const char *name, const char *where) {
  char low[32];
  size_t i = 0;
  for (; name[i] && i < sizeof low - 1; i++) low[i] = (char)tolower((unsigned char)name[i]);
  low[i] = '\0';
  for (int k = 0; k < 7; k++)
    if (!name[i] && strcmp(low, names[k]) == 0) { *out = (lunet_optim_kind_t)k; return 0; }
  return lunet_fail("%s: unknown optimizer '%s' (expected sgd, adagrad, adadelta, rmsprop, adam, "
                    "adamax or nadam)", where, name);
}

const char *lunet_optimizer_name(lunet_optim_kind_t kind) { return names[kind]; }

int lunet_optimizer_slots(lunet_optim_kind_t kind, int amsgrad) {
  switch (kind) {
  case LUNET_OPT_SGD: return 1;      /* velocity */
  case LUNET_OPT_ADAGRAD: return 1;  /* sum of squares */
  case LUNET_OPT_ADADELTA: return 2; /* E[g^2], E[dx^2] */
  case LUNET_OPT_RMSPROP: return 1;  /* E[g^2] */
  case LUNET_OPT_ADAM: return amsgrad ? 3 : 2; /* m, v (, max v) */
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

int lunet_optimizer_set(lunet_optimizer_t *o, const char *key, double v) {
  lunet_optim_kind_t k = o->kind;
  int adam_like = k == LUNET_OPT_ADAM || k == LUNET_OPT_ADAMAX || k == LUNET_OPT_NADAM;
  if (strcmp(key, "learning_rate") == 0 || strcmp(key, "lr") == 0) o->learning_rate = (float)v;
  else if (strcmp(key, "decay") == 0) o->decay = (float)v;
  else if (strcmp(key, "epsilon") == 0 && k != LUNET_OPT_SGD) o->epsilon = (float)v;
  else if (strcmp(key, "momentum") == 0 && k == LUNET_OPT_SGD) o->momentum = (float)v;
  else if (strcmp(key, "nesterov") == 0 && k == LUNET_OPT_SGD) o->nesterov = v != 0.0;
  else if (strcmp(key, "rho") == 0 && (k == LUNET_OPT_RMSPROP || k == LUNET_OPT_ADADELTA)) o->rho = (float)v;
  else if (strcmp(key, "beta_1") == 0 && adam_like) o->beta_1 = (float)v;
  else if (strcmp(key, "beta_2") == 0 && adam_like) o->beta_2 = (float)v;
  else if (strcmp(key, "schedule_decay") == 0 && k == LUNET_OPT_NADAM) o->schedule_decay = (float)v;
  else if (strcmp(key, "amsgrad") == 0 && k == LUNET_OPT_ADAM) {
    int slots = lunet_optimizer_slots(k, v != 0.0);
    if (slots != o->nslots) {
      float *s = lunet_nn_alloc((size_t)(slots * o->n) * sizeof(float));
      if (!s) return -1;
      free(o->state);
      o->state = s;
      o->nslots = slots;
    }
    o->amsgrad = v != 0.0;
  } else
    return lunet_fail("%s: unknown option '%s'", names[k], key);
  return 0;
}

float lunet_optimizer_current_lr(const lunet_optimizer_t *o) {
  if (o->decay > 0.0f) return o->learning_rate / (1.0f + o->decay * (float)o->iterations);
  return o->learning_rate;
}

void lunet_optimizer_step(lunet_optimizer_t *o, float *params, const float *grads) {
  float lr = lunet_optimizer_current_lr(o);
  switch (o->kind) {
  case LUNET_OPT_SGD: lunet_sgd_step(o, params, grads, lr); break;
  case LUNET_OPT_ADAGRAD: lunet_adagrad_step(o, params, grads, lr); break;
  case LUNET_OPT_ADADELTA: lunet_adadelta_step(o, params, grads, lr); break;
  case LUNET_OPT_RMSPROP: lunet_rmsprop_step(o, params, grads, lr); break;
  case LUNET_OPT_ADAM: lunet_adam_step(o, params, grads, lr); break;
  case LUNET_OPT_ADAMAX: lunet_adamax_step(o, params, grads, lr); break;
  case LUNET_OPT_NADAM: lunet_nadam_step(o, params, grads, lr); break;
  }
  o->iterations++;
}
