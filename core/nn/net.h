/* The C network runner: a sequence of layers over ONE flat parameter buffer
 * and ONE flat gradient buffer (layers hold views), activation and gradient
 * buffers planned up front for a maximum batch (re-planned only when a larger
 * batch arrives), and a training step = forward, fused loss, backward,
 * optimizer step that allocates nothing. */
#ifndef LUNET_NET_H
#define LUNET_NET_H

#include <stdint.h>

#include "layer.h"
#include "../losses/loss.h"
#include "../optim/optimizer.h"
#include "tensor.h"

#define LUNET_NET_MAX_IO 16 /* inputs and outputs of a model */
#define LUNET_NET_MAX_NIN 64 /* inputs of one node (a merge) */

/* A node is one call of a layer: it reads the activations in[0 .. nin) (net
 * inputs, then earlier nodes' outputs) and writes its own. Activation a is net
 * input a for a < ninputs, else the output of node a - ninputs; nodes are in
 * topological order, so a Sequential is node i reading activation i. */
typedef struct lunet_node {
  int nin;
  int *in;                       /* (nin) owned: activation indices */
  int *first;                    /* (nin) planned: 1 when this node writes input j's gradient first in backward */
  int owner;                     /* -1, or the node whose parameters this one shares (a shared layer) */
  float *own_grads;              /* shared: (nparams) owned private gradients, summed into the owner's */
  int run_backward;              /* planned: the node has parameters or an input that needs a gradient */
} lunet_node_t;

/* A model output: its activation and its loss. */
typedef struct lunet_net_output {
  int act;
  int64_t size;                  /* values per sample */
  int64_t tsize;                 /* target values per sample (1 for a sparse loss) */
  int has_loss;
  lunet_loss_t loss;
  lunet_loss_params_t params;
  float weight;                  /* loss_weights: the net's loss is sum_k weight_k loss_k */
  double last_loss;              /* this output's loss at the last step (without regularizers) */
} lunet_net_output_t;

typedef struct lunet_net {
  int graph;                     /* built as a Model (messages say "Model", not "Sequential") */
  int nlayers, cap;              /* nlayers nodes, one layer each */
  lunet_layer_t **layers;        /* owned, node i's layer */
  lunet_node_t *nodes;           /* (cap) */
  int ninputs;
  int in_ndims[LUNET_NET_MAX_IO];
  int64_t in_shapes[LUNET_NET_MAX_IO][LUNET_LAYER_MAX_DIMS];
  int64_t in_total;              /* values per sample of the packed input */
  int in_ndim;                   /* input 0's shape (Sequential's input) */
  int64_t in_shape[LUNET_LAYER_MAX_DIMS];
  int finished;                  /* parameters allocated */
  int out_masked;                /* the last activation carries a mask (layer.h: makes_mask) */
  unsigned char *masked;         /* (cap + LUNET_NET_MAX_IO) activation a carries a mask */
  int noutputs;                  /* 0 until set: the last activation */
  lunet_net_output_t outputs[LUNET_NET_MAX_IO];
  int64_t out_total, tgt_total;  /* values per sample of the packed outputs / targets */
  int64_t nparams, ntrainable;
  lunet_tensor_t *params;        /* (nparams) owned reference; shared with Lua views */
  lunet_tensor_t *grads;         /* (nparams) */
  int max_batch;                 /* buffers below hold this many samples */
  int need_input_grad, planned_input_grad;
  float **abuf, **dbuf;          /* (nact) owned buffers, NULL for views / the input */
  const float **cur_a;           /* (nact) this step's activations */
  float **cur_d;                 /* (nact) this step's gradients */
  const float **cur_m;           /* (nact) this step's masks */
  unsigned char *needg;          /* (nact) planned: activation a needs its gradient */
  float *scratch[LUNET_NET_MAX_NIN]; /* (max_batch * largest activation) for gradients that are summed */
  float *tbuf[LUNET_NET_MAX_IO]; /* several outputs: (max_batch, tsize) targets unpacked */
  float *obuf;                   /* several outputs: (max_batch, out_total) outputs packed */
  lunet_optimizer_t *opt;        /* owned, may be NULL */
  int64_t nfrozen;               /* parameters of frozen layers (net_frozen.c) ... */
  float *frozen_keep;            /* ... (nfrozen) owned: their values across an optimizer step */
} lunet_net_t;

/* New empty net for samples of in_shape (per sample, 1 to 3 sizes). */
lunet_net_t *lunet_net_new(int in_ndim, const int64_t *in_shape);
void lunet_net_free(lunet_net_t *net);
/* Per-sample shape of output 0 (before set_outputs: of the last activation,
 * the one the next layer of a Sequential receives). */
void lunet_net_output_shape(const lunet_net_t *net, int *ndim, int64_t *shape);
/* Per-sample shape of activation a (net_graph.c). */
void lunet_net_act_shape(const lunet_net_t *net, int a, int *ndim, int64_t *shape);
/* Appends layer as a node reading the last activation (a Sequential; takes
 * ownership, also on failure). */
int lunet_net_add(lunet_net_t *net, lunet_layer_t *layer);

/* ---- graphs (net_graph.c) ---- */
/* Adds a net input of per-sample shape (before any node); its activation
 * index, or -1 with a message. */
int lunet_net_add_input(lunet_net_t *net, int ndim, const int64_t *shape);
/* Appends layer (takes ownership, also on failure) as a node reading the
 * activations in[0 .. nin) (each below the node's own index); owner >= 0
 * makes it share node owner's parameters (layer must be built from the same
 * config): they count once, its gradients are summed into the owner's, its
 * weight penalties and constraints are the owner's. Returns the node's
 * activation index, or -1 with a message naming the layer. */
int lunet_net_add_node(lunet_net_t *net, lunet_layer_t *layer, int nin, const int *in, int owner);
/* The model's outputs, activations of nodes, distinct (before finish;
 * default: the last activation). */
int lunet_net_set_outputs(lunet_net_t *net, int n, const int *acts);
/* Output k's loss, its parameters and its weight in the net's loss (fuses
 * it with the output node's softmax / sigmoid when nothing else reads it). */
int lunet_net_set_output_loss(lunet_net_t *net, int k, lunet_loss_t loss, lunet_loss_params_t params, float weight);
/* Output k's values of the last forward (batch, output k's size), or NULL. */
const float *lunet_net_output_values(const lunet_net_t *net, int k);
/* Output k's targets of the last step (batch, tsize): y itself with one
 * output, else the unpacked copy. */
const float *lunet_net_output_targets(const lunet_net_t *net, int k, const float *y);
/* Allocates the flat buffers, gives layers their views and initialises them
 * from a generator seeded with seed. */
int lunet_net_finish(lunet_net_t *net, uint64_t seed);

/* Sets every output's loss with its default parameters and weight 1 (and
 * fuses it with a final softmax / sigmoid). */
void lunet_net_set_loss(lunet_net_t *net, lunet_loss_t loss);
/* Takes ownership of opt (frees the previous one); opt->n must be nparams. */
void lunet_net_set_optimizer(lunet_net_t *net, lunet_optimizer_t *opt);
/* Keep dL/dinput after backward (gradient checks). */
void lunet_net_set_need_input_grad(lunet_net_t *net, int on);

/* ---- frozen layers, Keras' trainable = false (net_frozen.c) ---- */
/* Freezes (frozen 1) or unfreezes node i's layer: its parameters stop
 * counting as trainable, their gradients stay 0 and an optimizer step (its
 * weight decay and momentum included) and the constraints leave them as
 * they are; a frozen BatchNormalization normalises with its moving
 * statistics and does not update them (tf.keras 2.x). Called between
 * steps, never inside one: it may allocate, and the next step re-plans.
 * -1 with a message (out of memory, no node i). */
int lunet_net_set_frozen(lunet_net_t *net, int i, int frozen);
/* For the steps: zeroes the frozen layers' gradients (after backward), and
 * keeps / puts back their values around the optimizer step. */
void lunet_net_frozen_zero_grads(lunet_net_t *net);
void lunet_net_frozen_save(lunet_net_t *net);
void lunet_net_frozen_restore(lunet_net_t *net);

/* Makes buffers hold at least batch samples; allocates only when they are too
 * small (net_graph.c, which also frees them: lunet_net_free_buffers). */
int lunet_net_plan(lunet_net_t *net, int batch);
void lunet_net_free_buffers(lunet_net_t *net);

/* Checks x's shape (batch first) against the input shape; the message names
 * the first layer, its index and both shapes. */
int lunet_net_check_input(const lunet_net_t *net, int ndim, const int64_t *shape);
/* Checks targets against the output shape and the loss (several outputs:
 * y packed (B, tgt_total), the outputs' targets side by side). */
int lunet_net_check_target(const lunet_net_t *net, int ndim, const int64_t *shape, int64_t batch);

/* Forward pass of x (B, in...) -> *out (B, out_size) (a net buffer, valid
 * until the next call). Plans first. Several inputs: x is packed (B,
 * in_total), the inputs' values side by side in input order; several
 * outputs: *out is packed (B, out_total) likewise. */
int lunet_net_forward(lunet_net_t *net, const float **out, const float *x, int batch, int training);
/* Forward (training mode), loss against y and backward: grads filled, the
 * loss in *loss. No optimizer step. w (batch) are the samples' weights, NULL
 * for all 1: *loss = sum_i w_i l_i / batch (Keras' SUM_OVER_BATCH_SIZE), each
 * sample's gradient scaled by w_i; a zero weight gives a zero gradient. */
int lunet_net_loss_grad(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w,
                        int batch);
/* loss_grad, NaN/inf check, optimizer step. Allocates nothing once planned.
 * Returns 1 (no error set) when the loss is NaN or infinite: the step is
 * skipped, weights and optimizer state are untouched. */
int lunet_net_train_step(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w,
                         int batch);
/* Loss in inference mode (no backward, no update), weighted as loss_grad's. */
int lunet_net_test(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w, int batch);
/* Fraction of correct predictions of the last forward output (output 0)
 * against y (argmax for several values, 0.5 threshold for one). */
double lunet_net_accuracy(const lunet_net_t *net, const float *y, int batch);
/* dL/dinput (B, in_size) of the last loss_grad with need_input_grad set
 * (input 0's; input k's with input_grad_k). */
const float *lunet_net_input_grad(const lunet_net_t *net);
const float *lunet_net_input_grad_k(const lunet_net_t *net, int k);

/* Reseeds every layer's generator (ops->reseed; node i gets seed + i), so a
 * step repeats (gradient checks, loss_and_gradients{seed=}). */
void lunet_net_reseed(lunet_net_t *net, uint64_t seed);

/* The layers' state beyond the parameters (ops->state_size: Dropout's
 * generator), one layer's after the other in layer order: its size in
 * bytes, ... */
size_t lunet_net_state_size(const lunet_net_t *net);
/* ... out (state_size bytes) = the state, ... */
void lunet_net_get_state(const lunet_net_t *net, uint8_t *out);
/* ... and the state set from in (n bytes, as get_state wrote them): all or
 * nothing; -1 with "<state_name> state K is not a valid state (why)" (K counts
 * the layers with state from 1) when a layer refuses its part. */
int lunet_net_set_state(lunet_net_t *net, const uint8_t *in, size_t n);

#endif
