/* A C network from the plain layer configs of model:config() (lua/lunet/nn
 * checked them with lunet.check): each config table is read into the C view
 * of core/nn/config.h, and the registry (core/nn/registry.h) builds the layer
 * its kind names; the kinds parse their own keys, so nothing here knows one. */
#include <limits.h>
#include <string.h>

#include "common.h"
#include "lnn.h"
#include "registry.h"
#include "rng.h"

/* The value at idx (a string stays owned by the table that holds it). */
static void read_value(lua_State *L, int idx, lunet_cfg_value_t *v) {
  memset(v, 0, sizeof *v);
  switch (lua_type(L, idx)) {
  case LUA_TNIL: v->type = LUNET_CFG_NIL; break;
  case LUA_TNUMBER:
    v->type = LUNET_CFG_NUMBER;
    v->is_int = lua_isinteger(L, idx);
    if (v->is_int) v->i = (int64_t)lua_tointeger(L, idx);
    else v->d = (double)lua_tonumber(L, idx);
    break;
  case LUA_TSTRING: v->type = LUNET_CFG_STRING; v->s = lua_tostring(L, idx); break;
  case LUA_TBOOLEAN: v->type = LUNET_CFG_BOOLEAN; v->b = lua_toboolean(L, idx); break;
  case LUA_TTABLE: v->type = LUNET_CFG_LIST; break;
  default: v->type = LUNET_CFG_OTHER; v->s = luaL_typename(L, idx); break;
  }
}

/* A table with no list part and some string key: a record (config.h). */
static int is_record(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE || lua_rawlen(L, idx) > 0) return 0;
  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1))
    if (lua_type(L, -2) == LUA_TSTRING) { lua_pop(L, 2); return 1; }
  return 0;
}

/* x = the entry key -> the value at idx (a list keeps its first items). */
static void read_entry(lua_State *L, int idx, const char *key, lunet_cfg_entry_t *x) {
  x->key = key;
  read_value(L, idx, &x->v);
  x->n = 0;
  if (x->v.type != LUNET_CFG_LIST) return;
  if (is_record(L, idx)) { x->v.type = LUNET_CFG_RECORD; return; }
  lua_Unsigned len = lua_rawlen(L, idx);
  x->n = len > INT_MAX ? INT_MAX : (int)len; /* read as "too long", never as a shorter list */
  for (int i = 0; i < x->n && i < LUNET_CFG_MAX_ITEMS; i++) {
    lua_rawgeti(L, idx, i + 1);
    read_value(L, -1, &x->items[i]);
    lua_pop(L, 1);
  }
}

/* The entries the string-keyed fields of the table at idx make, a record's
 * fields counted as entries of their own (recursively: a wrapper's inner
 * layer config holds records too, "layer.kernel_regularizer.l1"). */
static int count_entries(lua_State *L, int idx) {
  int n = 0;
  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1))
    if (lua_type(L, -2) == LUA_TSTRING) n += 1 + (is_record(L, lua_gettop(L)) ? count_entries(L, lua_gettop(L)) : 0);
  return n;
}

/* The entries of the table at idx into e from *k, keys prefixed "<prefix>."
 * (none at the top); the flattened keys are kept in the table at keys. */
static void flatten(lua_State *L, int idx, const char *prefix, lunet_cfg_entry_t *e, int *k, int keys, int *nkeys) {
  luaL_checkstack(L, 4, "layer config nested too deep");
  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) continue; /* lists and other keys are not options */
    int val = lua_gettop(L);
    const char *key = lua_tostring(L, -2);
    if (prefix) {
      key = lua_pushfstring(L, "%s.%s", prefix, key);
      lua_rawseti(L, keys, ++*nkeys); /* the table keeps the string; its text does not move */
    }
    read_entry(L, val, key, &e[(*k)++]);
    if (e[*k - 1].v.type == LUNET_CFG_RECORD) flatten(L, val, key, e, k, keys, nkeys);
  }
}

/* The config table at idx as a C view, records flattened (config.h). Its
 * entries live in a userdata pushed on the stack (collected with it, also
 * when a Lua error unwinds), whose user value holds the "<record>.<field>"
 * keys; the view borrows the table's strings, so both stay on the stack
 * while it is used. */
static void read_config(lua_State *L, int idx, lunet_layer_config_t *cfg) {
  int n = count_entries(L, idx);
  lunet_cfg_entry_t *e = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *e, 1);
  int ud = lua_gettop(L);
  lua_newtable(L); /* the flattened keys, kept alive by the userdata */
  lua_setiuservalue(L, ud, 1);
  lua_getiuservalue(L, ud, 1);
  int keys = lua_gettop(L);
  int k = 0, nkeys = 0;
  flatten(L, idx, NULL, e, &k, keys, &nkeys);
  lua_pop(L, 1); /* the keys table (the userdata holds it) */
  cfg->n = k;
  cfg->entries = e;
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
  if (!net) return lunet_core_error(L, NULL);
  box->net = net;
  lua_Integer n = luaL_len(L, 2);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, 2, i) != LUA_TTABLE) return luaL_error(L, "Sequential: layer %I: the config is not a table", i);
    lunet_layer_config_t cfg;
    read_config(L, lua_gettop(L), &cfg);
    int lnd;
    int64_t shape[LUNET_LAYER_MAX_DIMS];
    lunet_net_output_shape(net, &lnd, shape);
    lunet_layer_t *layer = lunet_layer_from_config(&cfg, lnd, shape);
    if (!layer || lunet_net_add(net, layer) < 0) return luaL_error(L, "Sequential: layer %I: %s", i, lunet_errmsg());
    lua_pop(L, 2); /* the config and its view */
  }
  if (lunet_net_finish(net, (uint64_t)seed) < 0) return lunet_core_error(L, "Sequential");
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
