/* Frozen layers (Keras' trainable = false, see net.h): a frozen layer's
 * parameters never change in training. Its gradients are zeroed after each
 * backward, and its values are kept across the optimizer step and put back
 * after it, so no optimizer rule (a decoupled weight decay, momentum or
 * moments loaded from a file) nor a constraint moves them: bit-identical by
 * construction, at the cost of two copies of the frozen values per step. A
 * frozen layer's backward is skipped when nothing needs it (no input
 * gradient below it, no weight penalty), which is what makes fine-tuning a
 * frozen base cheap. */
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
  if (net->finished && l->nparams > 0 && net->nodes[i].owner < 0)
    memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
  net->max_batch = 0; /* which backward passes run changed: the next step re-plans */
  return 0;
}

void lunet_net_frozen_zero_grads(lunet_net_t *net) {
  if (net->nfrozen == 0) return;
  EACH_FROZEN(net, l) memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
}

void lunet_net_frozen_save(lunet_net_t *net) {
  float *k = net->frozen_keep;
  if (net->nfrozen == 0) return;
  EACH_FROZEN(net, l) { memcpy(k, l->params, (size_t)l->nparams * sizeof *k); k += l->nparams; }
}

void lunet_net_frozen_restore(lunet_net_t *net) {
  const float *k = net->frozen_keep;
  if (net->nfrozen == 0) return;
  EACH_FROZEN(net, l) { memcpy(l->params, k, (size_t)l->nparams * sizeof *k); k += l->nparams; }
}
