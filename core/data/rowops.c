/* Row kernels of lunet.feature (see features.h): one pass each over
 * contiguous buffers, statistics accumulated in double. */
#include "rowops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

lunet_tensor_t *lunet_assemble(lunet_column_t *const *cols, int n) {
  int64_t rows = n ? cols[0]->rows : 0, width = 0;
  for (int k = 0; k < n; k++) {
    if (cols[k]->type == LUNET_COL_STRING) {
      lunet_fail("input %d is a string column, expected numbers or vectors", k + 1);
      return NULL;
    }
    if (cols[k]->rows != rows) {
      lunet_fail("input %d has %lld rows, input 1 has %lld", k + 1, (long long)cols[k]->rows,
                 (long long)rows);
      return NULL;
    }
    width += lunet_column_width(cols[k]);
  }
  int64_t shape[2] = {rows, width};
  lunet_tensor_t *out = lunet_tensor_new_uninit(2, shape);
  if (!out) return NULL;
  float *y = lunet_tensor_data(out); /* (rows, width) */
  int64_t at = 0;
  /* column by column: each source is read sequentially, the strided writes
   * stay within the rows' cache lines */
  for (int k = 0; k < n; k++) {
    const lunet_column_t *c = cols[k];
    int64_t w = lunet_column_width(c);
    if (c->tensor) {
      const float *x = lunet_tensor_data(c->tensor); /* (rows, w) */
      for (int64_t i = 0; i < rows; i++) memcpy(y + i * width + at, x + i * w, (size_t)w * sizeof(float));
    } else {
      const double *x = lunet_column_f64(c); /* (rows) */
      for (int64_t i = 0; i < rows; i++) y[i * width + at] = (float)x[i];
    }
    at += w;
  }
  return out;
}

int lunet_colmoments(const lunet_tensor_t *x, double *mean, double *m2, double *min, double *max) {
  if (x->ndim != 2 || !lunet_tensor_is_contiguous(x))
    return lunet_fail("statistics need a contiguous (rows, d) tensor");
  int64_t rows = x->shape[0], d = x->shape[1];
  const float *p = lunet_tensor_data(x); /* (rows, d) */
  double *s = lunet_calloc((size_t)(2 * d), sizeof *s);
  if (!s) return -1;
  double *sq = s + d;
  if (min) for (int64_t j = 0; j < d; j++) min[j] = INFINITY;
  if (max) for (int64_t j = 0; j < d; j++) max[j] = -INFINITY;
  /* shifted sums (by row 0) keep the variance accurate for large means */
  for (int64_t i = 0; i < rows; i++) {
    const float *row = p + i * d;
    for (int64_t j = 0; j < d; j++) {
      double v = (double)row[j] - (double)p[j];
      s[j] += v;
      sq[j] += v * v;
      if (min && row[j] < min[j]) min[j] = row[j];
      if (max && row[j] > max[j]) max[j] = row[j];
    }
  }
  for (int64_t j = 0; j < d; j++) {
    double m = rows ? s[j] / (double)rows : 0.0;
    if (mean) mean[j] = rows ? m + (double)p[j] : 0.0;
    if (m2) {
      double q = sq[j] - (double)rows * m * m;
      m2[j] = q > 0 ? q : 0.0;
    }
  }
  free(s);
  return 0;
}

int lunet_colstats(const lunet_tensor_t *x, double *mean, double *std, double *min, double *max) {
  int64_t rows = x->ndim == 2 ? x->shape[0] : 0;
  if (lunet_colmoments(x, mean, std, min, max) < 0) return -1;
  if (std)
    for (int64_t j = 0; j < x->shape[1]; j++) {
      double var = rows > 1 ? std[j] / (double)(rows - 1) : 0.0;
      std[j] = var > 0 ? sqrt(var) : 0.0;
    }
  return 0;
}

lunet_tensor_t *lunet_one_hot(const lunet_tensor_t *idx, int64_t dim) {
  int64_t rows = idx->shape[0];
  const float *v = lunet_tensor_data(idx); /* (rows) */
  for (int64_t i = 0; i < rows; i++)
    if (!(v[i] >= 0 && v[i] < (float)dim) || v[i] != floorf(v[i])) {
      lunet_fail("row %lld holds %g, expected an integer index in [0, %lld)", (long long)i + 1, v[i],
                 (long long)dim);
      return NULL;
    }
  int64_t shape[2] = {rows, dim};
  lunet_tensor_t *out = lunet_tensor_new(2, shape);
  if (!out) return NULL;
  float *y = lunet_tensor_data(out); /* (rows, dim) */
  for (int64_t i = 0; i < rows; i++) y[i * dim + (int64_t)v[i]] = 1.0f;
  return out;
}

lunet_tensor_t *lunet_argmax_rows(const lunet_tensor_t *x) {
  int64_t rows = x->shape[0], d = x->shape[1];
  int64_t shape[1] = {rows};
  lunet_tensor_t *out = lunet_tensor_new_uninit(1, shape);
  if (!out) return NULL;
  const float *p = lunet_tensor_data(x); /* (rows, d) */
  float *y = lunet_tensor_data(out);     /* (rows) */
  for (int64_t i = 0; i < rows; i++) {
    int64_t best = 0;
    for (int64_t j = 1; j < d; j++)
      if (p[i * d + j] > p[i * d + best]) best = j;
    y[i] = (float)best;
  }
  return out;
}

int lunet_string_counts(const lunet_column_t *c, int64_t *counts) {
  memset(counts, 0, (size_t)c->dict->count * sizeof *counts);
  const int32_t *codes = lunet_column_codes(c);
  for (int64_t i = 0; i < c->rows; i++) counts[codes[i]]++;
  return 0;
}

lunet_tensor_t *lunet_string_index(const lunet_column_t *c, const int32_t *map, int32_t keep, int skip,
                                   int64_t **kept, int64_t *nkept, const char *where) {
  const int32_t *codes = lunet_column_codes(c);
  int64_t shape[1] = {c->rows};
  lunet_tensor_t *out = lunet_tensor_new_uninit(1, shape);
  if (!out) return NULL;
  float *y = lunet_tensor_data(out); /* (rows) */
  int64_t *k = NULL, n = 0;
  if (skip && !(k = lunet_malloc((size_t)c->rows * sizeof *k))) { lunet_tensor_free(out); return NULL; }
  for (int64_t i = 0; i < c->rows; i++) {
    int32_t v = map[codes[i]];
    if (v < 0 && !skip && keep < 0) {
      size_t len;
      const char *s = lunet_strdict_get(c->dict, codes[i], &len);
      lunet_fail("%s: unseen label '%.60s' at row %lld (fit did not see it; use handle_invalid = 'skip' or "
                 "'keep')", where, s, (long long)i + 1);
      lunet_tensor_free(out);
      return NULL;
    }
    if (v < 0 && skip) continue;
    if (skip) k[n] = i;
    y[n++] = (float)(v < 0 ? keep : v);
  }
  if (skip) { *kept = k; *nkept = n; }
  return out; /* with skip only the first n entries are meaningful */
}

int lunet_mask_positions(const float *mask, int64_t n, int64_t **idx, int64_t *count) {
  int64_t *p = lunet_malloc((size_t)n * sizeof *p), m = 0;
  if (!p) return -1;
  for (int64_t i = 0; i < n; i++)
    if (mask[i] != 0.0f) p[m++] = i;
  *idx = p;
  *count = m;
  return 0;
}

int lunet_random_split(lunet_rng_t *r, int64_t n, const double *weights, int k, int64_t **idx,
                       int64_t *count) {
  double total = 0, cum[64];
  if (k < 1 || k > 64) return lunet_fail("between 1 and 64 weights, got %d", k);
  for (int j = 0; j < k; j++) {
    if (!(weights[j] >= 0) || !isfinite(weights[j]))
      return lunet_fail("weight %d is %g, weights must be finite and >= 0", j + 1, weights[j]);
    total += weights[j];
  }
  if (!(total > 0)) return lunet_fail("weights sum to 0");
  if (!isfinite(total)) return lunet_fail("weights sum to %g, not a finite number", total);
  for (int j = 0; j < k; j++) cum[j] = (j ? cum[j - 1] : 0) + weights[j] / total;
  cum[k - 1] = 1.0;
  for (int j = 0; j < k; j++) {
    count[j] = 0;
    idx[j] = lunet_malloc((size_t)n * sizeof **idx);
    if (!idx[j]) {
      for (int q = 0; q < j; q++) free(idx[q]);
      return -1;
    }
  }
  for (int64_t i = 0; i < n; i++) {
    double u = lunet_rng_uniform(r);
    int j = 0;
    while (j < k - 1 && u >= cum[j]) j++;
    idx[j][count[j]++] = i;
  }
  return 0;
}
