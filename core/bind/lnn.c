/* Lua binding of the nn area: the Net userdata (a built C network runner),
 * model files (atomic save, checked load), the allocation counter and the
 * GEMM-floor timer of the benchmarks. lua/lunet/nn.lua builds the Keras-like
 * API on these; layer configs arrive as the plain tables of model:config(). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "common.h"
#include "lbind.h"
#include "modelfile.h"
#include "net.h"
#include "rng.h"

#define NET_MT "lunet.Net"

typedef struct {
  lunet_net_t *net;
} net_box;

static lunet_net_t *check_net(lua_State *L, int idx) {
  net_box *b = luaL_checkudata(L, idx, NET_MT);
  if (!b->net) luaL_argerror(L, idx, "network was freed");
  return b->net;
}

/* ---- reading layer configs ---- */

static int field_int(lua_State *L, int idx, const char *key, int def) {
  return (int)lunet_opt_integer(L, idx, key, def, "layer config");
}

/* {a, b} or a number -> two ints */
static void field_pair(lua_State *L, int idx, const char *key, int def, int *a, int *b) {
  int t = lua_getfield(L, idx, key);
  *a = *b = def;
  if (t == LUA_TNUMBER) *a = *b = (int)lua_tointeger(L, -1);
  else if (t == LUA_TTABLE) {
    lua_geti(L, -1, 1); *a = (int)lua_tointeger(L, -1); lua_pop(L, 1);
    lua_geti(L, -1, 2); *b = (int)lua_tointeger(L, -1); lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static int parse_act(lua_State *L, int idx, lunet_act_t *act, const char *where) {
  return lunet_act_parse(act, lunet_opt_string(L, idx, "activation", "linear", where), where);
}

static int parse_init(lua_State *L, int idx, const char *key, const char *def, lunet_init_t *out,
                      const char *where) {
  return lunet_init_parse(out, lunet_opt_string(L, idx, key, def, where), where);
}

static int parse_padding(lua_State *L, int idx, int *same, const char *where) {
  const char *p = lunet_opt_string(L, idx, "padding", "valid", where);
  if (strcmp(p, "valid") == 0) { *same = 0; return 0; }
  if (strcmp(p, "same") == 0) { *same = 1; return 0; }
  return lunet_fail("%s: padding must be 'valid' or 'same', got '%s'", where, p);
}

/* Builds the layer described by the table at idx for input (nd, shape). */
static lunet_layer_t *build_layer(lua_State *L, int idx, int nd, const int64_t *shape) {
  const char *kind = lunet_opt_string(L, idx, "kind", NULL, "layer config");
  if (!kind) { lunet_fail("layer config has no 'kind'"); return NULL; }
  lunet_act_t act;
  lunet_init_t ki, bi;
  if (strcmp(kind, "Dense") == 0) {
    if (parse_act(L, idx, &act, "Dense") < 0 || parse_init(L, idx, "kernel_initializer", "glorot_uniform", &ki, "Dense") < 0 ||
        parse_init(L, idx, "bias_initializer", "zeros", &bi, "Dense") < 0)
      return NULL;
    return lunet_dense_new(nd, shape, field_int(L, idx, "units", 0), act,
                           lunet_opt_boolean(L, idx, "use_bias", 1, "Dense"), ki, bi);
  }
  if (strcmp(kind, "Activation") == 0) {
    if (parse_act(L, idx, &act, "Activation") < 0) return NULL;
    return lunet_activation_new(nd, shape, act);
  }
  if (strcmp(kind, "Dropout") == 0)
    return lunet_dropout_new(nd, shape, (float)lunet_opt_number(L, idx, "rate", 0, "Dropout"), 0);
  if (strcmp(kind, "Conv2D") == 0) {
    int same = 0, kh, kw, sh, sw;
    if (parse_act(L, idx, &act, "Conv2D") < 0 || parse_padding(L, idx, &same, "Conv2D") < 0 ||
        parse_init(L, idx, "kernel_initializer", "glorot_uniform", &ki, "Conv2D") < 0 ||
        parse_init(L, idx, "bias_initializer", "zeros", &bi, "Conv2D") < 0)
      return NULL;
    field_pair(L, idx, "kernel_size", 0, &kh, &kw);
    field_pair(L, idx, "strides", 1, &sh, &sw);
    return lunet_conv2d_new(nd, shape, field_int(L, idx, "filters", 0), kh, kw, sh, sw, same, act,
                            lunet_opt_boolean(L, idx, "use_bias", 1, "Conv2D"), ki, bi);
  }
  if (strcmp(kind, "MaxPooling2D") == 0 || strcmp(kind, "AveragePooling2D") == 0) {
    int same = 0, ph, pw, sh, sw;
    if (parse_padding(L, idx, &same, kind) < 0) return NULL;
    field_pair(L, idx, "pool_size", 2, &ph, &pw);
    field_pair(L, idx, "strides", 0, &sh, &sw);
    if (sh == 0) { sh = ph; sw = pw; } /* Keras: strides default to pool_size */
    return lunet_pool2d_new(nd, shape, kind[0] == 'M', ph, pw, sh, sw, same);
  }
  if (strcmp(kind, "Flatten") == 0) {
    int64_t flat[1] = {-1};
    return lunet_reshape_new(nd, shape, 1, flat, "Flatten");
  }
  if (strcmp(kind, "Reshape") == 0) {
    int64_t target[LUNET_MAX_DIMS];
    if (lua_getfield(L, idx, "target_shape") != LUA_TTABLE) {
      lua_pop(L, 1);
      lunet_fail("Reshape: target_shape must be a table of sizes");
      return NULL;
    }
    int tn = lunet_read_shape(L, -1, target, 1, "Reshape");
    lua_pop(L, 1);
    return lunet_reshape_new(nd, shape, tn, target, "Reshape");
  }
  if (strcmp(kind, "BatchNormalization") == 0)
    return lunet_batchnorm_new(nd, shape, (float)lunet_opt_number(L, idx, "momentum", 0.99, kind),
                               (float)lunet_opt_number(L, idx, "epsilon", 1e-3, kind),
                               lunet_opt_boolean(L, idx, "center", 1, kind),
                               lunet_opt_boolean(L, idx, "scale", 1, kind));
  lunet_fail("unknown layer kind '%s'", kind);
  return NULL;
}

/* net_new(input_shape, layers, seed) -> Net */
static int l_net_new(lua_State *L) {
  int64_t in[LUNET_MAX_DIMS];
  int nd = lunet_read_shape(L, 1, in, 0, "Sequential: input_shape");
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer seed = luaL_checkinteger(L, 3);
  net_box *box = lua_newuserdatauv(L, sizeof *box, 0); /* safe state first: net NULL */
  box->net = NULL;
  luaL_setmetatable(L, NET_MT);
  lunet_net_t *net = lunet_net_new(nd, in);
  if (!net) return luaL_error(L, "%s", lunet_errmsg());
  box->net = net;
  lua_Integer n = luaL_len(L, 2);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 2, i);
    int lnd;
    int64_t shape[LUNET_LAYER_MAX_DIMS];
    lunet_net_output_shape(net, &lnd, shape);
    lunet_layer_t *layer = build_layer(L, lua_gettop(L), lnd, shape);
    if (!layer || lunet_net_add(net, layer) < 0) {
      return luaL_error(L, "Sequential layer %d: %s", (int)i, lunet_errmsg());
    }
    lua_pop(L, 1);
  }
  if (lunet_net_finish(net, (uint64_t)seed) < 0) return luaL_error(L, "Sequential: %s", lunet_errmsg());
  /* explicit Dropout seeds override the ones derived from the model seed */
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 2, i);
    if (lua_getfield(L, -1, "seed") == LUA_TNUMBER)
      lunet_dropout_reseed(net->layers[i - 1], (uint64_t)lua_tointeger(L, -1));
    lua_pop(L, 2);
  }
  return 1;
}

static int m_gc(lua_State *L) {
  net_box *b = luaL_checkudata(L, 1, NET_MT);
  lunet_net_free(b->net);
  b->net = NULL;
  return 0;
}

/* layers() -> {{name=, kind=, output_shape=, params=, trainable=}, ...} */
static int m_layers(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_createtable(L, net->nlayers, 0);
  for (int i = 0; i < net->nlayers; i++) {
    lunet_layer_t *l = net->layers[i];
    lua_createtable(L, 0, 5);
    lua_pushstring(L, l->name); lua_setfield(L, -2, "name");
    lua_pushstring(L, l->ops->kind); lua_setfield(L, -2, "kind");
    lunet_push_shape(L, l->out_ndim, l->out_shape); lua_setfield(L, -2, "output_shape");
    lunet_push_shape(L, l->in_ndim, l->in_shape); lua_setfield(L, -2, "input_shape");
    lua_pushinteger(L, l->nparams); lua_setfield(L, -2, "params");
    lua_pushinteger(L, l->ntrainable); lua_setfield(L, -2, "trainable");
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

static int m_output_shape(lua_State *L) {
  int nd;
  int64_t s[LUNET_LAYER_MAX_DIMS];
  lunet_net_output_shape(check_net(L, 1), &nd, s);
  lunet_push_shape(L, nd, s);
  return 1;
}

static int m_set_loss(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_loss_t loss;
  if (lunet_loss_parse(&loss, luaL_checkstring(L, 2), "compile") < 0) return luaL_error(L, "%s", lunet_errmsg());
  lunet_net_set_loss(net, loss);
  return 0;
}

/* set_optimizer(name, {hyper = value}) */
static int m_set_optimizer(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_optim_kind_t kind;
  if (lunet_optimizer_parse(&kind, luaL_checkstring(L, 2), "compile") < 0)
    return luaL_error(L, "%s", lunet_errmsg());
  lunet_optimizer_t *o = lunet_optimizer_new(kind, net->nparams);
  if (!o) return luaL_error(L, "%s", lunet_errmsg());
  if (lua_istable(L, 3)) {
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      double v = lua_isboolean(L, -1) ? (double)lua_toboolean(L, -1) : lua_tonumber(L, -1);
      if (lua_type(L, -2) != LUA_TSTRING || lunet_optimizer_set(o, lua_tostring(L, -2), v) < 0) {
        lunet_optimizer_free(o);
        return luaL_error(L, "%s", lunet_errmsg());
      }
      lua_pop(L, 1);
    }
  }
  lunet_net_set_optimizer(net, o);
  return 0;
}

/* optimizer_state() -> state tensor (a copy: a recompile frees the state),
 * iterations, m_schedule */
static int m_optimizer_state(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  if (!net->opt) return 0;
  int64_t n = (int64_t)net->opt->nslots * net->opt->n;
  lunet_tensor_t *t = lunet_tensor_new_uninit(1, &n);
  if (!t) return luaL_error(L, "%s", lunet_errmsg());
  memcpy(lunet_tensor_data(t), net->opt->state, (size_t)n * sizeof(float));
  lunet_push_tensor(L, t);
  lua_pushinteger(L, net->opt->iterations);
  lua_pushnumber(L, net->opt->m_schedule);
  return 3;
}

/* set_optimizer_state(tensor, iterations, m_schedule) */
static int m_set_optimizer_state(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *t = lunet_check_tensor(L, 2);
  if (!net->opt) return luaL_error(L, "Sequential: no optimizer to restore (compile first)");
  int64_t n = (int64_t)net->opt->nslots * net->opt->n;
  if (lunet_tensor_numel(t) != n || !lunet_tensor_is_contiguous(t))
    return luaL_error(L, "Sequential: optimizer state has %lld values, %s expects %lld",
                      (long long)lunet_tensor_numel(t), lunet_optimizer_name(net->opt->kind), (long long)n);
  memcpy(net->opt->state, lunet_tensor_data(t), (size_t)n * sizeof(float));
  net->opt->iterations = luaL_checkinteger(L, 3);
  net->opt->m_schedule = luaL_checknumber(L, 4);
  return 0;
}

static lunet_tensor_t *check_batch_x(lua_State *L, lunet_net_t *net, int idx, const char *where) {
  lunet_tensor_t *x = lunet_check_tensor(L, idx);
  if (!lunet_tensor_is_contiguous(x)) luaL_error(L, "%s: input must be contiguous (call :contiguous())", where);
  if (lunet_net_check_input(net, x->ndim, x->shape) < 0) luaL_error(L, "%s: %s", where, lunet_errmsg());
  return x;
}

static lunet_tensor_t *check_batch_y(lua_State *L, lunet_net_t *net, int idx, int64_t batch, const char *where) {
  lunet_tensor_t *y = lunet_check_tensor(L, idx);
  if (!lunet_tensor_is_contiguous(y)) luaL_error(L, "%s: targets must be contiguous", where);
  if (lunet_net_check_target(net, y->ndim, y->shape, batch) < 0) luaL_error(L, "%s: %s", where, lunet_errmsg());
  return y;
}

/* train_step(x, y[, skip_nonfinite]) -> loss, accuracy: forward, loss,
 * backward, update. A NaN/inf loss updates nothing: an error, or with
 * skip_nonfinite that loss is returned (the batch is skipped). */
static int m_train_step(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *x = check_batch_x(L, net, 2, "train_on_batch");
  lunet_tensor_t *y = check_batch_y(L, net, 3, x->shape[0], "train_on_batch");
  double loss;
  int b = (int)x->shape[0];
  int rc = lunet_net_train_step(net, &loss, lunet_tensor_data(x), lunet_tensor_data(y), b);
  if (rc < 0) return luaL_error(L, "train_on_batch: %s", lunet_errmsg());
  if (rc > 0 && !lua_toboolean(L, 4))
    return luaL_error(L, "train_on_batch: loss is %s at step %I; the weights were not updated "
                      "(lower the learning rate or check the inputs for NaN)",
                      isnan(loss) ? "NaN" : "infinite", (lua_Integer)net->opt->iterations + 1);
  lua_pushnumber(L, loss);
  lua_pushnumber(L, lunet_net_accuracy(net, lunet_tensor_data(y), b));
  return 2;
}

/* test(x, y) -> loss, accuracy in inference mode */
static int m_test(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *x = check_batch_x(L, net, 2, "test_on_batch");
  lunet_tensor_t *y = check_batch_y(L, net, 3, x->shape[0], "test_on_batch");
  double loss;
  int b = (int)x->shape[0];
  if (lunet_net_test(net, &loss, lunet_tensor_data(x), lunet_tensor_data(y), b) < 0)
    return luaL_error(L, "test_on_batch: %s", lunet_errmsg());
  lua_pushnumber(L, loss);
  lua_pushnumber(L, lunet_net_accuracy(net, lunet_tensor_data(y), b));
  return 2;
}

/* loss_grad(x, y, want_input_grad) -> loss[, dL/dx tensor]: grads filled, no update */
static int m_loss_grad(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *x = check_batch_x(L, net, 2, "loss_and_gradients");
  lunet_tensor_t *y = check_batch_y(L, net, 3, x->shape[0], "loss_and_gradients");
  int want = lua_toboolean(L, 4);
  lunet_net_set_need_input_grad(net, want);
  double loss;
  if (lunet_net_loss_grad(net, &loss, lunet_tensor_data(x), lunet_tensor_data(y), (int)x->shape[0]) < 0)
    return luaL_error(L, "loss_and_gradients: %s", lunet_errmsg());
  lua_pushnumber(L, loss);
  if (!want) return 1;
  lunet_tensor_t *dx = lunet_tensor_new_uninit(x->ndim, x->shape);
  if (!dx) return luaL_error(L, "%s", lunet_errmsg());
  memcpy(lunet_tensor_data(dx), lunet_net_input_grad(net), (size_t)lunet_tensor_numel(x) * sizeof(float));
  lunet_push_tensor(L, dx);
  return 2;
}

/* predict(x, batch_size) -> new tensor (N, output shape...) */
static int m_predict(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lunet_tensor_t *x = check_batch_x(L, net, 2, "predict");
  lua_Integer bs = luaL_optinteger(L, 3, 32);
  if (bs < 1) return luaL_error(L, "predict: batch_size must be positive, got %d", (int)bs);
  int nd;
  int64_t shape[LUNET_MAX_DIMS], n = x->shape[0];
  lunet_net_output_shape(net, &nd, shape + 1);
  shape[0] = n;
  lunet_tensor_t *out = lunet_tensor_new_uninit(nd + 1, shape);
  if (!out) return luaL_error(L, "predict: %s", lunet_errmsg());
  lunet_push_tensor(L, out);
  int64_t in_size = lunet_tensor_numel(x) / n, out_size = lunet_tensor_numel(out) / n;
  for (int64_t s = 0; s < n; s += bs) {
    int b = (int)(n - s < bs ? n - s : bs);
    const float *y;
    if (lunet_net_forward(net, &y, lunet_tensor_data(x) + s * in_size, b, 0) < 0)
      return luaL_error(L, "predict: %s", lunet_errmsg());
    memcpy(lunet_tensor_data(out) + s * out_size, y, (size_t)(b * out_size) * sizeof(float));
  }
  return 1;
}

/* rng_states() -> {"hex64 x 4", ...}: one string per Dropout layer */
static int m_rng_states(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  lua_newtable(L);
  int k = 0;
  for (int i = 0; i < net->nlayers; i++) {
    uint64_t s[4];
    if (!lunet_dropout_state(net->layers[i], s, 0)) continue;
    char buf[72];
    snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx", (unsigned long long)s[0],
             (unsigned long long)s[1], (unsigned long long)s[2], (unsigned long long)s[3]);
    lua_pushstring(L, buf);
    lua_rawseti(L, -2, ++k);
  }
  return 1;
}

static int m_set_rng_states(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int k = 0;
  for (int i = 0; i < net->nlayers; i++) {
    uint64_t s[4];
    if (!lunet_dropout_state(net->layers[i], s, 0)) continue;
    lua_geti(L, 2, ++k);
    const char *hex = lua_tostring(L, -1);
    if (!hex || strlen(hex) != 64) return luaL_error(L, "load: bad Dropout generator state %d", k);
    for (int j = 0; j < 4; j++) {
      char part[17];
      memcpy(part, hex + 16 * j, 16);
      part[16] = '\0';
      s[j] = strtoull(part, NULL, 16);
    }
    lunet_dropout_state(net->layers[i], s, 1);
    lua_pop(L, 1);
  }
  return 0;
}

static int m_reseed_dropout(lua_State *L) {
  lunet_net_reseed_dropout(check_net(L, 1), (uint64_t)luaL_checkinteger(L, 2));
  return 0;
}

/* plan(batch): size the buffers now (so the first timed step does not) */
static int m_plan(lua_State *L) {
  lunet_net_t *net = check_net(L, 1);
  if (lunet_net_plan(net, (int)luaL_checkinteger(L, 2)) < 0) return luaL_error(L, "%s", lunet_errmsg());
  return 0;
}

/* nn_default_seed() -> a seed drawn from the default generator (below 2^52,
 * so it survives a JSON round trip as a number) */
static int l_default_seed(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)(lunet_rng_next(lunet_rng_default()) >> 12));
  return 1;
}

static int l_alloc_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lunet_nn_alloc_count());
  return 1;
}

/* ---- model files (core/nn/modelfile.c) ---- */

/* nn_save(path, header, {tensors}): atomic (temp file, fsync, rename) */
static int l_nn_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t hlen;
  const char *header = luaL_checklstring(L, 2, &hlen);
  luaL_checktype(L, 3, LUA_TTABLE);
  int count = (int)luaL_len(L, 3);
  if (count > 16) return luaL_error(L, "save: at most 16 arrays per file");
  const float *data[16];
  uint64_t n[16];
  for (int i = 0; i < count; i++) {
    lua_geti(L, 3, i + 1);
    lunet_tensor_t *t = lunet_check_tensor(L, -1); /* kept alive by the table */
    if (!lunet_tensor_is_contiguous(t)) return luaL_error(L, "save: tensor %d is not contiguous", i + 1);
    data[i] = lunet_tensor_data(t);
    n[i] = (uint64_t)lunet_tensor_numel(t);
    lua_pop(L, 1);
  }
  if (lunet_modelfile_write(path, header, hlen, count, data, n) < 0)
    return luaL_error(L, "save: %s", lunet_errmsg());
  return 0;
}

/* nn_read(path) -> header, {tensors}, or an error naming what is wrong */
static int l_nn_read(lua_State *L) {
  lunet_modelfile_t *f = lunet_modelfile_read(luaL_checkstring(L, 1));
  if (!f) return luaL_error(L, "load: %s", lunet_errmsg());
  lua_pushlstring(L, f->header, f->header_len);
  lua_createtable(L, f->count, 0);
  for (int i = 0; i < f->count; i++) {
    int64_t shape[1] = {(int64_t)f->n[i]};
    lunet_tensor_t *t = lunet_tensor_new_uninit(1, shape);
    if (!t) { lunet_modelfile_free(f); return luaL_error(L, "load: %s", lunet_errmsg()); }
    memcpy(lunet_tensor_data(t), f->data[i], f->n[i] * sizeof(float));
    lunet_push_tensor(L, t);
    lua_rawseti(L, -2, i + 1);
  }
  lunet_modelfile_free(f);
  return 2;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* bench_gemms({{ta, tb, m, n, k}, ...}, reps) -> median seconds of running
 * exactly these sgemm calls back to back on preallocated buffers */
static int l_bench_gemms(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int reps = (int)luaL_optinteger(L, 2, 20), count = (int)luaL_len(L, 1);
  if (reps < 1 || count < 1) return luaL_error(L, "bench_gemms: need calls and reps >= 1");
  int(*calls)[5] = lunet_malloc((size_t)count * sizeof *calls);
  size_t big = 1;
  for (int i = 0; i < count; i++) {
    lua_geti(L, 1, i + 1);
    for (int j = 0; j < 5; j++) { lua_geti(L, -1, j + 1); calls[i][j] = (int)lua_tointeger(L, -1); lua_pop(L, 1); }
    lua_pop(L, 1);
    size_t m = (size_t)calls[i][2], n = (size_t)calls[i][3], k = (size_t)calls[i][4];
    if (m * k > big) big = m * k;
    if (k * n > big) big = k * n;
    if (m * n > big) big = m * n;
  }
  float *a = lunet_malloc(big * sizeof(float)), *b = lunet_malloc(big * sizeof(float)),
        *c = lunet_malloc(big * sizeof(float));
  double *times = lunet_malloc((size_t)reps * sizeof(double));
  for (size_t i = 0; i < big; i++) { a[i] = (float)(i % 7) * 0.1f; b[i] = (float)(i % 5) * 0.1f; c[i] = 0.0f; }
  for (int r = -2; r < reps; r++) {
    double t0 = lunet_now();
    for (int i = 0; i < count; i++) {
      int ta = calls[i][0], tb = calls[i][1], m = calls[i][2], n = calls[i][3], k = calls[i][4];
      lunet_blas_sgemm(ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n);
    }
    if (r >= 0) times[r] = lunet_now() - t0;
  }
  qsort(times, (size_t)reps, sizeof *times, cmp_double);
  lua_pushnumber(L, times[reps / 2]);
  free(calls); free(a); free(b); free(c); free(times);
  return 1;
}

static const luaL_Reg net_methods[] = {
    {"layers", m_layers}, {"params", m_params}, {"grads", m_grads}, {"counts", m_counts},
    {"output_shape", m_output_shape}, {"set_loss", m_set_loss}, {"set_optimizer", m_set_optimizer},
    {"optimizer_state", m_optimizer_state}, {"set_optimizer_state", m_set_optimizer_state},
    {"train_step", m_train_step}, {"test", m_test}, {"loss_grad", m_loss_grad}, {"predict", m_predict},
    {"reseed_dropout", m_reseed_dropout}, {"rng_states", m_rng_states}, {"set_rng_states", m_set_rng_states}, {"plan", m_plan}, {"free", m_gc}, {NULL, NULL}};

static const luaL_Reg nn_functions[] = {
    {"net_new", l_net_new}, {"nn_alloc_count", l_alloc_count}, {"nn_default_seed", l_default_seed}, {"nn_save", l_nn_save},
    {"nn_read", l_nn_read}, {"nn_bench_gemms", l_bench_gemms}, {NULL, NULL}};

void lunet_open_nn(lua_State *L) {
  luaL_newmetatable(L, NET_MT);
  lua_pushcfunction(L, m_gc);
  lua_setfield(L, -2, "__gc");
  luaL_newlib(L, net_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_setfuncs(L, nn_functions, 0);
}
