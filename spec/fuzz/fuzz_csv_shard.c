/* libFuzzer target for the CSV shard path behind lunet.data.source
 * (core/data/csv_parts.c's cutter, core/data/csv_cursor.c): the file is cut
 * into small byte ranges and every range read in small chunks, and the whole
 * file read by one cursor. Input: byte 0 chooses the options (bits 0-1 the
 * first column's type, 2-3 the second's: integer, double, string; bit 4
 * header "a,b,c"; bit 5 skip bad rows; bit 6 na_values {"NA"}; bit 7 read
 * only columns a and c), byte 1 the range size (1-64 bytes) and chunk rows
 * (1-4); the rest is the file (gzip when it starts with gzip's magic: then
 * one range). When the whole read succeeds, the ranges must give the same
 * rows and bad rows: a cut inside a record would change them. */
#include <stdint.h>
#include <stdlib.h>

#include "common.h"
#include "csvshard.h"
#include "fuzz_file.h"

/* Reads one range; returns rows read, or -1 on an error. */
static int64_t read_range(const char *path, int64_t off, int64_t len, int64_t line, int gz,
                          const lunet_csv_cursor_options_t *o, int64_t chunk, int64_t *bad) {
  lunet_csv_cursor_t *c = lunet_csv_cursor_new(path, off, len, line, gz, o);
  if (!c) {
    if (!lunet_errmsg()[0]) abort(); /* a rejection says why */
    return -1;
  }
  int64_t total = 0, rows;
  lunet_column_t *cols[3];
  for (;;) {
    if (lunet_csv_cursor_next(c, chunk, cols, &rows) < 0) {
      if (!lunet_errmsg()[0]) abort();
      total = -1;
      break;
    }
    if (rows == 0) break;
    if (rows > chunk) abort();
    for (int k = 0; k < o->nout; k++) {
      if (!cols[k] || cols[k]->rows != rows) abort();
      lunet_column_free(cols[k]);
    }
    total += rows;
  }
  *bad += lunet_csv_cursor_bad_rows(c);
  lunet_csv_cursor_free(c);
  return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  unsigned flags = data[0], sizes = data[1];
  static const lunet_coltype_t kinds[4] = {LUNET_COL_INTEGER, LUNET_COL_DOUBLE, LUNET_COL_STRING, LUNET_COL_STRING};
  static const char *const fields[3] = {"a", "b", "c"};
  static const char *const na[1] = {"NA"};
  int all[3] = {0, 1, 2}, some[3] = {0, -1, 1};
  lunet_coltype_t types[3] = {kinds[flags & 3], kinds[(flags >> 2) & 3], LUNET_COL_DOUBLE};
  if (flags & 128) types[1] = LUNET_COL_DOUBLE; /* c is the second output then */
  lunet_csv_cursor_options_t o = {
    .delimiter = ',', .quote = '"', .header = (flags >> 4) & 1, .nfields = 3, .fields = fields,
    .out = flags & 128 ? some : all, .nout = flags & 128 ? 2 : 3, .types = types,
    .na_texts = na, .n_na_texts = (flags >> 6) & 1, .skip_bad = (flags >> 5) & 1};
  int64_t range = 1 + (sizes & 63), chunk = 1 + (sizes >> 6);
  const char *path = fuzz_file_write(data + 2, size - 2);
  int gz = size >= 4 && data[2] == 0x1f && data[3] == 0x8b;
  int64_t whole_bad = 0, whole = read_range(path, 0, -1, 1, gz, &o, chunk, &whole_bad);
  if (gz) return 0;
  int64_t *offsets, *lines;
  int n;
  if (lunet_csv_cut(path, '"', range, &offsets, &lines, &n) < 0) abort(); /* a regular file we just wrote */
  if (n < 1 || offsets[0] != 0 || lines[0] != 1) abort();
  int64_t sum = 0, bad = 0;
  for (int i = 0; i < n && sum >= 0; i++) {
    if (i > 0 && (offsets[i] <= offsets[i - 1] || lines[i] < lines[i - 1])) abort();
    int64_t got = read_range(path, offsets[i], i + 1 < n ? offsets[i + 1] - offsets[i] : -1, lines[i], 0, &o,
                             chunk, &bad);
    sum = got < 0 ? -1 : sum + got;
  }
  if (whole >= 0 && (sum != whole || bad != whole_bad)) abort();
  free(offsets);
  free(lines);
  return 0;
}
