/* The steps of the network runner (see net.h): forward over the nodes in
 * order, the outputs' losses, backward in reverse order (a gradient read by
 * several nodes is written by the first and added to by the others), the
 * optimizer step. Nothing here allocates: net_graph.c planned it all. */
#include "net.h"

#include <math.h>
#include <string.h>

#include "common.h"
#include "regularize.h"
#include "vec.h"

static const char *what(const lunet_net_t *net) { return net->graph ? "Model" : "Sequential"; }

/* rows of width n at column off of a (B, total) matrix <-> (B, n) contiguous */
static void unpack(float *dst, const float *src, int batch, int64_t total, int64_t off, int64_t n) {
  for (int b = 0; b < batch; b++) memcpy(dst + b * n, src + b * total + off, (size_t)n * sizeof *dst);
}
static void pack(float *dst, const float *src, int batch, int64_t total, int64_t off, int64_t n) {
  for (int b = 0; b < batch; b++) memcpy(dst + b * total + off, src + b * n, (size_t)n * sizeof *dst);
}

static int forward(lunet_net_t *net, const float *x, int batch, int training) {
  if (lunet_net_plan(net, batch) < 0) return -1;
  int ni = net->ninputs;
  if (ni == 1) net->cur_a[0] = x;
  for (int k = 0, off = 0; ni > 1 && k < ni; k++) {
    int64_t n = lunet_shape_numel(net->in_ndims[k], net->in_shapes[k]);
    unpack(net->abuf[k], x, batch, net->in_total, off, n);
    net->cur_a[k] = net->abuf[k];
    off += (int)n;
  }
  for (int k = 0; k < ni; k++) net->cur_m[k] = NULL;
  const float *ins[LUNET_NET_MAX_NIN];
  for (int i = 0; i < net->nlayers; i++) {
    lunet_layer_t *l = net->layers[i];
    const lunet_node_t *node = &net->nodes[i];
    int a = ni + i, in0 = node->in[0];
    l->mask_in = net->cur_m[in0];
    /* (a kind that must vet its input's values first: Embedding's ids) */
    if (l->ops->check_input && l->ops->check_input(l, net->cur_a[in0], batch) < 0) return -1;
    if (l->is_view) net->cur_a[a] = net->cur_a[in0];
    else if (!l->ops->forward_n) {
      l->ops->forward(l, net->abuf[a], net->cur_a[in0], batch, training);
      net->cur_a[a] = net->abuf[a];
    } else {
      for (int j = 0; j < node->nin; j++) ins[j] = net->cur_a[node->in[j]];
      l->ops->forward_n(l, net->abuf[a], ins, batch, training);
      net->cur_a[a] = net->abuf[a];
    }
    net->cur_m[a] = l->makes_mask ? l->mask_out : l->mask_keep ? l->mask_in : NULL;
  }
  return 0;
}

const float *lunet_net_output_values(const lunet_net_t *net, int k) {
  return net->cur_a && k >= 0 && k < net->noutputs ? net->cur_a[net->outputs[k].act] : NULL;
}

const float *lunet_net_output_targets(const lunet_net_t *net, int k, const float *y) {
  return net->noutputs == 1 ? y : net->tbuf[k];
}

/* The outputs' losses against y (several outputs: unpacked first) weighted
 * by w (NULL: all 1), each gradient into its output's dbuf scaled by the
 * output's weight; *loss = sum_k weight_k loss_k. Losses work on rows of
 * the output's last axis (Keras' axis=-1); the sparse one on a sample's
 * whole output. */
static int eval_losses(lunet_net_t *net, double *loss, const float *y, const float *w, int batch, int training) {
  *loss = 0.0;
  for (int k = 0, off = 0; k < net->noutputs; k++) {
    lunet_net_output_t *o = &net->outputs[k];
    if (!o->has_loss) return lunet_fail("%s: no loss (call compile first)", what(net));
    if (net->noutputs > 1) unpack(net->tbuf[k], y, batch, net->tgt_total, off, o->tsize);
    off += (int)o->tsize;
    int nd;
    int64_t shape[LUNET_LAYER_MAX_DIMS];
    lunet_net_act_shape(net, o->act, &nd, shape);
    int64_t kk = lunet_loss_sparse(o->loss) ? o->size : shape[nd - 1];
    int fused = training && net->layers[o->act - net->ninputs]->act_fused_loss;
    lunet_loss_batch_t a = {.grad = net->dbuf[o->act], .y = net->cur_a[o->act], .t = lunet_net_output_targets(net, k, y),
                            .w = w, .batch = batch, .per = o->size / kk, .k = kk, .fused = fused, .params = o->params};
    if (lunet_loss_eval(o->loss, &o->last_loss, &a) < 0) return -1;
    *loss += o->weight * o->last_loss;
    if (o->weight != 1.0f) lunet_vec_scale(net->dbuf[o->act], o->weight, (size_t)(batch * o->size));
  }
  return 0;
}

static void backward(lunet_net_t *net, double *loss, int batch) {
  int ni = net->ninputs;
  for (int k = 0; k < net->noutputs; k++) net->cur_d[net->outputs[k].act] = net->dbuf[net->outputs[k].act];
  float *dins[LUNET_NET_MAX_NIN];
  const float *ins[LUNET_NET_MAX_NIN];
  for (int i = net->nlayers - 1; i >= 0; i--) {
    const lunet_node_t *node = &net->nodes[i];
    if (!node->run_backward) continue;
    lunet_layer_t *l = net->layers[i];
    int a = ni + i;
    float *dout = net->cur_d[a];
    if (l->is_view) { /* the gradient passes through, as the values did */
      int in = node->in[0];
      if (!net->needg[in]) continue;
      if (node->first[0]) net->cur_d[in] = dout;
      else lunet_vec_axpy(net->cur_d[in], 1.0f, dout, (size_t)(batch * l->in_size));
      continue;
    }
    for (int j = 0; j < node->nin; j++) {
      int in = node->in[j];
      dins[j] = !net->needg[in] ? NULL : node->first[j] ? net->dbuf[in] : net->scratch[j];
      if (dins[j] && node->first[j]) net->cur_d[in] = dins[j];
      ins[j] = net->cur_a[in];
    }
    if (l->ops->backward_n) l->ops->backward_n(l, dins, dout, ins, net->cur_a[a], batch);
    else lunet_reg_backward(l, loss, dins[0], dout, ins[0], net->cur_a[a], batch);
    for (int j = 0; j < node->nin; j++) /* later readers of an activation add to its gradient */
      if (dins[j] && !node->first[j]) {
        int in = node->in[j];
        int64_t n = in < ni ? lunet_shape_numel(net->in_ndims[in], net->in_shapes[in]) : net->layers[in - ni]->out_size;
        lunet_vec_axpy(net->cur_d[in], 1.0f, dins[j], (size_t)(batch * n));
      }
  }
  for (int i = 0; i < net->nlayers; i++) /* a shared layer's calls add up in its owner's gradients */
    if (net->nodes[i].owner >= 0 && net->layers[i]->nparams)
      lunet_vec_axpy(net->layers[net->nodes[i].owner]->grads, 1.0f, net->nodes[i].own_grads,
                     (size_t)net->layers[i]->nparams);
  lunet_net_frozen_zero_grads(net); /* (a frozen layer's backward ran for its input's gradient or its penalty) */
}

static int loss_grad(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w, int batch) {
  if (!net->noutputs || !net->outputs[0].has_loss) return lunet_fail("%s: no loss (call compile first)", what(net));
  if (forward(net, x, batch, 1) < 0) return -1;
  if (eval_losses(net, loss, y, w, batch, 1) < 0) return -1;
  backward(net, loss, batch);
  return 0;
}

static int train_step(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w, int batch) {
  if (!net->opt) return lunet_fail("%s: no optimizer (call compile first)", what(net));
  if (loss_grad(net, loss, x, y, w, batch) < 0) return -1;
  if (!isfinite(*loss)) return 1; /* no update from a NaN: the caller decides (error or skip) */
  lunet_net_frozen_save(net);
  lunet_optimizer_step(net->opt, lunet_tensor_data(net->params), lunet_tensor_data(net->grads));
  for (int i = 0; i < net->nlayers; i++)
    if (net->nodes[i].owner < 0) lunet_reg_constrain(net->layers[i]);
  lunet_net_frozen_restore(net);
  return 0;
}

static int test(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w, int batch) {
  if (!net->noutputs || !net->outputs[0].has_loss) return lunet_fail("%s: no loss (call compile first)", what(net));
  if (forward(net, x, batch, 0) < 0) return -1;
  if (eval_losses(net, loss, y, w, batch, 0) < 0) return -1;
  for (int i = 0; i < net->nlayers; i++) *loss += lunet_reg_penalty(net->layers[i], net->cur_a[net->ninputs + i], batch);
  return 0;
}

/* The public steps run their kernels with denormals flushed (see
 * lunet_ftz_enter): a backward pass through small gradients would otherwise
 * slow down ~20x; the caller's (Lua's) mode is restored on return. */
int lunet_net_forward(lunet_net_t *net, const float **out, const float *x, int batch, int training) {
  lunet_fpmode_t mode = lunet_ftz_enter();
  int rc = forward(net, x, batch, training);
  lunet_ftz_leave(mode);
  if (rc < 0) return rc;
  if (net->noutputs == 1) { *out = net->cur_a[net->outputs[0].act]; return 0; }
  for (int k = 0, off = 0; k < net->noutputs; k++) { /* several outputs: packed side by side */
    pack(net->obuf, net->cur_a[net->outputs[k].act], batch, net->out_total, off, net->outputs[k].size);
    off += (int)net->outputs[k].size;
  }
  *out = net->obuf;
  return 0;
}

int lunet_net_loss_grad(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w, int batch) {
  lunet_fpmode_t mode = lunet_ftz_enter();
  int rc = loss_grad(net, loss, x, y, w, batch);
  lunet_ftz_leave(mode);
  return rc;
}

int lunet_net_train_step(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w, int batch) {
  lunet_fpmode_t mode = lunet_ftz_enter();
  int rc = train_step(net, loss, x, y, w, batch);
  lunet_ftz_leave(mode);
  return rc;
}

int lunet_net_test(lunet_net_t *net, double *loss, const float *x, const float *y, const float *w, int batch) {
  lunet_fpmode_t mode = lunet_ftz_enter();
  int rc = test(net, loss, x, y, w, batch);
  lunet_ftz_leave(mode);
  return rc;
}

double lunet_net_accuracy(const lunet_net_t *net, const float *y, int batch) {
  const lunet_net_output_t *o = &net->outputs[0];
  const float *out = net->cur_a[o->act];
  y = lunet_net_output_targets(net, 0, y);
  int64_t n = o->size, correct = 0;
  int sparse = o->has_loss && lunet_loss_sparse(o->loss);
  for (int b = 0; b < batch; b++) {
    const float *p = out + b * n;
    int64_t pred = 0, truth;
    for (int64_t j = 1; j < n; j++) if (p[j] > p[pred]) pred = j;
    if (sparse) truth = (int64_t)y[b];
    else if (n == 1) { pred = p[0] > 0.5f; truth = y[b] > 0.5f; }
    else {
      const float *t = y + b * n;
      truth = 0;
      for (int64_t j = 1; j < n; j++) if (t[j] > t[truth]) truth = j;
    }
    correct += pred == truth;
  }
  return batch ? (double)correct / batch : 0.0;
}

const float *lunet_net_input_grad(const lunet_net_t *net) { return lunet_net_input_grad_k(net, 0); }

const float *lunet_net_input_grad_k(const lunet_net_t *net, int k) {
  return net->cur_d && k >= 0 && k < net->ninputs ? net->cur_d[k] : NULL;
}
