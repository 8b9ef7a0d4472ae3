/* Wiring a net's nodes for a batch size (see net.h): which activations need
 * a gradient, which node writes each gradient first in the backward sweep
 * (the others add theirs through a scratch buffer), and every buffer a step
 * uses, allocated here so the step allocates nothing. A view (Flatten,
 * Reshape) gets no buffer: it passes its input's pointer through. */
#include "net.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "regularize.h"

void lunet_net_free_buffers(lunet_net_t *net) {
  int nact = net->ninputs + net->nlayers;
  for (int i = 0; net->abuf && i < nact; i++) { free(net->abuf[i]); free(net->dbuf[i]); }
  free(net->abuf); free(net->dbuf); free(net->cur_a); free(net->cur_d); free(net->cur_m); free(net->needg);
  for (int j = 0; j < LUNET_NET_MAX_NIN; j++) { free(net->scratch[j]); net->scratch[j] = NULL; }
  for (int k = 0; k < LUNET_NET_MAX_IO; k++) { free(net->tbuf[k]); net->tbuf[k] = NULL; }
  free(net->obuf);
  net->abuf = net->dbuf = net->cur_d = NULL;
  net->cur_a = net->cur_m = NULL;
  net->needg = NULL;
  net->obuf = NULL;
  net->max_batch = 0;
}

static int64_t act_size(const lunet_net_t *net, int a) {
  return a < net->ninputs ? lunet_shape_numel(net->in_ndims[a], net->in_shapes[a]) : net->layers[a - net->ninputs]->out_size;
}

static int is_output(const lunet_net_t *net, int a) {
  for (int k = 0; k < net->noutputs; k++) if (net->outputs[k].act == a) return 1;
  return 0;
}

/* Which gradients a step computes: an input's when asked; a node's output
 * when its backward runs, that is when it has parameters (not frozen), an activity
 * penalty (added to the loss in backward) or an input that needs one. Then,
 * walking the nodes backwards, the first node to reach an activation writes
 * its gradient, the later ones add to it. */
static void wire(lunet_net_t *net, unsigned char *seen) {
  int ni = net->ninputs, nact = ni + net->nlayers;
  for (int a = 0; a < ni; a++) net->needg[a] = (unsigned char)net->need_input_grad;
  for (int i = 0; i < net->nlayers; i++) {
    lunet_node_t *node = &net->nodes[i];
    lunet_layer_t *l = net->layers[i];
    int in_grad = 0;
    for (int j = 0; j < node->nin; j++) in_grad |= net->needg[node->in[j]];
    l->need_input_grad = in_grad;
    /* (a frozen layer's parameters need no gradient, but its weight penalties join the loss in backward) */
    const lunet_layer_t *o = node->owner >= 0 ? net->layers[node->owner] : l;
    int learns = l->nparams > 0 && (!o->frozen || lunet_reg_active(&o->kernel.reg) || lunet_reg_active(&o->bias.reg) ||
                                    lunet_reg_active(&o->kernel2.reg));
    node->run_backward = learns || lunet_reg_active(&l->activity_reg) || in_grad;
    net->needg[ni + i] = (unsigned char)node->run_backward;
  }
  memset(seen, 0, (size_t)nact);
  for (int k = 0; k < net->noutputs; k++) seen[net->outputs[k].act] = 1; /* the loss writes first */
  for (int i = net->nlayers - 1; i >= 0; i--) {
    lunet_node_t *node = &net->nodes[i];
    for (int j = 0; j < node->nin; j++) {
      int a = node->in[j];
      node->first[j] = node->run_backward && net->needg[a] && !seen[a];
      if (node->run_backward && net->needg[a]) seen[a] = 1;
    }
  }
}

static int alloc_floats(float **p, int64_t n) {
  *p = lunet_nn_alloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  return *p ? 0 : -1;
}

static int alloc_buffers(lunet_net_t *net, int batch) {
  int ni = net->ninputs, nact = ni + net->nlayers;
  int64_t largest = 0;
  for (int a = 0; a < nact; a++) if (act_size(net, a) > largest) largest = act_size(net, a);
  for (int a = 0; a < nact; a++) {
    int64_t n = (int64_t)batch * act_size(net, a);
    lunet_layer_t *l = a >= ni ? net->layers[a - ni] : NULL;
    /* several inputs are unpacked from x into buffers of their own; one is read in place */
    if (((l && !l->is_view) || (!l && ni > 1)) && alloc_floats(&net->abuf[a], n) < 0) return -1;
    /* a gradient buffer for the first writer that is not a view, and for an output's loss gradient */
    int need_d = is_output(net, a);
    for (int i = 0; !need_d && i < net->nlayers; i++)
      for (int j = 0; j < net->nodes[i].nin; j++)
        need_d |= net->nodes[i].in[j] == a && net->nodes[i].first[j] && !net->layers[i]->is_view;
    if (need_d && alloc_floats(&net->dbuf[a], n) < 0) return -1;
  }
  for (int i = 0; i < net->nlayers; i++)
    for (int j = 0; j < net->nodes[i].nin; j++) {
      int sums = net->nodes[i].run_backward && net->needg[net->nodes[i].in[j]] && !net->nodes[i].first[j];
      if (sums && !net->layers[i]->is_view && !net->scratch[j] && alloc_floats(&net->scratch[j], batch * largest) < 0)
        return -1;
    }
  if (net->noutputs > 1) {
    for (int k = 0; k < net->noutputs; k++)
      if (alloc_floats(&net->tbuf[k], (int64_t)batch * net->outputs[k].size) < 0) return -1;
    if (alloc_floats(&net->obuf, (int64_t)batch * net->out_total) < 0) return -1;
  }
  return 0;
}

int lunet_net_plan(lunet_net_t *net, int batch) {
  const char *what = net->graph ? "Model" : "Sequential";
  if (!net->finished) return lunet_fail("%s: the model is not built", what);
  if (batch <= net->max_batch && net->planned_input_grad == net->need_input_grad) return 0;
  if (batch < net->max_batch) batch = net->max_batch;
  int ni = net->ninputs, nact = ni + net->nlayers;
  for (int a = 0; a < nact; a++) /* every buffer's rows and BLAS dimension fit an int */
    if (batch < 1 || act_size(net, a) > LUNET_MAX_SIZE / batch)
      return lunet_fail("%s: a batch of %d samples is too large for this model (%lld values per "
                        "sample at layer %d; at most %lld values per batch)", what, batch, (long long)act_size(net, a),
                        a - ni + 1, (long long)LUNET_MAX_SIZE);
  if (net->in_total > LUNET_MAX_SIZE / batch || net->out_total > LUNET_MAX_SIZE / batch)
    return lunet_fail("%s: a batch of %d samples is too large for this model", what, batch);
  lunet_net_free_buffers(net);
  net->abuf = lunet_nn_alloc((size_t)nact * sizeof *net->abuf);
  net->dbuf = lunet_nn_alloc((size_t)nact * sizeof *net->dbuf);
  net->cur_a = lunet_nn_alloc((size_t)nact * sizeof *net->cur_a);
  net->cur_d = lunet_nn_alloc((size_t)nact * sizeof *net->cur_d);
  net->cur_m = lunet_nn_alloc((size_t)nact * sizeof *net->cur_m);
  net->needg = lunet_nn_alloc((size_t)nact);
  unsigned char *seen = lunet_nn_alloc((size_t)nact);
  int ok = net->abuf && net->dbuf && net->cur_a && net->cur_d && net->cur_m && net->needg && seen;
  if (ok) wire(net, seen);
  free(seen);
  if (!ok || alloc_buffers(net, batch) < 0) { lunet_net_free_buffers(net); return -1; }
  for (int i = 0; i < net->nlayers; i++) {
    lunet_layer_t *l = net->layers[i];
    if (l->ops->plan && l->ops->plan(l, batch) < 0) { lunet_net_free_buffers(net); return -1; }
  }
  net->max_batch = batch;
  net->planned_input_grad = net->need_input_grad;
  return 0;
}
