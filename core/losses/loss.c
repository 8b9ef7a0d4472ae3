/* The loss name table (Keras names and aliases), the losses' parameters and
 * the dispatch from a loss kind to its kernel. */
#include <math.h>
#include <string.h>

#include "common.h"
#include "loss.h"

static const char *const loss_names[LUNET_LOSS_COUNT] = {
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "mean_squared_error", "mean_absolute_error", "huber", "log_cosh", "kl_divergence", "poisson",
    "cosine_similarity", "hinge", "squared_hinge", "categorical_hinge"};

/* the other names tf.keras' losses.get accepts for them */
static const struct { const char *alias; lunet_loss_t kind; } aliases[] = {
    {"mse", LUNET_LOSS_MEAN_SQUARED_ERROR}, {"mae", LUNET_LOSS_MEAN_ABSOLUTE_ERROR},
    {"huber_loss", LUNET_LOSS_HUBER}, {"logcosh", LUNET_LOSS_LOG_COSH},
    {"kld", LUNET_LOSS_KL_DIVERGENCE}, {"kullback_leibler_divergence", LUNET_LOSS_KL_DIVERGENCE}};

int lunet_loss_parse(lunet_loss_t *out, const char *name, const char *where) {
  for (int i = 0; i < LUNET_LOSS_COUNT; i++)
    if (strcmp(name, loss_names[i]) == 0) { *out = (lunet_loss_t)i; return 0; }
  for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
    if (strcmp(name, aliases[i].alias) == 0) { *out = aliases[i].kind; return 0; }
  return lunet_fail("%s: unknown loss '%s' (expected categorical_crossentropy, sparse_categorical_crossentropy, "
                    "binary_crossentropy, mean_squared_error/mse, mean_absolute_error/mae, huber, log_cosh, "
                    "kl_divergence/kld, poisson, cosine_similarity, hinge, squared_hinge or categorical_hinge)",
                    where, name);
}

const char *lunet_loss_name(lunet_loss_t loss) { return loss_names[loss]; }

int lunet_loss_sparse(lunet_loss_t loss) { return loss == LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY; }

lunet_loss_params_t lunet_loss_params_default(void) {
  return (lunet_loss_params_t){.delta = 1.0f, .from_logits = 0, .label_smoothing = 0.0f};
}

/* the parameters each loss takes, for messages */
static const char *params_text(lunet_loss_t kind) {
  switch (kind) {
  case LUNET_LOSS_HUBER: return " (expected delta)";
  case LUNET_LOSS_BINARY_CROSSENTROPY: case LUNET_LOSS_CATEGORICAL_CROSSENTROPY:
    return " (expected from_logits or label_smoothing)";
  case LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY: return " (expected from_logits)";
  default: return " (it takes none)";
  }
}

int lunet_loss_params_set(lunet_loss_params_t *p, lunet_loss_t kind, const char *name, double v,
                          const char *where) {
  int ce = kind == LUNET_LOSS_BINARY_CROSSENTROPY || kind == LUNET_LOSS_CATEGORICAL_CROSSENTROPY;
  if (kind == LUNET_LOSS_HUBER && strcmp(name, "delta") == 0) {
    /* delta <= 0 would make the loss identically 0 */
    if (v != v) return lunet_fail("%s: huber: delta must be a positive number, got nan", where);
    if (!(v > 0.0) || v > 3.4e38)
      return lunet_fail("%s: huber: delta must be a positive number, got %g", where, v);
    p->delta = (float)v;
    return 0;
  }
  if ((ce || kind == LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) && strcmp(name, "from_logits") == 0) {
    if (v != 0.0 && v != 1.0)
      return lunet_fail("%s: %s: from_logits must be true or false (1 or 0), got %g", where, loss_names[kind], v);
    p->from_logits = v == 1.0;
    return 0;
  }
  if (ce && strcmp(name, "label_smoothing") == 0) {
    /* (tf.keras takes any float; outside [0, 1] the smoothed targets leave [0, 1]) */
    if (!(v >= 0.0 && v <= 1.0))
      return lunet_fail("%s: %s: label_smoothing must be a number in [0, 1], got %g", where, loss_names[kind], v);
    p->label_smoothing = (float)v;
    return 0;
  }
  return lunet_fail("%s: loss '%s' has no parameter '%s'%s", where, loss_names[kind], name, params_text(kind));
}

int lunet_loss_eval(lunet_loss_t kind, double *loss, const lunet_loss_batch_t *a) {
  switch (kind) {
  case LUNET_LOSS_CATEGORICAL_CROSSENTROPY: *loss = lunet_loss_crossentropy(a); return 0;
  case LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY: return lunet_loss_sparse_crossentropy(loss, a);
  case LUNET_LOSS_BINARY_CROSSENTROPY: *loss = lunet_loss_binary_crossentropy(a); return 0;
  case LUNET_LOSS_MEAN_SQUARED_ERROR: *loss = lunet_loss_mse(a); return 0;
  case LUNET_LOSS_MEAN_ABSOLUTE_ERROR: *loss = lunet_loss_mae(a); return 0;
  case LUNET_LOSS_HUBER: *loss = lunet_loss_huber(a); return 0;
  case LUNET_LOSS_LOG_COSH: *loss = lunet_loss_log_cosh(a); return 0;
  case LUNET_LOSS_KL_DIVERGENCE: *loss = lunet_loss_kl_divergence(a); return 0;
  case LUNET_LOSS_POISSON: *loss = lunet_loss_poisson(a); return 0;
  case LUNET_LOSS_COSINE_SIMILARITY: *loss = lunet_loss_cosine_similarity(a); return 0;
  case LUNET_LOSS_HINGE: *loss = lunet_loss_hinge(a, 0); return 0;
  case LUNET_LOSS_SQUARED_HINGE: *loss = lunet_loss_hinge(a, 1); return 0;
  case LUNET_LOSS_CATEGORICAL_HINGE: *loss = lunet_loss_categorical_hinge(a); return 0;
  case LUNET_LOSS_COUNT: break;
  }
  return lunet_fail("unknown loss kind %d", (int)kind);
}
