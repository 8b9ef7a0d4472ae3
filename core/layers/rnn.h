/* The recurrent layers SimpleRNN, LSTM and GRU (Keras 2 semantics and weight
 * layouts): one struct and one sweep (rnn.c) around per-cell step kernels
 * (rnn_cells.c). Weights as Keras' get_weights: kernel W (F, G*U), recurrent
 * kernel R (U, G*U), bias (G*U), or (2, G*U) for GRU with reset_after (input
 * bias then recurrent bias); gates in Keras order (LSTM i, f, c, o; GRU z, r,
 * h). Per step s (processing order; input step t = s, or T-1-s with
 * go_backwards) the states are H[s] -> H[s+1]. */
#ifndef LUNET_RNN_H
#define LUNET_RNN_H

#include "layer.h"

typedef enum { RNN_SIMPLE, RNN_LSTM, RNN_GRU } rnn_cell_t;

typedef struct {
  lunet_layer_t base;
  rnn_cell_t cell;
  int64_t f, u, t, g;       /* input features, units, steps, gates (1, 4 or 3) */
  int ret_seq, ret_state, backwards, reset_after, use_bias, unit_forget_bias;
  lunet_act_t act, ract;    /* activation and recurrent_activation */
  lunet_init_t kinit, rinit, binit;
  float dropout, rdropout;
  int nin, nrec;            /* dropout masks on the input / the state: 1, or G with recurrent_dropout (Keras'
                               implementation 1: one mask per gate) */
  int dropped;              /* the last forward applied dropout (training) */
  int zero_masked;          /* a masked step outputs zeros, not the previous output (Keras' zero_output_for_mask,
                               which Bidirectional sets with return_sequences) */
  lunet_rng_t rng;
  int64_t off_r, off_b;     /* W at 0, R at off_r, the bias at off_b */
  int max_batch;
  /* planned for max_batch (B) */
  float *xw;    /* (B, T, GU) input projection + input bias, per input step t */
  float *h;     /* (T+1, B, U) states in processing order, h[0] = 0 */
  float *c;     /* (T+1, B, U) LSTM cell states */
  float *gates; /* (T, B, GU) activated gates (SimpleRNN: act(pre)) */
  float *zpre;  /* (T, B, GU) pre-activations, only when an activation's slope needs its input */
  float *ac;    /* (T, B, U) LSTM: act(c) */
  float *rh;    /* (T, B, U) GRU: reset_after: h R_h + b_rec_h; else r * h */
  float *rec;   /* (B, GU) the step's recurrent product */
  float *xd;    /* (nin, B, T, F) inputs times their dropout mask */
  float *dmask; /* (nin, B, F) input dropout masks (0 or 1 / (1 - rate)) */
  float *rmask; /* (nrec, B, U) recurrent dropout masks */
  float *hd;    /* (T, nrec, B, U) states times their recurrent masks */
  float *dxw;   /* (B, T, GU) dL/d(pre-activation), input side */
  float *drec;  /* (B, GU) GRU: dL/d(recurrent product) of the step */
  float *dh, *dhn, *dc; /* (B, U) carried state gradients */
  float *tmp;   /* (B, max(T*F, U)) scratch */
} rnn_t;

/* h (B, U) of state s, its masked copy for gate block m */
static inline float *rnn_state(const rnn_t *r, int64_t s, int batch) { return r->h + s * batch * r->u; }
const float *rnn_state_dropped(const rnn_t *r, int64_t s, int m, int batch);

/* rec (B, cols) = hsrc (B, U) @ R[:, col0 .. col0 + cols), for every block m
 * of the recurrent masks; used by the cells. */
void rnn_recurrent_product(rnn_t *r, float *rec, int64_t s, int64_t col0, int64_t cols, int batch);

/* The per-step kernels (rnn_cells.c): forward fills H[s+1] (and C[s+1]),
 * gates, zpre, ac, rh for step s reading input step t; a sample whose mask
 * (B, T) (or NULL) is 0 at [b, t] keeps its state. Backward reads dh (B, U) (and dc), writes dxw rows of input step t,
 * drec (GRU), accumulates dR / the recurrent bias in grads and leaves the
 * previous state's gradient in dhn (and dc). */
void rnn_cell_forward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch);
void rnn_cell_backward(rnn_t *r, int64_t s, int64_t t, const float *mask, int batch);

#endif
