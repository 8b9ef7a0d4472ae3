/* Greenwald-Khanna quantile summary (see quantile.h), following Spark's
 * QuantileSummaries (insert a sorted head buffer, then compress; query by
 * rank bounds with half the largest g + delta as the target error). */
#include "quantile.h"

#include <math.h>
#include <stdlib.h>

#include "common.h"

lunet_quantiles_t *lunet_quantiles_new(double relative_error) {
  if (!(relative_error > 0 && relative_error < 1)) {
    lunet_fail("relative error %g must be in (0, 1)", relative_error);
    return NULL;
  }
  lunet_quantiles_t *q = lunet_calloc(1, sizeof *q);
  if (q) q->relative_error = relative_error;
  return q;
}

void lunet_quantiles_free(lunet_quantiles_t *q) {
  if (!q) return;
  free(q->s);
  free(q);
}

/* Merges adjacent entries whose combined rank range stays under
 * 2 * relative_error * count, from the top down; the first entry is kept so
 * the minimum stays exact (Spark's compressImmut). In place. */
static void compress(lunet_quantiles_t *q) {
  int64_t threshold = (int64_t)floor(2 * q->relative_error * (double)q->count);
  if (q->n < 3) return;
  lunet_qstat_t *s = q->s;
  int64_t out = q->n; /* entries are written downwards from the end */
  lunet_qstat_t head = s[q->n - 1];
  for (int64_t i = q->n - 2; i >= 1; i--) {
    lunet_qstat_t cur = s[i]; /* (read first: the write below may land on s[i]) */
    if (cur.g + head.g + head.delta < threshold) {
      head.g += cur.g;
    } else {
      s[--out] = head;
      head = cur;
    }
  }
  s[--out] = head;
  if (s[0].value <= head.value) s[--out] = s[0];
  int64_t kept = q->n - out;
  for (int64_t i = 0; i < kept; i++) s[i] = s[out + i];
  q->n = kept;
}

int lunet_quantiles_add_sorted(lunet_quantiles_t *q, const double *v, int64_t n) {
  if (n == 0) return 0;
  lunet_qstat_t *m = lunet_malloc((size_t)(q->n + n) * sizeof *m); /* (q->n + n) merged */
  if (!m) return -1;
  int64_t k = 0, i = 0, count = q->count;
  for (int64_t j = 0; j < n; j++) {
    while (i < q->n && q->s[i].value <= v[j]) m[k++] = q->s[i++];
    count++;
    /* a new extreme is known exactly; elsewhere its rank is uncertain by
     * the band 2 * relative_error * count */
    int64_t delta = (k == 0 || (i == q->n && j == n - 1)) ? 0 : (int64_t)floor(2 * q->relative_error * (double)count);
    m[k++] = (lunet_qstat_t){v[j], 1, delta};
  }
  while (i < q->n) m[k++] = q->s[i++];
  free(q->s);
  q->s = m;
  q->n = k;
  q->count = count;
  compress(q);
  return 0;
}

double lunet_quantiles_query(const lunet_quantiles_t *q, double p) {
  if (q->n == 0) return NAN;
  if (p <= q->relative_error) return q->s[0].value;
  if (p >= 1 - q->relative_error) return q->s[q->n - 1].value;
  int64_t rank = (int64_t)ceil(p * (double)q->count), widest = 0;
  for (int64_t i = 0; i < q->n; i++)
    if (q->s[i].g + q->s[i].delta > widest) widest = q->s[i].g + q->s[i].delta;
  double target = (double)widest / 2;
  int64_t min_rank = 0;
  for (int64_t i = 0; i < q->n - 1; i++) {
    min_rank += q->s[i].g;
    int64_t max_rank = min_rank + q->s[i].delta;
    if ((double)max_rank - target <= (double)rank && (double)rank <= (double)min_rank + target) return q->s[i].value;
  }
  return q->s[q->n - 1].value;
}
