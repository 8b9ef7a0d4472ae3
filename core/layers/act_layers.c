/* Keras 2's advanced activation layers without weights (keras.layers.ReLU,
 * LeakyReLU, ELU, ThresholdedReLU, Softmax; PReLU has a weight: prelu.c),
 * with tf.keras 2.x semantics: ReLU is K.relu(x, negative_slope, max_value,
 * threshold), so x == threshold gives 0; Softmax works over any axis of the
 * sample. Each carries its input's mask (Keras' supports_masking). A NaN
 * input stays NaN, as with the Activation layer, so it reaches the loss. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef enum { ACT_RELU, ACT_LEAKY, ACT_ELU, ACT_THRESHOLDED, ACT_SOFTMAX } act_kind_t;

typedef struct {
  lunet_layer_t base;
  act_kind_t kind;
  float slope, threshold, max_value; /* ReLU (has_max: max_value given); alpha (LeakyReLU, ELU), theta */
  int has_max;
  int64_t outer, n, inner;           /* Softmax: the sample as (outer, n, inner), n along the axis */
} act_t;

/* out (B, size) = f(in) element-wise, or the softmax along the axis */
static void act_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  (void)training;
  act_t *a = (act_t *)l;
  int64_t total = batch * l->in_size;
  float s = a->slope, t = a->threshold, m = a->max_value;
  switch (a->kind) {
  case ACT_RELU: /* x <= t: s (x - t); x > max: max; else x */
    for (int64_t i = 0; i < total; i++) {
      float x = in[i];
      out[i] = x <= t ? s * (x - t) : a->has_max && x > m ? m : x;
    }
    break;
  case ACT_LEAKY:
    for (int64_t i = 0; i < total; i++) out[i] = in[i] > 0.0f ? in[i] : s * in[i];
    break;
  case ACT_ELU:
    for (int64_t i = 0; i < total; i++) out[i] = in[i] > 0.0f ? in[i] : s * expm1f(in[i]);
    break;
  case ACT_THRESHOLDED: /* Keras: x * (x > theta) */
    for (int64_t i = 0; i < total; i++) out[i] = in[i] <= t ? 0.0f : in[i];
    break;
  case ACT_SOFTMAX: { /* per (outer, inner) line along the axis, shifted by its max */
    int64_t n = a->n, inner = a->inner;
    for (int64_t o = 0; o < batch * a->outer; o++)
      for (int64_t k = 0; k < inner; k++) {
        const float *x = in + o * n * inner + k;
        float *y = out + o * n * inner + k;
        float mx = x[0], sum = 0.0f;
        for (int64_t j = 1; j < n; j++) mx = x[j * inner] > mx ? x[j * inner] : mx;
        for (int64_t j = 0; j < n; j++) { y[j * inner] = expf(x[j * inner] - mx); sum += y[j * inner]; }
        float inv = 1.0f / sum;
        for (int64_t j = 0; j < n; j++) y[j * inner] *= inv;
      }
    break;
  }
  }
}

static void act_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  act_t *a = (act_t *)l;
  if (!din) return;
  int64_t total = batch * l->in_size;
  float s = a->slope, t = a->threshold, m = a->max_value;
  switch (a->kind) {
  case ACT_RELU: /* slope s below t, 0 at t and above max, else 1 */
    for (int64_t i = 0; i < total; i++) {
      float x = in[i];
      din[i] = dout[i] * (x < t ? s : x == t || (a->has_max && x > m) ? 0.0f : 1.0f);
    }
    break;
  case ACT_LEAKY:
    for (int64_t i = 0; i < total; i++) din[i] = dout[i] * (in[i] > 0.0f ? 1.0f : s);
    break;
  case ACT_ELU: /* x <= 0: y = s (e^x - 1), so dy/dx = y + s */
    for (int64_t i = 0; i < total; i++) din[i] = dout[i] * (in[i] > 0.0f ? 1.0f : out[i] + s);
    break;
  case ACT_THRESHOLDED:
    for (int64_t i = 0; i < total; i++) din[i] = in[i] > t ? dout[i] : 0.0f;
    break;
  case ACT_SOFTMAX: { /* dx = y (dy - <dy, y>) along each line */
    int64_t n = a->n, inner = a->inner;
    for (int64_t o = 0; o < batch * a->outer; o++)
      for (int64_t k = 0; k < inner; k++) {
        int64_t at = o * n * inner + k;
        float dot = 0.0f;
        for (int64_t j = 0; j < n; j++) dot += dout[at + j * inner] * out[at + j * inner];
        for (int64_t j = 0; j < n; j++) din[at + j * inner] = out[at + j * inner] * (dout[at + j * inner] - dot);
      }
    break;
  }
  }
}

static const lunet_layer_ops_t act_ops[] = {
    {.kind = "ReLU", .forward = act_forward, .backward = act_backward},
    {.kind = "LeakyReLU", .forward = act_forward, .backward = act_backward},
    {.kind = "ELU", .forward = act_forward, .backward = act_backward},
    {.kind = "ThresholdedReLU", .forward = act_forward, .backward = act_backward},
    {.kind = "Softmax", .forward = act_forward, .backward = act_backward},
};

static act_t *act_new(act_kind_t kind, int in_ndim, const int64_t *in_shape) {
  act_t *a = lunet_nn_alloc(sizeof *a);
  if (!a) return NULL;
  lunet_layer_setup(&a->base, &act_ops[kind], in_ndim, in_shape);
  a->base.mask_keep = 1;
  a->kind = kind;
  return a;
}

/* A finite number at key (default def), >= 0 unless any_sign; "<kind>: key
 * must be ..." otherwise. */
static int finite_at(const lunet_layer_config_t *cfg, const char *key, double def, int any_sign, float *out) {
  double v;
  if (lunet_config_number(cfg, key, def, &v) < 0) return -1;
  if (!(fabs(v) <= 3.4028234663852886e38) || (!any_sign && v < 0.0))
    return lunet_fail("%s: %s must be a finite number%s, got %g", lunet_config_kind(cfg), key,
                      any_sign ? "" : " >= 0", v);
  *out = (float)v;
  return 0;
}

/* config: max_value (absent: none), negative_slope, threshold (all >= 0, as Keras checks) */
static lunet_layer_t *relu_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  float max_value = 0.0f, slope = 0.0f, threshold = 0.0f;
  int has_max = lunet_config_get(cfg, "max_value") != NULL;
  if ((has_max && finite_at(cfg, "max_value", 0, 0, &max_value) < 0) ||
      finite_at(cfg, "negative_slope", 0, 0, &slope) < 0 || finite_at(cfg, "threshold", 0, 0, &threshold) < 0)
    return NULL;
  act_t *a = act_new(ACT_RELU, in_ndim, in_shape);
  if (!a) return NULL;
  a->has_max = has_max; a->max_value = max_value; a->slope = slope; a->threshold = threshold;
  if (has_max) snprintf(a->base.name, sizeof a->base.name, "ReLU(max %g)", (double)max_value);
  return &a->base;
}

/* config: alpha (Keras 2; 0.3) */
static lunet_layer_t *leaky_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  float alpha = 0.0f;
  if (finite_at(cfg, "alpha", 0.3, 1, &alpha) < 0) return NULL;
  act_t *a = act_new(ACT_LEAKY, in_ndim, in_shape);
  if (!a) return NULL;
  a->slope = alpha;
  snprintf(a->base.name, sizeof a->base.name, "LeakyReLU(%g)", (double)alpha);
  return &a->base;
}

/* config: alpha (1) */
static lunet_layer_t *elu_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  float alpha = 0.0f;
  if (finite_at(cfg, "alpha", 1.0, 1, &alpha) < 0) return NULL;
  act_t *a = act_new(ACT_ELU, in_ndim, in_shape);
  if (!a) return NULL;
  a->slope = alpha;
  snprintf(a->base.name, sizeof a->base.name, "ELU(%g)", (double)alpha);
  return &a->base;
}

/* config: theta (1, >= 0) */
static lunet_layer_t *thresholded_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  float theta = 0.0f;
  if (finite_at(cfg, "theta", 1.0, 0, &theta) < 0) return NULL;
  act_t *a = act_new(ACT_THRESHOLDED, in_ndim, in_shape);
  if (!a) return NULL;
  a->threshold = theta;
  snprintf(a->base.name, sizeof a->base.name, "ThresholdedReLU(%g)", (double)theta);
  return &a->base;
}

/* config: axis (-1; Keras' numbering, 0 is the batch) */
static lunet_layer_t *softmax_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int64_t axis;
  char have[LUNET_SHAPE_STR_MAX];
  if (lunet_config_integer(cfg, "axis", -1, &axis) < 0) return NULL;
  if (axis == 0 || axis < -in_ndim || axis > in_ndim) {
    lunet_fail("Softmax: axis %lld is not an axis of the input, whose samples have shape %s (1 to %d or -%d to -1; "
               "0 is the batch)", (long long)axis, lunet_shape_str(have, sizeof have, in_ndim, in_shape), in_ndim,
               in_ndim);
    return NULL;
  }
  int ax = axis < 0 ? in_ndim + (int)axis : (int)axis - 1;
  act_t *a = act_new(ACT_SOFTMAX, in_ndim, in_shape);
  if (!a) return NULL;
  a->outer = a->inner = 1;
  for (int i = 0; i < ax; i++) a->outer *= in_shape[i];
  for (int i = ax + 1; i < in_ndim; i++) a->inner *= in_shape[i];
  a->n = in_shape[ax];
  snprintf(a->base.name, sizeof a->base.name, "Softmax(axis %lld)", (long long)axis);
  return &a->base;
}

const lunet_layer_kind_t lunet_relu_kind = {"ReLU", relu_from_config};
const lunet_layer_kind_t lunet_leaky_relu_kind = {"LeakyReLU", leaky_from_config};
const lunet_layer_kind_t lunet_elu_kind = {"ELU", elu_from_config};
const lunet_layer_kind_t lunet_thresholded_relu_kind = {"ThresholdedReLU", thresholded_from_config};
const lunet_layer_kind_t lunet_softmax_kind = {"Softmax", softmax_from_config};
