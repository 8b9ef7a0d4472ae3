/* A C network from the plain layer configs of model:config() (lua/lunet/nn
 * checked them with lunet.check). C reads every size as a lua_Integer and
 * refuses what does not fit the int the kernels take: nothing is truncated. */
#include <limits.h>
#include <string.h>

#include "common.h"
#include "lnn.h"
#include "rng.h"

/* The integer t[key] (def when absent) in [1, INT_MAX], or a Lua error. */
static int field_size(lua_State *L, int idx, const char *key, int def, const char *where) {
  int t = lua_getfield(L, idx, key);
  lua_Integer v = def;
  if (t != LUA_TNIL) {
    int ok;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok || t != LUA_TNUMBER || v < 1 || v > INT_MAX)
      luaL_error(L, "%s: %s must be an integer from 1 to %d, got %s", where, key, INT_MAX,
                 luaL_tolstring(L, -1, NULL));
  }
  lua_pop(L, 1);
  return (int)v;
}

/* t[key] as a number n (-> n, n) or a pair {a, b}, each in [1, INT_MAX]. */
static void field_pair(lua_State *L, int idx, const char *key, int def, int *a, int *b, const char *where) {
  int t = lua_getfield(L, idx, key);
  int top = lua_gettop(L);
  *a = *b = def;
  if (t == LUA_TNUMBER) *a = *b = field_size(L, idx, key, def, where);
  else if (t == LUA_TTABLE) {
    lua_createtable(L, 0, 2); /* {first = t[1], second = t[2]}: read by field_size */
    lua_geti(L, top, 1); lua_setfield(L, -2, "first");
    lua_geti(L, top, 2); lua_setfield(L, -2, "second");
    char what[96];
    snprintf(what, sizeof what, "%s %s", where, key);
    *a = field_size(L, -1, "first", 0, what);
    *b = field_size(L, -1, "second", 0, what);
    lua_pop(L, 1);
  } else if (t != LUA_TNIL)
    luaL_error(L, "%s: %s must be a size or a pair of sizes, got %s", where, key, luaL_typename(L, -1));
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
    int units = field_size(L, idx, "units", 0, "Dense");
    if (parse_act(L, idx, &act, "Dense") < 0 || parse_init(L, idx, "kernel_initializer", "glorot_uniform", &ki, "Dense") < 0 ||
        parse_init(L, idx, "bias_initializer", "zeros", &bi, "Dense") < 0)
      return NULL;
    return lunet_dense_new(nd, shape, units, act, lunet_opt_boolean(L, idx, "use_bias", 1, "Dense"), ki, bi);
  }
  if (strcmp(kind, "Activation") == 0) {
    if (parse_act(L, idx, &act, "Activation") < 0) return NULL;
    return lunet_activation_new(nd, shape, act);
  }
  if (strcmp(kind, "Dropout") == 0)
    return lunet_dropout_new(nd, shape, (float)lunet_opt_number(L, idx, "rate", 0, "Dropout"), 0);
  if (strcmp(kind, "Conv2D") == 0) {
    int same = 0, kh, kw, sh, sw, filters = field_size(L, idx, "filters", 0, "Conv2D");
    if (parse_act(L, idx, &act, "Conv2D") < 0 || parse_padding(L, idx, &same, "Conv2D") < 0 ||
        parse_init(L, idx, "kernel_initializer", "glorot_uniform", &ki, "Conv2D") < 0 ||
        parse_init(L, idx, "bias_initializer", "zeros", &bi, "Conv2D") < 0)
      return NULL;
    field_pair(L, idx, "kernel_size", 0, &kh, &kw, "Conv2D");
    field_pair(L, idx, "strides", 1, &sh, &sw, "Conv2D");
    return lunet_conv2d_new(nd, shape, filters, kh, kw, sh, sw, same, act,
                            lunet_opt_boolean(L, idx, "use_bias", 1, "Conv2D"), ki, bi);
  }
  if (strcmp(kind, "MaxPooling2D") == 0 || strcmp(kind, "AveragePooling2D") == 0) {
    int same = 0, ph, pw, sh, sw;
    if (parse_padding(L, idx, &same, kind) < 0) return NULL;
    field_pair(L, idx, "pool_size", 2, &ph, &pw, kind);
    field_pair(L, idx, "strides", 0, &sh, &sw, kind);
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
  lunet_net_box *box = lua_newuserdatauv(L, sizeof *box, 0); /* safe state first: net NULL */
  box->net = NULL;
  luaL_setmetatable(L, LUNET_NET_MT);
  lunet_net_t *net = lunet_net_new(nd, in);
  if (!net) return luaL_error(L, "%s", lunet_errmsg());
  box->net = net;
  lua_Integer n = luaL_len(L, 2);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, 2, i) != LUA_TTABLE) return luaL_error(L, "Sequential layer %I: the config is not a table", i);
    int lnd;
    int64_t shape[LUNET_LAYER_MAX_DIMS];
    lunet_net_output_shape(net, &lnd, shape);
    lunet_layer_t *layer = build_layer(L, lua_gettop(L), lnd, shape);
    if (!layer || lunet_net_add(net, layer) < 0) return luaL_error(L, "Sequential layer %I: %s", i, lunet_errmsg());
    lua_pop(L, 1);
  }
  if (lunet_net_finish(net, (uint64_t)seed) < 0) return luaL_error(L, "Sequential: %s", lunet_errmsg());
  /* explicit Dropout seeds override the ones derived from the model seed */
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 2, i);
    if (lua_getfield(L, -1, "seed") != LUA_TNIL) {
      int ok;
      lua_Integer s = lua_tointegerx(L, -1, &ok);
      if (!ok) return luaL_error(L, "Sequential layer %I: seed must be an integer", i);
      lunet_dropout_reseed(net->layers[i - 1], (uint64_t)s);
    }
    lua_pop(L, 2);
  }
  return 1;
}

/* nn_default_seed() -> a seed drawn from the default generator (below 2^52,
 * so it survives a JSON round trip as a number) */
static int l_default_seed(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)(lunet_rng_next(lunet_rng_default()) >> 12));
  return 1;
}

static const luaL_Reg build_functions[] = {
    {"net_new", l_net_new}, {"nn_default_seed", l_default_seed}, {NULL, NULL}};

void lunet_open_nn_build(lua_State *L) { luaL_setfuncs(L, build_functions, 0); }
