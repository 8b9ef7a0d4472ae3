/* Flatten and Reshape: the same contiguous elements under another per-sample
 * shape. The net aliases their output to their input (is_view), so they cost
 * nothing; forward/backward here are the copying fallback. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "layer.h"
#include "tensor.h"

static void reshape_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  if (out != in) memcpy(out, in, (size_t)(batch * l->in_size) * sizeof *out);
}

static void reshape_backward(lunet_layer_t *l, float *din, float *dout, const float *in,
                             const float *out, int batch) {
  if (din && din != dout) memcpy(din, dout, (size_t)(batch * l->in_size) * sizeof *din);
}

static const lunet_layer_ops_t flatten_ops = {"Flatten", NULL, NULL, reshape_forward, reshape_backward,
                                              NULL};
static const lunet_layer_ops_t reshape_ops = {"Reshape", NULL, NULL, reshape_forward, reshape_backward,
                                              NULL};

lunet_layer_t *lunet_reshape_new(int in_ndim, const int64_t *in_shape, int out_ndim,
                                 const int64_t *out_shape, const char *kind) {
  int flatten = strcmp(kind, "Flatten") == 0;
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
