/* float32 tensors of up to 4 dimensions, row-major, over refcounted storage.
 * A tensor is a view (offset, shape, strides) into a storage; views share the
 * storage and keep it alive. Both refcounts are atomic because ZeroMQ releases
 * zero-copy buffers from its own thread.
 *
 * Ownership: every function returning lunet_tensor_t * hands the caller one
 * reference (release it with lunet_tensor_free); every other pointer argument
 * is borrowed. On user error functions set lunet_errmsg and return NULL / -1. */
#ifndef LUNET_TENSOR_H
#define LUNET_TENSOR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LUNET_MAX_DIMS 4

typedef struct lunet_storage {
  float *data;               /* (numel) */
  size_t numel;
  atomic_int refs;
  /* external memory: called instead of free(data) when the last ref goes */
  void (*release)(void *data, void *hint);
  void *hint;
} lunet_storage_t;

typedef struct lunet_tensor {
  lunet_storage_t *storage;
  size_t offset;             /* in floats, from storage->data */
  int ndim;                  /* 0..4; 0 is a scalar with one element */
  int64_t shape[LUNET_MAX_DIMS];
  int64_t stride[LUNET_MAX_DIMS]; /* in floats */
  atomic_int refs;
} lunet_tensor_t;

/* ---- life cycle ---- */

/* New zero-filled contiguous tensor. Sizes must be >= 0 (0 is an empty tensor). */
lunet_tensor_t *lunet_tensor_new(int ndim, const int64_t *shape);
/* Same without zeroing, for outputs about to be overwritten. */
lunet_tensor_t *lunet_tensor_new_uninit(int ndim, const int64_t *shape);
/* Wraps external memory without copying; release(data, hint) runs when the last
 * reference goes (release may be NULL for memory that outlives the tensor). */
lunet_tensor_t *lunet_tensor_wrap(float *data, int ndim, const int64_t *shape,
                                  void (*release)(void *data, void *hint), void *hint);
lunet_tensor_t *lunet_tensor_retain(lunet_tensor_t *t);
/* Drops one reference; NULL is a no-op. */
void lunet_tensor_free(lunet_tensor_t *t);

/* ---- inspection ---- */

static inline float *lunet_tensor_data(const lunet_tensor_t *t) {
  return t->storage->data + t->offset;
}
int64_t lunet_tensor_numel(const lunet_tensor_t *t);
int lunet_tensor_is_contiguous(const lunet_tensor_t *t);
int lunet_tensor_same_shape(const lunet_tensor_t *a, const lunet_tensor_t *b);
/* Writes "(2, 3)" into buf (always NUL-terminated); returns buf. */
char *lunet_shape_str(char *buf, size_t size, int ndim, const int64_t *shape);
#define LUNET_SHAPE_STR_MAX 96
/* Element at a 0-based index tuple (no bounds check: the binding checks). */
float *lunet_tensor_at(const lunet_tensor_t *t, const int64_t *index);

/* ---- views (share storage) ---- */

/* Same elements, new shape; one size may be -1 (inferred). Needs a contiguous t. */
lunet_tensor_t *lunet_tensor_view(lunet_tensor_t *t, int ndim, const int64_t *shape);
/* Rows start..start+length-1 (0-based) along dim. */
lunet_tensor_t *lunet_tensor_narrow(lunet_tensor_t *t, int dim, int64_t start, int64_t length);
/* Swaps two dimensions. */
lunet_tensor_t *lunet_tensor_transpose(lunet_tensor_t *t, int d0, int d1);
/* t itself (retained) if contiguous, else a contiguous copy. */
lunet_tensor_t *lunet_tensor_contiguous(lunet_tensor_t *t);

/* ---- copies and fills ---- */

/* dst = src element by element; shapes must have equal element counts and
 * either equal shapes or both be contiguous. */
int lunet_tensor_copy(lunet_tensor_t *dst, const lunet_tensor_t *src);
lunet_tensor_t *lunet_tensor_clone(const lunet_tensor_t *t);
void lunet_tensor_fill(lunet_tensor_t *t, float v);

/* ---- arithmetic ---- */

typedef enum { LUNET_OP_ADD, LUNET_OP_SUB, LUNET_OP_MUL, LUNET_OP_DIV } lunet_binop_t;

/* out = a op b with numpy broadcasting (shapes aligned on the right, a size 1
 * stretches). out must already have the broadcast shape and may alias a. */
int lunet_tensor_binop(lunet_tensor_t *out, const lunet_tensor_t *a, lunet_binop_t op,
                       const lunet_tensor_t *b);
/* The broadcast shape of a and b into shape/ndim; -1 with a message naming
 * both shapes when they do not broadcast. */
int lunet_tensor_broadcast_shape(const lunet_tensor_t *a, const lunet_tensor_t *b,
                                 int *ndim, int64_t *shape);
/* out = a op s (out may alias a, same shape) */
int lunet_tensor_binop_scalar(lunet_tensor_t *out, const lunet_tensor_t *a, lunet_binop_t op,
                              float s);

typedef enum {
  LUNET_MAP_NEG, LUNET_MAP_ABS, LUNET_MAP_EXP, LUNET_MAP_LOG, LUNET_MAP_SQRT,
  LUNET_MAP_SQUARE, LUNET_MAP_RELU, LUNET_MAP_SIGMOID, LUNET_MAP_TANH
} lunet_map_t;
/* out = f(a), same shape, may alias */
int lunet_tensor_map(lunet_tensor_t *out, const lunet_tensor_t *a, lunet_map_t f);

/* out (m, n) = a (m, k) @ b (k, n) through sgemm; a or b may be transposed
 * views (handled by sgemm's trans flags), other strided views are copied. */
int lunet_tensor_matmul(lunet_tensor_t *out, const lunet_tensor_t *a, const lunet_tensor_t *b);

/* ---- reductions ---- */

typedef enum { LUNET_RED_SUM, LUNET_RED_MEAN, LUNET_RED_MAX, LUNET_RED_MIN, LUNET_RED_ARGMAX,
               LUNET_RED_ARGMIN } lunet_reduce_t;

/* Over all elements, in double (argmax/argmin: the flat 0-based index).
 * Fails on an empty tensor for max/min/argmax/argmin. */
int lunet_tensor_reduce_all(const lunet_tensor_t *t, lunet_reduce_t r, double *result);
/* Along dim (0-based); the result drops that dimension (arg*: 0-based indices
 * stored as floats). */
lunet_tensor_t *lunet_tensor_reduce_dim(const lunet_tensor_t *t, lunet_reduce_t r, int dim);

#endif
