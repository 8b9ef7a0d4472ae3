/* float32 tensors over refcounted storage (see tensor.h): storage, life
 * cycle, inspection, views, copies and fills. Arithmetic, matmul and
 * reductions are in tensor_ops.c. */
#include "tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tensor_walk.h"
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
    } else if (__builtin_mul_overflow(known, shape[i], &known)) {
      /* (more elements than int64 holds: never the tensor's count) */
      lunet_shape_str(a, sizeof a, t->ndim, t->shape);
      return lunet_fail("view: the sizes given hold more than 2^63 elements, tensor %s has %lld", a,
                        (long long)lunet_tensor_numel(t)), NULL;
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
  /* an empty tensor viewed as {0, 2^40, 2^40}: its strides must not overflow either */
  size_t span_numel;
  if (check_shape(ndim, resolved, &span_numel) < 0) {
    lunet_shape_str(b, sizeof b, ndim, resolved);
    return lunet_fail("view: shape %s is too large for a tensor", b), NULL;
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

/* ---- copies and fills ---- */

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
