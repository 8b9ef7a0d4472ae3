/* The layer protocol of the C network runner (darknet-like, but one small
 * struct per layer kind): every kind embeds lunet_layer_t first and fills in
 * its ops. Shapes are per sample (the batch dimension is implicit); buffers are
 * row-major with the batch first, images channels-last (N, H, W, C). */
#ifndef LUNET_LAYER_H
#define LUNET_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define LUNET_LAYER_MAX_DIMS 3

typedef struct lunet_layer lunet_layer_t;

typedef enum {
  LUNET_ACT_LINEAR, LUNET_ACT_RELU, LUNET_ACT_SIGMOID, LUNET_ACT_TANH, LUNET_ACT_SOFTMAX,
  LUNET_ACT_ELU, LUNET_ACT_LEAKY_RELU, LUNET_ACT_SOFTPLUS
} lunet_act_t;

typedef struct lunet_layer_ops {
  const char *kind; /* "Dense", as in Keras */
  /* Fills the parameters (views set by the net) from the initialisers. */
  void (*init)(lunet_layer_t *l, lunet_rng_t *rng);
  /* (Re)allocates per-batch scratch for up to max_batch samples; -1 on OOM.
   * Never called inside a steady-state training step. */
  int (*plan)(lunet_layer_t *l, int max_batch);
  /* out (B, out_size) = f(in (B, in_size)) */
  void (*forward)(lunet_layer_t *l, float *out, const float *in, int batch, int training);
  /* grads (nparams) = dL/dparams; din (B, in_size) = dL/din unless din is NULL.
   * dout (B, out_size) may be overwritten. */
  void (*backward)(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                   int batch);
  void (*free)(lunet_layer_t *l); /* frees the kind's own memory, not l */
} lunet_layer_ops_t;

struct lunet_layer {
  const lunet_layer_ops_t *ops;
  char name[64];          /* "Dense(600)", for messages and summaries */
  int in_ndim, out_ndim;
  int64_t in_shape[LUNET_LAYER_MAX_DIMS], out_shape[LUNET_LAYER_MAX_DIMS];
  int64_t in_size, out_size; /* elements per sample */
  int64_t nparams;        /* all of them, trainable or not */
  int64_t ntrainable;
  float *params;          /* (nparams) view into the net's flat buffer */
  float *grads;           /* (nparams) view into the net's flat gradient buffer */
  int is_view;            /* output aliases input (Flatten, Reshape) */
  lunet_act_t act;        /* fused activation (Dense, Conv2D, Activation) */
  int act_fused_loss;     /* 1: the loss already gave dL/d(pre-activation) */
  int need_input_grad;    /* set by the net before plan: 0 for a first layer */
};

/* ---- activations (activation.c) ---- */

/* Parses a Keras activation name; -1 with a message naming where otherwise. */
int lunet_act_parse(lunet_act_t *out, const char *name, const char *where);
const char *lunet_act_name(lunet_act_t act);
/* y (rows, n) = act(x) (may alias) */
void lunet_act_forward(lunet_act_t act, float *y, const float *x, int64_t rows, int64_t n);
/* dx (rows, n) = dy * act'(.) written in place over dy, from the output y */
void lunet_act_backward(lunet_act_t act, float *dy, const float *y, int64_t rows, int64_t n);

/* ---- initialisers (init.c) ---- */

typedef enum {
  LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_GLOROT_NORMAL, LUNET_INIT_HE_NORMAL, LUNET_INIT_HE_UNIFORM,
  LUNET_INIT_LECUN_UNIFORM, LUNET_INIT_LECUN_NORMAL, LUNET_INIT_ZEROS, LUNET_INIT_ONES,
  LUNET_INIT_RANDOM_NORMAL, LUNET_INIT_RANDOM_UNIFORM
} lunet_init_t;

int lunet_init_parse(lunet_init_t *out, const char *name, const char *where);
/* w (n) drawn by the Keras initialiser for a weight with these fans */
void lunet_init_fill(lunet_init_t init, lunet_rng_t *rng, float *w, int64_t n, int64_t fan_in,
                     int64_t fan_out);

/* ---- constructors: each validates the input shape and returns NULL with a
 * message (without the layer's index: the net adds it) on a mismatch ---- */

lunet_layer_t *lunet_dense_new(int in_ndim, const int64_t *in_shape, int64_t units, lunet_act_t act,
                               int use_bias, lunet_init_t kernel_init, lunet_init_t bias_init);
lunet_layer_t *lunet_activation_new(int in_ndim, const int64_t *in_shape, lunet_act_t act);
lunet_layer_t *lunet_dropout_new(int in_ndim, const int64_t *in_shape, float rate, uint64_t seed);
/* padding_same: 0 'valid', 1 'same' */
lunet_layer_t *lunet_conv2d_new(int in_ndim, const int64_t *in_shape, int64_t filters, int kh, int kw,
                                int sh, int sw, int padding_same, lunet_act_t act, int use_bias,
                                lunet_init_t kernel_init, lunet_init_t bias_init);
/* is_max: 1 MaxPooling2D, 0 AveragePooling2D */
lunet_layer_t *lunet_pool2d_new(int in_ndim, const int64_t *in_shape, int is_max, int ph, int pw,
                                int sh, int sw, int padding_same);
/* Reshape to out_shape (one size may be -1); Flatten is out_ndim 1, {-1}. */
lunet_layer_t *lunet_reshape_new(int in_ndim, const int64_t *in_shape, int out_ndim,
                                 const int64_t *out_shape, const char *kind);
lunet_layer_t *lunet_batchnorm_new(int in_ndim, const int64_t *in_shape, float momentum,
                                   float epsilon, int center, int scale);

/* Dropout layers draw their masks from their own generator; reseeding makes a
 * step repeatable (gradient checks, reproducible runs). */
void lunet_dropout_reseed(lunet_layer_t *l, uint64_t seed);
/* Reads (set 0) or writes (set 1) the generator state s[4] of a Dropout layer,
 * so checkpoints resume the same mask stream; 0 for other kinds, else 1. */
int lunet_dropout_state(lunet_layer_t *l, uint64_t *s, int set);

/* Frees l and what it owns; NULL is a no-op. */
void lunet_layer_free(lunet_layer_t *l);

/* Fills l's common fields (name from fmt) */
void lunet_layer_setup(lunet_layer_t *l, const lunet_layer_ops_t *ops, int in_ndim,
                       const int64_t *in_shape);
/* Product of the sizes; INT64_MAX when it overflows (the net refuses any
 * per-sample size above LUNET_MAX_SIZE, so that saturates into an error). */
int64_t lunet_shape_numel(int ndim, const int64_t *shape);

/* The largest per-sample size, batch buffer (in floats) and GEMM dimension
 * the runner accepts: BLAS takes int dimensions. */
#define LUNET_MAX_SIZE ((int64_t)2147483647)

/* Allocation counter of the nn area: every buffer the runner or a layer
 * allocates goes through lunet_nn_alloc, so specs can prove a training step
 * allocates nothing. */
void *lunet_nn_alloc(size_t bytes);
uint64_t lunet_nn_alloc_count(void);

#endif
