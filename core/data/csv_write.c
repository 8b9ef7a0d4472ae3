/* CSV writer for DataFrame:write_csv: header row, numbers in their shortest
 * round-tripping form, strings quoted only when they must be. Written through
 * core/file.h (a fresh temporary file beside the target, checked writes,
 * fsync, rename), so a reader never sees half a file and no other file of the
 * user's is touched. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "common.h"
#include "csvio.h"

static void put_string(FILE *f, const char *s, size_t len, char delim) {
  int quote = len && (s[0] == ' ' || s[len - 1] == ' ');
  for (size_t i = 0; i < len && !quote; i++)
    quote = s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  if (!quote) { fwrite(s, 1, len, f); return; }
  fputc('"', f);
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"') fputc('"', f);
    fputc(s[i], f);
  }
  fputc('"', f);
}

static void put_number(FILE *f, double v, int is_float) {
  char buf[40];
  if (isnan(v)) { fputs("NaN", f); return; }
  if (isinf(v)) { fputs(v > 0 ? "Inf" : "-Inf", f); return; }
  /* the shortest of %.{6..17}g that reads back as the same value */
  for (int p = is_float ? 6 : 15; p <= 17; p++) {
    snprintf(buf, sizeof buf, "%.*g", p, v);
    double back = strtod(buf, NULL);
    if (is_float ? (float)back == (float)v : back == v) break;
  }
  fputs(buf, f);
}

/* Checks what the writers need of the columns. */
int lunet_csv_check_columns(int ncols, const char *const *names, lunet_column_t *const *cols) {
  for (int j = 0; j < ncols; j++) {
    if (!names[j]) return lunet_fail("column %d has no name", j + 1);
    if (cols[j]->rows != cols[0]->rows)
      return lunet_fail("column '%s' has %lld rows, column '%s' has %lld", names[j], (long long)cols[j]->rows,
                        names[0], (long long)cols[0]->rows);
    if (cols[j]->type == LUNET_COL_VECTOR)
      return lunet_fail("column '%s' is a vector column; CSV holds scalar columns only (drop or select it away)",
                        names[j]);
  }
  return 0;
}

void lunet_csv_write_rows(FILE *f, int ncols, const char *const *names, lunet_column_t *const *cols, int64_t first,
                          int64_t count, char delim, int header) {
  if (header) {
    for (int j = 0; j < ncols; j++) {
      if (j) fputc(delim, f);
      put_string(f, names[j], strlen(names[j]), delim);
    }
    fputc('\n', f);
  }
  for (int64_t i = first; i < first + count; i++) {
    for (int j = 0; j < ncols; j++) {
      const lunet_column_t *c = cols[j];
      if (j) fputc(delim, f);
      if (c->type == LUNET_COL_STRING) {
        size_t len;
        const char *s = lunet_strdict_get(c->dict, lunet_column_codes(c)[i], &len);
        put_string(f, s, len, delim);
      } else if (c->type == LUNET_COL_INTEGER && !isnan(lunet_column_f64(c)[i])) {
        fprintf(f, "%.0f", lunet_column_f64(c)[i]);
      } else {
        put_number(f, lunet_column_number(c, i), c->type == LUNET_COL_FLOAT);
      }
    }
    fputc('\n', f);
  }
}

int lunet_csv_write(const char *path, int ncols, const char *const *names, lunet_column_t *const *cols,
                    char delim, int header) {
  if (lunet_csv_check_columns(ncols, names, cols) < 0) return -1;
  lunet_atomic_t a;
  if (lunet_atomic_open(&a, path) < 0) return -1;
  lunet_csv_write_rows(a.f, ncols, names, cols, 0, ncols ? cols[0]->rows : 0, delim, header);
  return lunet_atomic_commit(&a);
}
