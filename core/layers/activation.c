/* Activation functions (Keras 2 names and semantics, tf.keras 2.x: gelu exact,
 * hard_sigmoid = clip(0.2 x + 0.5, 0, 1); silu is Keras 3's name of swish) and
 * the Activation layer. Backward works from the layer's output y where y
 * determines the slope; gelu and swish are not invertible, so their backward
 * also reads the pre-activation x (lunet_act_needs_input: Dense and Conv2D
 * keep it in a buffer planned with the layer, see lunet_layer_plan_pre). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "registry.h"

static const char *const act_names[] = {"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "leaky_relu",
                                        "softplus", "selu", "gelu", "swish", "hard_sigmoid", "exponential",
                                        "softsign"};
#define NACT (int)(sizeof act_names / sizeof *act_names)
#define LEAKY_ALPHA 0.3f /* Keras LeakyReLU default */
/* Keras' selu constants (Klambauer et al. 2017) */
#define SELU_ALPHA 1.6732632423543772848170429916717f
#define SELU_SCALE 1.0507009873554804934193349852946f
#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f

int lunet_act_parse(lunet_act_t *out, const char *name, const char *where) {
  if (!name || !*name) { *out = LUNET_ACT_LINEAR; return 0; }
  if (strcmp(name, "silu") == 0) { *out = LUNET_ACT_SWISH; return 0; }
  for (int i = 0; i < NACT; i++)
    if (strcmp(name, act_names[i]) == 0) { *out = (lunet_act_t)i; return 0; }
  return lunet_fail("%s: unknown activation '%s' (expected linear, relu, sigmoid, tanh, softmax, elu, "
                    "leaky_relu, softplus, selu, gelu, swish/silu, hard_sigmoid, exponential or softsign)",
                    where, name);
}

const char *lunet_act_name(lunet_act_t act) { return act_names[act]; }

int lunet_act_needs_input(lunet_act_t act) { return act == LUNET_ACT_GELU || act == LUNET_ACT_SWISH; }

/* softmax over each row, shifted by the row max for stability */
static void softmax_rows(float *y, const float *x, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * n;
    float *yr = y + r * n;
    float m = xr[0];
    for (int64_t j = 1; j < n; j++) m = xr[j] > m ? xr[j] : m;
    float s = 0.0f;
    for (int64_t j = 0; j < n; j++) { yr[j] = expf(xr[j] - m); s += yr[j]; }
    float inv = 1.0f / s;
    for (int64_t j = 0; j < n; j++) yr[j] *= inv;
  }
}

void lunet_act_forward(lunet_act_t act, float *y, const float *x, int64_t rows, int64_t n) {
  int64_t total = rows * n;
  switch (act) {
  case LUNET_ACT_LINEAR:
    if (y != x) memcpy(y, x, (size_t)total * sizeof *y);
    break;
  case LUNET_ACT_RELU: /* NaN passes (x < 0 is false): a NaN input must reach the loss, not vanish */
    for (int64_t i = 0; i < total; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
    break;
  case LUNET_ACT_SIGMOID:
    for (int64_t i = 0; i < total; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
    break;
  case LUNET_ACT_TANH:
    for (int64_t i = 0; i < total; i++) y[i] = tanhf(x[i]);
    break;
  case LUNET_ACT_SOFTMAX:
    softmax_rows(y, x, rows, n);
    break;
  case LUNET_ACT_ELU:
    for (int64_t i = 0; i < total; i++) y[i] = x[i] > 0.0f ? x[i] : expm1f(x[i]);
    break;
  case LUNET_ACT_LEAKY_RELU:
    for (int64_t i = 0; i < total; i++) y[i] = x[i] < 0.0f ? LEAKY_ALPHA * x[i] : x[i];
    break;
  case LUNET_ACT_SOFTPLUS: /* log(1 + e^x) without overflow */
    for (int64_t i = 0; i < total; i++)
      y[i] = x[i] > 0.0f ? x[i] + log1pf(expf(-x[i])) : log1pf(expf(x[i]));
    break;
  case LUNET_ACT_SELU:
    for (int64_t i = 0; i < total; i++) y[i] = x[i] > 0.0f ? SELU_SCALE * x[i] : SELU_SCALE * SELU_ALPHA * expm1f(x[i]);
    break;
  case LUNET_ACT_GELU: /* exact: x Phi(x), tf.keras' approximate=False */
    for (int64_t i = 0; i < total; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * INV_SQRT2));
    break;
  case LUNET_ACT_SWISH:
    for (int64_t i = 0; i < total; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
    break;
  case LUNET_ACT_HARD_SIGMOID: /* NaN passes: neither comparison holds */
    for (int64_t i = 0; i < total; i++) {
      float v = 0.2f * x[i] + 0.5f;
      y[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
    break;
  case LUNET_ACT_EXPONENTIAL:
    for (int64_t i = 0; i < total; i++) y[i] = expf(x[i]);
    break;
  case LUNET_ACT_SOFTSIGN:
    for (int64_t i = 0; i < total; i++) y[i] = x[i] / (1.0f + fabsf(x[i]));
    break;
  }
}

void lunet_act_backward(lunet_act_t act, float *dy, const float *y, const float *x, int64_t rows, int64_t n) {
  int64_t total = rows * n;
  switch (act) {
  case LUNET_ACT_LINEAR:
    break;
  case LUNET_ACT_RELU:
    for (int64_t i = 0; i < total; i++) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    break;
  case LUNET_ACT_SIGMOID:
    for (int64_t i = 0; i < total; i++) dy[i] *= y[i] * (1.0f - y[i]);
    break;
  case LUNET_ACT_TANH:
    for (int64_t i = 0; i < total; i++) dy[i] *= 1.0f - y[i] * y[i];
    break;
  case LUNET_ACT_SOFTMAX: /* dx = y * (dy - <dy, y>) per row */
    for (int64_t r = 0; r < rows; r++) {
      float *d = dy + r * n;
      const float *yr = y + r * n;
      float dot = 0.0f;
      for (int64_t j = 0; j < n; j++) dot += d[j] * yr[j];
      for (int64_t j = 0; j < n; j++) d[j] = yr[j] * (d[j] - dot);
    }
    break;
  case LUNET_ACT_ELU: /* x <= 0: y = e^x - 1, so dy/dx = y + 1 */
    for (int64_t i = 0; i < total; i++) dy[i] *= y[i] > 0.0f ? 1.0f : y[i] + 1.0f;
    break;
  case LUNET_ACT_LEAKY_RELU:
    for (int64_t i = 0; i < total; i++) dy[i] *= y[i] > 0.0f ? 1.0f : LEAKY_ALPHA;
    break;
  case LUNET_ACT_SOFTPLUS: /* sigmoid(x) = 1 - e^-y */
    for (int64_t i = 0; i < total; i++) dy[i] *= -expm1f(-y[i]);
    break;
  case LUNET_ACT_SELU: /* x <= 0: y = scale alpha (e^x - 1), so dy/dx = y + scale alpha */
    for (int64_t i = 0; i < total; i++) dy[i] *= y[i] > 0.0f ? SELU_SCALE : y[i] + SELU_SCALE * SELU_ALPHA;
    break;
  case LUNET_ACT_GELU: /* d(x Phi(x)) = Phi(x) + x phi(x) */
    for (int64_t i = 0; i < total; i++)
      dy[i] *= 0.5f * (1.0f + erff(x[i] * INV_SQRT2)) + x[i] * INV_SQRT_2PI * expf(-0.5f * x[i] * x[i]);
    break;
  case LUNET_ACT_SWISH: /* s = sigmoid(x): d(x s) = s (1 + x (1 - s)) */
    for (int64_t i = 0; i < total; i++) {
      float sg = 1.0f / (1.0f + expf(-x[i]));
      dy[i] *= sg * (1.0f + x[i] * (1.0f - sg));
    }
    break;
  case LUNET_ACT_HARD_SIGMOID: /* slope 0.2 between the clips, 0 on them (as tf's clip gradient) */
    for (int64_t i = 0; i < total; i++) dy[i] *= y[i] > 0.0f && y[i] < 1.0f ? 0.2f : 0.0f;
    break;
  case LUNET_ACT_EXPONENTIAL:
    for (int64_t i = 0; i < total; i++) dy[i] *= y[i];
    break;
  case LUNET_ACT_SOFTSIGN: /* 1 / (1 + |x|)^2 = (1 - |y|)^2 */
    for (int64_t i = 0; i < total; i++) {
      float t = 1.0f - fabsf(y[i]);
      dy[i] *= t * t;
    }
    break;
  }
}

/* ---- the Activation layer ---- */

static void act_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  int64_t n = l->in_shape[l->in_ndim - 1];
  lunet_act_forward(l->act, out, in, batch * l->in_size / n, n);
}

static void act_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                         int batch) {
  if (!din) return;
  int64_t n = l->in_shape[l->in_ndim - 1];
  if (!l->act_fused_loss) lunet_act_backward(l->act, dout, out, in, batch * l->in_size / n, n);
  memcpy(din, dout, (size_t)(batch * l->in_size) * sizeof *din);
}

static const lunet_layer_ops_t activation_ops = {
    .kind = "Activation", .forward = act_forward, .backward = act_backward};

/* config: activation */
static lunet_layer_t *activation_from_config(const lunet_layer_config_t *cfg, int in_ndim,
                                             const int64_t *in_shape) {
  lunet_act_t act;
  if (lunet_config_activation(cfg, &act) < 0) return NULL;
  lunet_layer_t *l = lunet_nn_alloc(sizeof *l);
  if (!l) return NULL;
  lunet_layer_setup(l, &activation_ops, in_ndim, in_shape);
  l->mask_keep = 1;
  l->act = act;
  snprintf(l->name, sizeof l->name, "Activation(%s)", act_names[act]);
  return l;
}

const lunet_layer_kind_t lunet_activation_kind = {"Activation", activation_from_config};
