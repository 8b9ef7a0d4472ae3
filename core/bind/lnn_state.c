/* Lua binding of the layers' state beyond the parameters (Dropout
 * generators): reseeding, and the states model files and checkpoints keep,
 * as hex strings (net methods; see lnn.c). */
#include <string.h>

#include "common.h"
#include "lnn.h"

/* The layers with state (ops->state_size > 0), described for messages as
 * "<state_name> states" / "<kind> layers" when they are of one kind. */
static int state_layers(const lunet_net_t *net, const char **what, const char **kind) {
  int k = 0;
  *what = *kind = NULL;
  for (int i = 0; i < net->nlayers; i++) {
    const lunet_layer_ops_t *o = net->layers[i]->ops;
    if (!lunet_layer_state_size(net->layers[i])) continue;
    if (k++ == 0) { *what = o->state_name; *kind = o->kind; }
    else if (*kind != o->kind) *what = *kind = NULL;
  }
  return k;
}

/* rng_states() -> {hex, ...}: one string per layer with state (a Dropout
 * generator: 64 hex digits), the state's bytes in hex (model files keep them) */
static int m_rng_states(lua_State *L) {
  lunet_net_t *net = lunet_check_net(L, 1);
  size_t total = lunet_net_state_size(net);
  uint8_t *state = lua_newuserdatauv(L, total ? total : 1, 0);
  lunet_net_get_state(net, state);
  lua_newtable(L);
  int k = 0;
  for (int i = 0; i < net->nlayers; i++) {
    size_t n = lunet_layer_state_size(net->layers[i]);
    if (!n) continue;
    luaL_Buffer b;
    char *hex = luaL_buffinitsize(L, &b, 2 * n);
    for (size_t j = 0; j < n; j++) {
      hex[2 * j] = "0123456789abcdef"[state[j] >> 4];
      hex[2 * j + 1] = "0123456789abcdef"[state[j] & 15];
    }
    luaL_pushresultsize(&b, 2 * n);
    lua_rawseti(L, -2, ++k);
    state += n;
  }
  return 1;
}

static int hex_digit(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* set_rng_states({hex, ...}): one state per layer with state, as rng_states
 * gave them; all checked before any is set (a damaged file must not leave a
 * half-restored net). */
static int m_set_rng_states(lua_State *L) {
  lunet_net_t *net = lunet_check_net(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const char *what, *kind;
  int want = state_layers(net, &what, &kind);
  lua_Integer have = luaL_len(L, 2);
  if (have != want && what)
    return luaL_error(L, "set_rng_states: %I %s states for %d %s layers", have, what, want, kind);
  if (have != want) return luaL_error(L, "set_rng_states: %I layer states for %d layers with state", have, want);
  size_t total = lunet_net_state_size(net);
  uint8_t *state = lua_newuserdatauv(L, total ? total : 1, 0), *p = state;
  int k = 0;
  for (int i = 0; i < net->nlayers; i++) {
    size_t n = lunet_layer_state_size(net->layers[i]), len = 0;
    if (!n) continue;
    lua_geti(L, 2, ++k);
    const char *hex = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    int ok = hex && len == 2 * n;
    for (size_t j = 0; ok && j < n; j++) {
      int hi = hex_digit(hex[2 * j]), lo = hex_digit(hex[2 * j + 1]);
      ok = hi >= 0 && lo >= 0;
      if (ok) p[j] = (uint8_t)(hi << 4 | lo);
    }
    if (!ok)
      return luaL_error(L, "set_rng_states: %s state %d is not %d hex digits of a valid state",
                        net->layers[i]->ops->state_name, k, (int)(2 * n));
    lua_pop(L, 1);
    p += n;
  }
  if (lunet_net_set_state(net, state, total) < 0) return lunet_core_error(L, "set_rng_states");
  return 0;
}

/* reseed(seed): every layer's generator from seed (layer i from seed + i) */
static int m_reseed(lua_State *L) {
  lunet_net_reseed(lunet_check_net(L, 1), (uint64_t)luaL_checkinteger(L, 2));
  return 0;
}

static const luaL_Reg state_methods[] = {
    {"reseed", m_reseed}, {"rng_states", m_rng_states}, {"set_rng_states", m_set_rng_states}, {NULL, NULL}};

void lunet_open_nn_state(lua_State *L) {
  luaL_getmetatable(L, LUNET_NET_MT);
  lua_getfield(L, -1, "__index");
  luaL_setfuncs(L, state_methods, 0);
  lua_pop(L, 2);
}
