/* Row kernels behind lunet.feature and the DataFrame row selections: vector
 * assembly, column statistics, one-hot, string indexing, masks, permutations
 * and random splits. Each is one pass over contiguous memory in C, so a
 * transformer never loops over rows in Lua. Errors: lunet_fail + NULL/-1. */
#ifndef LUNET_ROWOPS_H
#define LUNET_ROWOPS_H

#include <stdint.h>

#include "column.h"
#include "rng.h"

/* out (rows, sum of widths) = the numeric/vector columns side by side, as
 * float32 (float64 values are rounded). All columns have the same rows. */
lunet_tensor_t *lunet_assemble(lunet_column_t *const *cols, int n);

/* Per-column statistics over the rows of x (rows, d) in double: mean, the
 * unbiased standard deviation (as Spark's StandardScaler; 0 for one row), min
 * and max. Each output is (d); NULL outputs are skipped. */
int lunet_colstats(const lunet_tensor_t *x, double *mean, double *std, double *min, double *max);

/* The same pass with m2 (d) = the sum of squared deviations from the mean
 * instead of std: the per-chunk moments that a streaming fit merges (Chan et
 * al.'s formula, feature/streaming.lua). */
int lunet_colmoments(const lunet_tensor_t *x, double *mean, double *m2, double *min, double *max);

/* out (rows, dim): row i is e_{idx[i]}; indices must be integers in [0, dim). */
lunet_tensor_t *lunet_one_hot(const lunet_tensor_t *idx, int64_t dim);

/* out (rows) = 0-based argmax of each row of x (rows, d), as floats. */
lunet_tensor_t *lunet_argmax_rows(const lunet_tensor_t *x);

/* counts (dict->count) = occurrences of each code of the string column c. */
int lunet_string_counts(const lunet_column_t *c, int64_t *counts);

/* out (rows) = map[code] for each row of the string column c. A code mapped
 * to -1 is unseen: with keep >= 0 it becomes keep; with skip the row is left
 * out (its 0-based position is not listed in *kept, which then lists the rows
 * kept; *kept is malloc'ed, the caller frees it); otherwise an error naming
 * where, the label and its row. */
lunet_tensor_t *lunet_string_index(const lunet_column_t *c, const int32_t *map, int32_t keep, int skip,
                                   int64_t **kept, int64_t *nkept, const char *where);

/* 0-based positions of the non-zero entries of mask (n); *idx malloc'ed. */
int lunet_mask_positions(const float *mask, int64_t n, int64_t **idx, int64_t *count);

/* Spark's randomSplit: each row draws one uniform number and goes to the
 * split whose cumulative normalised weight range holds it; order is kept.
 * idx[k] (malloc'ed) lists split k's rows, count[k] their number. */
int lunet_random_split(lunet_rng_t *r, int64_t n, const double *weights, int k, int64_t **idx,
                       int64_t *count);

#endif
