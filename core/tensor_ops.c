/* Element-wise arithmetic with numpy broadcasting, maps, matmul through
 * sgemm, and reductions over float32 tensors (see tensor.h). Contiguous
 * operands take flat fast paths; strided views go through tensor_walk.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "tensor.h"
#include "tensor_walk.h"
#include "vec.h"

/* ---- arithmetic ---- */

int lunet_tensor_broadcast_shape(const lunet_tensor_t *a, const lunet_tensor_t *b, int *ndim,
                                 int64_t *shape) {
  int n = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int i = 0; i < n; i++) {
    int ia = a->ndim - n + i, ib = b->ndim - n + i;
    int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      char x[LUNET_SHAPE_STR_MAX], y[LUNET_SHAPE_STR_MAX];
      return lunet_fail("shapes %s and %s do not broadcast (dimension %d: %lld vs %lld)",
                        lunet_shape_str(x, sizeof x, a->ndim, a->shape),
                        lunet_shape_str(y, sizeof y, b->ndim, b->shape), i + 1, (long long)sa,
                        (long long)sb);
    }
    shape[i] = sa == 1 ? sb : sa;
  }
  *ndim = n;
  return 0;
}

static inline float apply(lunet_binop_t op, float x, float y) {
  switch (op) {
  case LUNET_OP_ADD: return x + y;
  case LUNET_OP_SUB: return x - y;
  case LUNET_OP_MUL: return x * y;
  default: return x / y;
  }
}

static int binop_apply(lunet_tensor_t *out, const lunet_tensor_t *a, lunet_binop_t op, const lunet_tensor_t *b,
                       int ndim, const int64_t *shape);

int lunet_tensor_binop(lunet_tensor_t *out, const lunet_tensor_t *a, lunet_binop_t op,
                       const lunet_tensor_t *b) {
  int ndim;
  int64_t shape[LUNET_MAX_DIMS];
  if (lunet_tensor_broadcast_shape(a, b, &ndim, shape) < 0) return -1;
  if (out->ndim != ndim || memcmp(out->shape, shape, (size_t)ndim * sizeof *shape) != 0) {
    char x[LUNET_SHAPE_STR_MAX], y[LUNET_SHAPE_STR_MAX];
    return lunet_fail("result of shape %s does not fit the output tensor %s",
                      lunet_shape_str(x, sizeof x, ndim, shape),
                      lunet_shape_str(y, sizeof y, out->ndim, out->shape));
  }
  /* an operand that aliases the output through a different view is read from a copy */
  lunet_tensor_t *ca = NULL, *cb = NULL;
  if (a->storage == out->storage && (a->offset != out->offset || !lunet_tensor_same_shape(a, out) ||
                                     memcmp(a->stride, out->stride, sizeof a->stride) != 0)) {
    if (!(ca = lunet_tensor_clone(a))) return -1;
    a = ca;
  }
  if (b->storage == out->storage && (b->offset != out->offset || !lunet_tensor_same_shape(b, out) ||
                                     memcmp(b->stride, out->stride, sizeof b->stride) != 0)) {
    if (!(cb = lunet_tensor_clone(b))) { lunet_tensor_free(ca); return -1; }
    b = cb;
  }
  int rc = binop_apply(out, a, op, b, ndim, shape);
  lunet_tensor_free(ca);
  lunet_tensor_free(cb);
  return rc;
}

static int binop_apply(lunet_tensor_t *out, const lunet_tensor_t *a, lunet_binop_t op, const lunet_tensor_t *b,
                       int ndim, const int64_t *shape) {
  float *o = lunet_tensor_data(out);
  const float *x = lunet_tensor_data(a), *y = lunet_tensor_data(b);
  if (lunet_tensor_same_shape(a, b) && lunet_tensor_is_contiguous(a) && lunet_tensor_is_contiguous(b) &&
      lunet_tensor_is_contiguous(out)) {
    size_t n = (size_t)lunet_tensor_numel(out);
    switch (op) {
    case LUNET_OP_ADD: for (size_t i = 0; i < n; i++) o[i] = x[i] + y[i]; break;
    case LUNET_OP_SUB: for (size_t i = 0; i < n; i++) o[i] = x[i] - y[i]; break;
    case LUNET_OP_MUL: for (size_t i = 0; i < n; i++) o[i] = x[i] * y[i]; break;
    case LUNET_OP_DIV: for (size_t i = 0; i < n; i++) o[i] = x[i] / y[i]; break;
    }
    return 0;
  }
  walk_t wo, wa, wb;
  walk_of(&wo, out, ndim, shape);
  walk_of(&wa, a, ndim, shape);
  walk_of(&wb, b, ndim, shape);
  WALK4(wo.shape, o[OFF(wo)] = apply(op, x[OFF(wa)], y[OFF(wb)]));
  return 0;
}

int lunet_tensor_binop_scalar(lunet_tensor_t *out, const lunet_tensor_t *a, lunet_binop_t op, float s) {
  LUNET_ASSERT(lunet_tensor_same_shape(out, a));
  float *o = lunet_tensor_data(out);
  const float *x = lunet_tensor_data(a);
  walk_t wo, wa;
  walk_of(&wo, out, out->ndim, out->shape);
  walk_of(&wa, a, out->ndim, out->shape);
  WALK4(wo.shape, o[OFF(wo)] = apply(op, x[OFF(wa)], s));
  return 0;
}

static inline float map1(lunet_map_t f, float x) {
  switch (f) {
  case LUNET_MAP_NEG: return -x;
  case LUNET_MAP_ABS: return fabsf(x);
  case LUNET_MAP_EXP: return expf(x);
  case LUNET_MAP_LOG: return logf(x);
  case LUNET_MAP_SQRT: return sqrtf(x);
  case LUNET_MAP_SQUARE: return x * x;
  case LUNET_MAP_RELU: return x > 0.0f ? x : 0.0f;
  case LUNET_MAP_SIGMOID: return 1.0f / (1.0f + expf(-x));
  default: return tanhf(x);
  }
}

int lunet_tensor_map(lunet_tensor_t *out, const lunet_tensor_t *a, lunet_map_t f) {
  LUNET_ASSERT(lunet_tensor_same_shape(out, a));
  float *o = lunet_tensor_data(out);
  const float *x = lunet_tensor_data(a);
  walk_t wo, wa;
  walk_of(&wo, out, out->ndim, out->shape);
  walk_of(&wa, a, out->ndim, out->shape);
  WALK4(wo.shape, o[OFF(wo)] = map1(f, x[OFF(wa)]));
  return 0;
}

/* A 2-D operand sgemm can read directly: row-major (stride (ld, 1)) or a
 * transposed view of one (stride (1, ld)). */
static int gemm_layout(const lunet_tensor_t *t, int *trans, int *ld) {
  if (t->stride[1] == 1 && (t->stride[0] >= t->shape[1] || t->shape[0] <= 1)) {
    *trans = 0;
    *ld = (int)(t->shape[0] <= 1 ? (t->shape[1] > 0 ? t->shape[1] : 1) : t->stride[0]);
    return 1;
  }
  if (t->stride[0] == 1 && (t->stride[1] >= t->shape[0] || t->shape[1] <= 1)) {
    *trans = 1;
    *ld = (int)(t->shape[1] <= 1 ? (t->shape[0] > 0 ? t->shape[0] : 1) : t->stride[1]);
    return 1;
  }
  return 0;
}

int lunet_tensor_matmul(lunet_tensor_t *out, const lunet_tensor_t *a, const lunet_tensor_t *b) {
  char x[LUNET_SHAPE_STR_MAX], y[LUNET_SHAPE_STR_MAX], z[LUNET_SHAPE_STR_MAX];
  lunet_shape_str(x, sizeof x, a->ndim, a->shape);
  lunet_shape_str(y, sizeof y, b->ndim, b->shape);
  if (a->ndim != 2 || b->ndim != 2)
    return lunet_fail("matmul: needs two 2-D tensors, got %s and %s", x, y);
  if (a->shape[1] != b->shape[0])
    return lunet_fail("matmul: shapes %s and %s do not match: %lld columns vs %lld rows", x, y,
                      (long long)a->shape[1], (long long)b->shape[0]);
  int64_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
  if (out->ndim != 2 || out->shape[0] != m || out->shape[1] != n || !lunet_tensor_is_contiguous(out))
    return lunet_fail("matmul: output %s must be a contiguous (%lld, %lld) tensor",
                      lunet_shape_str(z, sizeof z, out->ndim, out->shape), (long long)m, (long long)n);
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX)
    return lunet_fail("matmul: shapes %s and %s exceed the BLAS int range", x, y);
  lunet_tensor_t *ac = NULL, *bc = NULL;
  int ta, tb, lda, ldb;
  if (!gemm_layout(a, &ta, &lda)) {
    if (!(ac = lunet_tensor_clone(a))) return -1;
    a = ac; ta = 0; lda = (int)(k > 0 ? k : 1);
  }
  if (!gemm_layout(b, &tb, &ldb)) {
    if (!(bc = lunet_tensor_clone(b))) { lunet_tensor_free(ac); return -1; }
    b = bc; tb = 0; ldb = (int)(n > 0 ? n : 1);
  }
  if (k == 0) lunet_tensor_fill(out, 0.0f);
  else
    lunet_blas_sgemm(ta, tb, (int)m, (int)n, (int)k, 1.0f, lunet_tensor_data(a), lda, lunet_tensor_data(b),
                     ldb, 0.0f, lunet_tensor_data(out), (int)(n > 0 ? n : 1));
  lunet_tensor_free(ac);
  lunet_tensor_free(bc);
  return 0;
}

/* ---- reductions ---- */

static const char *reduce_name(lunet_reduce_t r) {
  static const char *names[] = {"sum", "mean", "max", "min", "argmax", "argmin"};
  return names[r];
}

/* Reduces n values at p with the given stride; arg* return the 0-based index. */
static double reduce_run(const float *p, int64_t n, int64_t stride, lunet_reduce_t r) {
  if (r == LUNET_RED_SUM || r == LUNET_RED_MEAN) {
    double s = 0;
    if (stride == 1) s = lunet_vec_sum(p, (size_t)n);
    else for (int64_t i = 0; i < n; i++) s += p[i * stride];
    return r == LUNET_RED_MEAN ? s / (double)n : s;
  }
  int64_t best = 0;
  int want_max = (r == LUNET_RED_MAX || r == LUNET_RED_ARGMAX);
  for (int64_t i = 1; i < n; i++) {
    float v = p[i * stride], bv = p[best * stride];
    /* NaN wins so that it is never hidden by a reduction */
    if (isnan(bv)) break;
    if (isnan(v) || (want_max ? v > bv : v < bv)) best = i;
  }
  if (r == LUNET_RED_ARGMAX || r == LUNET_RED_ARGMIN) return (double)best;
  return p[best * stride];
}

int lunet_tensor_reduce_all(const lunet_tensor_t *t, lunet_reduce_t r, double *result) {
  int64_t n = lunet_tensor_numel(t);
  if (n == 0 && r != LUNET_RED_SUM) {
    if (r == LUNET_RED_MEAN) { *result = NAN; return 0; }
    return lunet_fail("%s: the tensor is empty", reduce_name(r));
  }
  if (lunet_tensor_is_contiguous(t)) {
    *result = reduce_run(lunet_tensor_data(t), n, 1, r);
    return 0;
  }
  lunet_tensor_t *c = lunet_tensor_clone(t);
  if (!c) return -1;
  *result = reduce_run(lunet_tensor_data(c), n, 1, r);
  lunet_tensor_free(c);
  return 0;
}

lunet_tensor_t *lunet_tensor_reduce_dim(const lunet_tensor_t *t, lunet_reduce_t r, int dim) {
  char a[LUNET_SHAPE_STR_MAX];
  lunet_shape_str(a, sizeof a, t->ndim, t->shape);
  if (dim < 0 || dim >= t->ndim)
    return lunet_fail("%s: dimension %d out of range for tensor %s", reduce_name(r), dim + 1, a), NULL;
  if (t->shape[dim] == 0 && r != LUNET_RED_SUM && r != LUNET_RED_MEAN)
    return lunet_fail("%s: dimension %d of tensor %s is empty", reduce_name(r), dim + 1, a), NULL;
  int64_t shape[LUNET_MAX_DIMS];
  int nd = 0;
  for (int i = 0; i < t->ndim; i++)
    if (i != dim) shape[nd++] = t->shape[i];
  lunet_tensor_t *out = lunet_tensor_new_uninit(nd, shape);
  if (!out) return NULL;
  /* walk the kept dims of t; reduce along dim for each position */
  int64_t kshape[4] = {1, 1, 1, 1}, kstride[4] = {0, 0, 0, 0};
  for (int i = 0, j = 4 - nd; i < t->ndim; i++)
    if (i != dim) { kshape[j] = t->shape[i]; kstride[j] = t->stride[i]; j++; }
  walk_t w = {{kshape[0], kshape[1], kshape[2], kshape[3]}, {kstride[0], kstride[1], kstride[2], kstride[3]}};
  const float *p = lunet_tensor_data(t);
  float *o = lunet_tensor_data(out);
  int64_t len = t->shape[dim], stride = t->stride[dim], k = 0;
  WALK4(w.shape, o[k++] = (float)reduce_run(p + OFF(w), len, stride, r));
  return out;
}
