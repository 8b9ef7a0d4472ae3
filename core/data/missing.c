/* Missing-value kernels (see missing.h): one pass over a column's contiguous
 * values each, except the median and the mode, which sort a copy of the
 * values that are present. */
#include "missing.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int64_t lunet_column_first_nan(const lunet_column_t *c, int64_t *elem) {
  if (elem) *elem = 0;
  if (c->type == LUNET_COL_STRING) return -1;
  if (c->tensor) {
    int64_t w = lunet_column_width(c);
    const float *x = lunet_tensor_data(c->tensor); /* (rows, w) */
    for (int64_t i = 0; i < c->rows * w; i++)
      if (isnan(x[i])) {
        if (elem) *elem = i % w;
        return i / w;
      }
    return -1;
  }
  const double *x = lunet_column_f64(c); /* (rows) */
  for (int64_t i = 0; i < c->rows; i++)
    if (isnan(x[i])) return i;
  return -1;
}

int lunet_complete_rows(lunet_column_t *const *cols, int n, int64_t **idx, int64_t *count) {
  int64_t rows = n ? cols[0]->rows : 0;
  for (int k = 0; k < n; k++)
    if (cols[k]->rows != rows)
      return lunet_fail("column %d has %lld rows, column 1 has %lld", k + 1, (long long)cols[k]->rows,
                        (long long)rows);
  /* one flag per row, cleared column by column: each column is read in order */
  unsigned char *ok = lunet_malloc((size_t)rows + 1);
  if (!ok) return -1;
  memset(ok, 1, (size_t)rows);
  for (int k = 0; k < n; k++) {
    const lunet_column_t *c = cols[k];
    if (c->type == LUNET_COL_STRING) continue;
    if (c->tensor) {
      int64_t w = lunet_column_width(c);
      const float *x = lunet_tensor_data(c->tensor); /* (rows, w) */
      for (int64_t i = 0; i < rows * w; i++)
        if (isnan(x[i])) ok[i / w] = 0;
    } else {
      const double *x = lunet_column_f64(c); /* (rows) */
      for (int64_t i = 0; i < rows; i++)
        if (isnan(x[i])) ok[i] = 0;
    }
  }
  int64_t kept = 0;
  for (int64_t i = 0; i < rows; i++) kept += ok[i];
  int64_t *out = lunet_malloc((size_t)(kept ? kept : 1) * sizeof *out);
  if (!out) { free(ok); return -1; }
  for (int64_t i = 0, j = 0; i < rows; i++)
    if (ok[i]) out[j++] = i;
  free(ok);
  *idx = out;
  *count = kept;
  return 0;
}

/* Row i of a scalar column held as float32 (f) or float64 (d). */
static inline double value_at(const float *f, const double *d, int64_t i) { return f ? (double)f[i] : d[i]; }

/* missing as a float32 column stores it (-0.1 is not exactly -0.1 there); a
 * finite value beyond float32's range is in no such column (NaN: matches
 * nothing) rather than an infinity. */
static double as_float(double missing) {
  if (isfinite(missing) && fabs(missing) > FLT_MAX) return NAN;
  return (double)(float)missing;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int lunet_column_present_sorted(const lunet_column_t *c, double missing, double **values, int64_t *count) {
  if (c->type == LUNET_COL_STRING || (c->tensor && c->tensor->ndim != 1))
    return lunet_fail("imputation needs a scalar numeric column, got a %s column", lunet_coltype_name(c->type));
  const float *f = c->tensor ? lunet_tensor_data(c->tensor) : NULL; /* (rows) */
  const double *d = c->tensor ? NULL : lunet_column_f64(c);       /* (rows) */
  if (f) missing = as_float(missing);
  double *v = lunet_malloc((size_t)(c->rows ? c->rows : 1) * sizeof *v); /* (rows), the first n used */
  if (!v) return -1;
  int64_t n = 0;
  for (int64_t i = 0; i < c->rows; i++) {
    double x = value_at(f, d, i);
    if (!isnan(x) && x != missing) v[n++] = x;
  }
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  *values = v;
  *count = n;
  return 0;
}

int lunet_impute_fit(const lunet_column_t *c, double missing, lunet_impute_t how, double *surrogate,
                     int64_t *valid) {
  if (c->type == LUNET_COL_STRING || (c->tensor && c->tensor->ndim != 1))
    return lunet_fail("imputation needs a scalar numeric column, got a %s column", lunet_coltype_name(c->type));
  const float *f = c->tensor ? lunet_tensor_data(c->tensor) : NULL; /* (rows) */
  const double *d = c->tensor ? NULL : lunet_column_f64(c);       /* (rows) */
  if (f) missing = as_float(missing);
  int64_t n = 0;
  double sum = 0;
  for (int64_t i = 0; i < c->rows; i++) {
    double v = value_at(f, d, i);
    if (isnan(v) || v == missing) continue;
    n++;
    sum += v;
  }
  *valid = n;
  *surrogate = NAN;
  if (n == 0) return 0;
  if (how == LUNET_IMPUTE_MEAN) {
    *surrogate = sum / (double)n;
    return 0;
  }
  double *v = lunet_malloc((size_t)n * sizeof *v);
  if (!v) return -1;
  for (int64_t i = 0, j = 0; i < c->rows; i++) {
    double x = value_at(f, d, i);
    if (!isnan(x) && x != missing) v[j++] = x;
  }
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  if (how == LUNET_IMPUTE_MEDIAN) {
    /* rank ceil(n / 2), 1-based: the lower middle value */
    *surrogate = v[(n + 1) / 2 - 1];
  } else {
    /* runs of equal values in ascending order: the first longest run is the
     * most frequent value, the smallest among ties */
    int64_t best = 0, best_len = 0;
    for (int64_t i = 0; i < n;) {
      int64_t j = i;
      while (j < n && v[j] == v[i]) j++;
      if (j - i > best_len) { best = i; best_len = j - i; }
      i = j;
    }
    *surrogate = v[best];
  }
  free(v);
  return 0;
}

lunet_column_t *lunet_impute(const lunet_column_t *c, double missing, double surrogate) {
  if (c->type == LUNET_COL_STRING || (c->tensor && c->tensor->ndim != 1)) {
    lunet_fail("imputation needs a scalar numeric column, got a %s column", lunet_coltype_name(c->type));
    return NULL;
  }
  int64_t rows = c->rows;
  if (c->tensor) {
    int64_t shape[1] = {rows};
    lunet_tensor_t *t = lunet_tensor_new_uninit(1, shape);
    if (!t) return NULL;
    const float *x = lunet_tensor_data(c->tensor); /* (rows) */
    float *y = lunet_tensor_data(t);               /* (rows) */
    float s = (float)surrogate, m = (float)as_float(missing);
    for (int64_t i = 0; i < rows; i++) y[i] = (isnan(x[i]) || x[i] == m) ? s : x[i];
    lunet_column_t *out = lunet_column_new_tensor(t);
    lunet_tensor_free(t);
    return out;
  }
  double *y = lunet_malloc((size_t)(rows ? rows : 1) * sizeof *y); /* (rows) */
  if (!y) return NULL;
  const double *x = lunet_column_f64(c);
  for (int64_t i = 0; i < rows; i++) y[i] = (isnan(x[i]) || x[i] == missing) ? surrogate : x[i];
  return lunet_column_new_f64(LUNET_COL_DOUBLE, y, rows);
}
