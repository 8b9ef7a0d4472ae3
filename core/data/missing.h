/* Missing values in numeric columns: the kernels behind feature.Imputer,
 * df:dropna and the checks that keep NaN out of fitting and training. NaN
 * is lunet's null (read_csv reads empty fields and na_values as NaN), so it
 * always counts as missing; a placeholder value (-999.0) can be missing too.
 * Errors: lunet_fail + NULL/-1. */
#ifndef LUNET_MISSING_H
#define LUNET_MISSING_H

#include <stdint.h>

#include "column.h"

/* The first row (0-based) of the numeric or vector column c that holds a
 * NaN, -1 when none does; *elem (when not NULL) gets the NaN's 0-based
 * position within that row. String columns hold no NaN. */
int64_t lunet_column_first_nan(const lunet_column_t *c, int64_t *elem);

/* idx (malloc'ed) = the 0-based rows where none of the n numeric or vector
 * columns cols holds a NaN, in order; *count of them. */
int lunet_complete_rows(lunet_column_t *const *cols, int n, int64_t **idx, int64_t *count);

typedef enum { LUNET_IMPUTE_MEAN, LUNET_IMPUTE_MEDIAN, LUNET_IMPUTE_MODE } lunet_impute_t;

/* *surrogate = the mean, median or mode of the scalar numeric column c over
 * its rows that are neither NaN nor equal to missing (Spark's Imputer): the
 * median is the lower middle value (a value of the column, as Spark's
 * approxQuantile gives), the mode the most frequent value (the smallest of
 * those tied). *valid = the number of such rows; with none, *surrogate is
 * NaN. In a float column, missing is compared as a float32. */
int lunet_impute_fit(const lunet_column_t *c, double missing, lunet_impute_t how, double *surrogate,
                     int64_t *valid);

/* values (malloc'ed, the caller frees it) = the values of the scalar numeric
 * column c that are neither NaN nor missing, ascending; *count of them (the
 * per-chunk step of a streaming median or mode). */
int lunet_column_present_sorted(const lunet_column_t *c, double missing, double **values, int64_t *count);

/* A new column: c with every NaN and every value equal to missing replaced
 * by surrogate. integer and double columns give a double column, a float
 * column a float column. */
lunet_column_t *lunet_impute(const lunet_column_t *c, double missing, double surrogate);

#endif
