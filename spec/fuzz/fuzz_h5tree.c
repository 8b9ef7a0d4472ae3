/* libFuzzer target for the HDF5 tree reader behind core.h5_open and
 * core.h5_open_bytes (core/data/h5tree*.c over libhdf5: Keras model and
 * weight files): the input is the file, opened from a path or (odd sizes)
 * from memory, vetted by its child process, then walked whole in process
 * (every group listed, every attribute read, every dataset's shape and data
 * read: lunet_h5tree_walk). A file libhdf5 crashes on in the child must come
 * back as an error; everything after a finished child must not crash. Only
 * lunet's side is instrumented (see scripts/fuzz.sh for libhdf5's leaks). */
#include <stdint.h>
#include <stdlib.h>

#include "common.h"
#include "fuzz_file.h"
#include "h5guard.h"
#include "h5tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lunet_h5guard_forget(); /* every input is a new file, vetted by its child process */
  lunet_h5guard_set_deadline(4); /* (libhdf5 loops on some damaged heaps: an error, under libFuzzer's -timeout) */
  lunet_h5tree_t *t = size % 2 ? lunet_h5tree_open_bytes(data, size, "fuzz.keras: model.weights.h5")
                               : lunet_h5tree_open(fuzz_file_write(data, size));
  if (!t) {
    if (!lunet_errmsg()[0]) abort();
    return 0;
  }
  if (lunet_h5tree_walk(t) < 0 && !lunet_errmsg()[0]) abort();
  /* a path that is not there, and the kinds at the root */
  if (lunet_h5tree_kind(t, "no/such/object") != LUNET_H5_NONE) abort();
  if (lunet_h5tree_kind(t, "/") != LUNET_H5_GROUP) abort();
  lunet_h5tree_free(t);
  return 0;
}
