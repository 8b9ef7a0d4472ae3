/* float32 tensors over refcounted storage (see tensor.h). Strided views are
 * walked by a 4-level index loop; contiguous operands take flat fast paths. */
#include "tensor.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "vec.h"

/* ---- storage ---- */

static lunet_storage_t *storage_new(size_t numel, int zero) {
  lunet_storage_t *s = lunet_malloc(sizeof *s);
  if (!s) return NULL;
  if (numel > SIZE_MAX / sizeof(float)) {
    free(s);
    lunet_fail("tensor of %zu elements is too large", numel);
    return NULL;
  }
  /* 64-byte alignment: whole cache lines for the BLAS and vector loops */
  size_t bytes = (numel * sizeof(float) + 63) & ~(size_t)63;
  s->data = aligned_alloc(64, bytes ? bytes : 64);
  if (!s->data) {
    free(s);
    lunet_fail("out of memory allocating a tensor of %zu elements", numel);
    return NULL;
  }
  if (zero) memset(s->data, 0, numel * sizeof(float));
  s->numel = numel;
  s->release = NULL;
  s->hint = NULL;
  atomic_init(&s->refs, 1);
  return s;
}

static void storage_free(lunet_storage_t *s) {
  if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
  if (s->release) s->release(s->data, s->hint);
  else free(s->data);
  free(s);
}

/* ---- life cycle ---- */

static int check_shape(int ndim, const int64_t *shape, size_t *numel) {
  if (ndim < 0 || ndim > LUNET_MAX_DIMS)
    return lunet_fail("tensors have at most %d dimensions, got %d", LUNET_MAX_DIMS, ndim);
  /* span counts empty dimensions as 1: it bounds the strides too, so an
   * empty {0, 2^40, 2^40} cannot overflow them */
  size_t n = 1, span = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) return lunet_fail("size %lld of dimension %d is negative", (long long)shape[i], i + 1);
    size_t d = shape[i] > 0 ? (size_t)shape[i] : 1;
    if (span > SIZE_MAX / 4 / d) return lunet_fail("tensor shape is too large");
    span *= d;
    n *= (size_t)shape[i];
  }
  *numel = n;
  return 0;
}

static void set_contiguous_strides(lunet_tensor_t *t) {
  int64_t s = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    t->stride[i] = s;
    s *= t->shape[i] > 0 ? t->shape[i] : 1;
  }
}

static lunet_tensor_t *tensor_alloc(lunet_storage_t *s, size_t offset, int ndim, const int64_t *shape) {
  lunet_tensor_t *t = lunet_malloc(sizeof *t);
  if (!t) return NULL;
  t->storage = s;
  t->offset = offset;
  t->ndim = ndim;
  for (int i = 0; i < LUNET_MAX_DIMS; i++) {
    t->shape[i] = i < ndim ? shape[i] : 1;
    t->stride[i] = 0;
  }
  set_contiguous_strides(t);
  atomic_init(&t->refs, 1);
  return t;
}

static lunet_tensor_t *tensor_new(int ndim, const int64_t *shape, int zero) {
  size_t numel = 0;
  if (check_shape(ndim, shape, &numel) < 0) return NULL;
  lunet_storage_t *s = storage_new(numel, zero);
  if (!s) return NULL;
  lunet_tensor_t *t = tensor_alloc(s, 0, ndim, shape);
  if (!t) storage_free(s);
  return t;
}

lunet_tensor_t *lunet_tensor_new(int ndim, const int64_t *shape) { return tensor_new(ndim, shape, 1); }

lunet_tensor_t *lunet_tensor_new_uninit(int ndim, const int64_t *shape) {
  return tensor_new(ndim, shape, 0);
}

static void release_nothing(void *data, void *hint) { (void)data; (void)hint; }

lunet_tensor_t *lunet_tensor_wrap(float *data, int ndim, const int64_t *shape,
                                  void (*release)(void *, void *), void *hint) {
  size_t numel = 0;
  if (check_shape(ndim, shape, &numel) < 0) return NULL;
  lunet_storage_t *s = lunet_malloc(sizeof *s);
  if (!s) return NULL;
  s->data = data;
  s->numel = numel;
  /* memory owned elsewhere is never passed to free() */
  s->release = release ? release : release_nothing;
  s->hint = hint;
  atomic_init(&s->refs, 1);
  lunet_tensor_t *t = tensor_alloc(s, 0, ndim, shape);
  if (!t) free(s);
  return t;
}

lunet_tensor_t *lunet_tensor_retain(lunet_tensor_t *t) {
  atomic_fetch_add(&t->refs, 1);
  return t;
}

void lunet_tensor_free(lunet_tensor_t *t) {
  if (!t || atomic_fetch_sub(&t->refs, 1) != 1) return;
  storage_free(t->storage);
  free(t);
}

/* ---- inspection ---- */

int64_t lunet_tensor_numel(const lunet_tensor_t *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

int lunet_tensor_is_contiguous(const lunet_tensor_t *t) {
  if (lunet_tensor_numel(t) == 0) return 1;
  int64_t s = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    if (t->shape[i] != 1 && t->stride[i] != s) return 0;
    s *= t->shape[i];
  }
  return 1;
}

int lunet_tensor_same_shape(const lunet_tensor_t *a, const lunet_tensor_t *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return 0;
  return 1;
}

char *lunet_shape_str(char *buf, size_t size, int ndim, const int64_t *shape) {
  size_t used = (size_t)snprintf(buf, size, "(");
  for (int i = 0; i < ndim && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (used < size) snprintf(buf + used, size - used, ")");
  return buf;
}

float *lunet_tensor_at(const lunet_tensor_t *t, const int64_t *index) {
  float *p = lunet_tensor_data(t);
  for (int i = 0; i < t->ndim; i++) p += index[i] * t->stride[i];
  return p;
}

/* ---- views ---- */

static lunet_tensor_t *view_of(lunet_tensor_t *t, size_t offset, int ndim, const int64_t *shape,
                               const int64_t *stride) {
  lunet_tensor_t *v = tensor_alloc(t->storage, offset, ndim, shape);
  if (!v) return NULL;
  atomic_fetch_add(&t->storage->refs, 1);
  if (stride)
    for (int i = 0; i < ndim; i++) v->stride[i] = stride[i];
  return v;
}

lunet_tensor_t *lunet_tensor_view(lunet_tensor_t *t, int ndim, const int64_t *shape) {
  char a[LUNET_SHAPE_STR_MAX], b[LUNET_SHAPE_STR_MAX];
  if (ndim < 0 || ndim > LUNET_MAX_DIMS)
    return lunet_fail("view: tensors have at most %d dimensions, got %d", LUNET_MAX_DIMS, ndim), NULL;
  int64_t resolved[LUNET_MAX_DIMS];
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < ndim; i++) {
    resolved[i] = shape[i];
    if (shape[i] == -1) {
      if (infer >= 0) return lunet_fail("view: only one size may be -1"), NULL;
      infer = i;
    } else if (shape[i] < 0) {
      return lunet_fail("view: size %lld of dimension %d is negative", (long long)shape[i], i + 1), NULL;
    } else {
      known *= shape[i];
    }
  }
  int64_t numel = lunet_tensor_numel(t);
  if (infer >= 0) {
    if (known == 0 || numel % known != 0) {
      lunet_shape_str(a, sizeof a, t->ndim, t->shape);
      return lunet_fail("view: cannot infer the -1 size: %lld elements of %s do not divide by %lld",
                        (long long)numel, a, (long long)known), NULL;
    }
    resolved[infer] = numel / known;
    known *= resolved[infer];
  }
  if (known != numel) {
    lunet_shape_str(a, sizeof a, t->ndim, t->shape);
    lunet_shape_str(b, sizeof b, ndim, resolved);
    return lunet_fail("view: shape %s has %lld elements, tensor %s has %lld", b, (long long)known, a,
                      (long long)numel), NULL;
  }
  if (!lunet_tensor_is_contiguous(t)) {
    lunet_shape_str(a, sizeof a, t->ndim, t->shape);
    return lunet_fail("view: tensor %s is not contiguous (call :contiguous() first)", a), NULL;
  }
  return view_of(t, t->offset, ndim, resolved, NULL);
}

lunet_tensor_t *lunet_tensor_narrow(lunet_tensor_t *t, int dim, int64_t start, int64_t length) {
  char a[LUNET_SHAPE_STR_MAX];
  lunet_shape_str(a, sizeof a, t->ndim, t->shape);
  if (dim < 0 || dim >= t->ndim)
    return lunet_fail("narrow: dimension %d out of range for tensor %s", dim + 1, a), NULL;
  if (start < 0 || length < 0 || start > t->shape[dim] || length > t->shape[dim] - start)
    return lunet_fail("narrow: elements %lld..%lld out of range for dimension %d of size %lld (tensor %s)",
                      (long long)start + 1, (long long)(start + length), dim + 1,
                      (long long)t->shape[dim], a), NULL;
  int64_t shape[LUNET_MAX_DIMS];
  memcpy(shape, t->shape, sizeof shape);
  shape[dim] = length;
  return view_of(t, t->offset + (size_t)(start * t->stride[dim]), t->ndim, shape, t->stride);
}

lunet_tensor_t *lunet_tensor_transpose(lunet_tensor_t *t, int d0, int d1) {
  char a[LUNET_SHAPE_STR_MAX];
  if (d0 < 0 || d0 >= t->ndim || d1 < 0 || d1 >= t->ndim) {
    lunet_shape_str(a, sizeof a, t->ndim, t->shape);
    return lunet_fail("transpose: dimensions %d and %d out of range for tensor %s", d0 + 1, d1 + 1, a),
           NULL;
  }
  int64_t shape[LUNET_MAX_DIMS], stride[LUNET_MAX_DIMS];
  memcpy(shape, t->shape, sizeof shape);
  memcpy(stride, t->stride, sizeof stride);
  shape[d0] = t->shape[d1]; shape[d1] = t->shape[d0];
  stride[d0] = t->stride[d1]; stride[d1] = t->stride[d0];
  return view_of(t, t->offset, t->ndim, shape, stride);
}

/* ---- strided iteration ----
 * Shapes are padded on the left to 4 dims so one 4-level loop serves every rank. */

typedef struct {
  int64_t shape[4];
  int64_t stride[4];
} walk_t;

static void walk_of(walk_t *w, const lunet_tensor_t *t, int ndim, const int64_t *shape) {
  /* broadcast t to shape (ndim dims): missing or size-1 dims get stride 0 */
  int pad = 4 - ndim, tpad = ndim - t->ndim;
  for (int i = 0; i < 4; i++) {
    w->shape[i] = i < pad ? 1 : shape[i - pad];
    int td = i - pad - tpad;
    w->stride[i] = (i < pad || td < 0 || t->shape[td] == 1) ? 0 : t->stride[td];
  }
}

#define WALK4(shape, body)                                                  \
  for (int64_t i0 = 0; i0 < (shape)[0]; i0++)                               \
    for (int64_t i1 = 0; i1 < (shape)[1]; i1++)                             \
      for (int64_t i2 = 0; i2 < (shape)[2]; i2++)                           \
        for (int64_t i3 = 0; i3 < (shape)[3]; i3++) { body; }

#define OFF(w) (i0 * (w).stride[0] + i1 * (w).stride[1] + i2 * (w).stride[2] + i3 * (w).stride[3])

int lunet_tensor_copy(lunet_tensor_t *dst, const lunet_tensor_t *src) {
  char a[LUNET_SHAPE_STR_MAX], b[LUNET_SHAPE_STR_MAX];
  int64_t n = lunet_tensor_numel(dst);
  if (n != lunet_tensor_numel(src))
    return lunet_fail("copy: source %s has %lld elements, destination %s has %lld",
                      lunet_shape_str(b, sizeof b, src->ndim, src->shape), (long long)lunet_tensor_numel(src),
                      lunet_shape_str(a, sizeof a, dst->ndim, dst->shape), (long long)n);
  int dc = lunet_tensor_is_contiguous(dst), sc = lunet_tensor_is_contiguous(src);
  if (src->storage == dst->storage && n > 0 &&
      !(src->offset == dst->offset && lunet_tensor_same_shape(dst, src) &&
        memcmp(src->stride, dst->stride, sizeof src->stride) == 0)) {
    /* overlapping views: read from a private copy so no element is read after it was written */
    lunet_tensor_t *tmp = lunet_tensor_clone(src);
    if (!tmp) return -1;
    int rc = lunet_tensor_copy(dst, tmp);
    lunet_tensor_free(tmp);
    return rc;
  }
  if (dc && sc) {
    lunet_vec_copy(lunet_tensor_data(dst), lunet_tensor_data(src), (size_t)n);
    return 0;
  }
  if (!lunet_tensor_same_shape(dst, src))
    return lunet_fail("copy: shapes %s and %s differ and one is not contiguous",
                      lunet_shape_str(b, sizeof b, src->ndim, src->shape),
                      lunet_shape_str(a, sizeof a, dst->ndim, dst->shape));
  walk_t wd, ws;
  walk_of(&wd, dst, dst->ndim, dst->shape);
  walk_of(&ws, src, dst->ndim, dst->shape);
  float *d = lunet_tensor_data(dst);
  const float *s = lunet_tensor_data(src);
  WALK4(wd.shape, d[OFF(wd)] = s[OFF(ws)]);
  return 0;
}

lunet_tensor_t *lunet_tensor_clone(const lunet_tensor_t *t) {
  lunet_tensor_t *c = lunet_tensor_new_uninit(t->ndim, t->shape);
  if (!c) return NULL;
  int rc = lunet_tensor_copy(c, t);
  LUNET_ASSERT(rc == 0);
  return c;
}

lunet_tensor_t *lunet_tensor_contiguous(lunet_tensor_t *t) {
  if (lunet_tensor_is_contiguous(t)) return lunet_tensor_retain(t);
  return lunet_tensor_clone(t);
}

void lunet_tensor_fill(lunet_tensor_t *t, float v) {
  if (lunet_tensor_is_contiguous(t)) {
    lunet_vec_fill(lunet_tensor_data(t), v, (size_t)lunet_tensor_numel(t));
    return;
  }
  walk_t w;
  walk_of(&w, t, t->ndim, t->shape);
  float *d = lunet_tensor_data(t);
  WALK4(w.shape, d[OFF(w)] = v);
}

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
