/* Reader of MNIST's IDX files (plain or .gz). */
#ifndef LUNET_IDX_H
#define LUNET_IDX_H

#include "tensor.h"

/* The IDX file at path as a float32 tensor of its shape (values unscaled).
 * Errors (prefixed "read_idx: PATH: "): missing file, bad magic number,
 * truncated header or payload, corrupt gzip. */
lunet_tensor_t *lunet_idx_read(const char *path);

#endif
