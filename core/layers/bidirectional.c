/* Bidirectional (Keras 2): a forward and a backward recurrent layer over the
 * same input, their outputs merged ('concat', 'sum', 'mul', 'ave'), or
 * both kept (Keras' merge_mode None: config false; the output per sample is
 * [forward's | backward's], two outputs for the functional API); with
 * return_sequences the backward layer's sequence is reversed back to input
 * order first, and a masked step's outputs are zeros, as Keras does. Parameters: the forward layer's, then the
 * backward's (Keras' get_weights order). The inner configs are the config's
 * "layer." and "backward_layer." entries (config.h's lunet_config_sub). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "registry.h"
#include "rnn.h"
#include "tensor.h"

enum { MERGE_CONCAT, MERGE_SUM, MERGE_MUL, MERGE_AVE, MERGE_NONE };

typedef struct {
  lunet_layer_t base;
  lunet_layer_t *fw, *bw;
  int merge, seq;
  int64_t t, uf, ub; /* steps (1 without return_sequences), widths of the two outputs per step */
  float *of, *ob, *df, *db, *dinb; /* (B, T*uf), (B, T*ub) twice, (B, in_size) */
} bidir_t;

static void bd_views(lunet_layer_t *l) {
  bidir_t *d = (bidir_t *)l;
  d->fw->params = l->params; d->fw->grads = l->grads;
  d->bw->params = l->params + d->fw->nparams; d->bw->grads = l->grads + d->fw->nparams;
  d->fw->mask_in = d->bw->mask_in = l->mask_in;
}

static void bd_init(lunet_layer_t *l, lunet_rng_t *rng) {
  bidir_t *d = (bidir_t *)l;
  bd_views(l);
  d->fw->ops->init(d->fw, rng);
  d->bw->ops->init(d->bw, rng);
}

static void bd_free_bufs(bidir_t *d) {
  free(d->of); free(d->ob); free(d->df); free(d->db); free(d->dinb);
  d->of = d->ob = d->df = d->db = d->dinb = NULL;
}

static int bd_plan(lunet_layer_t *l, int max_batch) {
  bidir_t *d = (bidir_t *)l;
  bd_free_bufs(d);
  d->fw->need_input_grad = d->bw->need_input_grad = l->need_input_grad;
  if (d->fw->ops->plan(d->fw, max_batch) < 0 || d->bw->ops->plan(d->bw, max_batch) < 0) return -1;
  size_t nf = (size_t)(max_batch * d->fw->out_size) * sizeof(float), nb = (size_t)(max_batch * d->bw->out_size) * sizeof(float);
  d->of = lunet_nn_alloc(nf); d->df = lunet_nn_alloc(nf);
  d->ob = lunet_nn_alloc(nb); d->db = lunet_nn_alloc(nb);
  d->dinb = lunet_nn_alloc((size_t)(max_batch * l->in_size) * sizeof(float));
  if (!d->of || !d->df || !d->ob || !d->db || !d->dinb) { bd_free_bufs(d); return -1; }
  return 0;
}

/* the backward layer's row for output step t: reversed with return_sequences */
static int64_t bd_brow(const bidir_t *d, int64_t t) { return d->seq ? d->t - 1 - t : t; }

/* where output step t of sample b keeps the forward (*f) and backward (*g)
 * parts in the merged buffer m (the same place when they are combined) */
static void bd_parts(const bidir_t *d, float *m, int b, int64_t t, float **f, float **g) {
  int64_t os = d->base.out_size;
  if (d->merge == MERGE_NONE) {
    *f = m + b * os + t * d->uf;
    *g = m + b * os + d->t * d->uf + t * d->ub;
    return;
  }
  *f = m + (b * d->t + t) * (d->merge == MERGE_CONCAT ? d->uf + d->ub : d->uf);
  *g = d->merge == MERGE_CONCAT ? *f + d->uf : *f;
}

static void bd_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  bidir_t *d = (bidir_t *)l;
  bd_views(l);
  d->fw->ops->forward(d->fw, d->of, in, batch, training);
  d->bw->ops->forward(d->bw, d->ob, in, batch, training);
  int64_t w = d->uf;
  for (int b = 0; b < batch; b++)
    for (int64_t t = 0; t < d->t; t++) {
      const float *f = d->of + (b * d->t + t) * d->uf, *g = d->ob + (b * d->t + bd_brow(d, t)) * d->ub;
      float *o, *og;
      bd_parts(d, out, b, t, &o, &og);
      switch (d->merge) {
      case MERGE_CONCAT: case MERGE_NONE:
        memcpy(o, f, (size_t)d->uf * sizeof *o);
        memcpy(og, g, (size_t)d->ub * sizeof *o);
        break;
      case MERGE_SUM: for (int64_t j = 0; j < w; j++) o[j] = f[j] + g[j]; break;
      case MERGE_MUL: for (int64_t j = 0; j < w; j++) o[j] = f[j] * g[j]; break;
      default: for (int64_t j = 0; j < w; j++) o[j] = 0.5f * (f[j] + g[j]); break;
      }
    }
}

static void bd_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  bidir_t *d = (bidir_t *)l;
  bd_views(l);
  int64_t w = d->uf;
  for (int b = 0; b < batch; b++)
    for (int64_t t = 0; t < d->t; t++) {
      int64_t fr = (b * d->t + t) * d->uf, br = (b * d->t + bd_brow(d, t)) * d->ub;
      float *o, *og;
      bd_parts(d, dout, b, t, &o, &og);
      float *df = d->df + fr, *db = d->db + br;
      switch (d->merge) {
      case MERGE_CONCAT: case MERGE_NONE:
        memcpy(df, o, (size_t)d->uf * sizeof *o);
        memcpy(db, og, (size_t)d->ub * sizeof *o);
        break;
      case MERGE_SUM: memcpy(df, o, (size_t)w * sizeof *o); memcpy(db, o, (size_t)w * sizeof *o); break;
      case MERGE_MUL:
        for (int64_t j = 0; j < w; j++) { df[j] = o[j] * d->ob[br + j]; db[j] = o[j] * d->of[fr + j]; }
        break;
      default: for (int64_t j = 0; j < w; j++) df[j] = db[j] = 0.5f * o[j]; break;
      }
    }
  d->fw->ops->backward(d->fw, din, d->df, in, d->of, batch);
  d->bw->ops->backward(d->bw, din ? d->dinb : NULL, d->db, in, d->ob, batch);
  if (din)
    for (int64_t i = 0; i < batch * l->in_size; i++) din[i] += d->dinb[i];
}

static void bd_free(lunet_layer_t *l) {
  bidir_t *d = (bidir_t *)l;
  bd_free_bufs(d);
  lunet_layer_free(d->fw);
  lunet_layer_free(d->bw);
}

static void bd_reseed(lunet_layer_t *l, uint64_t seed) {
  bidir_t *d = (bidir_t *)l;
  d->fw->ops->reseed(d->fw, seed);
  d->bw->ops->reseed(d->bw, seed ^ 0x9e3779b97f4a7c15ull); /* an independent stream */
}
static size_t bd_state_size(const lunet_layer_t *l) {
  const bidir_t *d = (const bidir_t *)l;
  return lunet_layer_state_size(d->fw) + lunet_layer_state_size(d->bw);
}
static void bd_get_state(const lunet_layer_t *l, uint8_t *out) {
  const bidir_t *d = (const bidir_t *)l;
  d->fw->ops->get_state(d->fw, out);
  d->bw->ops->get_state(d->bw, out + lunet_layer_state_size(d->fw));
}
static int bd_set_state(lunet_layer_t *l, const uint8_t *in, size_t n) {
  bidir_t *d = (bidir_t *)l;
  size_t nf = lunet_layer_state_size(d->fw);
  if (n != bd_state_size(l)) return lunet_fail("%zu bytes, expected %zu", n, bd_state_size(l));
  uint8_t keep[64];
  d->fw->ops->get_state(d->fw, keep);
  if (d->fw->ops->set_state(d->fw, in, nf) < 0) return -1;
  if (d->bw->ops->set_state(d->bw, in + nf, n - nf) < 0) { d->fw->ops->set_state(d->fw, keep, nf); return -1; }
  return 0;
}

static const lunet_layer_ops_t bd_ops = {
    .kind = "Bidirectional", .init = bd_init, .plan = bd_plan, .forward = bd_forward, .backward = bd_backward,
    .free = bd_free, .reseed = bd_reseed, .state_size = bd_state_size, .get_state = bd_get_state,
    .set_state = bd_set_state, .state_name = "Bidirectional dropout generators"};

static int is_rnn(const lunet_layer_t *l) {
  const char *k = l->ops->kind;
  return strcmp(k, "SimpleRNN") == 0 || strcmp(k, "LSTM") == 0 || strcmp(k, "GRU") == 0;
}

static int has_penalties(const lunet_layer_t *l) {
  return l->kernel.reg.l1 != 0.0f || l->kernel.reg.l2 != 0.0f || l->bias.reg.l1 != 0.0f || l->bias.reg.l2 != 0.0f ||
         l->activity_reg.l1 != 0.0f || l->activity_reg.l2 != 0.0f || l->kernel.con.kind != LUNET_CON_NONE ||
         l->bias.con.kind != LUNET_CON_NONE || l->recurrent.reg.l1 != 0.0f || l->recurrent.reg.l2 != 0.0f ||
         l->recurrent.con.kind != LUNET_CON_NONE;
}

/* One inner layer from the entries under prefix; the backward one (no
 * "backward_layer" entries) is the forward's config with go_backwards flipped. */
static lunet_layer_t *inner(const lunet_layer_config_t *cfg, const char *prefix, int flip, int nd, const int64_t *s) {
  lunet_layer_config_t sub;
  if (lunet_config_sub(cfg, prefix, &sub) < 0) return NULL;
  lunet_layer_t *l = NULL;
  int back = 0;
  if (!sub.n) { lunet_fail("the config has no inner layer ('%s')", prefix); goto done; }
  if (flip) {
    if (lunet_config_boolean(&sub, "go_backwards", 0, &back) < 0) goto done;
    lunet_cfg_entry_t *e = (lunet_cfg_entry_t *)sub.entries, flipped = {.key = "go_backwards",
                                                                         .v = {.type = LUNET_CFG_BOOLEAN, .b = !back}};
    int i = 0;
    while (i < sub.n && strcmp(e[i].key, "go_backwards") != 0) i++;
    e[i] = flipped; /* over the inner's entry, or in the spare slot */
    if (i == sub.n) sub.n++;
  }
  l = lunet_layer_from_config(&sub, nd, s);
done:
  free((void *)sub.entries);
  return l;
}

/* config: layer, merge_mode ('concat', or false: none), backward_layer (optional) */
static lunet_layer_t *bd_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  static const char *const modes[] = {"concat", "sum", "mul", "ave"};
  const char *mode = "none";
  int merge = -1;
  const lunet_cfg_value_t *mv = lunet_config_get(cfg, "merge_mode");
  if (mv && mv->type == LUNET_CFG_BOOLEAN && !mv->b) merge = MERGE_NONE;
  else if (lunet_config_string(cfg, "merge_mode", "concat", &mode) < 0) return NULL;
  for (int i = 0; i < 4 && merge < 0; i++) if (strcmp(mode, modes[i]) == 0) merge = i;
  if (merge < 0) {
    lunet_fail("Bidirectional: merge_mode must be 'concat', 'sum', 'mul', 'ave' or false, got '%s'", mode);
    return NULL;
  }
  int own_back = lunet_config_get(cfg, "backward_layer") != NULL;
  lunet_layer_t *fw = inner(cfg, "layer", 0, in_ndim, in_shape), *bw = NULL;
  if (fw) bw = own_back ? inner(cfg, "backward_layer", 0, in_ndim, in_shape) : inner(cfg, "layer", 1, in_ndim, in_shape);
  char msg[512] = "";
  if (!fw || !bw) snprintf(msg, sizeof msg, "%s", lunet_errmsg());
  else if (!is_rnn(fw) || !is_rnn(bw)) snprintf(msg, sizeof msg, "the wrapped layers must be SimpleRNN, LSTM or GRU");
  else if (((rnn_t *)fw)->ret_state || ((rnn_t *)bw)->ret_state)
    snprintf(msg, sizeof msg, "return_state is not available inside Bidirectional");
  else if (((rnn_t *)fw)->ret_seq != ((rnn_t *)bw)->ret_seq)
    snprintf(msg, sizeof msg, "the forward and backward layers disagree on return_sequences");
  else if (((rnn_t *)fw)->backwards == ((rnn_t *)bw)->backwards)
    snprintf(msg, sizeof msg, "backward_layer must have the opposite go_backwards of layer");
  else if (merge != MERGE_CONCAT && merge != MERGE_NONE && fw->out_size != bw->out_size)
    snprintf(msg, sizeof msg, "merge_mode '%s' needs layers of the same units (%s and %s)", mode, fw->name, bw->name);
  else if (has_penalties(fw) || has_penalties(bw))
    snprintf(msg, sizeof msg, "the wrapped layers' regularizers and constraints are not available inside Bidirectional");
  bidir_t *d = msg[0] ? NULL : lunet_nn_alloc(sizeof *d);
  if (!d) {
    if (msg[0]) lunet_fail("Bidirectional: %s", msg);
    lunet_layer_free(fw); lunet_layer_free(bw);
    return NULL;
  }
  lunet_layer_t *l = &d->base;
  lunet_layer_setup(l, &bd_ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "Bidirectional(%.40s)", fw->name);
  d->fw = fw; d->bw = bw; d->merge = merge;
  d->seq = ((rnn_t *)fw)->ret_seq;
  ((rnn_t *)fw)->zero_masked = ((rnn_t *)bw)->zero_masked = d->seq; /* as Keras' Bidirectional */
  d->t = d->seq ? in_shape[0] : 1;
  d->uf = ((rnn_t *)fw)->u; d->ub = ((rnn_t *)bw)->u;
  l->out_ndim = d->seq && merge != MERGE_NONE ? 2 : 1;
  l->out_shape[0] = d->seq ? d->t : 0;
  l->out_shape[l->out_ndim - 1] = merge == MERGE_CONCAT ? d->uf + d->ub : d->uf;
  if (merge == MERGE_NONE) l->out_shape[0] = d->t * (d->uf + d->ub);
  l->out_size = lunet_shape_numel(l->out_ndim, l->out_shape);
  l->nparams = fw->nparams + bw->nparams;
  l->ntrainable = fw->ntrainable + bw->ntrainable;
  l->mask_use = 1;
  l->mask_keep = d->seq;
  l->has_seed = fw->has_seed;
  l->seed = fw->seed;
  return l;
}

const lunet_layer_kind_t lunet_bidirectional_kind = {"Bidirectional", bd_from_config};
