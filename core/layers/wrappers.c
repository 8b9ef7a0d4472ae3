/* The Keras wrapper TimeDistributed (Bidirectional: bidirectional.c): it holds its inner
 * layer, built from the config's "layer." entries (the binding flattens a
 * nested config into "layer.<key>" entries, config.h), with parameter views
 * into its own. TimeDistributed runs the inner layer once over B*T "samples"
 * (buffers are row-major, so (B, T, ...) is (B*T, ...)): TimeDistributed(Dense)
 * is Dense's one sgemm. Bidirectional runs a forward and a backward RNN over
 * the input and merges their outputs (the backward sequence reversed back to
 * input order, as Keras). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "rnn.h"
#include "tensor.h"

void lunet_layer_move_weights(lunet_layer_t *to, lunet_layer_t *from) { /* the wrapper applies the inner's penalties */
  to->kernel = from->kernel; to->bias = from->bias; to->recurrent = from->recurrent;
  to->activity_reg = from->activity_reg;
  from->kernel = from->bias = from->recurrent = (lunet_weight_t){0}; /* (the constraints' norms move too) */
  from->activity_reg = (lunet_reg_t){0.0f, 0.0f};
}

/* ---- TimeDistributed ---- */

typedef struct {
  lunet_layer_t base;
  lunet_layer_t *in;
  int64_t t;
} td_t;

static void td_views(lunet_layer_t *l) { td_t *d = (td_t *)l; d->in->params = l->params; d->in->grads = l->grads; }

static void td_init(lunet_layer_t *l, lunet_rng_t *rng) {
  td_views(l);
  if (((td_t *)l)->in->ops->init) ((td_t *)l)->in->ops->init(((td_t *)l)->in, rng);
}

static int td_plan(lunet_layer_t *l, int max_batch) {
  td_t *d = (td_t *)l;
  if (max_batch > INT32_MAX / d->t) return lunet_fail("%s: a batch of %d is too large", l->name, max_batch);
  d->in->need_input_grad = l->need_input_grad;
  return d->in->ops->plan ? d->in->ops->plan(d->in, max_batch * (int)d->t) : 0;
}

static int td_check(const lunet_layer_t *l, const float *in, int batch) {
  const td_t *d = (const td_t *)l;
  return d->in->ops->check_input ? d->in->ops->check_input(d->in, in, batch * (int)d->t) : 0;
}

static void td_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  td_t *d = (td_t *)l;
  td_views(l);
  d->in->ops->forward(d->in, out, in, batch * (int)d->t, training);
}

static void td_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  td_t *d = (td_t *)l;
  td_views(l);
  d->in->act_fused_loss = l->act_fused_loss;
  d->in->grads_preset = l->grads_preset;
  d->in->ops->backward(d->in, din, dout, in, out, batch * (int)d->t);
}

static void td_free(lunet_layer_t *l) { lunet_layer_free(((td_t *)l)->in); }
static void td_reseed(lunet_layer_t *l, uint64_t seed) {
  lunet_layer_t *in = ((td_t *)l)->in;
  if (in->ops->reseed) in->ops->reseed(in, seed);
}
static size_t td_state_size(const lunet_layer_t *l) { return lunet_layer_state_size(((const td_t *)l)->in); }
static void td_get_state(const lunet_layer_t *l, uint8_t *out) {
  const lunet_layer_t *in = ((const td_t *)l)->in;
  if (lunet_layer_state_size(in)) in->ops->get_state(in, out);
}
static int td_set_state(lunet_layer_t *l, const uint8_t *s, size_t n) {
  lunet_layer_t *in = ((td_t *)l)->in;
  return in->ops->set_state ? in->ops->set_state(in, s, n) : lunet_fail("no state");
}

static const lunet_layer_ops_t td_ops = {
    .kind = "TimeDistributed", .init = td_init, .plan = td_plan, .forward = td_forward, .backward = td_backward,
    .free = td_free, .reseed = td_reseed, .state_size = td_state_size, .get_state = td_get_state,
    .set_state = td_set_state, .check_input = td_check, .state_name = "TimeDistributed inner layer"};

/* config: layer (the inner layer's config) */
static lunet_layer_t *td_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  char s[LUNET_SHAPE_STR_MAX];
  if (in_ndim < 2) {
    lunet_fail("TimeDistributed: expects (batch, steps, ...), input has shape (batch, %s",
               lunet_shape_str(s, sizeof s, in_ndim, in_shape) + 1);
    return NULL;
  }
  lunet_layer_config_t sub;
  if (lunet_config_sub(cfg, "layer", &sub) < 0) return NULL;
  lunet_layer_t *in = sub.n ? lunet_layer_from_config(&sub, in_ndim - 1, in_shape + 1) : NULL;
  if (!sub.n) lunet_fail("TimeDistributed: the config has no inner layer ('layer')");
  free((void *)sub.entries);
  if (!in) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", lunet_errmsg());
    lunet_fail("TimeDistributed: %s", msg);
    return NULL;
  }
  if (in->out_ndim + 1 > LUNET_LAYER_MAX_DIMS || in->makes_mask) {
    lunet_fail("TimeDistributed(%s): %s", in->name, in->makes_mask ? "the inner layer cannot make a mask"
               : "the output per sample would have more than 3 dimensions");
    lunet_layer_free(in);
    return NULL;
  }
  td_t *d = lunet_nn_alloc(sizeof *d);
  if (!d) { lunet_layer_free(in); return NULL; }
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, &td_ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "TimeDistributed(%.40s)", in->name);
  d->in = in;
  d->t = in_shape[0];
  l->out_ndim = in->out_ndim + 1;
  l->out_shape[0] = d->t;
  for (int i = 0; i < in->out_ndim; i++) l->out_shape[i + 1] = in->out_shape[i];
  l->out_size = lunet_shape_numel(l->out_ndim, l->out_shape);
  l->nparams = in->nparams;
  l->ntrainable = in->ntrainable;
  l->is_view = in->is_view;
  l->act = in->act;
  l->mask_keep = 1;
  l->has_seed = in->has_seed;
  l->seed = in->seed;
  lunet_layer_move_weights(l, in);
  /* Keras divides the inner layer's activity penalty by its own batch, B*T samples */
  l->activity_reg.l1 /= (float)d->t;
  l->activity_reg.l2 /= (float)d->t;
  return l;
}

const lunet_layer_kind_t lunet_time_distributed_kind = {"TimeDistributed", td_from_config};
