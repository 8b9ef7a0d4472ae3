/* Flatten and Reshape: the same contiguous elements under another per-sample
 * shape. The net aliases their output to their input (is_view), so they cost
 * nothing; forward/backward here are the copying fallback. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

static void reshape_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  if (out != in) memcpy(out, in, (size_t)(batch * l->in_size) * sizeof *out);
}

static void reshape_backward(lunet_layer_t *l, float *din, float *dout, const float *in,
                             const float *out, int batch) {
  if (din && din != dout) memcpy(din, dout, (size_t)(batch * l->in_size) * sizeof *din);
}

static const lunet_layer_ops_t flatten_ops = {
    .kind = "Flatten", .forward = reshape_forward, .backward = reshape_backward};
static const lunet_layer_ops_t reshape_ops = {
    .kind = "Reshape", .forward = reshape_forward, .backward = reshape_backward};

/* Reshape to out_shape (one size may be -1); Flatten is out_ndim 1, {-1}. */
static lunet_layer_t *reshape_new(int in_ndim, const int64_t *in_shape, int out_ndim, const int64_t *out_shape,
                                  int flatten) {
  char want[LUNET_SHAPE_STR_MAX], have[LUNET_SHAPE_STR_MAX];
  if (out_ndim < 1 || out_ndim > LUNET_LAYER_MAX_DIMS) {
    lunet_fail("Reshape: target shape must have 1 to %d sizes, got %d", LUNET_LAYER_MAX_DIMS, out_ndim);
    return NULL;
  }
  int64_t in_n = lunet_shape_numel(in_ndim, in_shape), known = 1, shape[LUNET_LAYER_MAX_DIMS];
  int infer = -1;
  for (int i = 0; i < out_ndim; i++) {
    shape[i] = out_shape[i];
    if (shape[i] == -1 && infer < 0) infer = i;
    else if (shape[i] < 1) {
      lunet_fail("Reshape%s: sizes must be positive (one may be -1)",
                 lunet_shape_str(want, sizeof want, out_ndim, out_shape));
      return NULL;
    } else if (__builtin_mul_overflow(known, shape[i], &known)) {
      known = INT64_MAX; /* cannot fit: in_n is at most LUNET_MAX_SIZE */
    }
  }
  if (infer >= 0 && known > 0 && in_n % known == 0) shape[infer] = in_n / known;
  if ((infer >= 0 && (known == 0 || in_n % known != 0)) || lunet_shape_numel(out_ndim, shape) != in_n) {
    lunet_fail("Reshape%s: input of shape %s has %lld elements per sample, which do not fit",
               lunet_shape_str(want, sizeof want, out_ndim, out_shape),
               lunet_shape_str(have, sizeof have, in_ndim, in_shape), (long long)in_n);
    return NULL;
  }
  lunet_layer_t *l = lunet_nn_alloc(sizeof *l);
  if (!l) return NULL;
  lunet_layer_setup(l, flatten ? &flatten_ops : &reshape_ops, in_ndim, in_shape);
  if (!flatten) snprintf(l->name, sizeof l->name, "Reshape%s", lunet_shape_str(want, sizeof want, out_ndim, shape));
  l->out_ndim = out_ndim;
  for (int i = 0; i < out_ndim; i++) l->out_shape[i] = shape[i];
  l->is_view = 1;
  return l;
}

/* config: none */
static lunet_layer_t *flatten_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int64_t flat[1] = {-1};
  return reshape_new(in_ndim, in_shape, 1, flat, 1);
}

_Static_assert(LUNET_CFG_MAX_ITEMS >= LUNET_MAX_DIMS, "a config list holds a whole shape");

/* config: target_shape, a list of sizes (one may be -1) */
static lunet_layer_t *reshape_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int n;
  const lunet_cfg_value_t *items;
  int64_t target[LUNET_MAX_DIMS];
  char text[64];
  if (lunet_config_list(cfg, "target_shape", "a table of sizes", &n, &items) < 0) return NULL;
  if (n > LUNET_MAX_DIMS) {
    lunet_fail("Reshape: tensors have at most %d dimensions, shape has %d", LUNET_MAX_DIMS, n);
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    if (lunet_cfg_value_int64(&items[i], &target[i]) < 0) {
      lunet_fail("Reshape: size %d must be an integer, got %s", i + 1, items[i].type == LUNET_CFG_NUMBER
                 ? lunet_cfg_value_str(text, sizeof text, &items[i]) : lunet_cfg_type_name(&items[i]));
      return NULL;
    }
    if (target[i] < -1) {
      lunet_fail("Reshape: size %d must be non-negative, got %lld", i + 1, (long long)target[i]);
      return NULL;
    }
  }
  return reshape_new(in_ndim, in_shape, n, target, 0);
}

const lunet_layer_kind_t lunet_flatten_kind = {"Flatten", flatten_from_config};
const lunet_layer_kind_t lunet_reshape_kind = {"Reshape", reshape_from_config};
