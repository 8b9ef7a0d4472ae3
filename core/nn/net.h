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

typedef struct lunet_net {
  int nlayers, cap;
  lunet_layer_t **layers;        /* owned */
  int in_ndim;
  int64_t in_shape[LUNET_LAYER_MAX_DIMS];
  int finished;                  /* parameters allocated */
  int out_masked;                /* the last layer's output carries a mask (layer.h: makes_mask) */
  int64_t nparams, ntrainable;
  lunet_tensor_t *params;        /* (nparams) owned reference; shared with Lua views */
  lunet_tensor_t *grads;         /* (nparams) */
  int max_batch;                 /* buffers below hold this many samples */
  int need_input_grad, planned_input_grad;
  float **abuf, **dbuf;          /* (nlayers + 1) owned buffers, NULL for views / the input */
  const float **cur_a;           /* (nlayers + 1) this step's activations */
  float **cur_d;                 /* (nlayers + 1) this step's gradients */
  int has_loss;
  lunet_loss_t loss;
  lunet_loss_params_t loss_params; /* set_loss resets them to the defaults */
  lunet_optimizer_t *opt;        /* owned, may be NULL */
} lunet_net_t;

/* New empty net for samples of in_shape (per sample, 1 to 3 sizes). */
lunet_net_t *lunet_net_new(int in_ndim, const int64_t *in_shape);
void lunet_net_free(lunet_net_t *net);
/* Per-sample shape the next layer receives. */
void lunet_net_output_shape(const lunet_net_t *net, int *ndim, int64_t *shape);
/* Appends layer (takes ownership, also on failure). */
int lunet_net_add(lunet_net_t *net, lunet_layer_t *layer);
/* Allocates the flat buffers, gives layers their views and initialises them
 * from a generator seeded with seed. */
int lunet_net_finish(lunet_net_t *net, uint64_t seed);

/* Sets the loss with its default parameters (and fuses it with a final
 * softmax / sigmoid); set net->loss_params after for others. */
void lunet_net_set_loss(lunet_net_t *net, lunet_loss_t loss);
/* Takes ownership of opt (frees the previous one); opt->n must be nparams. */
void lunet_net_set_optimizer(lunet_net_t *net, lunet_optimizer_t *opt);
/* Keep dL/dinput after backward (gradient checks). */
void lunet_net_set_need_input_grad(lunet_net_t *net, int on);

/* Makes buffers hold at least batch samples; allocates only when they are too
 * small. */
int lunet_net_plan(lunet_net_t *net, int batch);

/* Checks x's shape (batch first) against the input shape; the message names
 * the first layer, its index and both shapes. */
int lunet_net_check_input(const lunet_net_t *net, int ndim, const int64_t *shape);
/* Checks targets against the output shape and the loss. */
int lunet_net_check_target(const lunet_net_t *net, int ndim, const int64_t *shape, int64_t batch);

/* Forward pass of x (B, in...) -> *out (B, out_size) (a net buffer, valid
 * until the next call). Plans first. */
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
/* Fraction of correct predictions of the last forward output against y
 * (argmax for several outputs, 0.5 threshold for one). */
double lunet_net_accuracy(const lunet_net_t *net, const float *y, int batch);
/* dL/dinput (B, in_size) of the last loss_grad with need_input_grad set. */
const float *lunet_net_input_grad(const lunet_net_t *net);

/* Reseeds every layer's generator (ops->reseed; layer i gets seed + i), so a
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
