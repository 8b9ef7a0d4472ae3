/* The layer protocol of the C network runner (darknet-like, but one small
 * struct per layer kind): every kind embeds lunet_layer_t first, fills in its
 * ops and is built from its config through the registry (registry.h). Shapes are per sample (the batch dimension is implicit); buffers are
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
  LUNET_ACT_ELU, LUNET_ACT_LEAKY_RELU, LUNET_ACT_SOFTPLUS, LUNET_ACT_SELU, LUNET_ACT_GELU, LUNET_ACT_SWISH,
  LUNET_ACT_HARD_SIGMOID, LUNET_ACT_EXPONENTIAL, LUNET_ACT_SOFTSIGN
} lunet_act_t;

/* Keras' L1L2 regularizer: penalty l1 sum |v| + l2 sum v^2 (both 0: none). */
typedef struct lunet_reg {
  float l1, l2;
} lunet_reg_t;

typedef enum {
  LUNET_CON_NONE, LUNET_CON_MAX_NORM, LUNET_CON_NON_NEG, LUNET_CON_UNIT_NORM, LUNET_CON_MIN_MAX_NORM
} lunet_con_kind_t;

/* A Keras weight constraint, applied after every optimizer step
 * (regularize.h). Norms are taken over the axes in `axes` (bit a: axis a of
 * the weight's shape), one norm per index of the other axes. */
typedef struct lunet_constraint {
  lunet_con_kind_t kind;
  float min_value, max_value, rate;
  unsigned axes;
  float *norms;  /* (product of the kept axes) owned scratch, planned at build */
} lunet_constraint_t;

/* A weight of a layer (Dense and Conv2D: its kernel and its bias) as Keras
 * shapes it, with its regularizer and constraint. */
typedef struct lunet_weight {
  int64_t off, n;  /* its values: params[off .. off + n), n 0 for none */
  int ndim;
  int64_t shape[4]; /* Dense kernel (K, U), Conv2D kernel (KH, KW, C, F), a bias (U) */
  lunet_reg_t reg;
  lunet_constraint_t con;
} lunet_weight_t;

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

  /* ---- optional (NULL: the kind has none) ---- */
  /* Seeds the layer's own generator (Dropout's masks), so a step repeats. */
  void (*reseed)(lunet_layer_t *l, uint64_t seed);
  /* State beyond the parameters that a checkpoint keeps so a resumed run goes
   * on exactly (Dropout: its generator): its size in bytes, ... */
  size_t (*state_size)(const lunet_layer_t *l);
  /* ... out (state_size bytes) = the state, in a byte order of its own
   * (portable: the same bytes on every machine), ... */
  void (*get_state)(const lunet_layer_t *l, uint8_t *out);
  /* ... and the state set from in (n bytes); -1 with a message, changing
   * nothing, when in is not a state of this layer. */
  int (*set_state)(lunet_layer_t *l, const uint8_t *in, size_t n);
  /* Checks the input's values before forward (Embedding's ids); -1 with a
   * message naming the layer, the sample and the value. */
  int (*check_input)(const lunet_layer_t *l, const float *in, int batch);
  const char *state_name; /* with state_size: what the state is, for messages ("Dropout generator") */
  /* A kind with several inputs (merge layers) has these instead of forward /
   * backward: out (B, out_size) = f(in[0] (B, size 0), in[1], ...), and
   * din[j] (B, size j) = dL/din[j] for each din[j] not NULL. */
  void (*forward_n)(lunet_layer_t *l, float *out, const float *const *in, int batch, int training);
  void (*backward_n)(lunet_layer_t *l, float *const *din, float *dout, const float *const *in, const float *out,
                     int batch);
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
  int grads_preset;       /* grads already hold the weight penalties' gradients: backward adds to them
                             (Dense, Conv2D: beta = 1 in the weight-gradient sgemm, no separate pass) */
  int has_seed;           /* the config gave the generator a seed of its own, ... */
  uint64_t seed;          /* ... which the model's seed does not override */
  float *pre;             /* (max_batch * out_size) owned: the pre-activation, only when
                           * lunet_act_needs_input(act) (Dense, Conv2D); see lunet_layer_plan_pre */
  lunet_weight_t kernel, bias; /* regularized / constrained weights (n 0 for kinds without) */
  lunet_weight_t kernel2;      /* a second kernel (SeparableConv2D's pointwise, a recurrent layer's recurrent kernel),
                                  n 0 for kinds without */
  lunet_reg_t activity_reg;    /* penalty on the layer's output */
  /* Keras masking (Embedding's mask_zero): a mask is (batch, steps) floats,
   * 1 for a step that counts and 0 for padding. */
  int makes_mask;         /* set at build: the layer makes a mask (Embedding with mask_zero) ... */
  float *mask_out;        /* ... in this buffer it owns (planned for max_batch), filled by forward */
  int mask_keep;          /* the output carries the input's mask (Dense, Dropout, Activation, an RNN with
                             return_sequences, TimeDistributed) */
  int mask_use;           /* the layer reads its input's mask (RNNs, GlobalAveragePooling1D) */
  const float *mask_in;   /* set by the net before forward (kept through backward): the input's mask or NULL */
  int frozen;             /* Keras' trainable = false (net_frozen.c): training leaves the parameters as they are
                             (BatchNormalization then also runs in inference mode) */
};

/* ---- activations (activation.c) ---- */

/* Parses a Keras activation name; -1 with a message naming where otherwise. */
int lunet_act_parse(lunet_act_t *out, const char *name, const char *where);
const char *lunet_act_name(lunet_act_t act);
/* y (rows, n) = act(x) (may alias) */
void lunet_act_forward(lunet_act_t act, float *y, const float *x, int64_t rows, int64_t n);
/* dx (rows, n) = dy * act'(.) written in place over dy, from the output y
 * and, when lunet_act_needs_input(act), the input x (rows, n) (else x may be NULL) */
void lunet_act_backward(lunet_act_t act, float *dy, const float *y, const float *x, int64_t rows, int64_t n);
/* 1 when act's slope is not a function of its output (gelu, swish). */
int lunet_act_needs_input(lunet_act_t act);

/* ---- initialisers (layer.c) ---- */

typedef enum {
  LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_GLOROT_NORMAL, LUNET_INIT_HE_NORMAL, LUNET_INIT_HE_UNIFORM,
  LUNET_INIT_LECUN_UNIFORM, LUNET_INIT_LECUN_NORMAL, LUNET_INIT_ZEROS, LUNET_INIT_ONES,
  LUNET_INIT_RANDOM_NORMAL, LUNET_INIT_RANDOM_UNIFORM, LUNET_INIT_UNIFORM, LUNET_INIT_ORTHOGONAL
} lunet_init_t;

int lunet_init_parse(lunet_init_t *out, const char *name, const char *where);
/* w (n) drawn by the Keras initialiser for a weight with these fans
 * ('orthogonal' reads w as (fan_in, n / fan_in), Keras' flattening) */
void lunet_init_fill(lunet_init_t init, lunet_rng_t *rng, float *w, int64_t n, int64_t fan_in,
                     int64_t fan_out);

/* For a layer whose fused activation needs its input: (re)allocates l->pre
 * for max_batch samples of out_size; a no-op (0) for other activations; -1
 * on OOM. Called from the kind's plan. */
int lunet_layer_plan_pre(lunet_layer_t *l, int max_batch);

/* A wrapper (TimeDistributed) takes over its inner layer's kernel, bias and
 * activity regularizers and constraints (the net applies a layer's own). */
void lunet_layer_move_weights(lunet_layer_t *to, lunet_layer_t *from);

/* Frees l and what it owns; NULL is a no-op. */
void lunet_layer_free(lunet_layer_t *l);
/* Bytes of l's state (ops->state_size), 0 for a kind without state. */
size_t lunet_layer_state_size(const lunet_layer_t *l);

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
