/* RepeatVector as Keras 2: RepeatVector(n) turns (batch, features) into
 * (batch, n, features) (the decoder input of a seq2seq model). It does not
 * support masking (as in Keras). */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  int64_t n, f;
} repeat_t;

/* out (B, n, F) = in (B, F) repeated n times */
static void repeat_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  (void)training;
  repeat_t *r = (repeat_t *)l;
  for (int b = 0; b < batch; b++)
    for (int64_t i = 0; i < r->n; i++) memcpy(out + (b * r->n + i) * r->f, in + b * r->f, (size_t)r->f * sizeof *out);
}

/* din (B, F) = the sum of the n copies' gradients */
static void repeat_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  repeat_t *r = (repeat_t *)l;
  if (!din) return;
  for (int b = 0; b < batch; b++) {
    float *dx = din + b * r->f;
    memcpy(dx, dout + b * r->n * r->f, (size_t)r->f * sizeof *dx);
    for (int64_t i = 1; i < r->n; i++) {
      const float *dy = dout + (b * r->n + i) * r->f;
      for (int64_t j = 0; j < r->f; j++) dx[j] += dy[j];
    }
  }
}

static const lunet_layer_ops_t repeat_ops = {.kind = "RepeatVector", .forward = repeat_forward, .backward = repeat_backward};

/* config: n (>= 1) */
static lunet_layer_t *repeat_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int n;
  char have[LUNET_SHAPE_STR_MAX];
  if (lunet_config_size(cfg, "n", 0, &n) < 0) return NULL;
  if (in_ndim != 1) {
    lunet_fail("RepeatVector(%d): input has per-sample shape %s, expects vectors (batch, features)", n,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    return NULL;
  }
  repeat_t *r = lunet_nn_alloc(sizeof *r);
  if (!r) return NULL;
  lunet_layer_t *l = &r->base;
  lunet_layer_setup(l, &repeat_ops, in_ndim, in_shape);
  r->n = n;
  r->f = in_shape[0];
  l->out_ndim = 2;
  l->out_shape[0] = n;
  l->out_shape[1] = in_shape[0];
  l->out_size = lunet_shape_numel(2, l->out_shape);
  snprintf(l->name, sizeof l->name, "RepeatVector(%d)", n);
  return l;
}

const lunet_layer_kind_t lunet_repeat_vector_kind = {"RepeatVector", repeat_from_config};
