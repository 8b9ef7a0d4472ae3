/* The network runner (see net.h), building: a net's inputs, its nodes (layer
 * calls) with their parameter views in the one flat buffer, its outputs and
 * their losses, and the checks of a batch's inputs and targets. Wiring the
 * buffers is net_graph.c, the steps net_step.c. */
#include "net.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "regularize.h"

static const char *what(const lunet_net_t *net) { return net->graph ? "Model" : "Sequential"; }

static int check_shape(const char *who, int ndim, const int64_t *shape) {
  char s[LUNET_SHAPE_STR_MAX];
  if (ndim < 1 || ndim > LUNET_LAYER_MAX_DIMS)
    return lunet_fail("%s: input_shape must have 1 to %d sizes, got %d", who, LUNET_LAYER_MAX_DIMS, ndim);
  for (int i = 0; i < ndim; i++)
    if (shape[i] < 1)
      return lunet_fail("%s: input_shape %s must have positive sizes", who, lunet_shape_str(s, sizeof s, ndim, shape));
  if (lunet_shape_numel(ndim, shape) > LUNET_MAX_SIZE)
    return lunet_fail("%s: input_shape %s has more than %lld values per sample", who,
                      lunet_shape_str(s, sizeof s, ndim, shape), (long long)LUNET_MAX_SIZE);
  return 0;
}

lunet_net_t *lunet_net_new(int in_ndim, const int64_t *in_shape) {
  if (check_shape("Sequential", in_ndim, in_shape) < 0) return NULL;
  lunet_net_t *net = lunet_nn_alloc(sizeof *net);
  if (!net) return NULL;
  net->in_ndim = in_ndim;
  memcpy(net->in_shape, in_shape, (size_t)in_ndim * sizeof *in_shape);
  net->ninputs = 1;
  net->in_ndims[0] = in_ndim;
  memcpy(net->in_shapes[0], in_shape, (size_t)in_ndim * sizeof *in_shape);
  net->in_total = lunet_shape_numel(in_ndim, in_shape);
  return net;
}

int lunet_net_add_input(lunet_net_t *net, int ndim, const int64_t *shape) {
  if (net->nlayers > 0 || net->finished) return lunet_fail("Model: inputs are added before the layers");
  if (net->ninputs == LUNET_NET_MAX_IO) return lunet_fail("Model: at most %d inputs", LUNET_NET_MAX_IO);
  if (check_shape("Model", ndim, shape) < 0) return -1;
  int64_t n = lunet_shape_numel(ndim, shape);
  if (n > LUNET_MAX_SIZE - net->in_total) return lunet_fail("Model: the inputs have too many values per sample");
  int k = net->ninputs++;
  net->graph = 1;
  net->in_ndims[k] = ndim;
  memcpy(net->in_shapes[k], shape, (size_t)ndim * sizeof *shape);
  net->in_total += n;
  return k;
}

void lunet_net_free(lunet_net_t *net) {
  if (!net) return;
  lunet_net_free_buffers(net);
  for (int i = 0; i < net->nlayers; i++) {
    lunet_layer_free(net->layers[i]);
    free(net->nodes[i].in);
    free(net->nodes[i].first);
    free(net->nodes[i].own_grads);
  }
  free(net->layers);
  free(net->nodes);
  free(net->masked);
  lunet_tensor_free(net->params);
  lunet_tensor_free(net->grads);
  lunet_optimizer_free(net->opt);
  free(net->frozen_keep);
  free(net);
}

void lunet_net_act_shape(const lunet_net_t *net, int a, int *ndim, int64_t *shape) {
  int nd = a < net->ninputs ? net->in_ndims[a] : net->layers[a - net->ninputs]->out_ndim;
  const int64_t *s = a < net->ninputs ? net->in_shapes[a] : net->layers[a - net->ninputs]->out_shape;
  *ndim = nd;
  memcpy(shape, s, (size_t)nd * sizeof *shape);
}

void lunet_net_output_shape(const lunet_net_t *net, int *ndim, int64_t *shape) {
  lunet_net_act_shape(net, net->noutputs ? net->outputs[0].act : net->ninputs + net->nlayers - 1, ndim, shape);
}

static int64_t act_size(const lunet_net_t *net, int a) {
  return a < net->ninputs ? lunet_shape_numel(net->in_ndims[a], net->in_shapes[a]) : net->layers[a - net->ninputs]->out_size;
}

static int grow(lunet_net_t *net) {
  int cap = net->cap ? 2 * net->cap : 8;
  lunet_layer_t **ls = realloc(net->layers, (size_t)cap * sizeof *ls);
  if (ls) net->layers = ls;
  lunet_node_t *ns = realloc(net->nodes, (size_t)cap * sizeof *ns);
  if (ns) net->nodes = ns;
  unsigned char *m = realloc(net->masked, (size_t)(cap + LUNET_NET_MAX_IO));
  if (m) net->masked = m;
  if (!ls || !ns || !m) return lunet_fail("out of memory adding a layer");
  if (net->cap == 0) memset(net->masked, 0, LUNET_NET_MAX_IO);
  net->cap = cap;
  return 0;
}

/* The node's checks, before it joins: sizes the kernels index with int, a
 * mask that nothing would carry on, the wiring. */
static int check_node(const lunet_net_t *net, const lunet_layer_t *layer, int nin, const int *in, int owner) {
  if (net->finished) return lunet_fail("%s: layers added after build", what(net));
  if (layer->out_size > LUNET_MAX_SIZE) return lunet_fail("%s: the output has more than 2147483647 values per sample", layer->name);
  if (owner < 0 && layer->nparams > INT64_MAX / 2 - net->nparams) return lunet_fail("%s: too many parameters", layer->name);
  if (nin < 1 || nin > LUNET_NET_MAX_NIN) return lunet_fail("%s: takes 1 to %d inputs, got %d", layer->name, LUNET_NET_MAX_NIN, nin);
  int nact = net->ninputs + net->nlayers;
  for (int j = 0; j < nin; j++)
    if (in[j] < 0 || in[j] >= nact)
      return lunet_fail("%s: input %d reads activation %d, which is not computed before it (a cycle?)", layer->name,
                        j + 1, in[j] + 1);
  if (owner >= net->nlayers) return lunet_fail("%s: shares the weights of node %d, which is not before it", layer->name, owner + 1);
  if (owner >= 0) {
    const lunet_layer_t *o = net->layers[owner];
    if (o->ops != layer->ops || o->nparams != layer->nparams)
      return lunet_fail("%s: cannot share the weights of %s (%lld parameters, %lld here)", layer->name, o->name,
                        (long long)o->nparams, (long long)layer->nparams);
  }
  for (int j = 0; j < nin; j++) /* as Keras 2: a mask is never dropped silently */
    if (net->masked[in[j]] && (nin > 1 || (!layer->mask_keep && !layer->mask_use)))
      return lunet_fail("%s: does not support masking, but its input carries a mask (Embedding's mask_zero, Masking)", layer->name);
  return 0;
}

int lunet_net_add_node(lunet_net_t *net, lunet_layer_t *layer, int nin, const int *in, int owner) {
  if ((net->nlayers == net->cap && grow(net) < 0) || check_node(net, layer, nin, in, owner) < 0) {
    lunet_layer_free(layer);
    return -1;
  }
  lunet_node_t *node = &net->nodes[net->nlayers];
  memset(node, 0, sizeof *node);
  node->in = lunet_nn_alloc((size_t)nin * sizeof *node->in);
  node->first = lunet_nn_alloc((size_t)nin * sizeof *node->first);
  if (!node->in || !node->first) { free(node->in); free(node->first); lunet_layer_free(layer); return -1; }
  memcpy(node->in, in, (size_t)nin * sizeof *in);
  node->nin = nin;
  node->owner = owner;
  if (owner >= 0) { /* a second call: the owner's penalties and constraints already count */
    layer->kernel.reg = layer->bias.reg = layer->kernel2.reg = (lunet_reg_t){0, 0};
    layer->kernel.con.kind = layer->bias.con.kind = layer->kernel2.con.kind = LUNET_CON_NONE;
  } else {
    net->nparams += layer->nparams; /* the running total, for the check above; finish recounts */
  }
  int a = net->ninputs + net->nlayers;
  net->masked[a] = layer->makes_mask || (layer->mask_keep && net->masked[in[0]]);
  net->out_masked = net->masked[a];
  net->layers[net->nlayers++] = layer;
  return a;
}

int lunet_net_add(lunet_net_t *net, lunet_layer_t *layer) {
  int in = net->ninputs + net->nlayers - 1;
  return lunet_net_add_node(net, layer, 1, &in, -1) < 0 ? -1 : 0;
}

int lunet_net_set_outputs(lunet_net_t *net, int n, const int *acts) {
  if (net->finished) return lunet_fail("Model: outputs set after build");
  if (n < 1 || n > LUNET_NET_MAX_IO) return lunet_fail("Model: 1 to %d outputs, got %d", LUNET_NET_MAX_IO, n);
  for (int k = 0; k < n; k++) {
    if (acts[k] < net->ninputs || acts[k] >= net->ninputs + net->nlayers)
      return lunet_fail("Model: output %d is not a layer's output", k + 1);
    for (int j = 0; j < k; j++)
      if (acts[j] == acts[k]) return lunet_fail("Model: output %d is output %d again", k + 1, j + 1);
  }
  net->noutputs = n;
  net->graph = net->graph || n > 1;
  for (int k = 0; k < n; k++)
    net->outputs[k] = (lunet_net_output_t){.act = acts[k], .size = act_size(net, acts[k]), .weight = 1.0f};
  return 0;
}

/* nodes reading activation a */
static int readers(const lunet_net_t *net, int a) {
  int n = 0;
  for (int i = 0; i < net->nlayers; i++)
    for (int j = 0; j < net->nodes[i].nin; j++) n += net->nodes[i].in[j] == a;
  return n;
}

static void recount_outputs(lunet_net_t *net) {
  net->out_total = net->tgt_total = 0;
  for (int k = 0; k < net->noutputs; k++) {
    lunet_net_output_t *o = &net->outputs[k];
    o->tsize = o->has_loss && lunet_loss_sparse(o->loss) ? 1 : o->size;
    net->out_total += o->size;
    net->tgt_total += o->tsize;
  }
}

int lunet_net_finish(lunet_net_t *net, uint64_t seed) {
  if (net->nlayers == 0) return lunet_fail("%s: the model has no layers", what(net));
  if (!net->noutputs) {
    int last = net->ninputs + net->nlayers - 1;
    if (lunet_net_set_outputs(net, 1, &last) < 0) return -1;
  }
  recount_outputs(net);
  for (int i = 0; i < net->nlayers; i++) { /* a gradient must reach every node */
    int a = net->ninputs + i, out = 0;
    for (int k = 0; k < net->noutputs; k++) out |= net->outputs[k].act == a;
    if (!out && readers(net, a) == 0) return lunet_fail("Model: the output of %s reaches no output", net->layers[i]->name);
  }
  int64_t n = 0, nt = 0;
  for (int i = 0; i < net->nlayers; i++)
    if (net->nodes[i].owner < 0) { n += net->layers[i]->nparams; nt += net->layers[i]->ntrainable; }
  int64_t shape[1] = {n};
  net->params = lunet_tensor_new(1, shape);
  net->grads = lunet_tensor_new(1, shape);
  if (!net->params || !net->grads) return -1;
  net->nparams = n;
  net->ntrainable = nt;
  lunet_rng_t rng;
  lunet_rng_seed(&rng, seed);
  float *p = lunet_tensor_data(net->params), *g = lunet_tensor_data(net->grads);
  for (int i = 0; i < net->nlayers; i++) {
    lunet_layer_t *l = net->layers[i];
    lunet_node_t *node = &net->nodes[i];
    if (node->owner >= 0) { /* the owner's values, gradients of its own summed after backward */
      l->params = net->layers[node->owner]->params;
      node->own_grads = lunet_nn_alloc((size_t)(l->nparams ? l->nparams : 1) * sizeof(float));
      if (!node->own_grads) return -1;
      l->grads = node->own_grads;
      continue;
    }
    l->params = p; l->grads = g;
    p += l->nparams; g += l->nparams;
    if (l->ops->init) l->ops->init(l, &rng);
  }
  /* layer generators (Dropout masks): independent streams derived from the
   * model seed, unless the layer's config gave its own seed */
  lunet_net_reseed(net, lunet_rng_next(&rng));
  for (int i = 0; i < net->nlayers; i++)
    if (net->layers[i]->has_seed) net->layers[i]->ops->reseed(net->layers[i], net->layers[i]->seed);
  net->finished = 1;
  return 0;
}

int lunet_net_set_output_loss(lunet_net_t *net, int k, lunet_loss_t loss, lunet_loss_params_t params, float weight) {
  if (!net->finished) return lunet_fail("%s: the model is not built", what(net));
  if (k < 0 || k >= net->noutputs) return lunet_fail("%s: no output %d", what(net), k + 1);
  lunet_net_output_t *o = &net->outputs[k];
  o->has_loss = 1;
  o->loss = loss;
  o->params = params;
  o->weight = weight;
  recount_outputs(net);
  lunet_layer_t *last = net->layers[o->act - net->ninputs];
  last->act_fused_loss = 0;
  int cat = loss == LUNET_LOSS_CATEGORICAL_CROSSENTROPY || loss == LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  /* (an activity regularizer's gradient is on the output: it needs the activation's own backward; so does a
   * reader of the output, whose gradient is the activation's) */
  /* (from_logits: the loss applies the sigmoid / softmax itself, on a linear output) */
  if (!params.from_logits && !last->is_view && !lunet_reg_active(&last->activity_reg) && readers(net, o->act) == 0 &&
      ((cat && last->act == LUNET_ACT_SOFTMAX) || (loss == LUNET_LOSS_BINARY_CROSSENTROPY && last->act == LUNET_ACT_SIGMOID)))
    last->act_fused_loss = 1;
  return 0;
}

void lunet_net_set_loss(lunet_net_t *net, lunet_loss_t loss) {
  for (int k = 0; k < net->noutputs; k++)
    LUNET_ASSERT(lunet_net_set_output_loss(net, k, loss, lunet_loss_params_default(), 1.0f) == 0);
}

void lunet_net_set_optimizer(lunet_net_t *net, lunet_optimizer_t *opt) {
  lunet_optimizer_free(net->opt);
  net->opt = opt;
  net->frozen_clean = 0; /* (net_frozen.c) */
}

void lunet_net_set_need_input_grad(lunet_net_t *net, int on) { net->need_input_grad = on; }

int lunet_net_check_input(const lunet_net_t *net, int ndim, const int64_t *shape) {
  char have[LUNET_SHAPE_STR_MAX], want[LUNET_SHAPE_STR_MAX];
  if (net->ninputs > 1) {
    int64_t n = 1;
    for (int i = 1; i < ndim; i++) n *= shape[i];
    if (ndim < 2 || n != net->in_total)
      return lunet_fail("Model: the packed input has shape %s, expected (batch, %lld): the %d inputs' values side by side",
                        lunet_shape_str(have, sizeof have, ndim, shape), (long long)net->in_total, net->ninputs);
    return shape[0] >= 1 ? 0 : lunet_fail("Model: input has no samples");
  }
  const char *first = net->graph ? "Model" : net->nlayers ? net->layers[0]->name : "Sequential";
  const char *at = net->graph ? "" : " [layer 1]";
  int ok = ndim == net->in_ndim + 1;
  for (int i = 0; ok && i < net->in_ndim; i++) ok = shape[i + 1] == net->in_shape[i];
  if (ok && shape[0] >= 1) return 0;
  if (ok) return lunet_fail("%s%s: input has no samples", first, at);
  if (ndim == 2 && net->in_ndim == 1)
    return lunet_fail("%s%s: input has %lld features, layer expects %lld", first, at, (long long)shape[1],
                      (long long)net->in_shape[0]);
  want[0] = '\0';
  lunet_shape_str(want, sizeof want, net->in_ndim, net->in_shape);
  return lunet_fail("%s%s: input has shape %s, layer expects (batch, %s", first, at,
                    lunet_shape_str(have, sizeof have, ndim, shape), want + 1);
}

int lunet_net_check_target(const lunet_net_t *net, int ndim, const int64_t *shape, int64_t batch) {
  char have[LUNET_SHAPE_STR_MAX];
  int64_t n = 1;
  for (int i = 1; i < ndim; i++) n *= shape[i];
  if (ndim < 1 || shape[0] != batch)
    return lunet_fail("%s: targets have shape %s, expected %lld samples like the input", what(net),
                      lunet_shape_str(have, sizeof have, ndim, shape), (long long)batch);
  const lunet_net_output_t *o = &net->outputs[0];
  if (net->noutputs > 1) {
    if (n != net->tgt_total)
      return lunet_fail("Model: the packed targets have %lld values per sample (shape %s), the %d outputs take %lld",
                        (long long)n, lunet_shape_str(have, sizeof have, ndim, shape), net->noutputs,
                        (long long)net->tgt_total);
    return 0;
  }
  if (o->has_loss && lunet_loss_sparse(o->loss)) {
    if (n != 1)
      return lunet_fail("%s: sparse_categorical_crossentropy wants one class index per sample, "
                        "targets have shape %s", what(net), lunet_shape_str(have, sizeof have, ndim, shape));
    return 0;
  }
  if (n != o->size)
    return lunet_fail("%s: targets have %lld values per sample (shape %s), the model outputs %lld", what(net),
                      (long long)n, lunet_shape_str(have, sizeof have, ndim, shape), (long long)o->size);
  return 0;
}
