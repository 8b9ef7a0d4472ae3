/* libFuzzer target for the HDF5 reader behind data.read_hdf5 and the hdf5
 * source (core/data/h5file.c over libhdf5): the input is the file. Reads at
 * most the first 64 rows of every dataset, as a shard's reader reads a chunk
 * (a header may declare billions of rows of fill values, legitimately). Only
 * lunet's side is instrumented: Debian's libhdf5 is not, so findings inside
 * libhdf5 are libhdf5's (report them upstream; see scripts/fuzz.sh). */
#include <stdint.h>
#include <stdlib.h>

#include "common.h"
#include "fuzz_file.h"
#include "h5file.h"

volatile double fuzz_hdf5_sink; /* keeps the reads below from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lunet_h5file_t *f = lunet_h5file_open(fuzz_file_write(data, size), NULL, 0, "fuzz_hdf5");
  if (!f) {
    if (!lunet_errmsg()[0]) abort();
    return 0;
  }
  for (int i = 0; i < lunet_h5file_count(f); i++) {
    const lunet_h5dataset_t *s = lunet_h5file_dataset(f, i);
    int64_t n = s->rows < 64 ? s->rows : 64;
    lunet_column_t *c = lunet_h5file_read(f, i, 0, n);
    if (!c) {
      if (!lunet_errmsg()[0]) abort();
      continue;
    }
    /* an accepted read is a column of n rows of the dataset's width */
    if (c->rows != n || lunet_column_width(c) != s->width) abort();
    double sum = 0; /* touches every value, so ASan checks them all */
    if (c->tensor) {
      for (int64_t k = 0; k < n * s->width; k++) sum += c->tensor->storage->data[c->tensor->offset + k];
    } else {
      for (int64_t k = 0; k < n; k++) sum += lunet_column_f64(c)[k];
    }
    fuzz_hdf5_sink = sum;
    lunet_column_free(c);
  }
  lunet_h5file_free(f);
  return 0;
}
