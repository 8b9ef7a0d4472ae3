/* Private to core/tensor*.c: the strided iteration every tensor operation
 * on non-contiguous views uses. Shapes are padded on the left to 4 dims so one
 * 4-level loop serves every rank. */
#ifndef LUNET_TENSOR_WALK_H
#define LUNET_TENSOR_WALK_H

#include "tensor.h"

typedef struct {
  int64_t shape[4];
  int64_t stride[4];
} walk_t;

static inline void walk_of(walk_t *w, const lunet_tensor_t *t, int ndim, const int64_t *shape) {
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

#endif
