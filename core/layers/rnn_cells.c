/* The step kernels of SimpleRNN, LSTM and GRU (see rnn.h): each step's
 * recurrent product is one sgemm over the batch (rnn_recurrent_product), the
 * gates one fused loop per sample. Keras 2 cell equations:
 *   SimpleRNN  h = act(x W + h' R + b)
 *   LSTM       i, f, c~, o = ract, ract, act, ract of x W + h' R + b;
 *              c = f c' + i c~, h = o act(c)
 *   GRU        z, r = ract(x W_zr + h' R_zr + b); reset_after: h~ = act(x W_h + b_h + r (h' R_h + b'_h)),
 *              else h~ = act(x W_h + b_h + (r h') R_h); h = z h' + (1 - z) h~
 * A masked sample's step keeps its state (its output is the previous one) and
 * passes its gradient straight through. */
#include <math.h>
#include <string.h>

#include "blas.h"
#include "rnn.h"

#define MASKED(mask, b, T, t) ((mask) && (mask)[(int64_t)(b) * (T) + (t)] == 0.0f)

/* y = act(x) on one row of n values (y may alias x) */
static void act_row(lunet_act_t act, float *y, const float *x, int64_t n) {
  switch (act) {
  case LUNET_ACT_SIGMOID: for (int64_t j = 0; j < n; j++) y[j] = 1.0f / (1.0f + expf(-x[j])); break;
  case LUNET_ACT_TANH: for (int64_t j = 0; j < n; j++) y[j] = tanhf(x[j]); break;
  default: lunet_act_forward(act, y, x, 1, n);
  }
}

/* dy *= act'(.) on one row, from the output y (and the input x when the slope needs it) */
static void dact_row(lunet_act_t act, float *dy, const float *y, const float *x, int64_t n) {
  switch (act) {
  case LUNET_ACT_SIGMOID: for (int64_t j = 0; j < n; j++) dy[j] *= y[j] * (1.0f - y[j]); break;
  case LUNET_ACT_TANH: for (int64_t j = 0; j < n; j++) dy[j] *= 1.0f - y[j] * y[j]; break;
  default: lunet_act_backward(act, dy, y, x, 1, n);
  }
}

const float *rnn_state_dropped(const rnn_t *r, int64_t s, int m, int batch) {
  if (!(r->dropped && r->rdropout > 0.0f)) return rnn_state(r, s, batch);
  return r->hd + ((s * r->nrec + m) * batch) * r->u;
}

void rnn_recurrent_product(rnn_t *r, float *rec, int64_t s, int64_t col0, int64_t cols, int batch) {
  int64_t u = r->u, gu = r->g * u;
  const float *R = r->base.params + r->off_r;
  if (r->nrec == 1) {
    lunet_blas_sgemm(0, 0, batch, (int)cols, (int)u, 1.0f, rnn_state_dropped(r, s, 0, batch), (int)u, R + col0,
                     (int)gu, 0.0f, rec + col0, (int)gu);
    return;
  }
  for (int64_t c = col0; c < col0 + cols; c += u) /* one mask per gate block (Keras' implementation 1) */
    lunet_blas_sgemm(0, 0, batch, (int)u, (int)u, 1.0f, rnn_state_dropped(r, s, (int)(c / u), batch), (int)u,
                     R + c, (int)gu, 0.0f, rec + c, (int)gu);
}

/* dR[:, cols] += hsrc^T @ d; dhn (B, U) += (d @ R[:, cols]^T) * rmask, d (B, cols) with row stride ldd */
static void recurrent_backward(rnn_t *r, const float *d, int64_t ldd, int64_t s, int64_t col0, int64_t cols,
                               int batch) {
  int64_t u = r->u, gu = r->g * u;
  const float *R = r->base.params + r->off_r;
  float *dR = r->base.grads + r->off_r;
  int masks = r->dropped && r->rdropout > 0.0f;
  int64_t step = r->nrec == 1 ? cols : u;
  for (int64_t c = col0; c < col0 + cols; c += step) {
    int m = r->nrec == 1 ? 0 : (int)(c / u);
    lunet_blas_sgemm(1, 0, (int)u, (int)step, batch, 1.0f, rnn_state_dropped(r, s, m, batch), (int)u,
                     d + (c - col0), (int)ldd, 1.0f, dR + c, (int)gu);
    if (!masks) {
      lunet_blas_sgemm(0, 1, batch, (int)u, (int)step, 1.0f, d + (c - col0), (int)ldd, R + c, (int)gu, 1.0f,
                       r->dhn, (int)u);
      continue;
    }
    lunet_blas_sgemm(0, 1, batch, (int)u, (int)step, 1.0f, d + (c - col0), (int)ldd, R + c, (int)gu, 0.0f,
                     r->tmp, (int)u);
    const float *mk = r->rmask + (int64_t)m * batch * u;
    for (int64_t i = 0; i < batch * u; i++) r->dhn[i] += r->tmp[i] * mk[i];
  }
}

/* ---- SimpleRNN ---- */

static void simple_forward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch) {
  int64_t u = r->u;
  rnn_recurrent_product(r, r->rec, s, 0, u, batch);
  const float *hp = rnn_state(r, s, batch);
  float *hn = rnn_state(r, s + 1, batch);
  for (int b = 0; b < batch; b++) {
    const float *x = r->xw + (b * r->t + t) * u, *rec = r->rec + b * u;
    float *g = r->gates + (s * batch + b) * u;
    for (int64_t j = 0; j < u; j++) g[j] = x[j] + rec[j];
    if (r->zpre) memcpy(r->zpre + (s * batch + b) * u, g, (size_t)u * sizeof *g);
    act_row(r->act, g, g, u);
    memcpy(hn + b * u, MASKED(mask, b, r->t, t) ? hp + b * u : g, (size_t)u * sizeof *g);
  }
}

static void simple_backward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch) {
  int64_t u = r->u;
  for (int b = 0; b < batch; b++) {
    float *d = r->dxw + (b * r->t + t) * u, *dhn = r->dhn + b * u;
    const float *dh = r->dh + b * u;
    if (MASKED(mask, b, r->t, t)) { memset(d, 0, (size_t)u * sizeof *d); memcpy(dhn, dh, (size_t)u * sizeof *d); continue; }
    memcpy(d, dh, (size_t)u * sizeof *d);
    memset(dhn, 0, (size_t)u * sizeof *d);
    int64_t row = (s * batch + b) * u;
    dact_row(r->act, d, r->gates + row, r->zpre ? r->zpre + row : NULL, u);
  }
  recurrent_backward(r, r->dxw + t * u, r->t * u, s, 0, u, batch);
}

/* ---- LSTM ---- */

static void lstm_forward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch) {
  int64_t u = r->u, gu = 4 * u;
  rnn_recurrent_product(r, r->rec, s, 0, gu, batch);
  const float *hp = rnn_state(r, s, batch), *cp = r->c + s * batch * u;
  float *hn = rnn_state(r, s + 1, batch), *cn = r->c + (s + 1) * batch * u;
  for (int b = 0; b < batch; b++) {
    const float *x = r->xw + (b * r->t + t) * gu, *rec = r->rec + b * gu;
    int64_t row = (s * batch + b) * gu;
    float *g = r->gates + row, *ac = r->ac + (s * batch + b) * u;
    for (int64_t j = 0; j < gu; j++) g[j] = x[j] + rec[j];
    if (r->zpre) memcpy(r->zpre + row, g, (size_t)gu * sizeof *g);
    act_row(r->ract, g, g, 2 * u);
    act_row(r->act, g + 2 * u, g + 2 * u, u);
    act_row(r->ract, g + 3 * u, g + 3 * u, u);
    const float *ig = g, *fg = g + u, *cg = g + 2 * u, *og = g + 3 * u, *c0 = cp + b * u;
    float *c1 = cn + b * u, *h1 = hn + b * u;
    for (int64_t j = 0; j < u; j++) c1[j] = fg[j] * c0[j] + ig[j] * cg[j];
    act_row(r->act, ac, c1, u);
    if (MASKED(mask, b, r->t, t)) {
      memcpy(c1, c0, (size_t)u * sizeof *c1);
      memcpy(h1, hp + b * u, (size_t)u * sizeof *h1);
      continue;
    }
    for (int64_t j = 0; j < u; j++) h1[j] = og[j] * ac[j];
  }
}

static void lstm_backward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch) {
  int64_t u = r->u, gu = 4 * u;
  const float *cp = r->c + s * batch * u, *cn = r->c + (s + 1) * batch * u;
  for (int b = 0; b < batch; b++) {
    float *d = r->dxw + (b * r->t + t) * gu, *dhn = r->dhn + b * u, *dc = r->dc + b * u;
    const float *dh = r->dh + b * u;
    if (MASKED(mask, b, r->t, t)) { memset(d, 0, (size_t)gu * sizeof *d); memcpy(dhn, dh, (size_t)u * sizeof *d); continue; }
    memset(dhn, 0, (size_t)u * sizeof *d);
    int64_t row = (s * batch + b) * gu;
    const float *g = r->gates + row, *ac = r->ac + (s * batch + b) * u, *c0 = cp + b * u;
    const float *ig = g, *fg = g + u, *cg = g + 2 * u, *og = g + 3 * u, *z = r->zpre ? r->zpre + row : NULL;
    float *dct = r->tmp + (int64_t)b * u; /* dh o act'(c): dL/dc through h */
    for (int64_t j = 0; j < u; j++) { d[3 * u + j] = dh[j] * ac[j]; dct[j] = dh[j] * og[j]; }
    dact_row(r->act, dct, ac, cn + b * u, u);
    for (int64_t j = 0; j < u; j++) {
      float dcj = dc[j] + dct[j];
      d[j] = dcj * cg[j];
      d[u + j] = dcj * c0[j];
      d[2 * u + j] = dcj * ig[j];
      dc[j] = dcj * fg[j];
    }
    dact_row(r->ract, d, g, z, 2 * u);
    dact_row(r->act, d + 2 * u, g + 2 * u, z ? z + 2 * u : NULL, u);
    dact_row(r->ract, d + 3 * u, g + 3 * u, z ? z + 3 * u : NULL, u);
  }
  recurrent_backward(r, r->dxw + t * gu, r->t * gu, s, 0, gu, batch);
}

/* ---- GRU ---- */

static void gru_forward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch) {
  int64_t u = r->u, gu = 3 * u;
  const float *brec = r->reset_after && r->use_bias ? r->base.params + r->off_b + gu : NULL;
  rnn_recurrent_product(r, r->rec, s, 0, r->reset_after ? gu : 2 * u, batch);
  const float *hp = rnn_state(r, s, batch), *hsh = rnn_state_dropped(r, s, r->nrec > 1 ? 2 : 0, batch);
  float *hn = rnn_state(r, s + 1, batch), *rh = r->rh + s * batch * u;
  for (int b = 0; b < batch; b++) { /* z and r */
    const float *x = r->xw + (b * r->t + t) * gu;
    float *rec = r->rec + b * gu, *g = r->gates + (s * batch + b) * gu;
    if (brec) for (int64_t j = 0; j < gu; j++) rec[j] += brec[j];
    for (int64_t j = 0; j < 2 * u; j++) g[j] = x[j] + rec[j];
    if (r->zpre) memcpy(r->zpre + (s * batch + b) * gu, g, (size_t)(2 * u) * sizeof *g);
    act_row(r->ract, g, g, 2 * u);
    float *rhb = rh + b * u;
    if (r->reset_after) memcpy(rhb, rec + 2 * u, (size_t)u * sizeof *rhb);
    else for (int64_t j = 0; j < u; j++) rhb[j] = g[u + j] * hsh[b * u + j];
  }
  if (!r->reset_after) /* (r h') R_h: the candidate's recurrent product */
    lunet_blas_sgemm(0, 0, batch, (int)u, (int)u, 1.0f, rh, (int)u, r->base.params + r->off_r + 2 * u, (int)gu,
                     0.0f, r->rec + 2 * u, (int)gu);
  for (int b = 0; b < batch; b++) {
    const float *x = r->xw + (b * r->t + t) * gu, *rec = r->rec + b * gu, *h0 = hp + b * u;
    int64_t row = (s * batch + b) * gu;
    float *g = r->gates + row, *h1 = hn + b * u;
    const float *rg = g + u, *rhb = rh + b * u;
    float *hh = g + 2 * u;
    if (r->reset_after) for (int64_t j = 0; j < u; j++) hh[j] = x[2 * u + j] + rg[j] * rhb[j];
    else for (int64_t j = 0; j < u; j++) hh[j] = x[2 * u + j] + rec[2 * u + j];
    if (r->zpre) memcpy(r->zpre + row + 2 * u, hh, (size_t)u * sizeof *hh);
    act_row(r->act, hh, hh, u);
    if (MASKED(mask, b, r->t, t)) { memcpy(h1, h0, (size_t)u * sizeof *h1); continue; }
    for (int64_t j = 0; j < u; j++) h1[j] = g[j] * h0[j] + (1.0f - g[j]) * hh[j];
  }
}

static void gru_backward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch) {
  int64_t u = r->u, gu = 3 * u, ld = r->t * gu;
  const float *hp = rnn_state(r, s, batch), *hsh = rnn_state_dropped(r, s, r->nrec > 1 ? 2 : 0, batch);
  const float *rh = r->rh + s * batch * u;
  for (int b = 0; b < batch; b++) { /* dz, the candidate's pre-activation and the direct path */
    float *d = r->dxw + (b * r->t + t) * gu, *dr = r->drec + b * gu, *dhn = r->dhn + b * u;
    const float *dh = r->dh + b * u;
    if (MASKED(mask, b, r->t, t)) {
      memset(d, 0, (size_t)gu * sizeof *d); memset(dr, 0, (size_t)gu * sizeof *d);
      memcpy(dhn, dh, (size_t)u * sizeof *d);
      continue;
    }
    int64_t row = (s * batch + b) * gu;
    const float *g = r->gates + row, *h0 = hp + b * u, *z = r->zpre ? r->zpre + row : NULL;
    for (int64_t j = 0; j < u; j++) {
      d[j] = dh[j] * (h0[j] - g[2 * u + j]);
      d[2 * u + j] = dh[j] * (1.0f - g[j]);
      dhn[j] = dh[j] * g[j];
    }
    dact_row(r->act, d + 2 * u, g + 2 * u, z ? z + 2 * u : NULL, u);
    if (r->reset_after)
      for (int64_t j = 0; j < u; j++) { d[u + j] = d[2 * u + j] * rh[b * u + j]; dr[2 * u + j] = d[2 * u + j] * g[u + j]; }
    dact_row(r->ract, d, g, z, u);
  }
  float *drh = r->tmp; /* (B, U) reset_after = false: dL/d(r h') = dh~_pre R_h^T */
  if (!r->reset_after) {
    float *dR = r->base.grads + r->off_r + 2 * u;
    lunet_blas_sgemm(1, 0, (int)u, (int)u, batch, 1.0f, rh, (int)u, r->dxw + t * gu + 2 * u, (int)ld, 1.0f, dR,
                     (int)gu);
    lunet_blas_sgemm(0, 1, batch, (int)u, (int)u, 1.0f, r->dxw + t * gu + 2 * u, (int)ld,
                     r->base.params + r->off_r + 2 * u, (int)gu, 0.0f, drh, (int)u);
    const float *mk = r->dropped && r->rdropout > 0.0f ? r->rmask + (r->nrec > 1 ? 2 : 0) * batch * u : NULL;
    for (int b = 0; b < batch; b++) {
      if (MASKED(mask, b, r->t, t)) continue;
      float *d = r->dxw + (b * r->t + t) * gu, *dhn = r->dhn + b * u;
      const float *g = r->gates + (s * batch + b) * gu, *z = r->zpre ? r->zpre + (s * batch + b) * gu : NULL;
      for (int64_t j = 0; j < u; j++) {
        float x = drh[b * u + j];
        d[u + j] = x * hsh[b * u + j];
        dhn[j] += x * g[u + j] * (mk ? mk[b * u + j] : 1.0f);
      }
      dact_row(r->ract, d + u, g + u, z ? z + u : NULL, u);
    }
    recurrent_backward(r, r->dxw + t * gu, ld, s, 0, 2 * u, batch);
    return;
  }
  for (int b = 0; b < batch; b++) {
    if (MASKED(mask, b, r->t, t)) continue;
    float *d = r->dxw + (b * r->t + t) * gu, *dr = r->drec + b * gu;
    const float *g = r->gates + (s * batch + b) * gu, *z = r->zpre ? r->zpre + (s * batch + b) * gu : NULL;
    dact_row(r->ract, d + u, g + u, z ? z + u : NULL, u);
    memcpy(dr, d, (size_t)(2 * u) * sizeof *dr);
  }
  if (r->use_bias) { /* the recurrent bias (bias row 2) */
    float *db = r->base.grads + r->off_b + gu;
    for (int b = 0; b < batch; b++)
      for (int64_t j = 0; j < gu; j++) db[j] += r->drec[b * gu + j];
  }
  recurrent_backward(r, r->drec, gu, s, 0, gu, batch);
}

void rnn_cell_forward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch) {
  switch (r->cell) {
  case RNN_SIMPLE: simple_forward(r, s, t, mask, batch); break;
  case RNN_LSTM: lstm_forward(r, s, t, mask, batch); break;
  case RNN_GRU: gru_forward(r, s, t, mask, batch); break;
  }
}

void rnn_cell_backward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch) {
  switch (r->cell) {
  case RNN_SIMPLE: simple_backward(r, s, t, mask, batch); break;
  case RNN_LSTM: lstm_backward(r, s, t, mask, batch); break;
  case RNN_GRU: gru_backward(r, s, t, mask, batch); break;
  }
}
