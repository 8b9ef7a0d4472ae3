/* libFuzzer target for the IDX reader behind data.read_idx / MNIST
 * (core/data/idx.c): the input is the file, plain or gzipped. */
#include <stdint.h>
#include <stdlib.h>

#include "common.h"
#include "fuzz_file.h"
#include "idx.h"

volatile float fuzz_idx_sink; /* keeps the reads below from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lunet_tensor_t *t = lunet_idx_read(fuzz_file_write(data, size));
  if (t) {
    /* an accepted file is a tensor of the header's shape over all its values */
    if (t->ndim < 1 || t->ndim > LUNET_MAX_DIMS) abort();
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    if (n != lunet_tensor_numel(t)) abort();
    float sum = 0; /* touches every value, so ASan checks them all */
    for (int64_t i = 0; i < n; i++) sum += lunet_tensor_data(t)[i];
    fuzz_idx_sink = sum;
    lunet_tensor_free(t);
  } else if (!lunet_errmsg()[0]) {
    abort();
  }
  return 0;
}
