/* Regularizers and constraints of a layer's weights (see regularize.h), with
 * tf.keras 2.x semantics: L1L2 penalties, the activity penalty divided by the
 * batch size (Layer._handle_activity_regularization), and MaxNorm, NonNeg,
 * UnitNorm, MinMaxNorm with Keras' epsilon 1e-7 under the norm. */
#include "regularize.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define CON_EPSILON 1e-7f /* K.epsilon() in Keras' constraints */

int lunet_reg_active(const lunet_reg_t *r) { return r->l1 != 0.0f || r->l2 != 0.0f; }

/* ---- reading the config ---- */

/* "<rec>.<key>", the flattened key of a record's field */
static const char *field(char *buf, size_t size, const char *rec, const char *key) {
  snprintf(buf, size, "%s.%s", rec, key);
  return buf;
}

/* A number at rec.key in [lo, hi] (default def), finite. */
static int read_factor(const lunet_layer_t *l, const lunet_layer_config_t *cfg, const char *rec, const char *key,
                       double def, double lo, double hi, float *out) {
  char k[96];
  double v;
  if (lunet_config_number(cfg, field(k, sizeof k, rec, key), def, &v) < 0) return -1;
  if (!(v >= lo && v <= hi))
    return lunet_fail("%s: %s: %s must be a number from %g to %g, got %g", l->name, rec, key, lo, hi, v);
  *out = (float)v;
  return 0;
}

/* The record at rec: 1 when present, 0 when absent, -1 when not a record. */
static int record(const lunet_layer_t *l, const lunet_layer_config_t *cfg, const char *rec, const char *what) {
  const lunet_cfg_value_t *v = lunet_config_get(cfg, rec);
  if (!v) return 0;
  if (v->type == LUNET_CFG_RECORD) return 1;
  char text[64];
  return lunet_fail("%s: %s must be %s, got %s", l->name, rec, what, lunet_cfg_value_str(text, sizeof text, v));
}

static int read_reg(const lunet_layer_t *l, const lunet_layer_config_t *cfg, const char *rec, lunet_reg_t *r) {
  *r = (lunet_reg_t){0.0f, 0.0f};
  int has = record(l, cfg, rec, "a regularizer {l1 =, l2 =} (nn.regularizers.l2(...))");
  if (has <= 0) return has;
  return read_factor(l, cfg, rec, "l1", 0.0, 0.0, 3.4e38, &r->l1) < 0 ||
         read_factor(l, cfg, rec, "l2", 0.0, 0.0, 3.4e38, &r->l2) < 0 ? -1 : 0;
}

/* One axis (Keras' 0-based, negative from the end) of w into *mask. */
static int add_axis(const lunet_layer_t *l, const char *rec, const lunet_weight_t *w, const lunet_cfg_value_t *v,
                    unsigned *mask) {
  int64_t a;
  char text[64];
  if (lunet_cfg_value_int64(v, &a) < 0)
    return lunet_fail("%s: %s: axis must be an integer or a list of integers, got %s", l->name, rec,
                      lunet_cfg_value_str(text, sizeof text, v));
  if (a < -w->ndim || a >= w->ndim)
    return lunet_fail("%s: %s: axis %lld is out of range for a weight of %d dimension%s (axes 0 to %d, or "
                      "-%d to -1)", l->name, rec, (long long)a, w->ndim, w->ndim == 1 ? "" : "s", w->ndim - 1,
                      w->ndim);
  *mask |= 1u << (a < 0 ? a + w->ndim : a);
  return 0;
}

static int read_axes(const lunet_layer_t *l, const lunet_layer_config_t *cfg, const char *rec,
                     const lunet_weight_t *w, unsigned *mask) {
  char k[96];
  const lunet_cfg_value_t *v = lunet_config_get(cfg, field(k, sizeof k, rec, "axis"));
  static const lunet_cfg_value_t zero = {.type = LUNET_CFG_NUMBER, .is_int = 1, .i = 0}; /* Keras' default */
  *mask = 0;
  if (!v || v->type != LUNET_CFG_LIST) return add_axis(l, rec, w, v ? v : &zero, mask);
  int n;
  const lunet_cfg_value_t *items;
  if (lunet_config_list(cfg, k, "a list", &n, &items) < 0) return -1;
  if (n < 1 || n > w->ndim)
    return lunet_fail("%s: %s: axis must list 1 to %d axes, got %d", l->name, rec, w->ndim, n);
  for (int i = 0; i < n; i++)
    if (add_axis(l, rec, w, &items[i], mask) < 0) return -1;
  return 0;
}

static const char *const con_names[] = {"", "max_norm", "non_neg", "unit_norm", "min_max_norm"};

static int read_con(lunet_layer_t *l, const lunet_layer_config_t *cfg, const char *rec, lunet_weight_t *w) {
  lunet_constraint_t *c = &w->con;
  int has = record(l, cfg, rec, "a constraint {name = 'max_norm', ...} (nn.constraints.max_norm(...))");
  if (has <= 0) return has;
  char k[96];
  const char *name;
  if (lunet_config_string(cfg, field(k, sizeof k, rec, "name"), "", &name) < 0) return -1;
  c->kind = LUNET_CON_NONE;
  for (int i = 1; i < (int)(sizeof con_names / sizeof *con_names); i++)
    if (strcmp(name, con_names[i]) == 0) c->kind = (lunet_con_kind_t)i;
  if (c->kind == LUNET_CON_NONE)
    return lunet_fail("%s: %s: unknown constraint '%s' (expected max_norm, non_neg, unit_norm or min_max_norm)",
                      l->name, rec, name);
  int minmax = c->kind == LUNET_CON_MIN_MAX_NORM;
  if (read_factor(l, cfg, rec, "max_value", minmax ? 1.0 : 2.0, 0.0, 3.4e38, &c->max_value) < 0 ||
      read_factor(l, cfg, rec, "min_value", 0.0, 0.0, c->max_value, &c->min_value) < 0 ||
      read_factor(l, cfg, rec, "rate", 1.0, 0.0, 1.0, &c->rate) < 0)
    return -1;
  if (c->kind == LUNET_CON_NON_NEG) return 0;
  if (read_axes(l, cfg, rec, w, &c->axes) < 0) return -1;
  int64_t kept = 1;
  for (int a = 0; a < w->ndim; a++)
    if (!(c->axes >> a & 1)) kept *= w->shape[a];
  c->norms = lunet_nn_alloc((size_t)kept * sizeof *c->norms);
  return c->norms ? 0 : lunet_fail("%s: out of memory for %s", l->name, rec);
}

/* A kernel's <name>_regularizer and <name>_constraint into w. */
static int read_kernel(lunet_layer_t *l, const lunet_layer_config_t *cfg, const char *name, lunet_weight_t *w) {
  char reg[64], con[64];
  snprintf(reg, sizeof reg, "%s_regularizer", name);
  snprintf(con, sizeof con, "%s_constraint", name);
  return read_reg(l, cfg, reg, &w->reg) < 0 || read_con(l, cfg, con, w) < 0 ? -1 : 0;
}

int lunet_reg_config(lunet_layer_t *l, const lunet_layer_config_t *cfg) {
  return lunet_reg_config_named(l, cfg, "kernel", NULL);
}

int lunet_reg_config_named(lunet_layer_t *l, const lunet_layer_config_t *cfg, const char *kernel,
                           const char *kernel2) {
  if (read_kernel(l, cfg, kernel, &l->kernel) < 0 || (kernel2 && read_kernel(l, cfg, kernel2, &l->kernel2) < 0) ||
      read_reg(l, cfg, "bias_regularizer", &l->bias.reg) < 0 ||
      read_reg(l, cfg, "activity_regularizer", &l->activity_reg) < 0 ||
      read_con(l, cfg, "bias_constraint", &l->bias) < 0)
    return -1;
  if (l->recurrent.n == 0 && (lunet_config_get(cfg, "recurrent_regularizer") || lunet_config_get(cfg, "recurrent_constraint")))
    return lunet_fail("%s: recurrent_regularizer and recurrent_constraint belong to recurrent layers", l->name);
  if (l->recurrent.n && (read_reg(l, cfg, "recurrent_regularizer", &l->recurrent.reg) < 0 ||
                         read_con(l, cfg, "recurrent_constraint", &l->recurrent) < 0))
    return -1;
  if (l->bias.n == 0 && (lunet_reg_active(&l->bias.reg) || l->bias.con.kind != LUNET_CON_NONE))
    return lunet_fail("%s: a bias regularizer or constraint needs use_bias = true", l->name);
  return 0;
}

/* ---- penalties and their gradients ---- */

/* l1 sum |v| + l2 sum v^2 over v (n); unless g is NULL, its gradient
 * l1 sign(v) + 2 l2 v, scaled by s, is added to g (n), or with set written
 * over it (g is write-only then: the layer's sgemm adds its part after). One
 * pass; the sums run in LANES independent float lanes (so the loop
 * vectorizes instead of waiting on one accumulator), gathered in double
 * every CHUNK values. */
#define LANES 16
#define CHUNK 1024
static double penalty(float *g, const float *v, int64_t n, lunet_reg_t r, float s, int set) {
  double a = 0.0, q = 0.0;
  float gl1 = s * r.l1, gl2 = 2.0f * s * r.l2;
  for (int64_t c = 0; c < n; c += CHUNK) {
    int64_t m = n - c < CHUNK ? n - c : CHUNK, i = 0;
    const float *vc = v + c;
    float *gc = g ? g + c : NULL;
    float la[LANES] = {0}, lq[LANES] = {0};
    if (gc && gl1 == 0.0f && set) /* l2 alone (the common case): no signs */
      for (; i + LANES <= m; i += LANES)
        for (int k = 0; k < LANES; k++) {
          float x = vc[i + k];
          lq[k] += x * x;
          gc[i + k] = gl2 * x;
        }
    else if (gc && gl1 == 0.0f)
      for (; i + LANES <= m; i += LANES)
        for (int k = 0; k < LANES; k++) {
          float x = vc[i + k];
          lq[k] += x * x;
          gc[i + k] += gl2 * x;
        }
    else if (gc)
      for (; i + LANES <= m; i += LANES)
        for (int k = 0; k < LANES; k++) {
          float x = vc[i + k];
          la[k] += fabsf(x);
          lq[k] += x * x;
          gc[i + k] = gl1 * ((float)(x > 0.0f) - (float)(x < 0.0f)) + gl2 * x + (set ? 0.0f : gc[i + k]);
        }
    else
      for (; i + LANES <= m; i += LANES)
        for (int k = 0; k < LANES; k++) { la[k] += fabsf(vc[i + k]); lq[k] += vc[i + k] * vc[i + k]; }
    for (; i < m; i++) { /* the tail */
      float x = vc[i];
      la[0] += fabsf(x);
      lq[0] += x * x;
      if (gc) gc[i] = gl1 * ((float)(x > 0.0f) - (float)(x < 0.0f)) + gl2 * x + (set ? 0.0f : gc[i]);
    }
    for (int k = 0; k < LANES; k++) { a += la[k]; q += lq[k]; }
  }
  return r.l1 * a + r.l2 * q;
}

static double weight_penalty(const lunet_weight_t *w, float *grads, const float *params) {
  if (w->n == 0 || !lunet_reg_active(&w->reg)) return 0.0;
  return penalty(grads ? grads + w->off : NULL, params + w->off, w->n, w->reg, 1.0f, 0);
}

/* The penalty of w; its gradient written over w's part of grads (zeros
 * without a regularizer), for a backward that adds to it. */
static double weight_penalty_preset(const lunet_weight_t *w, float *grads, const float *params) {
  if (w->n == 0) return 0.0;
  if (!lunet_reg_active(&w->reg)) {
    memset(grads + w->off, 0, (size_t)w->n * sizeof *grads);
    return 0.0;
  }
  return penalty(grads + w->off, params + w->off, w->n, w->reg, 1.0f, 1);
}

void lunet_reg_backward(lunet_layer_t *l, double *loss, float *din, float *dout, const float *in,
                        const float *out, int batch) {
  /* tf.keras divides the activity penalty by the batch size */
  if (lunet_reg_active(&l->activity_reg))
    *loss += penalty(dout, out, batch * l->out_size, l->activity_reg, 1.0f / (float)batch, 0) / batch;
  /* the weight penalties' gradients go first and the layer's sgemm adds its own to them (beta = 1): one
   * pass over the weights instead of a second one over the gradients (bench_nn: mlp_step_weighted_l2) */
  l->grads_preset = lunet_reg_active(&l->kernel.reg) || lunet_reg_active(&l->bias.reg) ||
                    lunet_reg_active(&l->recurrent.reg) || lunet_reg_active(&l->kernel2.reg);
  if (l->grads_preset)
    *loss += weight_penalty_preset(&l->kernel, l->grads, l->params) +
             weight_penalty_preset(&l->kernel2, l->grads, l->params) +
             weight_penalty_preset(&l->bias, l->grads, l->params) +
             weight_penalty_preset(&l->recurrent, l->grads, l->params);
  l->ops->backward(l, din, dout, in, out, batch);
  l->grads_preset = 0;
}

double lunet_reg_penalty(const lunet_layer_t *l, const float *out, int batch) {
  double p = weight_penalty(&l->kernel, NULL, l->params) + weight_penalty(&l->kernel2, NULL, l->params) +
             weight_penalty(&l->bias, NULL, l->params) + weight_penalty(&l->recurrent, NULL, l->params);
  if (lunet_reg_active(&l->activity_reg))
    p += penalty(NULL, out, batch * l->out_size, l->activity_reg, 1.0f, 0) / batch;
  return p;
}

/* ---- constraints ---- */

/* Walks v (w's values, row-major, up to 4 axes) with j, the index over the
 * axes not in mask (one norm per j): norm[j] += v^2 (scale 0), or v *=
 * norm[j] (scale 1). */
static void norm_pass(float *v, const lunet_weight_t *w, unsigned mask, float *norm, int scale) {
  int64_t s[4] = {1, 1, 1, 1}, k[4] = {0, 0, 0, 0}, stride = 1, i = 0;
  for (int a = 0; a < w->ndim; a++) s[a] = w->shape[a];
  for (int a = 3; a >= 0; a--)
    if (!(mask >> a & 1)) { k[a] = stride; stride *= s[a]; }
  for (int64_t i0 = 0; i0 < s[0]; i0++)
    for (int64_t i1 = 0; i1 < s[1]; i1++)
      for (int64_t i2 = 0; i2 < s[2]; i2++)
        for (int64_t i3 = 0; i3 < s[3]; i3++, i++) {
          int64_t j = i0 * k[0] + i1 * k[1] + i2 * k[2] + i3 * k[3];
          if (scale) v[i] *= norm[j];
          else norm[j] += v[i] * v[i];
        }
}

static void constrain(float *p, const lunet_weight_t *w) {
  const lunet_constraint_t *c = &w->con;
  float *v = p + w->off;
  if (w->n == 0 || c->kind == LUNET_CON_NONE) return;
  if (c->kind == LUNET_CON_NON_NEG) { /* Keras: w * (w >= 0) */
    for (int64_t i = 0; i < w->n; i++) v[i] = v[i] < 0.0f ? 0.0f : v[i];
    return;
  }
  int64_t kept = 1;
  for (int a = 0; a < w->ndim; a++)
    if (!(c->axes >> a & 1)) kept *= w->shape[a];
  float *norm = c->norms;
  memset(norm, 0, (size_t)kept * sizeof *norm);
  norm_pass(v, w, c->axes, norm, 0);
  /* norm[j] becomes the factor w is scaled by: desired norm / (eps + norm) */
  for (int64_t j = 0; j < kept; j++) {
    float n = sqrtf(norm[j]), want = n;
    switch (c->kind) {
    case LUNET_CON_MAX_NORM: want = n > c->max_value ? c->max_value : n; break;
    case LUNET_CON_UNIT_NORM: want = 1.0f; break;
    case LUNET_CON_MIN_MAX_NORM: {
      float clipped = n < c->min_value ? c->min_value : n > c->max_value ? c->max_value : n;
      want = c->rate * clipped + (1.0f - c->rate) * n;
      break;
    }
    default: break;
    }
    norm[j] = want / (CON_EPSILON + n);
  }
  norm_pass(v, w, c->axes, norm, 1);
}

void lunet_reg_constrain(lunet_layer_t *l) {
  constrain(l->params, &l->kernel);
  constrain(l->params, &l->kernel2);
  constrain(l->params, &l->bias);
  constrain(l->params, &l->recurrent);
}
