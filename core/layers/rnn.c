/* SimpleRNN, LSTM and GRU (rnn.h): config, planning, and the sweep over the
 * steps around the cell kernels (rnn_cells.c). The input projection of the
 * whole sequence is one sgemm ((B*T, F) x (F, GU)) before the steps, the
 * weight and input gradients one sgemm each after them; the per-step work is
 * the recurrent sgemm and a fused gate loop. Dropout masks (Keras: one per
 * sample and batch, the same at every step) come from the layer's own
 * generator; output is [seq or last h | h (| c) with return_state]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "regularize.h"
#include "registry.h"
#include "rnn.h"
#include "tensor.h"

static void rnn_init(lunet_layer_t *l, lunet_rng_t *rng) {
  rnn_t *r = (rnn_t *)l;
  int64_t gu = r->g * r->u;
  lunet_init_fill(r->kinit, rng, l->params, r->f * gu, r->f, gu);
  lunet_init_fill(r->rinit, rng, l->params + r->off_r, r->u * gu, r->u, gu);
  if (!r->use_bias) return;
  float *b = l->params + r->off_b;
  int64_t nb = l->nparams - r->off_b;
  lunet_init_fill(r->binit, rng, b, nb, r->f, gu);
  if (r->cell == RNN_LSTM && r->unit_forget_bias) /* Keras: the forget gate's bias starts at 1 */
    for (int64_t j = 0; j < r->u; j++) b[r->u + j] = 1.0f;
}

static void rnn_free(lunet_layer_t *l) {
  rnn_t *r = (rnn_t *)l;
  float **bufs[] = {&r->xw, &r->h, &r->c, &r->gates, &r->zpre, &r->ac, &r->rh, &r->rec, &r->xd, &r->dmask,
                    &r->rmask, &r->hd, &r->dxw, &r->drec, &r->dh, &r->dhn, &r->dc, &r->tmp};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) { free(*bufs[i]); *bufs[i] = NULL; }
  r->max_batch = 0;
}

static float *plan_buf(int *ok, int64_t n) {
  float *p = lunet_nn_alloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  if (!p) *ok = 0;
  return p;
}

static int rnn_plan(lunet_layer_t *l, int max_batch) {
  rnn_t *r = (rnn_t *)l;
  rnn_free(l);
  int64_t B = max_batch, T = r->t, U = r->u, F = r->f, GU = r->g * U;
  if (B > LUNET_MAX_SIZE / (T * (GU > F ? GU : F))) /* the sgemms' rows and strides are ints */
    return lunet_fail("%s: a batch of %d samples is too large (at most %lld values per batch)", l->name, max_batch,
                      (long long)LUNET_MAX_SIZE);
  int ok = 1, lstm = r->cell == RNN_LSTM, gru = r->cell == RNN_GRU;
  int needs = lunet_act_needs_input(r->act) || lunet_act_needs_input(r->ract);
  r->xw = plan_buf(&ok, B * T * GU);
  r->h = plan_buf(&ok, (T + 1) * B * U);
  r->c = lstm ? plan_buf(&ok, (T + 1) * B * U) : NULL;
  r->gates = plan_buf(&ok, T * B * GU);
  r->zpre = needs ? plan_buf(&ok, T * B * GU) : NULL;
  r->ac = lstm ? plan_buf(&ok, T * B * U) : NULL;
  r->rh = gru ? plan_buf(&ok, T * B * U) : NULL;
  r->rec = plan_buf(&ok, B * GU);
  if (r->dropout > 0.0f) { r->xd = plan_buf(&ok, r->nin * B * T * F); r->dmask = plan_buf(&ok, r->nin * B * F); }
  if (r->rdropout > 0.0f) { r->hd = plan_buf(&ok, T * r->nrec * B * U); r->rmask = plan_buf(&ok, r->nrec * B * U); }
  r->dxw = plan_buf(&ok, B * T * GU);
  r->drec = gru ? plan_buf(&ok, B * GU) : NULL;
  r->dh = plan_buf(&ok, B * U);
  r->dhn = plan_buf(&ok, B * U);
  r->dc = plan_buf(&ok, B * U);
  r->tmp = plan_buf(&ok, B * (T * F > U ? T * F : U));
  if (!ok) { rnn_free(l); return -1; }
  r->max_batch = max_batch;
  return 0;
}

/* m (n) = 0 or 1 / (1 - rate), as Dropout draws them */
static void draw_mask(lunet_rng_t *rng, float *m, int64_t n, float rate) {
  uint32_t threshold = (uint32_t)(rate * 65536.0f);
  float keep = 1.0f / (1.0f - rate);
  for (int64_t i = 0; i < n; i += 4) {
    uint64_t x = lunet_rng_next(rng);
    for (int j = 0; j < 4 && i + j < n; j++) m[i + j] = ((x >> (16 * j)) & 0xffff) < threshold ? 0.0f : keep;
  }
}

/* xw (B*T, GU) = x W + b, with the input dropout masks (one sgemm per mask) */
static void project_inputs(rnn_t *r, const float *in, int batch) {
  int64_t T = r->t, F = r->f, GU = r->g * r->u, rows = batch * T;
  const float *w = r->base.params;
  int masks = r->dropped && r->dropout > 0.0f;
  int n = masks ? r->nin : 1;
  int64_t cols = GU / n;
  for (int m = 0; m < n; m++) {
    const float *src = in;
    if (masks) {
      float *xd = r->xd + m * rows * F;
      const float *mk = r->dmask + (int64_t)m * batch * F;
      for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < F; j++) xd[i * F + j] = in[i * F + j] * mk[(i / T) * F + j];
      src = xd;
    }
    lunet_blas_sgemm(0, 0, (int)rows, (int)cols, (int)F, 1.0f, src, (int)F, w + m * cols, (int)GU, 0.0f,
                     r->xw + m * cols, (int)GU);
  }
  if (r->use_bias) {
    const float *b = r->base.params + r->off_b;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < GU; j++) r->xw[i * GU + j] += b[j];
  }
}

static int64_t seq_part(const rnn_t *r) { return r->ret_seq ? r->t * r->u : r->u; }

static void rnn_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  rnn_t *r = (rnn_t *)l;
  int64_t T = r->t, U = r->u;
  r->dropped = training && (r->dropout > 0.0f || r->rdropout > 0.0f);
  if (r->dropped && r->dropout > 0.0f) draw_mask(&r->rng, r->dmask, r->nin * batch * r->f, r->dropout);
  if (r->dropped && r->rdropout > 0.0f) draw_mask(&r->rng, r->rmask, r->nrec * batch * U, r->rdropout);
  project_inputs(r, in, batch);
  memset(r->h, 0, (size_t)(batch * U) * sizeof *r->h);
  if (r->c) memset(r->c, 0, (size_t)(batch * U) * sizeof *r->c);
  for (int64_t s = 0; s < T; s++) {
    int64_t t = r->backwards ? T - 1 - s : s;
    if (r->dropped && r->rdropout > 0.0f) /* the state times each gate's recurrent mask */
      for (int m = 0; m < r->nrec; m++) {
        float *hd = r->hd + ((s * r->nrec + m) * batch) * U;
        const float *h = rnn_state(r, s, batch), *mk = r->rmask + (int64_t)m * batch * U;
        for (int64_t i = 0; i < batch * U; i++) hd[i] = h[i] * mk[i];
      }
    rnn_cell_forward(r, s, t, l->mask_in, batch);
  }
  /* out = [outputs in processing order (Keras' go_backwards) or the last | h | c] */
  int64_t os = l->out_size, sp = seq_part(r);
  for (int b = 0; b < batch; b++) {
    float *o = out + b * os;
    if (r->ret_seq)
      for (int64_t s = 0; s < T; s++) {
        int64_t t = r->backwards ? T - 1 - s : s;
        if (r->zero_masked && l->mask_in && l->mask_in[b * T + t] == 0.0f) memset(o + s * U, 0, (size_t)U * sizeof *o);
        else memcpy(o + s * U, rnn_state(r, s + 1, batch) + b * U, (size_t)U * sizeof *o);
      }
    else memcpy(o, rnn_state(r, T, batch) + b * U, (size_t)U * sizeof *o);
    if (!r->ret_state) continue;
    memcpy(o + sp, rnn_state(r, T, batch) + b * U, (size_t)U * sizeof *o);
    if (r->c) memcpy(o + sp + U, r->c + (T * batch + b) * U, (size_t)U * sizeof *o);
  }
}

static void rnn_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out, int batch) {
  rnn_t *r = (rnn_t *)l;
  int64_t T = r->t, U = r->u, F = r->f, GU = r->g * U, os = l->out_size, sp = seq_part(r), rows = batch * T;
  /* (grads_preset: the weights' penalty gradients are there already, added to) */
  if (!l->grads_preset) memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
  for (int b = 0; b < batch; b++) {
    const float *d = dout + b * os;
    for (int64_t j = 0; j < U; j++) {
      r->dh[b * U + j] = r->ret_state ? d[sp + j] : 0.0f;
      r->dc[b * U + j] = r->ret_state && r->c ? d[sp + U + j] : 0.0f;
    }
  }
  for (int64_t s = T - 1; s >= 0; s--) {
    int64_t t = r->backwards ? T - 1 - s : s;
    for (int b = 0; b < batch; b++) {
      const float *d = dout + b * os + (r->ret_seq ? s * U : 0);
      if (r->zero_masked && l->mask_in && l->mask_in[b * T + t] == 0.0f) continue; /* a zero output */
      if (r->ret_seq || s == T - 1)
        for (int64_t j = 0; j < U; j++) r->dh[b * U + j] += d[j];
    }
    rnn_cell_backward(r, s, t, l->mask_in, batch);
    float *x = r->dh; r->dh = r->dhn; r->dhn = x;
  }
  /* dW (F, GU) += x^T dxw, db += column sums, din = dxw W^T (times the input masks) */
  int masks = r->dropped && r->dropout > 0.0f;
  int n = masks ? r->nin : 1;
  int64_t cols = GU / n;
  for (int m = 0; m < n; m++)
    lunet_blas_sgemm(1, 0, (int)F, (int)cols, (int)rows, 1.0f, masks ? r->xd + m * rows * F : in, (int)F,
                     r->dxw + m * cols, (int)GU, 1.0f, l->grads + m * cols, (int)GU);
  if (r->use_bias) {
    float *db = l->grads + r->off_b;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < GU; j++) db[j] += r->dxw[i * GU + j];
  }
  if (!din) return;
  for (int m = 0; m < n; m++) {
    float *dst = m == 0 ? din : r->tmp;
    lunet_blas_sgemm(0, 1, (int)rows, (int)F, (int)cols, 1.0f, r->dxw + m * cols, (int)GU, l->params + m * cols,
                     (int)GU, 0.0f, dst, (int)F);
    if (!masks) continue;
    const float *mk = r->dmask + (int64_t)m * batch * F;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < F; j++) {
        float v = dst[i * F + j] * mk[(i / T) * F + j];
        din[i * F + j] = m == 0 ? v : din[i * F + j] + v;
      }
  }
}

static void rnn_reseed(lunet_layer_t *l, uint64_t seed) { lunet_rng_seed(&((rnn_t *)l)->rng, seed); }

/* the generator's state, as Dropout's (lunet_rng_state_get) */
static size_t rnn_state_size(const lunet_layer_t *l) { return LUNET_RNG_STATE_BYTES; }

static void rnn_get_state(const lunet_layer_t *l, uint8_t *out) { lunet_rng_state_get(&((const rnn_t *)l)->rng, out); }

static int rnn_set_state(lunet_layer_t *l, const uint8_t *in, size_t n) {
  return lunet_rng_state_set(&((rnn_t *)l)->rng, in, n);
}

#define RNN_OPS(name, str)                                                                                    \
  static const lunet_layer_ops_t name = {.kind = str, .init = rnn_init, .plan = rnn_plan,                   \
      .forward = rnn_forward, .backward = rnn_backward, .free = rnn_free, .reseed = rnn_reseed,               \
      .state_size = rnn_state_size, .get_state = rnn_get_state, .set_state = rnn_set_state,                    \
      .state_name = str " dropout generator"};
RNN_OPS(simple_ops, "SimpleRNN")
RNN_OPS(lstm_ops, "LSTM")
RNN_OPS(gru_ops, "GRU")

static int read_rate(const lunet_layer_config_t *cfg, const char *key, const char *name, float *out) {
  double v;
  if (lunet_config_number(cfg, key, 0.0, &v) < 0) return -1;
  if (!(v >= 0.0 && v < 1.0)) return lunet_fail("%s: %s must be in [0, 1), got %g", name, key, v);
  *out = (float)v;
  return 0;
}

/* config: units, activation ('tanh'), recurrent_activation ('sigmoid'; not SimpleRNN), use_bias,
 * kernel_ / recurrent_ / bias_initializer, unit_forget_bias (LSTM), reset_after (GRU),
 * return_sequences, return_state, go_backwards, dropout, recurrent_dropout, seed and the weight
 * options of regularize.h (kernel_*, bias_*, activity_regularizer) */
static lunet_layer_t *rnn_from_config(rnn_cell_t cell, const lunet_layer_config_t *cfg, int in_ndim,
                                      const int64_t *in_shape) {
  static const lunet_layer_ops_t *ops[] = {&simple_ops, &lstm_ops, &gru_ops};
  const char *kind = ops[cell]->kind;
  int units;
  int64_t seed;
  rnn_t proto = {.cell = cell, .g = cell == RNN_LSTM ? 4 : cell == RNN_GRU ? 3 : 1};
  const char *act, *ract;
  if (lunet_config_size(cfg, "units", 0, &units) < 0 || lunet_config_string(cfg, "activation", "tanh", &act) < 0 ||
      lunet_act_parse(&proto.act, act, kind) < 0 ||
      lunet_config_string(cfg, "recurrent_activation", "sigmoid", &ract) < 0 ||
      lunet_act_parse(&proto.ract, ract, kind) < 0 ||
      lunet_config_boolean(cfg, "use_bias", 1, &proto.use_bias) < 0 ||
      lunet_config_initializer(cfg, "kernel_initializer", "glorot_uniform", &proto.kinit) < 0 ||
      lunet_config_initializer(cfg, "recurrent_initializer", "orthogonal", &proto.rinit) < 0 ||
      lunet_config_initializer(cfg, "bias_initializer", "zeros", &proto.binit) < 0 ||
      lunet_config_boolean(cfg, "unit_forget_bias", 1, &proto.unit_forget_bias) < 0 ||
      lunet_config_boolean(cfg, "reset_after", 1, &proto.reset_after) < 0 ||
      lunet_config_boolean(cfg, "return_sequences", 0, &proto.ret_seq) < 0 ||
      lunet_config_boolean(cfg, "return_state", 0, &proto.ret_state) < 0 ||
      lunet_config_boolean(cfg, "go_backwards", 0, &proto.backwards) < 0 ||
      read_rate(cfg, "dropout", kind, &proto.dropout) < 0 ||
      read_rate(cfg, "recurrent_dropout", kind, &proto.rdropout) < 0 ||
      lunet_config_integer(cfg, "seed", 0, &seed) < 0)
    return NULL;
  if (in_ndim != 2) {
    char s[LUNET_SHAPE_STR_MAX + 16], want[LUNET_SHAPE_STR_MAX];
    lunet_shape_str(want, sizeof want, in_ndim, in_shape);
    snprintf(s, sizeof s, "(batch, %s", want + 1);
    lunet_fail("%s(%d): expects (batch, steps, features), input has shape %s", kind, units, s);
    return NULL;
  }
  if ((int64_t)units * proto.g > LUNET_MAX_SIZE / (in_shape[0] > units ? in_shape[0] : units)) {
    lunet_fail("%s(%d): %lld steps of %d units are too large (steps * %lld * units values per sample, at most %lld)",
               kind, units, (long long)in_shape[0], units, (long long)proto.g, (long long)LUNET_MAX_SIZE);
    return NULL;
  }
  rnn_t *r = lunet_nn_alloc(sizeof *r);
  if (!r) return NULL;
  *r = proto;
  lunet_layer_t *l = &r->base;
  lunet_layer_setup(l, ops[cell], in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "%s(%d)", kind, units);
  r->t = in_shape[0];
  r->f = in_shape[1];
  r->u = units;
  if (cell != RNN_GRU) r->reset_after = 0;
  r->nin = r->nrec = r->rdropout > 0.0f ? (int)r->g : 1;
  int64_t gu = r->g * r->u, nb = proto.use_bias ? (r->reset_after ? 2 : 1) * gu : 0;
  r->off_r = r->f * gu;
  r->off_b = r->off_r + r->u * gu;
  l->nparams = l->ntrainable = r->off_b + nb;
  l->mask_use = 1;
  l->mask_keep = r->ret_seq; /* Keras passes the mask on with the sequence */
  l->out_ndim = r->ret_seq && !r->ret_state ? 2 : 1;
  l->out_shape[0] = r->ret_seq ? r->t : r->u;
  l->out_shape[1] = r->u;
  if (r->ret_state) l->out_shape[0] = seq_part(r) + (cell == RNN_LSTM ? 2 : 1) * r->u;
  l->out_size = lunet_shape_numel(l->out_ndim, l->out_shape);
  l->has_seed = lunet_config_get(cfg, "seed") != NULL;
  l->seed = (uint64_t)seed;
  lunet_rng_seed(&r->rng, l->seed);
  l->kernel = (lunet_weight_t){.off = 0, .n = r->off_r, .ndim = 2, .shape = {r->f, gu}};
  l->kernel2 = (lunet_weight_t){.off = r->off_r, .n = r->u * gu, .ndim = 2, .shape = {r->u, gu}}; /* recurrent_* */
  l->bias = (lunet_weight_t){.off = r->off_b, .n = proto.use_bias ? gu : 0, .ndim = 1, .shape = {gu}};
  if (r->reset_after && proto.use_bias) /* Keras' (2, 3U) bias: both rows are the bias weight */
    l->bias = (lunet_weight_t){.off = r->off_b, .n = nb, .ndim = 2, .shape = {2, gu}};
  if (lunet_reg_config_named(l, cfg, "kernel", "recurrent") < 0) { lunet_layer_free(l); return NULL; }
  return l;
}

static lunet_layer_t *simple_from_config(const lunet_layer_config_t *c, int nd, const int64_t *s) {
  return rnn_from_config(RNN_SIMPLE, c, nd, s);
}
static lunet_layer_t *lstm_from_config(const lunet_layer_config_t *c, int nd, const int64_t *s) {
  return rnn_from_config(RNN_LSTM, c, nd, s);
}
static lunet_layer_t *gru_from_config(const lunet_layer_config_t *c, int nd, const int64_t *s) {
  return rnn_from_config(RNN_GRU, c, nd, s);
}

const lunet_layer_kind_t lunet_simple_rnn_kind = {"SimpleRNN", simple_from_config};
const lunet_layer_kind_t lunet_lstm_kind = {"LSTM", lstm_from_config};
const lunet_layer_kind_t lunet_gru_kind = {"GRU", gru_from_config};
