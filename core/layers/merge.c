/* Keras 2 merge layers: Add, Subtract (exactly 2 inputs), Multiply, Average,
 * Maximum, Minimum (element-wise over inputs of one shape) and Concatenate (along an
 * axis, the other sizes equal). They take several inputs (forward_n /
 * backward_n of layer.h) and have no parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "tensor.h"

typedef enum { MERGE_ADD, MERGE_SUBTRACT, MERGE_MULTIPLY, MERGE_AVERAGE, MERGE_MAXIMUM, MERGE_CONCAT, MERGE_MINIMUM } merge_op_t;

typedef struct {
  lunet_layer_t base;
  merge_op_t op;
  int nin;
  int64_t outer;   /* Concatenate: rows per sample before the axis */
  int64_t *inner;  /* Concatenate: (nin) owned, values of input j per row (its axis size times the sizes after) */
} merge_t;

static void merge_free(lunet_layer_t *l) { free(((merge_t *)l)->inner); }

/* out (B, n) = in[0] op in[1] op ... */
static void merge_forward(lunet_layer_t *l, float *out, const float *const *in, int batch, int training) {
  (void)training;
  merge_t *m = (merge_t *)l;
  int64_t n = batch * l->out_size;
  if (m->op == MERGE_CONCAT) { /* rows of the inputs side by side */
    int64_t rows = batch * m->outer, width = l->out_size / m->outer;
    for (int64_t r = 0; r < rows; r++)
      for (int j = 0, off = 0; j < m->nin; j++) {
        memcpy(out + r * width + off, in[j] + r * m->inner[j], (size_t)m->inner[j] * sizeof *out);
        off += (int)m->inner[j];
      }
    return;
  }
  memcpy(out, in[0], (size_t)n * sizeof *out);
  for (int j = 1; j < m->nin; j++) {
    const float *x = in[j];
    switch (m->op) {
    case MERGE_SUBTRACT: for (int64_t i = 0; i < n; i++) out[i] -= x[i]; break;
    case MERGE_MULTIPLY: for (int64_t i = 0; i < n; i++) out[i] *= x[i]; break;
    case MERGE_MAXIMUM: for (int64_t i = 0; i < n; i++) out[i] = x[i] > out[i] ? x[i] : out[i]; break;
    case MERGE_MINIMUM: for (int64_t i = 0; i < n; i++) out[i] = x[i] < out[i] ? x[i] : out[i]; break;
    default: for (int64_t i = 0; i < n; i++) out[i] += x[i]; break; /* add, average */
    }
  }
  if (m->op == MERGE_AVERAGE) for (int64_t i = 0; i < n; i++) out[i] /= (float)m->nin;
}

/* The index of the input that gives the maximum at i: the first of equal
 * ones, as Keras' chain of maximum(a, b) whose gradient goes to a on ties. */
static int argmax_at(const merge_t *m, const float *const *in, int64_t i) {
  int best = 0;
  for (int j = 1; j < m->nin; j++) if (in[j][i] > in[best][i]) best = j;
  return best;
}

/* ... and of the minimum (Minimum: the first of equal ones too) */
static int argmin_at(const merge_t *m, const float *const *in, int64_t i) {
  int best = 0;
  for (int j = 1; j < m->nin; j++) if (in[j][i] < in[best][i]) best = j;
  return best;
}

static void merge_backward(lunet_layer_t *l, float *const *din, float *dout, const float *const *in,
                           const float *out, int batch) {
  (void)out;
  merge_t *m = (merge_t *)l;
  int64_t n = batch * l->out_size;
  if (m->op == MERGE_CONCAT) {
    int64_t rows = batch * m->outer, width = l->out_size / m->outer;
    for (int j = 0, off = 0; j < m->nin; j++) {
      if (din[j])
        for (int64_t r = 0; r < rows; r++)
          memcpy(din[j] + r * m->inner[j], dout + r * width + off, (size_t)m->inner[j] * sizeof *dout);
      off += (int)m->inner[j];
    }
    return;
  }
  for (int j = 0; j < m->nin; j++) {
    float *d = din[j];
    if (!d) continue;
    switch (m->op) {
    case MERGE_SUBTRACT: /* d(a - b): +1, -1 */
      for (int64_t i = 0; i < n; i++) d[i] = j == 0 ? dout[i] : -dout[i];
      break;
    case MERGE_MULTIPLY: /* the product of the other inputs */
      for (int64_t i = 0; i < n; i++) {
        float p = dout[i];
        for (int k = 0; k < m->nin; k++) if (k != j) p *= in[k][i];
        d[i] = p;
      }
      break;
    case MERGE_AVERAGE:
      for (int64_t i = 0; i < n; i++) d[i] = dout[i] / (float)m->nin;
      break;
    case MERGE_MAXIMUM:
      for (int64_t i = 0; i < n; i++) d[i] = argmax_at(m, in, i) == j ? dout[i] : 0.0f;
      break;
    case MERGE_MINIMUM:
      for (int64_t i = 0; i < n; i++) d[i] = argmin_at(m, in, i) == j ? dout[i] : 0.0f;
      break;
    default:
      memcpy(d, dout, (size_t)n * sizeof *d);
      break;
    }
  }
}

static char *sample_str(char *buf, size_t size, int ndim, const int64_t *shape) {
  int k = snprintf(buf, size, "(batch");
  for (int i = 0; i < ndim && k > 0 && (size_t)k < size; i++) k += snprintf(buf + k, size - (size_t)k, ", %lld", (long long)shape[i]);
  if (k > 0 && (size_t)k < size) snprintf(buf + k, size - (size_t)k, ")");
  return buf;
}

/* Keras' shape rules: equal shapes, or for Concatenate equal but at the axis */
static int check_shapes(const char *kind, int nin, const int *ndims, const int64_t *const *shapes, int axis) {
  char a[LUNET_SHAPE_STR_MAX], b[LUNET_SHAPE_STR_MAX];
  for (int j = 1; j < nin; j++) {
    int ok = ndims[j] == ndims[0];
    for (int i = 0; ok && i < ndims[0]; i++) ok = i == axis || shapes[j][i] == shapes[0][i];
    if (!ok)
      return lunet_fail("%s: input %d has shape %s, input 1 has %s (%s)", kind, j + 1,
                        sample_str(a, sizeof a, ndims[j], shapes[j]), sample_str(b, sizeof b, ndims[0], shapes[0]),
                        axis < 0 ? "they must be equal" : "they must be equal but at the concatenation axis");
  }
  return 0;
}

static const lunet_layer_ops_t merge_ops[] = {
    {.kind = "Add", .forward_n = merge_forward, .backward_n = merge_backward},
    {.kind = "Subtract", .forward_n = merge_forward, .backward_n = merge_backward},
    {.kind = "Multiply", .forward_n = merge_forward, .backward_n = merge_backward},
    {.kind = "Average", .forward_n = merge_forward, .backward_n = merge_backward},
    {.kind = "Maximum", .forward_n = merge_forward, .backward_n = merge_backward},
    {.kind = "Concatenate", .forward_n = merge_forward, .backward_n = merge_backward, .free = merge_free},
    {.kind = "Minimum", .forward_n = merge_forward, .backward_n = merge_backward},
};

static lunet_layer_t *merge_new(merge_op_t op, const lunet_layer_config_t *cfg, int nin, const int *ndims,
                                const int64_t *const *shapes) {
  const char *kind = merge_ops[op].kind;
  if (nin < 2) { lunet_fail("%s: takes a list of at least 2 inputs, got %d", kind, nin); return NULL; }
  if (op == MERGE_SUBTRACT && nin != 2) { lunet_fail("Subtract: takes exactly 2 inputs, got %d", nin); return NULL; }
  int axis = -1; /* per-sample axis, Concatenate only */
  if (op == MERGE_CONCAT) {
    double v;
    if (lunet_config_number(cfg, "axis", -1, &v) < 0) return NULL;
    int nd = ndims[0];
    if (v != (double)(int64_t)v || v == 0 || v < -nd || v > nd) {
      lunet_fail("Concatenate: axis %g is not an axis of inputs of %d dimensions (1 to %d or -%d to -1; 0 is the "
                 "batch)", v, nd + 1, nd, nd);
      return NULL;
    }
    axis = v < 0 ? nd + (int)v : (int)v - 1;
  }
  if (check_shapes(kind, nin, ndims, shapes, axis) < 0) return NULL;
  merge_t *m = lunet_nn_alloc(sizeof *m);
  if (!m) return NULL;
  lunet_layer_t *l = &m->base;
  lunet_layer_setup(l, &merge_ops[op], ndims[0], shapes[0]);
  m->op = op;
  m->nin = nin;
  if (op == MERGE_CONCAT) {
    m->inner = lunet_nn_alloc((size_t)nin * sizeof *m->inner);
    if (!m->inner) { lunet_layer_free(l); return NULL; }
    int64_t after = 1, total = 0;
    m->outer = 1;
    for (int i = 0; i < axis; i++) m->outer *= shapes[0][i];
    for (int i = axis + 1; i < ndims[0]; i++) after *= shapes[0][i];
    for (int j = 0; j < nin; j++) { m->inner[j] = shapes[j][axis] * after; total += shapes[j][axis]; }
    l->out_shape[axis] = total;
    l->out_size = lunet_shape_numel(l->out_ndim, l->out_shape);
  }
  return l;
}

#define MERGE_KIND(var, op, name)                                                                          \
  static lunet_layer_t *var##_from_config_n(const lunet_layer_config_t *cfg, int nin, const int *ndims,  \
                                            const int64_t *const *shapes) {                               \
    return merge_new(op, cfg, nin, ndims, shapes);                                                        \
  }                                                                                                        \
  const lunet_layer_kind_n_t var = {name, var##_from_config_n};

MERGE_KIND(lunet_add_kind, MERGE_ADD, "Add")
MERGE_KIND(lunet_subtract_kind, MERGE_SUBTRACT, "Subtract")
MERGE_KIND(lunet_multiply_kind, MERGE_MULTIPLY, "Multiply")
MERGE_KIND(lunet_average_kind, MERGE_AVERAGE, "Average")
MERGE_KIND(lunet_maximum_kind, MERGE_MAXIMUM, "Maximum")
MERGE_KIND(lunet_concatenate_kind, MERGE_CONCAT, "Concatenate")
MERGE_KIND(lunet_minimum_kind, MERGE_MINIMUM, "Minimum")
