/* ActivityRegularization as Keras 2: the identity, adding l1 sum |y| + l2
 * sum y^2 of its output (divided by the batch size, as tf.keras) to the
 * loss; the net's regularizer pass (regularize.h: l->activity_reg) adds the
 * penalty and its gradient, so this file only copies. Not a view: the
 * penalty's gradient joins dout in the layer's backward. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "registry.h"

static void identity_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  (void)training;
  memcpy(out, in, (size_t)(batch * l->in_size) * sizeof *out);
}

static void identity_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  if (din) memcpy(din, dout, (size_t)(batch * l->in_size) * sizeof *din);
}

static const lunet_layer_ops_t activity_ops = {
    .kind = "ActivityRegularization", .forward = identity_forward, .backward = identity_backward};

/* config: l1, l2 (0, finite, >= 0) */
static lunet_layer_t *activity_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  double l1, l2;
  if (lunet_config_number(cfg, "l1", 0.0, &l1) < 0 || lunet_config_number(cfg, "l2", 0.0, &l2) < 0) return NULL;
  if (!(l1 >= 0.0 && l1 <= 3.4e38) || !(l2 >= 0.0 && l2 <= 3.4e38)) {
    lunet_fail("ActivityRegularization: l1 and l2 must be finite numbers >= 0, got %g and %g", l1, l2);
    return NULL;
  }
  lunet_layer_t *l = lunet_nn_alloc(sizeof *l);
  if (!l) return NULL;
  lunet_layer_setup(l, &activity_ops, in_ndim, in_shape);
  l->mask_keep = 1;
  l->activity_reg = (lunet_reg_t){(float)l1, (float)l2};
  snprintf(l->name, sizeof l->name, "ActivityRegularization(%g, %g)", l1, l2);
  return l;
}

const lunet_layer_kind_t lunet_activity_regularization_kind = {"ActivityRegularization", activity_from_config};
