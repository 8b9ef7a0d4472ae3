/* Lua binding of the nn area: the Net userdata (a built C network runner):
 * shapes, parameters, the loss, the training and inference steps, layer
 * states (the optimizer and its state: lnn_optim.c; the layers' generator
 * states: lnn_state.c). lua/lunet/nn builds the Keras-like
 * API on these; nets are made by lnn_build.c, model files read and written
 * by lnn_file.c. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "lnn.h"
#include "rng.h"

lunet_net_t *lunet_check_net(lua_State *L, int idx) {
  lunet_net_box *b = luaL_checkudata(L, idx, LUNET_NET_MT);
  if (!b->net) luaL_argerror(L, idx, "network was freed");
  return b->net;
}
#define check_net lunet_check_net

static int m_gc(lua_State *L) {
  lunet_net_box *b = luaL_checkudata(L, 1, LUNET_NET_MT);
  lunet_net_free(b->net);
  b->net = NULL;
  return 0;
}

/* layers() -> {{name=, kind=, output_shape=, input_shape=, params=, trainable=, offset=}, ...}: offset is
 * where the layer's parameters start in params() (0-based, in floats; a
 * shared layer's node gives its owner's), for views of one layer's weights. */
static int m_layers(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_createtable(L, net->nlayers, 0);
  for (int i = 0; i < net->nlayers; i++) {
    lunet_layer_t *l = net->layers[i];
    lua_createtable(L, 0, 7);
    lua_pushstring(L, l->name); lua_setfield(L, -2, "name");
    lua_pushstring(L, l->ops->kind); lua_setfield(L, -2, "kind");
    lunet_push_shape(L, l->out_ndim, l->out_shape); lua_setfield(L, -2, "output_shape");
    lunet_push_shape(L, l->in_ndim, l->in_shape); lua_setfield(L, -2, "input_shape");
    lua_pushinteger(L, l->nparams); lua_setfield(L, -2, "params");
    lua_pushinteger(L, l->frozen ? 0 : l->ntrainable); lua_setfield(L, -2, "trainable");
    lua_pushinteger(L, l->nparams && l->params ? (lua_Integer)(l->params - lunet_tensor_data(net->params)) : 0);
    lua_setfield(L, -2, "offset");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int m_params(lua_State *L) {
  lunet_push_tensor(L, lunet_tensor_retain(check_net(L, 1)->params));
  return 1;
}

static int m_grads(lua_State *L) {
  lunet_push_tensor(L, lunet_tensor_retain(check_net(L, 1)->grads));
  return 1;
}

static int m_counts(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_pushinteger(L, net->nparams);
  lua_pushinteger(L, net->ntrainable);
  return 2;
}

/* frozen_ranges() -> {{first, count}, ...}: the frozen layers' parameters in the flat vector (1-based) */
static int m_frozen_ranges(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_newtable(L);
  const float *base = net->params ? lunet_tensor_data(net->params) : NULL;
  for (int i = 0, k = 0; base && i < net->nlayers; i++) {
    const lunet_layer_t *l = net->layers[i];
    if (net->nodes[i].owner >= 0 || !l->frozen || l->nparams == 0) continue;
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, (lua_Integer)(l->params - base) + 1); lua_rawseti(L, -2, 1);
    lua_pushinteger(L, l->nparams); lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, ++k);
  }
  return 1;
}

/* set_frozen(i, frozen): Keras' trainable = not frozen for node i (1-based) */
static int m_set_frozen(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2);
  luaL_checktype(L, 3, LUA_TBOOLEAN);
  if (i < 1 || i > net->nlayers || lunet_net_set_frozen(net, (int)i - 1, lua_toboolean(L, 3)) < 0)
    return luaL_error(L, "%s", i < 1 || i > net->nlayers ? "set_frozen: no such layer" : lunet_errmsg());
  return 0;
}

static int m_output_shape(lua_State *L) {
  int nd;
  int64_t s[LUNET_LAYER_MAX_DIMS];
  lunet_net_output_shape(check_net(L, 1), &nd, s);
  lunet_push_shape(L, nd, s);
  return 1;
}

/* The loss at idx, name or {name =, param = value...}, with parameters
 * {param = value} at idx + 1 for a name: all checked before the net changes. */
static void read_loss(lua_State *L, int idx, lunet_loss_t *loss, lunet_loss_params_t *p) {
  int whole = lua_istable(L, idx); /* {name =, params...} */
  int ptab = whole ? idx : idx + 1;
  if (whole) lua_getfield(L, idx, "name");
  else lua_pushvalue(L, idx);
  if (lunet_loss_parse(loss, luaL_checkstring(L, -1), "compile") < 0) lunet_core_error(L, NULL);
  lua_pop(L, 1);
  *p = lunet_loss_params_default();
  if (!lua_istable(L, ptab)) return;
  lua_pushnil(L);
  while (lua_next(L, ptab)) {
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    if (!(whole && key && strcmp(key, "name") == 0)) {
      int vt = lua_type(L, -1); /* (a flag such as from_logits: a boolean, as 1 / 0) */
      if (!key || (vt != LUA_TNUMBER && vt != LUA_TBOOLEAN))
        luaL_error(L, "compile: loss '%s': parameters are name = number (or boolean) pairs", lunet_loss_name(*loss));
      double v = vt == LUA_TBOOLEAN ? (double)lua_toboolean(L, -1) : lua_tonumber(L, -1);
      if (lunet_loss_params_set(p, *loss, key, v, "compile") < 0) lunet_core_error(L, NULL);
    }
    lua_pop(L, 1);
  }
}

/* set_loss(name[, {param = value}]) or set_loss({name = name, param = value}):
 * every output's loss by a Keras name and its parameters (huber's delta). */
static int m_set_loss(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_loss_t loss;
  lunet_loss_params_t p;
  lua_settop(L, 3);
  read_loss(L, 2, &loss, &p);
  for (int k = 0; k < net->noutputs; k++)
    if (lunet_net_set_output_loss(net, k, loss, p, 1.0f) < 0) return lunet_core_error(L, NULL);
  return 0;
}

/* set_output_loss(k, loss, weight): output k's (1-based) loss, a name or
 * {name =, param = value}, and its weight in the net's loss. */
static int m_set_output_loss(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_Integer k = luaL_checkinteger(L, 2);
  double weight = luaL_checknumber(L, 4);
  lua_settop(L, 4);
  lua_pushnil(L); /* (a name's parameter table: none) */
  lua_replace(L, 4);
  lunet_loss_t loss;
  lunet_loss_params_t p;
  read_loss(L, 3, &loss, &p);
  if (k < 1 || k > net->noutputs) return luaL_error(L, "compile: the model has no output %I", k);
  if (lunet_net_set_output_loss(net, (int)k - 1, loss, p, (float)weight) < 0) return lunet_core_error(L, NULL);
  return 0;
}

/* output_losses() -> {loss of output 1, ...} at the last step (unweighted) */
static int m_output_losses(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_createtable(L, net->noutputs, 0);
  for (int k = 0; k < net->noutputs; k++) {
    lua_pushnumber(L, net->outputs[k].last_loss);
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

/* output_shapes() -> {shape of output 1, ...} (per sample) */
static int m_output_shapes(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_createtable(L, net->noutputs, 0);
  for (int k = 0; k < net->noutputs; k++) {
    int nd;
    int64_t s[LUNET_LAYER_MAX_DIMS];
    lunet_net_act_shape(net, net->outputs[k].act, &nd, s);
    lunet_push_shape(L, nd, s);
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

static lunet_tensor_t *check_batch_x(lua_State *L, lunet_net_t *net, int idx, const char *where) {
  lunet_tensor_t *x = lunet_check_tensor(L, idx);
  if (!lunet_tensor_is_contiguous(x)) luaL_error(L, "%s: input must be contiguous (call :contiguous())", where);
  if (lunet_net_check_input(net, x->ndim, x->shape) < 0) lunet_core_error(L, where);
  if (x->shape[0] > INT_MAX) /* the runner counts a batch in an int */
    luaL_error(L, "%s: a batch has at most %d samples, got %I", where, INT_MAX, (lua_Integer)x->shape[0]);
  return x;
}

static lunet_tensor_t *check_batch_y(lua_State *L, lunet_net_t *net, int idx, int64_t batch, const char *where) {
  lunet_tensor_t *y = lunet_check_tensor(L, idx);
  if (!lunet_tensor_is_contiguous(y)) luaL_error(L, "%s: targets must be contiguous", where);
  if (lunet_net_check_target(net, y->ndim, y->shape, batch) < 0) lunet_core_error(L, where);
  return y;
}

/* The sample weights at idx: nil (NULL, every weight 1) or a contiguous
 * tensor of one value per sample, (batch) or (batch, 1). Their values are
 * the caller's to check (the Lua layer refuses negative and NaN weights);
 * the kernels take any. */
static const float *check_batch_w(lua_State *L, int idx, int64_t batch, const char *where) {
  if (lua_isnoneornil(L, idx)) return NULL;
  lunet_tensor_t *w = lunet_check_tensor(L, idx);
  char s[LUNET_SHAPE_STR_MAX];
  if (!(w->ndim == 1 || (w->ndim == 2 && w->shape[1] == 1)))
    luaL_error(L, "%s: sample weights have shape %s, expected (%I) or (%I, 1): one weight per sample", where,
               lunet_shape_str(s, sizeof s, w->ndim, w->shape), (lua_Integer)batch, (lua_Integer)batch);
  if (w->shape[0] != batch)
    luaL_error(L, "%s: %I sample weights for %I samples (expected one per sample)", where,
               (lua_Integer)w->shape[0], (lua_Integer)batch);
  if (!lunet_tensor_is_contiguous(w)) luaL_error(L, "%s: sample weights must be contiguous", where);
  return lunet_tensor_data(w);
}

/* train_step(x, y[, skip_nonfinite[, w]]) -> loss, accuracy: forward, loss
 * (weighted by w), backward, update. A NaN/inf loss updates nothing: an
 * error, or with skip_nonfinite that loss is returned (the batch is skipped). */
static int m_train_step(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *x = check_batch_x(L, net, 2, "train_on_batch");
  lunet_tensor_t *y = check_batch_y(L, net, 3, x->shape[0], "train_on_batch");
  const float *w = check_batch_w(L, 5, x->shape[0], "train_on_batch");
  double loss;
  int b = (int)x->shape[0];
  int rc = lunet_net_train_step(net, &loss, lunet_tensor_data(x), lunet_tensor_data(y), w, b);
  if (rc < 0) return lunet_core_error(L, "train_on_batch");
  if (rc > 0 && !lua_toboolean(L, 4))
    return luaL_error(L, "train_on_batch: loss is %s at step %I; the weights were not updated "
                      "(lower the learning rate or check the inputs for NaN)",
                      isnan(loss) ? "NaN" : "infinite", (lua_Integer)net->opt->iterations + 1);
  lua_pushnumber(L, loss);
  lua_pushnumber(L, lunet_net_accuracy(net, lunet_tensor_data(y), b));
  return 2;
}

/* test(x, y[, w]) -> loss (weighted by w), accuracy in inference mode */
static int m_test(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *x = check_batch_x(L, net, 2, "test_on_batch");
  lunet_tensor_t *y = check_batch_y(L, net, 3, x->shape[0], "test_on_batch");
  const float *w = check_batch_w(L, 4, x->shape[0], "test_on_batch");
  double loss;
  int b = (int)x->shape[0];
  if (lunet_net_test(net, &loss, lunet_tensor_data(x), lunet_tensor_data(y), w, b) < 0)
    return lunet_core_error(L, "test_on_batch");
  lua_pushnumber(L, loss);
  lua_pushnumber(L, lunet_net_accuracy(net, lunet_tensor_data(y), b));
  return 2;
}

/* output(dst): copies the last forward output (train_step / test just
 * before) of dst's first-dimension count of samples into dst, contiguous
 * (B, output shape...): a caller scoring rows keeps the predictions of the
 * same forward pass that gave the loss. */
static int m_output(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *dst = lunet_check_tensor(L, 2);
  int64_t n = net->out_total;
  if (dst->ndim < 1 || !lunet_tensor_is_contiguous(dst)) return luaL_error(L, "output: dst must be contiguous");
  int64_t batch = dst->shape[0];
  if (!lunet_net_output_values(net, 0) || batch > net->max_batch)
    return luaL_error(L, "output: the net has no output for %I samples", (lua_Integer)batch);
  if (lunet_tensor_numel(dst) != batch * n)
    return luaL_error(L, "output: dst has %I values per sample, the net's output %I",
                      (lua_Integer)(batch ? lunet_tensor_numel(dst) / batch : 0), (lua_Integer)n);
  float *d = lunet_tensor_data(dst);
  for (int k = 0, off = 0; k < net->noutputs; k++) { /* several outputs: side by side */
    int64_t m = net->outputs[k].size;
    const float *p = lunet_net_output_values(net, k);
    for (int64_t b = 0; b < batch; b++) memcpy(d + b * n + off, p + b * m, (size_t)m * sizeof(float));
    off += (int)m;
  }
  return 0;
}

/* loss_grad(x, y, want_input_grad[, w]) -> loss[, dL/dx tensor]: grads
 * filled (weighted by w), no update */
static int m_loss_grad(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *x = check_batch_x(L, net, 2, "loss_and_gradients");
  lunet_tensor_t *y = check_batch_y(L, net, 3, x->shape[0], "loss_and_gradients");
  const float *w = check_batch_w(L, 5, x->shape[0], "loss_and_gradients");
  int want = lua_toboolean(L, 4);
  lunet_net_set_need_input_grad(net, want);
  double loss;
  if (lunet_net_loss_grad(net, &loss, lunet_tensor_data(x), lunet_tensor_data(y), w, (int)x->shape[0]) < 0)
    return lunet_core_error(L, "loss_and_gradients");
  lua_pushnumber(L, loss);
  if (!want) return 1;
  lunet_tensor_t *dx = lunet_tensor_new_uninit(x->ndim, x->shape);
  if (!dx) return lunet_core_error(L, NULL);
  int64_t b = x->shape[0];
  for (int k = 0, off = 0; k < net->ninputs; k++) { /* several inputs: packed like x */
    int64_t m = lunet_shape_numel(net->in_ndims[k], net->in_shapes[k]);
    const float *g = lunet_net_input_grad_k(net, k);
    for (int64_t r = 0; r < b; r++) memcpy(lunet_tensor_data(dx) + r * net->in_total + off, g + r * m, (size_t)m * sizeof(float));
    off += (int)m;
  }
  lunet_push_tensor(L, dx);
  return 2;
}

/* predict(x, batch_size) -> new tensor (N, output shape...) */
static int m_predict(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *x = check_batch_x(L, net, 2, "predict");
  lua_Integer bs = luaL_optinteger(L, 3, 32);
  if (bs < 1 || bs > INT_MAX) return luaL_error(L, "predict: batch_size must be from 1 to %d, got %I", INT_MAX, bs);
  int nd;
  int64_t shape[LUNET_MAX_DIMS], n = x->shape[0];
  lunet_net_output_shape(net, &nd, shape + 1);
  if (net->noutputs > 1) { nd = 1; shape[1] = net->out_total; } /* packed side by side */
  shape[0] = n;
  lunet_tensor_t *out = lunet_tensor_new_uninit(nd + 1, shape);
  if (!out) return lunet_core_error(L, "predict");
  lunet_push_tensor(L, out);
  int64_t in_size = lunet_tensor_numel(x) / n, out_size = lunet_tensor_numel(out) / n;
  for (int64_t s = 0; s < n; s += bs) {
    int b = (int)(n - s < bs ? n - s : bs);
    const float *y;
    if (lunet_net_forward(net, &y, lunet_tensor_data(x) + s * in_size, b, 0) < 0)
      return lunet_core_error(L, "predict");
    memcpy(lunet_tensor_data(out) + s * out_size, y, (size_t)(b * out_size) * sizeof(float));
  }
  return 1;
}

/* plan(batch): size the buffers now (so the first timed step does not) */
static int m_plan(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_Integer batch = luaL_checkinteger(L, 2);
  if (batch < 1 || batch > INT_MAX) return luaL_error(L, "plan: batch must be from 1 to %d, got %I", INT_MAX, batch);
  if (lunet_net_plan(net, (int)batch) < 0) return lunet_core_error(L, NULL);
  return 0;
}

static int l_alloc_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lunet_nn_alloc_count());
  return 1;
}

static const luaL_Reg net_methods[] = {
    {"layers", m_layers}, {"params", m_params}, {"grads", m_grads}, {"counts", m_counts}, {"set_frozen", m_set_frozen}, {"frozen_ranges", m_frozen_ranges},
    {"output_shape", m_output_shape}, {"set_loss", m_set_loss},
    {"set_output_loss", m_set_output_loss}, {"output_losses", m_output_losses}, {"output_shapes", m_output_shapes},
    {"train_step", m_train_step}, {"test", m_test}, {"output", m_output}, {"loss_grad", m_loss_grad}, {"predict", m_predict},
    {"plan", m_plan}, {"free", m_gc}, {NULL, NULL}};

static const luaL_Reg nn_functions[] = {{"nn_alloc_count", l_alloc_count}, {NULL, NULL}};

void lunet_open_nn(lua_State *L) {
  luaL_newmetatable(L, LUNET_NET_MT);
  lua_pushcfunction(L, m_gc);
  lua_setfield(L, -2, "__gc");
  luaL_newlib(L, net_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_setfuncs(L, nn_functions, 0);
  lunet_open_nn_build(L);
  lunet_open_nn_file(L);
  lunet_open_nn_optim(L);
  lunet_open_nn_state(L);
}
