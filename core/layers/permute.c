/* Permute as Keras 2: Permute(dims) reorders a sample's axes (dims
 * 1-based, the batch excluded: Permute({2, 1}) swaps steps and features).
 * It does not support masking (as in Keras). */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  int64_t odims[3];   /* the output's shape padded with leading 1s to 3 axes */
  int64_t istride[3]; /* the input's stride along each output axis */
} permute_t;

/* out (B, permuted sample) = in (B, sample) read through istride */
static void permute_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  (void)training;
  permute_t *p = (permute_t *)l;
  for (int b = 0; b < batch; b++) {
    const float *x = in + b * l->in_size;
    float *y = out + b * l->out_size;
    for (int64_t i = 0; i < p->odims[0]; i++)
      for (int64_t j = 0; j < p->odims[1]; j++)
        for (int64_t k = 0; k < p->odims[2]; k++)
          *y++ = x[i * p->istride[0] + j * p->istride[1] + k * p->istride[2]];
  }
}

/* the same walk, gradients written back where the values came from */
static void permute_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  permute_t *p = (permute_t *)l;
  if (!din) return;
  for (int b = 0; b < batch; b++) {
    float *dx = din + b * l->in_size;
    const float *dy = dout + b * l->out_size;
    for (int64_t i = 0; i < p->odims[0]; i++)
      for (int64_t j = 0; j < p->odims[1]; j++)
        for (int64_t k = 0; k < p->odims[2]; k++)
          dx[i * p->istride[0] + j * p->istride[1] + k * p->istride[2]] = *dy++;
  }
}

static const lunet_layer_ops_t permute_ops = {.kind = "Permute", .forward = permute_forward, .backward = permute_backward};

/* config: dims, a permutation of 1 .. the input's rank */
static lunet_layer_t *permute_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int n;
  const lunet_cfg_value_t *items;
  char have[LUNET_SHAPE_STR_MAX], text[64];
  if (lunet_config_list(cfg, "dims", "a list of axes (a permutation of 1 .. the input's rank)", &n, &items) < 0)
    return NULL;
  if (n != in_ndim) {
    lunet_fail("Permute: dims has %d ax%s, but the input's samples have shape %s (%d ax%s)", n, n == 1 ? "is" : "es",
               lunet_shape_str(have, sizeof have, in_ndim, in_shape), in_ndim, in_ndim == 1 ? "is" : "es");
    return NULL;
  }
  int dims[LUNET_LAYER_MAX_DIMS], seen[LUNET_LAYER_MAX_DIMS] = {0};
  for (int i = 0; i < n; i++) {
    int64_t d;
    if (lunet_cfg_value_int64(&items[i], &d) < 0 || d < 1 || d > n || seen[d - 1]) {
      lunet_fail("Permute: dims[%d] = %s: dims must be a permutation of 1 to %d (the sample's axes, 0 is the batch)",
                 i + 1, lunet_cfg_value_str(text, sizeof text, &items[i]), n);
      return NULL;
    }
    seen[d - 1] = 1;
    dims[i] = (int)d - 1;
  }
  permute_t *p = lunet_nn_alloc(sizeof *p);
  if (!p) return NULL;
  lunet_layer_t *l = &p->base;
  lunet_layer_setup(l, &permute_ops, in_ndim, in_shape);
  int64_t stride[LUNET_LAYER_MAX_DIMS], s = 1;
  for (int i = n - 1; i >= 0; i--) { stride[i] = s; s *= in_shape[i]; }
  int pad = 3 - n;
  for (int i = 0; i < 3; i++) {
    p->odims[i] = i < pad ? 1 : in_shape[dims[i - pad]];
    p->istride[i] = i < pad ? 0 : stride[dims[i - pad]];
  }
  for (int i = 0; i < n; i++) l->out_shape[i] = in_shape[dims[i]];
  int k = snprintf(l->name, sizeof l->name, "Permute(");
  for (int i = 0; i < n; i++) k += snprintf(l->name + k, sizeof l->name - (size_t)k, i ? ", %d" : "%d", dims[i] + 1);
  snprintf(l->name + k, sizeof l->name - (size_t)k, ")");
  return l;
}

const lunet_layer_kind_t lunet_permute_kind = {"Permute", permute_from_config};
