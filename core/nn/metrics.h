/* Keras metrics as running sums over an epoch (tf.keras 2.x semantics): a
 * metric adds each batch's (optionally weighted) values to a few doubles, and
 * lua/lunet/nn/metrics turns them into the result (a weighted mean, AUC,
 * precision, recall). The sums only ever add up, so the states of several
 * workers merge by addition. Updating allocates nothing. */
#ifndef LUNET_METRICS_H
#define LUNET_METRICS_H

#include <stdint.h>

typedef enum {
  LUNET_METRIC_BINARY_ACCURACY,      /* mean over outputs of (t == (p > threshold)) */
  LUNET_METRIC_CATEGORICAL_ACCURACY, /* argmax t == argmax p */
  LUNET_METRIC_SPARSE_CATEGORICAL_ACCURACY, /* t (an index) == argmax p */
  LUNET_METRIC_TOP_K,                /* argmax t among the k largest p (ties count as in: tf.nn.in_top_k) */
  LUNET_METRIC_SPARSE_TOP_K,         /* t (an index) among the k largest p */
  LUNET_METRIC_MSE, LUNET_METRIC_MAE,
  LUNET_METRIC_MAPE,                 /* 100 * mean |t - p| / max(|t|, 1e-7) */
  LUNET_METRIC_CONFUSION             /* weighted counts of (p > thr) vs (t != 0) per threshold (AUC, ...) */
} lunet_metric_kind_t;

typedef struct lunet_metric {
  lunet_metric_kind_t kind;
  float threshold;      /* binary accuracy */
  int k;                /* top-k */
  int nthr;             /* confusion: number of thresholds */
  float *thr;           /* (nthr) owned, ascending */
  int64_t nstate;
  /* (nstate) owned. Means: [sum w*v, sum w]. Confusion: (2, nthr + 1), the
   * weights of positive (t != 0) then negative observations by bucket b =
   * the number of thresholds below p; so tp at threshold j is the positive
   * weight of buckets b > j, fn that of b <= j (fp, tn likewise). One binary
   * search per observation instead of a pass over the thresholds. */
  double *state;
} lunet_metric_t;

/* A new metric with zero sums (thresholds copied; nthr and thr only for
 * LUNET_METRIC_CONFUSION); NULL with a message on a bad parameter. */
lunet_metric_t *lunet_metric_new(lunet_metric_kind_t kind, float threshold, int k, int nthr, const float *thr);
void lunet_metric_free(lunet_metric_t *m);
void lunet_metric_reset(lunet_metric_t *m);
/* 1 when the metric reads targets as class indices (one per sample). */
int lunet_metric_sparse(lunet_metric_kind_t kind);

/* Adds a batch: p (batch, n) predictions, t (batch, n) targets or (batch)
 * class indices for the sparse kinds (an index out of range counts as
 * wrong), w (batch) sample weights or NULL (all 1). The confusion counts see
 * every output of a sample as one observation with the sample's weight. */
void lunet_metric_update(lunet_metric_t *m, const float *p, const float *t, const float *w, int64_t batch,
                         int64_t n);

#endif
