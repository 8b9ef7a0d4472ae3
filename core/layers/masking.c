/* Masking as Keras 2: a step (a sample's values along its last axis) whose
 * values all equal mask_value is masked: its output is zeroed and the layer
 * makes the mask (layer.h: 1 for a step that counts, 0 for padding) that
 * the recurrent layers and GlobalAveragePooling1D after it read. A NaN never
 * equals mask_value, so a step holding one counts. */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef struct {
  lunet_layer_t base;
  float value;
  int64_t steps, f; /* steps per sample (the product of all axes but the last), features per step */
} masking_t;

static int masking_plan(lunet_layer_t *l, int max_batch) {
  masking_t *m = (masking_t *)l;
  free(l->mask_out);
  l->mask_out = lunet_nn_alloc((size_t)(max_batch * m->steps) * sizeof *l->mask_out);
  return l->mask_out ? 0 : -1;
}

/* mask (B, steps) = any(in != value) per step; out = in * mask */
static void masking_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  (void)training;
  masking_t *m = (masking_t *)l;
  for (int64_t s = 0; s < batch * m->steps; s++) {
    const float *x = in + s * m->f;
    float *y = out + s * m->f;
    int keep = 0;
    for (int64_t j = 0; j < m->f && !keep; j++) keep = x[j] != m->value;
    l->mask_out[s] = keep ? 1.0f : 0.0f;
    for (int64_t j = 0; j < m->f; j++) y[j] = keep ? x[j] : 0.0f;
  }
}

static void masking_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  masking_t *m = (masking_t *)l;
  if (!din) return;
  for (int64_t s = 0; s < batch * m->steps; s++)
    for (int64_t j = 0; j < m->f; j++) din[s * m->f + j] = l->mask_out[s] != 0.0f ? dout[s * m->f + j] : 0.0f;
}

static void masking_free(lunet_layer_t *l) { free(l->mask_out); l->mask_out = NULL; }

static const lunet_layer_ops_t masking_ops = {
    .kind = "Masking", .plan = masking_plan, .forward = masking_forward, .backward = masking_backward,
    .free = masking_free};

/* config: mask_value (0) */
static lunet_layer_t *masking_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  double v;
  char have[LUNET_SHAPE_STR_MAX];
  if (lunet_config_number(cfg, "mask_value", 0.0, &v) < 0) return NULL;
  if (in_ndim < 2) {
    lunet_fail("Masking(%g): input has per-sample shape %s, expects sequences (steps, features)", v,
               lunet_shape_str(have, sizeof have, in_ndim, in_shape));
    return NULL;
  }
  masking_t *m = lunet_nn_alloc(sizeof *m);
  if (!m) return NULL;
  lunet_layer_t *l = &m->base;
  lunet_layer_setup(l, &masking_ops, in_ndim, in_shape);
  m->value = (float)v;
  m->f = in_shape[in_ndim - 1];
  m->steps = l->in_size / m->f;
  l->makes_mask = 1;
  snprintf(l->name, sizeof l->name, "Masking(%g)", v);
  return l;
}

const lunet_layer_kind_t lunet_masking_kind = {"Masking", masking_from_config};
