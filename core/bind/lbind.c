/* Helpers shared by the binding files: option tables, shapes, core errors. */
#include "lbind.h"

#include <math.h>
#include <string.h>

#include "common.h"

int lunet_core_error(lua_State *L, const char *where) {
  if (!where) return luaL_error(L, "%s", lunet_errmsg());
  return luaL_error(L, "%s: %s", where, lunet_errmsg());
}

static int is_none(lua_State *L, int idx) { return lua_isnoneornil(L, idx); }

void lunet_check_options(lua_State *L, int idx, const char *where, const char *const *allowed) {
  if (is_none(L, idx)) return;
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx))
    luaL_error(L, "%s: options must be a table, got %s", where, luaL_typename(L, idx));
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue; /* positional entries are the caller's business */
    const char *key = lua_tostring(L, -1);
    int known = 0;
    for (const char *const *a = allowed; *a; a++)
      if (strcmp(*a, key) == 0) { known = 1; break; }
    if (!known) luaL_error(L, "%s: unknown option '%s'", where, key);
  }
}

/* Pushes t[key] (or nil when the options are absent). */
static int get_opt(lua_State *L, int idx, const char *key) {
  if (is_none(L, idx)) { lua_pushnil(L); return LUA_TNIL; }
  return lua_getfield(L, idx, key);
}

lua_Number lunet_opt_number(lua_State *L, int idx, const char *key, lua_Number def, const char *where) {
  int t = get_opt(L, idx, key);
  lua_Number v = def;
  if (t != LUA_TNIL) {
    if (!lua_isnumber(L, -1))
      luaL_error(L, "%s: option '%s' must be a number, got %s", where, key, luaL_typename(L, -1));
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

lua_Integer lunet_opt_integer(lua_State *L, int idx, const char *key, lua_Integer def,
                              const char *where) {
  int t = get_opt(L, idx, key);
  lua_Integer v = def;
  if (t != LUA_TNIL) {
    int ok;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok) luaL_error(L, "%s: option '%s' must be an integer, got %s", where, key,
                        lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

const char *lunet_opt_string(lua_State *L, int idx, const char *key, const char *def, const char *where) {
  int t = get_opt(L, idx, key);
  const char *v = def;
  if (t != LUA_TNIL) {
    if (t != LUA_TSTRING)
      luaL_error(L, "%s: option '%s' must be a string, got %s", where, key, luaL_typename(L, -1));
    v = lua_tostring(L, -1); /* still referenced by the options table */
  }
  lua_pop(L, 1);
  return v;
}

int lunet_opt_boolean(lua_State *L, int idx, const char *key, int def, const char *where) {
  int t = get_opt(L, idx, key);
  int v = def;
  if (t != LUA_TNIL) {
    if (t != LUA_TBOOLEAN)
      luaL_error(L, "%s: option '%s' must be a boolean, got %s", where, key, luaL_typename(L, -1));
    v = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static int64_t check_size(lua_State *L, int allow_infer, const char *where, int pos) {
  int ok;
  lua_Integer v = lua_tointegerx(L, -1, &ok);
  if (!ok) {
    if (lua_type(L, -1) == LUA_TNUMBER)
      luaL_error(L, "%s: size %d must be an integer, got %s", where, pos, lua_tostring(L, -1));
    luaL_error(L, "%s: size %d must be an integer, got %s", where, pos, luaL_typename(L, -1));
  }
  if (v < 0 && !(allow_infer && v == -1))
    luaL_error(L, "%s: size %d must be non-negative, got %I", where, pos, v);
  return (int64_t)v;
}

int lunet_read_shape(lua_State *L, int idx, int64_t *shape, int allow_infer, const char *where) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx))
    luaL_error(L, "%s: shape must be a table of sizes, got %s", where, luaL_typename(L, idx));
  lua_Integer n = luaL_len(L, idx);
  if (n < 0 || n > LUNET_MAX_DIMS)
    luaL_error(L, "%s: tensors have at most %d dimensions, shape has %I", where, LUNET_MAX_DIMS, n);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, idx, i);
    shape[i - 1] = check_size(L, allow_infer, where, (int)i);
    lua_pop(L, 1);
  }
  return (int)n;
}

void lunet_push_shape(lua_State *L, int ndim, const int64_t *shape) {
  lua_createtable(L, ndim, 0);
  for (int i = 0; i < ndim; i++) {
    lua_pushinteger(L, shape[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

void lunet_new_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction close) {
  luaL_newmetatable(L, mt);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
}
