/* libFuzzer target for the CSV reader behind data.read_csv (core/data/csv.c,
 * libcsv + zlib). Input: byte 0 chooses the options (bit 0 header, 1 infer,
 * 2 na_values {"NA", ""}, 3 ';' as delimiter, 4 limit 2, 5 read only
 * column "b", 6 schema b = integer, 7 schema a = string); the rest is the
 * file (plain, or gzip when it starts with gzip's magic). */
#include <stdint.h>
#include <stdlib.h>

#include "common.h"
#include "csvio.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned flags = data[0];
  static const char *const na[] = {"NA", ""};
  static const char *const only_b[] = {"b"};
  static const char *const schema_names[] = {"b", "a"};
  static const lunet_coltype_t schema_types[] = {LUNET_COL_INTEGER, LUNET_COL_STRING};
  lunet_csv_options_t o = {
    .delimiter = flags & 8 ? ';' : ',', .quote = '"',
    .header = flags & 1, .infer = (flags >> 1) & 1, .limit = flags & 16 ? 2 : -1,
    .na_values = na, .n_na = flags & 4 ? 2 : 0,
    .columns = flags & 32 ? only_b : NULL, .n_columns = flags & 32 ? 1 : 0,
  };
  if (flags & 64) { o.schema_names = schema_names; o.schema_types = schema_types; o.n_schema = 1; }
  if (flags & 128) { o.schema_names = schema_names + 1; o.schema_types = schema_types + 1; o.n_schema = 1; }
  if ((flags & 192) == 192) { o.schema_names = schema_names; o.schema_types = schema_types; o.n_schema = 2; }
  const char *path = fuzz_file_write(data + 1, size - 1);
  lunet_table_t *t = lunet_csv_read(path, &o);
  if (t) {
    /* every column read has a name and exactly the table's rows */
    if (t->rows < 1 || (o.limit > 0 && t->rows > o.limit)) abort();
    for (int i = 0; i < t->ncols; i++)
      if (!t->names[i] || !t->cols[i] || t->cols[i]->rows != t->rows) abort();
    lunet_table_free(t);
  } else if (!lunet_errmsg()[0]) {
    abort(); /* a rejection says why */
  }
  return 0;
}
