/* Lua binding of core/data/h5tree.c's reader: core.h5_open(path) and
 * core.h5_open_bytes(bytes, display_name) -> a "lunet.H5Tree" userdata with
 * list, kind, attr, attrs, shape, read and close (see h5tree.h; the Keras
 * readers of lua/lunet/keras use it). Messages name the file and object. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "h5tree.h"
#include "lbind.h"
#include "lh5tree.h"

#define LUNET_H5TREE_MT "lunet.H5Tree"

typedef struct { lunet_h5tree_t *t; } treebox;

static lunet_h5tree_t *check_open(lua_State *L) {
  treebox *b = luaL_checkudata(L, 1, LUNET_H5TREE_MT);
  if (!b->t) {
    lua_getiuservalue(L, 1, 1);
    return luaL_error(L, "%s: the HDF5 file is closed", lua_tostring(L, -1)), NULL;
  }
  return b->t;
}

static int t_close(lua_State *L) {
  treebox *b = luaL_checkudata(L, 1, LUNET_H5TREE_MT);
  lunet_h5tree_free(b->t);
  b->t = NULL;
  return 0;
}

static int t_tostring(lua_State *L) {
  treebox *b = luaL_checkudata(L, 1, LUNET_H5TREE_MT);
  lua_getiuservalue(L, 1, 1);
  lua_pushfstring(L, "H5Tree(%s%s)", lua_tostring(L, -1), b->t ? "" : ", closed");
  return 1;
}

static const char *KIND_NAMES[] = {NULL, "group", "dataset"};

/* t:list([group]) -> {{name=, kind='group'|'dataset'}, ...} in name order. */
static int t_list(lua_State *L) {
  lunet_h5tree_t *t = check_open(L);
  const char *path = luaL_optstring(L, 2, "/");
  lunet_h5entry_t *e;
  int64_t n;
  if (lunet_h5tree_list(t, path, &e, &n) < 0) return lunet_core_error(L, NULL);
  lua_createtable(L, n > 1 << 20 ? 1 << 20 : (int)n, 0);
  for (int64_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, e[i].name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, KIND_NAMES[e[i].kind]);
    lua_setfield(L, -2, "kind");
    lua_rawseti(L, -2, i + 1);
  }
  lunet_h5tree_entries_free(e, n);
  return 1;
}

/* t:kind(path) -> 'group' | 'dataset' | nil. */
static int t_kind(lua_State *L) {
  lunet_h5tree_t *t = check_open(L);
  lunet_h5obj_t k = lunet_h5tree_kind(t, luaL_checkstring(L, 2));
  if (k == LUNET_H5_NONE) lua_pushnil(L);
  else lua_pushstring(L, KIND_NAMES[k]);
  return 1;
}

static void push_one(lua_State *L, const lunet_h5value_t *v, int64_t i) {
  switch (v->type) {
  case LUNET_H5V_STRING: lua_pushstring(L, v->strings[i]); break;
  case LUNET_H5V_INTEGER: lua_pushinteger(L, v->integers[i]); break;
  case LUNET_H5V_FLOAT: lua_pushnumber(L, v->floats[i]); break;
  case LUNET_H5V_BOOLEAN: lua_pushboolean(L, v->integers[i] != 0); break;
  }
}

void lunet_push_h5value(lua_State *L, const lunet_h5value_t *v) {
  if (!v->list) { push_one(L, v, 0); return; }
  lua_createtable(L, v->n > 1 << 20 ? 1 << 20 : (int)v->n, 0);
  for (int64_t i = 0; i < v->n; i++) {
    push_one(L, v, i);
    lua_rawseti(L, -2, i + 1);
  }
}

/* Reads attribute name of path and pushes it (nil when absent); on an error
 * the value is cleared and the error raised. */
static void push_attr(lua_State *L, lunet_h5tree_t *t, const char *path, const char *name) {
  lunet_h5value_t v = {0};
  int rc = lunet_h5tree_attr(t, path, name, &v);
  if (rc < 0) lunet_core_error(L, NULL);
  if (rc == 0) lua_pushnil(L);
  else lunet_push_h5value(L, &v);
  lunet_h5value_clear(&v);
}

/* t:attr(path, name) -> string | {strings} | number | {numbers} | boolean | nil. */
static int t_attr(lua_State *L) {
  lunet_h5tree_t *t = check_open(L);
  push_attr(L, t, luaL_checkstring(L, 2), luaL_checkstring(L, 3));
  return 1;
}

/* t:attrs(path) -> {name = value}. */
static int t_attrs(lua_State *L) {
  lunet_h5tree_t *t = check_open(L);
  const char *path = luaL_checkstring(L, 2);
  char **names;
  int64_t n;
  if (lunet_h5tree_attr_names(t, path, &names, &n) < 0) return lunet_core_error(L, NULL);
  /* the names go into a Lua table first, so that an error below leaks nothing */
  lua_createtable(L, n > 1 << 20 ? 1 << 20 : (int)n, 0);
  for (int64_t i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, i + 1);
    free(names[i]);
  }
  free(names);
  int list = lua_gettop(L);
  lua_createtable(L, 0, n > 1 << 20 ? 1 << 20 : (int)n);
  for (int64_t i = 0; i < n; i++) {
    lua_rawgeti(L, list, i + 1);
    const char *name = lua_tostring(L, -1);
    push_attr(L, t, path, name);
    lua_rawset(L, -3);
  }
  return 1;
}

/* t:shape(path) -> {dims} (a scalar dataset: {1}). */
static int t_shape(lua_State *L) {
  lunet_h5tree_t *t = check_open(L);
  int ndim;
  int64_t shape[LUNET_MAX_DIMS];
  if (lunet_h5tree_shape(t, luaL_checkstring(L, 2), &ndim, shape) < 0) return lunet_core_error(L, NULL);
  lunet_push_shape(L, ndim, shape);
  return 1;
}

/* t:read(path) -> float32 Tensor of the dataset's shape. */
static int t_read(lua_State *L) {
  lunet_h5tree_t *t = check_open(L);
  lunet_tensor_t *x = lunet_h5tree_read(t, luaL_checkstring(L, 2));
  if (!x) return lunet_core_error(L, NULL);
  lunet_push_tensor(L, x);
  return 1;
}

/* A closed box (safe to collect before the open succeeds) holding name. */
static treebox *push_box(lua_State *L, const char *name) {
  treebox *b = lua_newuserdatauv(L, sizeof *b, 1);
  b->t = NULL;
  lua_pushstring(L, name);
  lua_setiuservalue(L, -2, 1);
  if (luaL_newmetatable(L, LUNET_H5TREE_MT)) {
    static const luaL_Reg methods[] = {{"list", t_list}, {"kind", t_kind}, {"attr", t_attr}, {"attrs", t_attrs},
                                       {"shape", t_shape}, {"read", t_read}, {"close", t_close}, {NULL, NULL}};
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, t_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, t_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, t_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, -2);
  return b;
}

/* core.h5_open(path) -> H5Tree. */
static int l_h5_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  treebox *b = push_box(L, path);
  b->t = lunet_h5tree_open(path);
  if (!b->t) return lunet_core_error(L, NULL);
  return 1;
}

/* core.h5_open_bytes(bytes, display_name) -> H5Tree of a file held in a string. */
static int l_h5_open_bytes(lua_State *L) {
  size_t len;
  const char *bytes = luaL_checklstring(L, 1, &len);
  const char *name = luaL_checkstring(L, 2);
  treebox *b = push_box(L, name);
  b->t = lunet_h5tree_open_bytes(bytes, len, name);
  if (!b->t) return lunet_core_error(L, NULL);
  return 1;
}

void lunet_open_h5tree(lua_State *L) {
  static const luaL_Reg fns[] = {{"h5_open", l_h5_open}, {"h5_open_bytes", l_h5_open_bytes}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
  lunet_open_h5writer(L);
}
