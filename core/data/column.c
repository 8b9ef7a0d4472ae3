/* Column life cycle and row operations (gather, slice, concat, to_tensor): the
 * C side of every DataFrame row selection, so shuffles and splits never loop
 * over rows in Lua. See column.h for the kinds and ownership rules. */
#include "column.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const char *const type_names[] = {"integer", "double", "float", "string", "vector"};

const char *lunet_coltype_name(lunet_coltype_t t) { return type_names[t]; }

int lunet_coltype_parse(const char *s) {
  for (int i = 0; i < 5; i++)
    if (strcmp(s, type_names[i]) == 0) return i;
  if (strcmp(s, "long") == 0 || strcmp(s, "int") == 0) return LUNET_COL_INTEGER;
  return -1;
}

static lunet_colbuf_t *colbuf_new(void *data) {
  lunet_colbuf_t *b = lunet_malloc(sizeof *b);
  if (!b) return NULL;
  b->data = data;
  atomic_init(&b->refs, 1);
  return b;
}

static void colbuf_free(lunet_colbuf_t *b) {
  if (!b || atomic_fetch_sub(&b->refs, 1) != 1) return;
  free(b->data);
  free(b);
}

static lunet_column_t *column_alloc(lunet_coltype_t type, int64_t rows) {
  lunet_column_t *c = lunet_calloc(1, sizeof *c);
  if (!c) return NULL;
  c->type = type;
  c->rows = rows;
  atomic_init(&c->refs, 1);
  return c;
}

lunet_column_t *lunet_column_new_f64(lunet_coltype_t type, double *values, int64_t rows) {
  lunet_column_t *c = column_alloc(type, rows);
  if (c) c->buf = colbuf_new(values);
  if (!c || !c->buf) { free(c); free(values); return NULL; }
  return c;
}

lunet_column_t *lunet_column_new_str(int32_t *codes, int64_t rows, lunet_strdict_t *dict) {
  lunet_column_t *c = column_alloc(LUNET_COL_STRING, rows);
  if (c) c->buf = colbuf_new(codes);
  if (!c || !c->buf) { free(c); free(codes); lunet_strdict_free(dict); return NULL; }
  c->dict = dict;
  return c;
}

lunet_column_t *lunet_column_new_tensor(lunet_tensor_t *t) {
  if (t->ndim < 1) { lunet_fail("a column needs a tensor of at least 1 dimension, got a scalar"); return NULL; }
  if (!lunet_tensor_is_contiguous(t)) { lunet_fail("a column tensor must be contiguous"); return NULL; }
  lunet_column_t *c = column_alloc(t->ndim == 1 ? LUNET_COL_FLOAT : LUNET_COL_VECTOR, t->shape[0]);
  if (!c) return NULL;
  c->tensor = lunet_tensor_retain(t);
  return c;
}

lunet_column_t *lunet_column_retain(lunet_column_t *c) {
  atomic_fetch_add(&c->refs, 1);
  return c;
}

void lunet_column_free(lunet_column_t *c) {
  if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
  colbuf_free(c->buf);
  lunet_strdict_free(c->dict);
  lunet_tensor_free(c->tensor);
  free(c);
}

int64_t lunet_column_width(const lunet_column_t *c) {
  if (!c->tensor) return 1;
  int64_t w = 1;
  for (int i = 1; i < c->tensor->ndim; i++) w *= c->tensor->shape[i];
  return w;
}

/* A tensor of `rows` rows shaped like c's tensor. */
static lunet_tensor_t *tensor_like(const lunet_column_t *c, int64_t rows) {
  int64_t shape[LUNET_MAX_DIMS];
  memcpy(shape, c->tensor->shape, sizeof shape);
  shape[0] = rows;
  return lunet_tensor_new_uninit(c->tensor->ndim, shape);
}

lunet_column_t *lunet_column_gather(const lunet_column_t *c, const int64_t *idx, int64_t n) {
  if (c->tensor) {
    lunet_tensor_t *t = tensor_like(c, n);
    if (!t) return NULL;
    int64_t w = lunet_column_width(c);
    const float *src = lunet_tensor_data(c->tensor); /* (rows, w) */
    float *dst = lunet_tensor_data(t);                /* (n, w) */
    if (w == 1)
      for (int64_t i = 0; i < n; i++) dst[i] = src[idx[i]];
    else
      for (int64_t i = 0; i < n; i++) memcpy(dst + i * w, src + idx[i] * w, (size_t)w * sizeof(float));
    lunet_column_t *out = lunet_column_new_tensor(t);
    lunet_tensor_free(t);
    return out;
  }
  if (c->type == LUNET_COL_STRING) {
    int32_t *codes = lunet_malloc((size_t)n * sizeof *codes);
    if (!codes) return NULL;
    const int32_t *src = lunet_column_codes(c);
    for (int64_t i = 0; i < n; i++) codes[i] = src[idx[i]];
    return lunet_column_new_str(codes, n, lunet_strdict_retain(c->dict));
  }
  double *v = lunet_malloc((size_t)n * sizeof *v);
  if (!v) return NULL;
  const double *src = lunet_column_f64(c);
  for (int64_t i = 0; i < n; i++) v[i] = src[idx[i]];
  return lunet_column_new_f64(c->type, v, n);
}

lunet_column_t *lunet_column_slice(const lunet_column_t *c, int64_t first, int64_t count) {
  if (first < 0 || count < 0 || first > c->rows || count > c->rows - first) {
    lunet_fail("slice %lld+%lld out of range for %lld rows", (long long)first, (long long)count,
               (long long)c->rows);
    return NULL;
  }
  if (c->tensor) {
    lunet_tensor_t *t = lunet_tensor_narrow(c->tensor, 0, first, count);
    if (!t) return NULL;
    lunet_column_t *out = lunet_column_new_tensor(t);
    lunet_tensor_free(t);
    return out;
  }
  lunet_column_t *out = column_alloc(c->type, count);
  if (!out) return NULL;
  atomic_fetch_add(&c->buf->refs, 1);
  out->buf = c->buf;
  out->offset = c->offset + (size_t)first;
  if (c->dict) out->dict = lunet_strdict_retain(c->dict);
  return out;
}

static lunet_column_t *concat_str(const lunet_column_t *a, const lunet_column_t *b) {
  int64_t n = a->rows + b->rows;
  int32_t *codes = lunet_malloc((size_t)n * sizeof *codes);
  if (!codes) return NULL;
  memcpy(codes, lunet_column_codes(a), (size_t)a->rows * sizeof *codes);
  lunet_strdict_t *d;
  if (a->dict == b->dict) {
    d = lunet_strdict_retain(a->dict);
    memcpy(codes + a->rows, lunet_column_codes(b), (size_t)b->rows * sizeof *codes);
  } else {
    /* different dictionaries: re-intern a's values first (same codes), then b's */
    d = lunet_strdict_new();
    if (!d) { free(codes); return NULL; }
    size_t len;
    for (int32_t k = 0; k < a->dict->count; k++) {
      const char *s = lunet_strdict_get(a->dict, k, &len);
      if (lunet_strdict_intern(d, s, len) < 0) goto fail;
    }
    int32_t *map = lunet_malloc((size_t)b->dict->count * sizeof *map);
    if (!map) goto fail;
    for (int32_t k = 0; k < b->dict->count; k++) {
      const char *s = lunet_strdict_get(b->dict, k, &len);
      if ((map[k] = lunet_strdict_intern(d, s, len)) < 0) { free(map); goto fail; }
    }
    const int32_t *bc = lunet_column_codes(b);
    for (int64_t i = 0; i < b->rows; i++) codes[a->rows + i] = map[bc[i]];
    free(map);
  }
  return lunet_column_new_str(codes, n, d);
fail:
  free(codes);
  lunet_strdict_free(d);
  return NULL;
}

lunet_column_t *lunet_column_concat(const lunet_column_t *a, const lunet_column_t *b) {
  int an = a->type == LUNET_COL_INTEGER || a->type == LUNET_COL_DOUBLE;
  int bn = b->type == LUNET_COL_INTEGER || b->type == LUNET_COL_DOUBLE;
  if (an && bn) {
    int64_t n = a->rows + b->rows;
    double *v = lunet_malloc((size_t)n * sizeof *v);
    if (!v) return NULL;
    memcpy(v, lunet_column_f64(a), (size_t)a->rows * sizeof *v);
    memcpy(v + a->rows, lunet_column_f64(b), (size_t)b->rows * sizeof *v);
    lunet_coltype_t t = a->type == b->type ? a->type : LUNET_COL_DOUBLE;
    return lunet_column_new_f64(t, v, n);
  }
  if (a->type == LUNET_COL_STRING && b->type == LUNET_COL_STRING) return concat_str(a, b);
  if (a->tensor && b->tensor && a->tensor->ndim == b->tensor->ndim) {
    int same = 1;
    for (int i = 1; i < a->tensor->ndim; i++) same &= a->tensor->shape[i] == b->tensor->shape[i];
    if (same) {
      lunet_tensor_t *t = tensor_like(a, a->rows + b->rows);
      if (!t) return NULL;
      size_t w = (size_t)lunet_column_width(a);
      memcpy(lunet_tensor_data(t), lunet_tensor_data(a->tensor), (size_t)a->rows * w * sizeof(float));
      memcpy(lunet_tensor_data(t) + (size_t)a->rows * w, lunet_tensor_data(b->tensor),
             (size_t)b->rows * w * sizeof(float));
      lunet_column_t *out = lunet_column_new_tensor(t);
      lunet_tensor_free(t);
      return out;
    }
  }
  lunet_fail("cannot append a %s column to a %s column", lunet_coltype_name(b->type),
             lunet_coltype_name(a->type));
  return NULL;
}

lunet_tensor_t *lunet_column_to_tensor(const lunet_column_t *c) {
  if (c->tensor) return lunet_tensor_retain(c->tensor);
  if (c->type == LUNET_COL_STRING) {
    lunet_fail("a string column has no tensor (index it with StringIndexer first)");
    return NULL;
  }
  int64_t shape[1] = {c->rows};
  lunet_tensor_t *t = lunet_tensor_new_uninit(1, shape);
  if (!t) return NULL;
  const double *src = lunet_column_f64(c);
  float *dst = lunet_tensor_data(t); /* (rows) */
  for (int64_t i = 0; i < c->rows; i++) dst[i] = (float)src[i];
  return t;
}

double lunet_column_number(const lunet_column_t *c, int64_t row) {
  if (c->tensor) return lunet_tensor_data(c->tensor)[row * lunet_column_width(c)];
  if (c->type == LUNET_COL_STRING) return NAN;
  return lunet_column_f64(c)[row];
}
