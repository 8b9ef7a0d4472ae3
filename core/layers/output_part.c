/* OutputPart: one part of a layer output that holds several side by side per
 * sample (a recurrent layer's [output | h | c] with return_state,
 * Bidirectional's [forward | backward] with merge_mode None). The functional
 * API adds one per part (lua/lunet/nn/node.lua), so each part is a node of
 * its own; never a user-facing layer. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "registry.h"

typedef struct {
  lunet_layer_t base;
  int64_t offset; /* the part's first value within a sample of the input */
} part_t;

static void part_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  int64_t off = ((part_t *)l)->offset, n = l->out_size;
  for (int b = 0; b < batch; b++) memcpy(out + b * n, in + b * l->in_size + off, (size_t)n * sizeof *out);
}

/* the other parts' values get no gradient from this one (the net sums the parts') */
static void part_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  if (!din) return;
  int64_t off = ((part_t *)l)->offset, n = l->out_size;
  memset(din, 0, (size_t)(batch * l->in_size) * sizeof *din);
  for (int b = 0; b < batch; b++) memcpy(din + b * l->in_size + off, dout + b * n, (size_t)n * sizeof *din);
}

static const lunet_layer_ops_t part_ops = {.kind = "OutputPart", .forward = part_forward, .backward = part_backward};

/* config: offset (values before the part in a sample), shape (the part's per-sample shape),
 * keep_mask (the part is a sequence that keeps the layer's mask) */
static lunet_layer_t *part_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int n;
  const lunet_cfg_value_t *items;
  int64_t offset, shape[LUNET_LAYER_MAX_DIMS];
  int keep_mask;
  if (lunet_config_integer(cfg, "offset", -1, &offset) < 0) return NULL;
  if (lunet_config_boolean(cfg, "keep_mask", 0, &keep_mask) < 0) return NULL;
  if (lunet_config_list(cfg, "shape", "a table of sizes", &n, &items) < 0) return NULL;
  if (n < 1 || n > LUNET_LAYER_MAX_DIMS) {
    lunet_fail("OutputPart: shape must have 1 to %d sizes, got %d", LUNET_LAYER_MAX_DIMS, n);
    return NULL;
  }
  for (int i = 0; i < n; i++)
    if (lunet_cfg_value_int64(&items[i], &shape[i]) < 0 || shape[i] < 1) {
      lunet_fail("OutputPart: shape[%d] must be a positive size", i + 1);
      return NULL;
    }
  int64_t size = lunet_shape_numel(n, shape), in_size = lunet_shape_numel(in_ndim, in_shape);
  if (offset < 0 || size > in_size || offset > in_size - size) {
    lunet_fail("OutputPart: values %lld..+%lld lie outside the %lld of a sample", (long long)offset, (long long)size,
               (long long)in_size);
    return NULL;
  }
  part_t *p = lunet_nn_alloc(sizeof *p);
  if (!p) return NULL;
  lunet_layer_setup(&p->base, &part_ops, in_ndim, in_shape);
  snprintf(p->base.name, sizeof p->base.name, "OutputPart(%lld)", (long long)offset);
  p->offset = offset;
  p->base.out_ndim = n;
  memcpy(p->base.out_shape, shape, (size_t)n * sizeof *shape);
  p->base.out_size = size;
  /* a sequence part keeps the layer's mask (Keras passes it on with return_sequences); a state has none */
  p->base.mask_keep = keep_mask;
  p->base.mask_use = !keep_mask; /* (takes the mask in and drops it) */
  return &p->base;
}

const lunet_layer_kind_t lunet_output_part_kind = {"OutputPart", part_from_config};
