/* The network runner (see net.h): planning, the forward/backward sweep and
 * the training step. Activations of layer i's input are cur_a[i]; views
 * (Flatten, Reshape) pass their input pointer through, so they cost nothing. */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "regularize.h"

lunet_net_t *lunet_net_new(int in_ndim, const int64_t *in_shape) {
  char s[LUNET_SHAPE_STR_MAX];
  if (in_ndim < 1 || in_ndim > LUNET_LAYER_MAX_DIMS) {
    lunet_fail("Sequential: input_shape must have 1 to %d sizes, got %d", LUNET_LAYER_MAX_DIMS, in_ndim);
    return NULL;
  }
  for (int i = 0; i < in_ndim; i++)
    if (in_shape[i] < 1) {
      lunet_fail("Sequential: input_shape %s must have positive sizes",
                 lunet_shape_str(s, sizeof s, in_ndim, in_shape));
      return NULL;
    }
  if (lunet_shape_numel(in_ndim, in_shape) > LUNET_MAX_SIZE) {
    lunet_fail("Sequential: input_shape %s has more than %lld values per sample",
               lunet_shape_str(s, sizeof s, in_ndim, in_shape), (long long)LUNET_MAX_SIZE);
    return NULL;
  }
  lunet_net_t *net = lunet_nn_alloc(sizeof *net);
  if (!net) return NULL;
  net->in_ndim = in_ndim;
  memcpy(net->in_shape, in_shape, (size_t)in_ndim * sizeof *in_shape);
  return net;
}

static void free_buffers(lunet_net_t *net) {
  for (int i = 0; net->abuf && i <= net->nlayers; i++) { free(net->abuf[i]); free(net->dbuf[i]); }
  free(net->abuf); free(net->dbuf); free(net->cur_a); free(net->cur_d);
  net->abuf = net->dbuf = net->cur_d = NULL;
  net->cur_a = NULL;
  net->max_batch = 0;
}

void lunet_net_free(lunet_net_t *net) {
  if (!net) return;
  free_buffers(net);
  for (int i = 0; i < net->nlayers; i++) lunet_layer_free(net->layers[i]);
  free(net->layers);
  lunet_tensor_free(net->params);
  lunet_tensor_free(net->grads);
  lunet_optimizer_free(net->opt);
  free(net);
}

void lunet_net_output_shape(const lunet_net_t *net, int *ndim, int64_t *shape) {
  if (net->nlayers == 0) {
    *ndim = net->in_ndim;
    memcpy(shape, net->in_shape, (size_t)net->in_ndim * sizeof *shape);
    return;
  }
  const lunet_layer_t *l = net->layers[net->nlayers - 1];
  *ndim = l->out_ndim;
  memcpy(shape, l->out_shape, (size_t)l->out_ndim * sizeof *shape);
}

int lunet_net_add(lunet_net_t *net, lunet_layer_t *layer) {
  if (net->finished) { lunet_layer_free(layer); return lunet_fail("Sequential: layers added after build"); }
  /* sizes the kernels index with int (BLAS) and the buffers multiply by the batch */
  if (layer->out_size > LUNET_MAX_SIZE || layer->nparams > INT64_MAX / 2 - net->nparams) {
    int rc = lunet_fail("%s: %s", layer->name, layer->out_size > LUNET_MAX_SIZE
                        ? "the output has more than 2147483647 values per sample" : "too many parameters");
    lunet_layer_free(layer);
    return rc;
  }
  if (net->out_masked && !layer->mask_keep && !layer->mask_use) { /* as Keras 2: a mask is never dropped silently */
    int rc = lunet_fail("%s: does not support masking, but its input carries a mask (Embedding's mask_zero)",
                        layer->name);
    lunet_layer_free(layer);
    return rc;
  }
  net->out_masked = layer->makes_mask || (net->out_masked && layer->mask_keep);
  net->nparams += layer->nparams; /* the running total, for the check above; finish recounts */
  if (net->nlayers == net->cap) {
    int cap = net->cap ? 2 * net->cap : 8;
    lunet_layer_t **ls = realloc(net->layers, (size_t)cap * sizeof *ls);
    if (!ls) { lunet_layer_free(layer); return lunet_fail("out of memory adding a layer"); }
    net->layers = ls;
    net->cap = cap;
  }
  net->layers[net->nlayers++] = layer;
  return 0;
}

int lunet_net_finish(lunet_net_t *net, uint64_t seed) {
  int64_t n = 0, nt = 0;
  for (int i = 0; i < net->nlayers; i++) { n += net->layers[i]->nparams; nt += net->layers[i]->ntrainable; }
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

void lunet_net_set_loss(lunet_net_t *net, lunet_loss_t loss) {
  net->has_loss = 1;
  net->loss = loss;
  net->loss_params = lunet_loss_params_default();
  for (int i = 0; i < net->nlayers; i++) net->layers[i]->act_fused_loss = 0;
  if (net->nlayers == 0) return;
  lunet_layer_t *last = net->layers[net->nlayers - 1];
  int cat = loss == LUNET_LOSS_CATEGORICAL_CROSSENTROPY || loss == LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  /* (an activity regularizer's gradient is on the output: it needs the activation's own backward) */
  if (!last->is_view && !lunet_reg_active(&last->activity_reg) && ((cat && last->act == LUNET_ACT_SOFTMAX) ||
                         (loss == LUNET_LOSS_BINARY_CROSSENTROPY && last->act == LUNET_ACT_SIGMOID)))
    last->act_fused_loss = 1;
}

void lunet_net_set_optimizer(lunet_net_t *net, lunet_optimizer_t *opt) {
  lunet_optimizer_free(net->opt);
  net->opt = opt;
}

void lunet_net_set_need_input_grad(lunet_net_t *net, int on) { net->need_input_grad = on; }

static int64_t size_at(const lunet_net_t *net, int i) { /* per-sample size of activation i */
  return i == 0 ? lunet_shape_numel(net->in_ndim, net->in_shape) : net->layers[i - 1]->out_size;
}

/* index of the first layer that is not a view: layers before it only pass
 * the input through, so it needs no input gradient */
static int first_real(const lunet_net_t *net) {
  int i = 0;
  while (i < net->nlayers && net->layers[i]->is_view) i++;
  return i;
}

int lunet_net_plan(lunet_net_t *net, int batch) {
  if (!net->finished) return lunet_fail("Sequential: the model is not built");
  if (batch <= net->max_batch && net->planned_input_grad == net->need_input_grad) return 0;
  if (batch < net->max_batch) batch = net->max_batch;
  for (int i = 0; i <= net->nlayers; i++) /* every buffer's rows and BLAS dimension fit an int */
    if (batch < 1 || size_at(net, i) > LUNET_MAX_SIZE / batch)
      return lunet_fail("Sequential: a batch of %d samples is too large for this model (%lld values per "
                        "sample at layer %d; at most %lld values per batch)", batch, (long long)size_at(net, i),
                        i, (long long)LUNET_MAX_SIZE);
  free_buffers(net);
  int n = net->nlayers;
  net->abuf = lunet_nn_alloc((size_t)(n + 1) * sizeof *net->abuf);
  net->dbuf = lunet_nn_alloc((size_t)(n + 1) * sizeof *net->dbuf);
  net->cur_a = lunet_nn_alloc((size_t)(n + 1) * sizeof *net->cur_a);
  net->cur_d = lunet_nn_alloc((size_t)(n + 1) * sizeof *net->cur_d);
  if (!net->abuf || !net->dbuf || !net->cur_a || !net->cur_d) { free_buffers(net); return -1; }
  int fr = first_real(net);
  for (int i = 0; i <= n; i++) {
    size_t bytes = (size_t)(batch * size_at(net, i)) * sizeof(float);
    int view = i > 0 && net->layers[i - 1]->is_view;
    if (i > 0 && !view && !(net->abuf[i] = lunet_nn_alloc(bytes))) { free_buffers(net); return -1; }
    /* dbuf[i] is layer i's input gradient; the last one is the loss gradient */
    int need_d = i == n || (!net->layers[i]->is_view && (i > fr || net->need_input_grad));
    if (need_d && !(net->dbuf[i] = lunet_nn_alloc(bytes))) { free_buffers(net); return -1; }
  }
  for (int i = 0; i < n; i++) {
    lunet_layer_t *l = net->layers[i];
    l->need_input_grad = i > fr || net->need_input_grad;
    if (l->ops->plan && l->ops->plan(l, batch) < 0) { free_buffers(net); return -1; }
  }
  net->max_batch = batch;
  net->planned_input_grad = net->need_input_grad;
  return 0;
}

int lunet_net_check_input(const lunet_net_t *net, int ndim, const int64_t *shape) {
  char have[LUNET_SHAPE_STR_MAX], want[LUNET_SHAPE_STR_MAX];
  const char *first = net->nlayers ? net->layers[0]->name : "Sequential";
  int ok = ndim == net->in_ndim + 1;
  for (int i = 0; ok && i < net->in_ndim; i++) ok = shape[i + 1] == net->in_shape[i];
  if (ok && shape[0] >= 1) return 0;
  if (ok) return lunet_fail("%s [layer 1]: input has no samples", first);
  if (ndim == 2 && net->in_ndim == 1)
    return lunet_fail("%s [layer 1]: input has %lld features, layer expects %lld", first,
                      (long long)shape[1], (long long)net->in_shape[0]);
  want[0] = '\0';
  lunet_shape_str(want, sizeof want, net->in_ndim, net->in_shape);
  return lunet_fail("%s [layer 1]: input has shape %s, layer expects (batch, %s", first,
                    lunet_shape_str(have, sizeof have, ndim, shape), want + 1);
}

int lunet_net_check_target(const lunet_net_t *net, int ndim, const int64_t *shape, int64_t batch) {
  char have[LUNET_SHAPE_STR_MAX];
  int ond;
  int64_t os[LUNET_LAYER_MAX_DIMS];
  lunet_net_output_shape(net, &ond, os);
  int64_t out = lunet_shape_numel(ond, os), n = 1;
  for (int i = 1; i < ndim; i++) n *= shape[i];
  if (ndim < 1 || shape[0] != batch)
    return lunet_fail("Sequential: targets have shape %s, expected %lld samples like the input",
                      lunet_shape_str(have, sizeof have, ndim, shape), (long long)batch);
  if (net->has_loss && lunet_loss_sparse(net->loss)) {
    if (n != 1)
      return lunet_fail("Sequential: sparse_categorical_crossentropy wants one class index per sample, "
                        "targets have shape %s", lunet_shape_str(have, sizeof have, ndim, shape));
    return 0;
  }
  if (n != out)
    return lunet_fail("Sequential: targets have %lld values per sample (shape %s), the model outputs %lld",
                      (long long)n, lunet_shape_str(have, sizeof have, ndim, shape), (long long)out);
  return 0;
}

static int forward(lunet_net_t *net, const float **out, const float *x, int batch, int training) {
  if (lunet_net_plan(net, batch) < 0) return -1;
  net->cur_a[0] = x;
  const float *mask = NULL;
  for (int i = 0; i < net->nlayers; i++) {
    lunet_layer_t *l = net->layers[i];
    l->mask_in = mask;
    if (l->ops->check_input && l->ops->check_input(l, net->cur_a[i], batch) < 0) return -1;
    if (l->is_view) net->cur_a[i + 1] = net->cur_a[i];
    else {
      l->ops->forward(l, net->abuf[i + 1], net->cur_a[i], batch, training);
      net->cur_a[i + 1] = net->abuf[i + 1];
    }
    mask = l->makes_mask ? l->mask_out : l->mask_keep ? mask : NULL;
  }
  *out = net->cur_a[net->nlayers];
  return 0;
}

static int64_t out_size(const lunet_net_t *net) { return size_at(net, net->nlayers); }

/* The loss of the last forward output against y weighted by w (NULL: all
 * 1), its gradient into dbuf[nlayers]. Losses work on rows of the output's
 * last axis (Keras' axis=-1); the sparse one on a sample's whole output. */
static int eval_loss(lunet_net_t *net, double *loss, const float *y, const float *w, int batch, int fused) {
  int nd;
  int64_t shape[LUNET_LAYER_MAX_DIMS], size = out_size(net);
  lunet_net_output_shape(net, &nd, shape);
  int64_t k = lunet_loss_sparse(net->loss) ? size : shape[nd - 1];
  lunet_loss_batch_t a = {.grad = net->dbuf[net->nlayers], .y = net->cur_a[net->nlayers], .t = y, .w = w,
                          .batch = batch, .per = size / k, .k = k, .fused = fused, .params = net->loss_params};
  return lunet_loss_eval(net->loss, loss, &a);
}

static int loss_grad(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w, int batch) {
  if (!net->has_loss) return lunet_fail("Sequential: no loss (call compile first)");
  const float *out;
  if (forward(net, &out, x, batch, 1) < 0) return -1;
  int n = net->nlayers;
  float *g = net->dbuf[n];
  int fused = n > 0 && net->layers[n - 1]->act_fused_loss;
  if (eval_loss(net, loss, y, w, batch, fused) < 0) return -1;
  net->cur_d[n] = g;
  int fr = first_real(net);
  for (int i = n - 1; i >= 0; i--) {
    lunet_layer_t *l = net->layers[i];
    if (l->is_view) { net->cur_d[i] = net->cur_d[i + 1]; continue; }
    float *din = (i > fr || net->need_input_grad) ? net->dbuf[i] : NULL;
    lunet_reg_backward(l, loss, din, net->cur_d[i + 1], net->cur_a[i], net->cur_a[i + 1], batch);
    net->cur_d[i] = din;
  }
  return 0;
}

static int train_step(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w,
                      int batch) {
  if (!net->opt) return lunet_fail("Sequential: no optimizer (call compile first)");
  if (loss_grad(net, loss, x, y, w, batch) < 0) return -1;
  if (!isfinite(*loss)) return 1; /* no update from a NaN: the caller decides (error or skip) */
  lunet_optimizer_step(net->opt, lunet_tensor_data(net->params), lunet_tensor_data(net->grads));
  for (int i = 0; i < net->nlayers; i++) lunet_reg_constrain(net->layers[i]);
  return 0;
}

static int test(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w, int batch) {
  if (!net->has_loss) return lunet_fail("Sequential: no loss (call compile first)");
  const float *out;
  if (forward(net, &out, x, batch, 0) < 0) return -1;
  if (eval_loss(net, loss, y, w, batch, 0) < 0) return -1;
  for (int i = 0; i < net->nlayers; i++) *loss += lunet_reg_penalty(net->layers[i], net->cur_a[i + 1], batch);
  return 0;
}

/* The public steps run their kernels with denormals flushed (see
 * lunet_ftz_enter): a backward pass through small gradients would otherwise
 * slow down ~20x; the caller's (Lua's) mode is restored on return. */
int lunet_net_forward(lunet_net_t *net, const float **out, const float *x, int batch, int training) {
  lunet_fpmode_t mode = lunet_ftz_enter();
  int rc = forward(net, out, x, batch, training);
  lunet_ftz_leave(mode);
  return rc;
}

int lunet_net_loss_grad(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w,
                        int batch) {
  lunet_fpmode_t mode = lunet_ftz_enter();
  int rc = loss_grad(net, loss, x, y, w, batch);
  lunet_ftz_leave(mode);
  return rc;
}

int lunet_net_train_step(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w,
                         int batch) {
  lunet_fpmode_t mode = lunet_ftz_enter();
  int rc = train_step(net, loss, x, y, w, batch);
  lunet_ftz_leave(mode);
  return rc;
}

int lunet_net_test(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w,
                   int batch) {
  lunet_fpmode_t mode = lunet_ftz_enter();
  int rc = test(net, loss, x, y, w, batch);
  lunet_ftz_leave(mode);
  return rc;
}

double lunet_net_accuracy(const lunet_net_t *net, const float *y, int batch) {
  const float *out = net->cur_a[net->nlayers];
  int64_t n = out_size(net), correct = 0;
  int sparse = net->has_loss && lunet_loss_sparse(net->loss);
  for (int b = 0; b < batch; b++) {
    const float *o = out + b * n;
    int64_t pred = 0, truth;
    for (int64_t j = 1; j < n; j++) if (o[j] > o[pred]) pred = j;
    if (sparse) truth = (int64_t)y[b];
    else if (n == 1) { pred = o[0] > 0.5f; truth = y[b] > 0.5f; }
    else {
      const float *t = y + b * n;
      truth = 0;
      for (int64_t j = 1; j < n; j++) if (t[j] > t[truth]) truth = j;
    }
    correct += pred == truth;
  }
  return batch ? (double)correct / batch : 0.0;
}

const float *lunet_net_input_grad(const lunet_net_t *net) { return net->cur_d ? net->cur_d[0] : NULL; }
