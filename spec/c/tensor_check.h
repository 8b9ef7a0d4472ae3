/* Shared by the tensor C tests (test_tensor.c, test_tensor_math.c): 2-D
 * tensors made, filled and read back, and CHECK_MSG for error messages. */
#ifndef LUNET_SPEC_TENSOR_CHECK_H
#define LUNET_SPEC_TENSOR_CHECK_H

#include <string.h>

#include "check.h"
#include "common.h"
#include "tensor.h"

#define CHECK_MSG(needle) CHECK(strstr(lunet_errmsg(), (needle)) != NULL)

static lunet_tensor_t *new2(int64_t r, int64_t c) {
  int64_t s[2] = {r, c};
  return lunet_tensor_new(2, s);
}

/* t (r, c) filled with 0, 1, 2 ... in row-major order */
static lunet_tensor_t *arange2(int64_t r, int64_t c) {
  lunet_tensor_t *t = new2(r, c);
  float *d = lunet_tensor_data(t); /* (r, c) */
  for (int64_t i = 0; i < r * c; i++) d[i] = (float)i;
  return t;
}

static float at2(const lunet_tensor_t *t, int64_t i, int64_t j) {
  int64_t idx[2] = {i, j};
  return *lunet_tensor_at(t, idx);
}

#endif
