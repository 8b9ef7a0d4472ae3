/* Approximate quantiles in bounded memory: the Greenwald-Khanna summary as
 * Spark's QuantileSummaries keeps it (the one behind approxQuantile and the
 * Imputer's median), fed sorted batches. A query at p returns a value of
 * the data whose rank is within relative_error * count of ceil(p * count);
 * while count < 1 / (2 * relative_error) nothing is merged and the answer is
 * exact. The summary holds O(1 / relative_error * log(relative_error *
 * count)) entries. Errors: lunet_fail + NULL/-1. */
#ifndef LUNET_QUANTILE_H
#define LUNET_QUANTILE_H

#include <stdint.h>

typedef struct {
  double value;
  int64_t g, delta; /* g: ranks this entry covers past the previous one; delta: its rank's uncertainty */
} lunet_qstat_t;

typedef struct {
  double relative_error;
  int64_t count;     /* values added */
  lunet_qstat_t *s;  /* (n) in ascending value order */
  int64_t n;         /* entries */
} lunet_quantiles_t;

/* A new empty summary (0 < relative_error < 1); _free(NULL) is a no-op. */
lunet_quantiles_t *lunet_quantiles_new(double relative_error);
void lunet_quantiles_free(lunet_quantiles_t *q);

/* Adds the ascending values v (n, no NaN) and compresses the summary. */
int lunet_quantiles_add_sorted(lunet_quantiles_t *q, const double *v, int64_t n);

/* The approximate p-quantile (0 <= p <= 1) of the values added; NaN when
 * none were. */
double lunet_quantiles_query(const lunet_quantiles_t *q, double p);

#endif
