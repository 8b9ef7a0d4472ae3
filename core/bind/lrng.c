/* Lua binding of the seeded generator: lunet.Generator(seed) objects and the
 * process default generator (lunet.manual_seed). */
#include <limits.h>

#include "common.h"
#include "lbind.h"
#include "rng.h"

#define GENERATOR_MT "lunet.Generator"

static lunet_rng_t *check_gen(lua_State *L, int idx) { return luaL_checkudata(L, idx, GENERATOR_MT); }

static lua_Integer check_seed(lua_State *L, int idx, const char *where) {
  int ok;
  lua_Integer s = lua_tointegerx(L, idx, &ok);
  if (!ok) luaL_error(L, "%s: seed must be an integer, got %s", where,
                      lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx) : luaL_typename(L, idx));
  return s;
}

static int l_generator(lua_State *L) {
  lua_Integer seed = lua_isnoneornil(L, 1) ? 0 : check_seed(L, 1, "Generator");
  lunet_rng_t *r = lua_newuserdatauv(L, sizeof *r, 0);
  lunet_rng_seed(r, (uint64_t)seed);
  luaL_setmetatable(L, GENERATOR_MT);
  return 1;
}

static int l_manual_seed(lua_State *L) {
  lunet_rng_default_seed((uint64_t)check_seed(L, 1, "manual_seed"));
  return 0;
}

static int g_seed(lua_State *L) {
  lunet_rng_seed(check_gen(L, 1), (uint64_t)check_seed(L, 2, "Generator:seed"));
  lua_settop(L, 1);
  return 1;
}

static int g_uniform(lua_State *L) {
  lunet_rng_t *r = check_gen(L, 1);
  lua_Number lo = luaL_optnumber(L, 2, 0.0), hi = luaL_optnumber(L, 3, 1.0);
  lua_pushnumber(L, lo + (hi - lo) * lunet_rng_uniform(r));
  return 1;
}

static int g_normal(lua_State *L) {
  lunet_rng_t *r = check_gen(L, 1);
  lua_Number mean = luaL_optnumber(L, 2, 0.0), std = luaL_optnumber(L, 3, 1.0);
  lua_pushnumber(L, mean + std * lunet_rng_normal(r));
  return 1;
}

/* integer(lo, hi): uniform in [lo, hi] inclusive, like math.random(lo, hi) */
static int g_integer(lua_State *L) {
  lunet_rng_t *r = check_gen(L, 1);
  lua_Integer lo = luaL_checkinteger(L, 2), hi = luaL_checkinteger(L, 3);
  if (hi < lo) return luaL_error(L, "Generator:integer: empty interval [%I, %I]", lo, hi);
  uint64_t span = (uint64_t)hi - (uint64_t)lo; /* unsigned: the full range does not overflow */
  uint64_t draw = span == UINT64_MAX ? lunet_rng_next(r) : lunet_rng_below(r, span + 1);
  lua_pushinteger(L, (lua_Integer)((uint64_t)lo + draw));
  return 1;
}

/* permutation(n) -> Lua array, a random order of 1..n */
static int g_permutation(lua_State *L) {
  lunet_rng_t *r = check_gen(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 0 || n > INT_MAX) /* a Lua table holds at most an int's worth of array entries */
    return luaL_error(L, "Generator:permutation: n must be an integer from 0 to %d, got %I", INT_MAX, n);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_pushinteger(L, i);
    lua_rawseti(L, -2, i);
  }
  /* Fisher-Yates on the Lua array itself: no C buffer to leak on error */
  for (lua_Integer i = n; i > 1; i--) {
    lua_Integer j = 1 + (lua_Integer)lunet_rng_below(r, (uint64_t)i);
    lua_rawgeti(L, -1, i);
    lua_rawgeti(L, -2, j);
    lua_rawseti(L, -3, i);
    lua_rawseti(L, -2, j);
  }
  return 1;
}

static int g_fill_uniform(lua_State *L) {
  lunet_rng_t *r = check_gen(L, 1);
  lunet_tensor_t *t = lunet_check_tensor(L, 2);
  if (!lunet_tensor_is_contiguous(t)) return luaL_error(L, "Generator:fill_uniform: tensor is not contiguous");
  lunet_rng_fill_uniform(r, lunet_tensor_data(t), (size_t)lunet_tensor_numel(t),
                         (float)luaL_optnumber(L, 3, 0.0), (float)luaL_optnumber(L, 4, 1.0));
  lua_settop(L, 2);
  return 1;
}

static int g_fill_normal(lua_State *L) {
  lunet_rng_t *r = check_gen(L, 1);
  lunet_tensor_t *t = lunet_check_tensor(L, 2);
  if (!lunet_tensor_is_contiguous(t)) return luaL_error(L, "Generator:fill_normal: tensor is not contiguous");
  lunet_rng_fill_normal(r, lunet_tensor_data(t), (size_t)lunet_tensor_numel(t),
                        (float)luaL_optnumber(L, 3, 0.0), (float)luaL_optnumber(L, 4, 1.0));
  lua_settop(L, 2);
  return 1;
}

static int g_tostring(lua_State *L) {
  lua_pushfstring(L, "lunet.Generator (%p)", (void *)check_gen(L, 1));
  return 1;
}

static const luaL_Reg gen_methods[] = {
    {"seed", g_seed}, {"uniform", g_uniform}, {"normal", g_normal}, {"integer", g_integer},
    {"permutation", g_permutation}, {"fill_uniform", g_fill_uniform}, {"fill_normal", g_fill_normal},
    {NULL, NULL}};

void lunet_open_rng(lua_State *L) {
  luaL_newmetatable(L, GENERATOR_MT);
  luaL_newlib(L, gen_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, g_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_generator);
  lua_setfield(L, -2, "Generator");
  lua_pushcfunction(L, l_manual_seed);
  lua_setfield(L, -2, "manual_seed");
}
