/* Keras metrics as running sums (metrics.h): one pass over a batch's
 * predictions and targets, adding weighted values to the metric's state.
 * Follows tf.keras 2.x (keras/metrics.py): binary_accuracy compares
 * t == (p > threshold) exactly, argmax ties go to the first index, top-k
 * follows tf.nn.in_top_k (ties with the target count as in, a non-finite
 * prediction as out), mape clips |t| at K.epsilon() = 1e-7. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "layer.h"
#include "metrics.h"

int lunet_metric_sparse(lunet_metric_kind_t kind) {
  return kind == LUNET_METRIC_SPARSE_CATEGORICAL_ACCURACY || kind == LUNET_METRIC_SPARSE_TOP_K;
}

lunet_metric_t *lunet_metric_new(lunet_metric_kind_t kind, float threshold, int k, int nthr, const float *thr) {
  if (kind == LUNET_METRIC_CONFUSION) {
    if (nthr < 1 || !thr) { lunet_fail("metric: needs at least one threshold"); return NULL; }
    for (int i = 1; i < nthr; i++)
      if (!(thr[i] >= thr[i - 1])) { lunet_fail("metric: thresholds must ascend"); return NULL; }
  }
  if ((kind == LUNET_METRIC_TOP_K || kind == LUNET_METRIC_SPARSE_TOP_K) && k < 1) {
    lunet_fail("metric: k must be at least 1, got %d", k);
    return NULL;
  }
  lunet_metric_t *m = lunet_nn_alloc(sizeof *m);
  if (!m) return NULL;
  m->kind = kind;
  m->threshold = threshold;
  m->k = k;
  m->nstate = kind == LUNET_METRIC_CONFUSION ? 2 * ((int64_t)nthr + 1) : 2;
  m->state = lunet_nn_alloc((size_t)m->nstate * sizeof *m->state);
  if (kind == LUNET_METRIC_CONFUSION) {
    m->nthr = nthr;
    m->thr = lunet_nn_alloc((size_t)nthr * sizeof *m->thr);
    if (m->thr) memcpy(m->thr, thr, (size_t)nthr * sizeof *thr);
  }
  if (!m->state || (kind == LUNET_METRIC_CONFUSION && !m->thr)) { lunet_metric_free(m); return NULL; }
  return m;
}

void lunet_metric_free(lunet_metric_t *m) {
  if (!m) return;
  free(m->state);
  free(m->thr);
  free(m);
}

void lunet_metric_reset(lunet_metric_t *m) { memset(m->state, 0, (size_t)m->nstate * sizeof *m->state); }

static int64_t argmax(const float *v, int64_t n) {
  int64_t best = 0;
  for (int64_t j = 1; j < n; j++) if (v[j] > v[best]) best = j;
  return best;
}

/* tf.nn.in_top_k: fewer than k predictions above the target's */
static int in_top_k(const float *p, int64_t n, int64_t target, int k) {
  if (target < 0 || target >= n || !isfinite(p[target])) return 0;
  int64_t above = 0;
  for (int64_t j = 0; j < n; j++) {
    if (!isfinite(p[j])) return 0;
    if (p[j] > p[target]) above++;
  }
  return above < k;
}

/* a class index read from a float target: -1 when it is not one */
static int64_t class_index(float t, int64_t n) {
  if (!(t >= 0) || t >= (float)n || t != floorf(t)) return -1;
  return (int64_t)t;
}

/* The value of one sample for the mean metrics. */
static double sample_value(const lunet_metric_t *m, const float *p, const float *t, int64_t n) {
  double v = 0;
  switch (m->kind) {
  case LUNET_METRIC_BINARY_ACCURACY:
    for (int64_t j = 0; j < n; j++) v += t[j] == (p[j] > m->threshold ? 1.0f : 0.0f);
    return v / (double)n;
  case LUNET_METRIC_CATEGORICAL_ACCURACY: return argmax(t, n) == argmax(p, n);
  case LUNET_METRIC_SPARSE_CATEGORICAL_ACCURACY: return class_index(t[0], n) == argmax(p, n);
  case LUNET_METRIC_TOP_K: return in_top_k(p, n, argmax(t, n), m->k);
  case LUNET_METRIC_SPARSE_TOP_K: return in_top_k(p, n, class_index(t[0], n), m->k);
  case LUNET_METRIC_MSE:
    for (int64_t j = 0; j < n; j++) v += ((double)t[j] - p[j]) * ((double)t[j] - p[j]);
    return v / (double)n;
  case LUNET_METRIC_MAE:
    for (int64_t j = 0; j < n; j++) v += fabs((double)t[j] - p[j]);
    return v / (double)n;
  case LUNET_METRIC_MAPE:
    for (int64_t j = 0; j < n; j++) v += fabs((double)t[j] - p[j]) / fmax(fabs((double)t[j]), 1e-7);
    return 100.0 * v / (double)n;
  case LUNET_METRIC_CONFUSION: break;
  }
  return 0;
}

/* the number of thresholds below x (they ascend): p > thr[j] exactly for j below it */
static int bucket(const float *thr, int nthr, float x) {
  int lo = 0, hi = nthr;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (thr[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

void lunet_metric_update(lunet_metric_t *m, const float *p, const float *t, const float *w, int64_t batch,
                         int64_t n) {
  int64_t tw = lunet_metric_sparse(m->kind) ? 1 : n;
  if (m->kind == LUNET_METRIC_CONFUSION) {
    double *pos = m->state, *neg = m->state + m->nthr + 1;
    for (int64_t b = 0; b < batch; b++) {
      double wb = w ? w[b] : 1.0;
      for (int64_t j = 0; j < n; j++) {
        int k = bucket(m->thr, m->nthr, p[b * n + j]);
        if (t[b * n + j] != 0) pos[k] += wb; else neg[k] += wb;
      }
    }
    return;
  }
  double sum = 0, count = 0;
  for (int64_t b = 0; b < batch; b++) {
    double wb = w ? w[b] : 1.0;
    sum += wb * sample_value(m, p + b * n, t + b * tw, n);
    count += wb;
  }
  m->state[0] += sum;
  m->state[1] += count;
}
