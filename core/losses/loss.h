/* Losses by their Keras names (tf.keras 2.x / Keras 2.3 semantics). A loss
 * sees a batch of outputs y against targets t as rows of the last axis: the
 * per-row loss l_r is the mean (or, for the cross-entropies, kl_divergence,
 * cosine_similarity and categorical_hinge, the sum) over that axis, and the
 * batch loss is SUM_OVER_BATCH_SIZE: sum_r w_r * l_r / rows, where w_r is the
 * weight of the sample the row belongs to (1 without weights). Each kernel
 * also writes dL/dy, rows scaled by w_r / rows. A zero weight gives its rows
 * a zero gradient and no loss even where their targets are NaN.
 * With fused set the output layer's activation is the loss' partner (softmax
 * for the categorical cross-entropies, sigmoid for binary) and the gradient
 * is taken with respect to its input instead: y - t, which is exact where the
 * chained form would divide by a tiny probability. With from_logits the
 * cross-entropies take y as logits (the output is linear, never fused) and
 * apply the sigmoid / softmax themselves, stably. */
#ifndef LUNET_LOSS_H
#define LUNET_LOSS_H

#include <stdint.h>
#include <string.h>

typedef enum {
  LUNET_LOSS_CATEGORICAL_CROSSENTROPY, LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
  LUNET_LOSS_BINARY_CROSSENTROPY, LUNET_LOSS_MEAN_SQUARED_ERROR, LUNET_LOSS_MEAN_ABSOLUTE_ERROR,
  LUNET_LOSS_HUBER, LUNET_LOSS_LOG_COSH, LUNET_LOSS_KL_DIVERGENCE, LUNET_LOSS_POISSON,
  LUNET_LOSS_COSINE_SIMILARITY, LUNET_LOSS_HINGE, LUNET_LOSS_SQUARED_HINGE, LUNET_LOSS_CATEGORICAL_HINGE,
  LUNET_LOSS_COUNT
} lunet_loss_t;

/* A loss' parameters (Keras' constructor arguments); defaults from
 * lunet_loss_params_default. */
typedef struct {
  float delta;           /* huber: where the quadratic turns linear (Keras: 1.0) */
  int from_logits;       /* the cross-entropies: 1 = y are logits (Keras: False) */
  float label_smoothing; /* binary / categorical cross-entropy: t' = t (1 - ls) + ls / 2 resp. ls / k (Keras: 0) */
} lunet_loss_params_t;

/* One evaluation: the batch's outputs, targets and weights, and the geometry
 * (batch samples of `per` rows of k values). */
typedef struct {
  float *grad;      /* (batch * per, k) dL/dy out */
  const float *y;   /* (batch * per, k) outputs */
  const float *t;   /* (batch * per, k) targets; sparse: (batch) class indices */
  const float *w;   /* (batch) sample weights, NULL = every weight 1 */
  int64_t batch, per, k;
  int fused;
  lunet_loss_params_t params;
} lunet_loss_batch_t;

/* Parses a Keras name or alias ('mse', 'kld', 'huber_loss', ...); -1 naming
 * where otherwise. */
int lunet_loss_parse(lunet_loss_t *out, const char *name, const char *where);
/* The canonical (Keras function) name. */
const char *lunet_loss_name(lunet_loss_t loss);
/* 1 when the targets are class indices (one per sample) rather than (B, n) */
int lunet_loss_sparse(lunet_loss_t loss);
lunet_loss_params_t lunet_loss_params_default(void);
/* Sets parameter name of loss kind to v: -1 with a message naming where, the
 * loss and the parameter when kind has no such parameter or v is out of its
 * range. */
int lunet_loss_params_set(lunet_loss_params_t *p, lunet_loss_t kind, const char *name, double v,
                          const char *where);

/* *loss = the weighted batch loss; a->grad filled (see the header). -1 and a
 * message for a sparse class index out of range. */
int lunet_loss_eval(lunet_loss_t kind, double *loss, const lunet_loss_batch_t *a);

/* The weight of row r: its sample's weight (1 without weights). */
static inline float lunet_loss_row_weight(const lunet_loss_batch_t *a, int64_t r) {
  return a->w ? a->w[r / a->per] : 1.0f;
}

/* One row's kernel for lunet_loss_rows: the row's loss weighted by w (its
 * sample's weight, never 0), its gradient into g scaled by s (w over the
 * batch loss' divisor); ctx is the kernel's own (the loss' options). */
typedef double (*lunet_loss_row_fn)(const lunet_loss_batch_t *a, const float *y, const float *t, float *g,
                                    float w, float s, const void *ctx);

/* The row loop every kernel but the sparse cross-entropy shares: the batch
 * loss sum_r row(r) / n with n = rows * k (mean, the mean over the last
 * axis) or rows (a sum over it); zero-weight rows get a zero gradient and
 * add nothing. Inline, so the compiler inlines row into the loop as if written
 * there. */
static inline double lunet_loss_rows(const lunet_loss_batch_t *a, int mean, lunet_loss_row_fn row,
                                     const void *ctx) {
  int64_t rows = a->batch * a->per, k = a->k, n = mean ? rows * k : rows;
  float inv = 1.0f / (float)n;
  double loss = 0.0;
  for (int64_t r = 0; r < rows; r++) {
    float *g = a->grad + r * k, w = lunet_loss_row_weight(a, r);
    if (w == 0.0f) { memset(g, 0, (size_t)k * sizeof *g); continue; }
    loss += row(a, a->y + r * k, a->t + r * k, g, w, w * inv, ctx);
  }
  return loss / (double)n;
}

/* The per-family kernels behind lunet_loss_eval; each returns the batch loss.
 * crossentropy.c */
double lunet_loss_crossentropy(const lunet_loss_batch_t *a);
int lunet_loss_sparse_crossentropy(double *loss, const lunet_loss_batch_t *a);
double lunet_loss_binary_crossentropy(const lunet_loss_batch_t *a);
/* regression.c */
double lunet_loss_mse(const lunet_loss_batch_t *a);
double lunet_loss_mae(const lunet_loss_batch_t *a);
double lunet_loss_huber(const lunet_loss_batch_t *a);
double lunet_loss_log_cosh(const lunet_loss_batch_t *a);
double lunet_loss_cosine_similarity(const lunet_loss_batch_t *a);
/* probabilistic.c */
double lunet_loss_kl_divergence(const lunet_loss_batch_t *a);
double lunet_loss_poisson(const lunet_loss_batch_t *a);
/* hinge.c */
double lunet_loss_hinge(const lunet_loss_batch_t *a, int squared);
double lunet_loss_categorical_hinge(const lunet_loss_batch_t *a);

#endif
