/* libFuzzer target for the zip reader behind core.zip_list and
 * core.zip_read (core/data/zipfile.c over libzip: Keras 3 .keras files): the
 * input is the archive; every member is listed and read. A read that
 * succeeds returns exactly the declared size (NUL-terminated), every failure
 * is an error message. libzip is not instrumented; lunet's side is. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fuzz_file.h"
#include "zipfile.h"

volatile unsigned fuzz_zip_sink; /* keeps the reads below from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file_write(data, size);
  lunet_zip_entry_t *e;
  int64_t n;
  if (lunet_zip_list(path, &e, &n) < 0) {
    if (!lunet_errmsg()[0]) abort();
    return 0;
  }
  for (int64_t i = 0; i < n; i++) {
    char *bytes;
    size_t len;
    if (lunet_zip_read(path, e[i].name, &bytes, &len) < 0) {
      if (!lunet_errmsg()[0]) abort();
      continue;
    }
    /* (a name given twice reads the first member of that name: sizes may differ then) */
    int unique = 1;
    for (int64_t j = 0; j < i; j++) unique &= strcmp(e[i].name, e[j].name) != 0;
    if ((unique && len != e[i].size) || bytes[len] != 0) abort();
    unsigned sum = 0; /* touches every byte, so ASan checks them all */
    for (size_t k = 0; k < len; k++) sum += (unsigned char)bytes[k];
    fuzz_zip_sink = sum;
    free(bytes);
  }
  lunet_zip_entries_free(e, n);
  return 0;
}
