/* Frozen layers (Keras' trainable = false, see net.h): a frozen layer's
 * parameters never change in training. Its gradients are zeroed after each
 * backward and the optimizer's state of them (momentum, moments: Keras keeps
 * none for a frozen weight) is zeroed once whenever it may have changed (a
 * new optimizer, a loaded state, a layer frozen), so every rule's update of
 * them is exactly 0; the one rule that moves a weight without a gradient,
 * AdamW's decoupled decay, has their values kept and put back around its
 * step. Constraints skip frozen layers (net_step.c). A frozen layer's
 * backward is skipped when nothing needs it (no input gradient below it, no
 * weight penalty), which is what makes fine-tuning a frozen base cheap. */
#include "net.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

/* the nodes that own parameters of a frozen layer, in order */
#define EACH_FROZEN(net, l) \
  for (int i_ = 0; i_ < (net)->nlayers; i_++) \
    if ((net)->nodes[i_].owner < 0 && (net)->layers[i_]->frozen && (net)->layers[i_]->nparams > 0) \
      for (lunet_layer_t *l = (net)->layers[i_]; l; l = NULL)

int lunet_net_set_frozen(lunet_net_t *net, int i, int frozen) {
  if (i < 0 || i >= net->nlayers) return lunet_fail("%s: no layer %d", net->graph ? "Model" : "Sequential", i + 1);
  lunet_layer_t *l = net->layers[i];
  if (l->frozen == (frozen != 0)) return 0;
  l->frozen = frozen != 0;
  int64_t n = 0, nt = 0;
  for (int k = 0; k < net->nlayers; k++)
    if (net->nodes[k].owner < 0) {
      if (net->layers[k]->frozen) n += net->layers[k]->nparams;
      else nt += net->layers[k]->ntrainable;
    }
  free(net->frozen_keep);
  net->frozen_keep = NULL;
  net->nfrozen = 0;
  if (n > 0 && !(net->frozen_keep = lunet_nn_alloc((size_t)n * sizeof(float)))) {
    l->frozen = !l->frozen;
    return lunet_fail("out of memory freezing %s", l->name);
  }
  net->nfrozen = n;
  net->ntrainable = nt;
  net->frozen_clean = 0;
  if (net->finished && l->nparams > 0 && net->nodes[i].owner < 0)
    memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
  net->max_batch = 0; /* which backward passes run changed: the next step re-plans */
  return 0;
}

/* (a frozen layer whose backward did not run still has the zeros set_frozen wrote; a shared node of it adds
 * nothing to them: net_step.c skips that sum) */
void lunet_net_frozen_zero_grads(lunet_net_t *net) {
  if (net->nfrozen == 0) return;
  EACH_FROZEN(net, l)
    if (net->nodes[i_].run_backward) memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
}

/* the optimizer's state of the frozen parameters set to 0: each slot is (n) */
static void zero_state(lunet_net_t *net) {
  lunet_optimizer_t *o = net->opt;
  const float *base = lunet_tensor_data(net->params);
  for (int s = 0; s < o->nslots; s++)
    EACH_FROZEN(net, l) memset(o->state + s * o->n + (l->params - base), 0, (size_t)l->nparams * sizeof(float));
}

void lunet_net_frozen_before_step(lunet_net_t *net) {
  if (net->nfrozen == 0) return;
  if (!net->frozen_clean) { zero_state(net); net->frozen_clean = 1; }
  if (net->opt->weight_decay == 0.0f) return;
  float *k = net->frozen_keep;
  EACH_FROZEN(net, l) { memcpy(k, l->params, (size_t)l->nparams * sizeof *k); k += l->nparams; }
}

void lunet_net_frozen_after_step(lunet_net_t *net) {
  if (net->nfrozen == 0 || net->opt->weight_decay == 0.0f) return;
  const float *k = net->frozen_keep;
  EACH_FROZEN(net, l) { memcpy(l->params, k, (size_t)l->nparams * sizeof *k); k += l->nparams; }
}
