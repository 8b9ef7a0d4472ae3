/* Lua binding of the HDF5 tree writer (h5tree.h, h5tree_write.c):
 * core.h5_create(path) -> a "lunet.H5Writer" with group(path), attr(path,
 * name, value), write(path, tensor), write_int64(path, integer), commit()
 * and abort(); a writer collected or aborted before commit leaves nothing. */
#include <string.h>

#include "common.h"
#include "lh5tree.h"

#define LUNET_H5WRITER_MT "lunet.H5Writer"

typedef struct { lunet_h5writer_t *w; } writerbox;

static lunet_h5writer_t *check_writer(lua_State *L) {
  writerbox *b = luaL_checkudata(L, 1, LUNET_H5WRITER_MT);
  if (!b->w) {
    lua_getiuservalue(L, 1, 1);
    return luaL_error(L, "cannot write '%s': the writer is committed or aborted", lua_tostring(L, -1)), NULL;
  }
  return b->w;
}

static int w_abort(lua_State *L) {
  writerbox *b = luaL_checkudata(L, 1, LUNET_H5WRITER_MT);
  lunet_h5writer_free(b->w);
  b->w = NULL;
  return 0;
}

static int w_commit(lua_State *L) {
  lunet_h5writer_t *w = check_writer(L);
  writerbox *b = lua_touserdata(L, 1);
  int rc = lunet_h5writer_commit(w);
  lunet_h5writer_free(w);
  b->w = NULL;
  if (rc < 0) return lunet_core_error(L, NULL);
  return 0;
}

static int w_group(lua_State *L) {
  lunet_h5writer_t *w = check_writer(L);
  if (lunet_h5writer_group(w, luaL_checkstring(L, 2)) < 0) return lunet_core_error(L, NULL);
  return 0;
}

/* The Lua value at idx as v; arrays live in userdata pushed on the stack
 * (collected with it, so an error leaks nothing). */
static void to_value(lua_State *L, int idx, lunet_h5value_t *v, const char *what) {
  memset(v, 0, sizeof *v);
  v->n = 1;
  int t = lua_type(L, idx);
  if (t == LUA_TTABLE) {
    v->list = 1;
    lua_Integer n = luaL_len(L, idx);
    if (n < 0 || n > (1 << 24)) luaL_error(L, "%s: a list of %I values", what, n);
    v->n = n;
    int first = n > 0 ? lua_geti(L, idx, 1) : LUA_TNUMBER;
    if (n > 0) lua_pop(L, 1);
    t = first;
    if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN)
      luaL_error(L, "%s: element 1 is a %s; attributes hold strings, numbers or booleans", what, lua_typename(L, t));
  } else if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN) {
    luaL_error(L, "%s: a %s; attributes hold strings, numbers, booleans or lists of one of them", what,
               lua_typename(L, t));
  }
  /* the type: of the scalar, or of the list (numbers: int64 when all are integers) */
  int all_int = 1;
  for (lua_Integer i = 1; i <= v->n; i++) {
    int et = v->list ? lua_geti(L, idx, i) : (lua_pushvalue(L, idx), t);
    if (et != t)
      luaL_error(L, "%s: element %I is a %s in a list of %ss (a list holds one type)", what, i, lua_typename(L, et),
                 lua_typename(L, t));
    if (et == LUA_TNUMBER && !lua_isinteger(L, -1)) all_int = 0;
    lua_pop(L, 1);
  }
  v->type = t == LUA_TSTRING ? LUNET_H5V_STRING : t == LUA_TBOOLEAN ? LUNET_H5V_BOOLEAN
            : all_int && v->n > 0 ? LUNET_H5V_INTEGER : LUNET_H5V_FLOAT;
  size_t n = (size_t)v->n + 1;
  if (v->type == LUNET_H5V_STRING) v->strings = lua_newuserdatauv(L, n * sizeof *v->strings, 0);
  else if (v->type == LUNET_H5V_FLOAT) v->floats = lua_newuserdatauv(L, n * sizeof *v->floats, 0);
  else v->integers = lua_newuserdatauv(L, n * sizeof *v->integers, 0);
  for (lua_Integer i = 1; i <= v->n; i++) {
    if (v->list) lua_geti(L, idx, i);
    else lua_pushvalue(L, idx);
    if (v->type == LUNET_H5V_STRING) {
      size_t len;
      const char *s = lua_tolstring(L, -1, &len); /* kept alive by the value at idx */
      if (strlen(s) != len) luaL_error(L, "%s: a string holding a NUL byte (HDF5 strings end at one)", what);
      v->strings[i - 1] = (char *)s;
    } else if (v->type == LUNET_H5V_FLOAT) {
      v->floats[i - 1] = lua_tonumber(L, -1);
    } else if (v->type == LUNET_H5V_BOOLEAN) {
      v->integers[i - 1] = lua_toboolean(L, -1);
    } else {
      v->integers[i - 1] = lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
  }
}

/* w:attr(path, name, value): string, number, boolean, or a list of one of them. */
static int w_attr(lua_State *L) {
  lunet_h5writer_t *w = check_writer(L);
  const char *path = luaL_checkstring(L, 2), *name = luaL_checkstring(L, 3);
  luaL_checkany(L, 4);
  lua_pushfstring(L, "cannot write '%s': attribute '%s' of '%s'", lunet_h5writer_path(w), name, path);
  lunet_h5value_t v;
  to_value(L, 4, &v, lua_tostring(L, -1));
  /* (the value's arrays are userdata on the stack, not owned: nothing to clear) */
  if (lunet_h5writer_attr(w, path, name, &v) < 0) return lunet_core_error(L, NULL);
  return 0;
}

static int w_write(lua_State *L) {
  lunet_h5writer_t *w = check_writer(L);
  const char *path = luaL_checkstring(L, 2);
  lunet_tensor_t *x = lunet_check_tensor(L, 3);
  if (lunet_h5writer_write(w, path, x) < 0) return lunet_core_error(L, NULL);
  return 0;
}

static int w_write_int64(lua_State *L) {
  lunet_h5writer_t *w = check_writer(L);
  const char *path = luaL_checkstring(L, 2);
  lua_Integer value = luaL_checkinteger(L, 3);
  if (lunet_h5writer_write_int64(w, path, value) < 0) return lunet_core_error(L, NULL);
  return 0;
}

static int w_tostring(lua_State *L) {
  writerbox *b = luaL_checkudata(L, 1, LUNET_H5WRITER_MT);
  lua_getiuservalue(L, 1, 1);
  lua_pushfstring(L, "H5Writer(%s%s)", lua_tostring(L, -1), b->w ? "" : ", finished");
  return 1;
}

/* core.h5_create(path) -> H5Writer. */
static int l_h5_create(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  writerbox *b = lua_newuserdatauv(L, sizeof *b, 1);
  b->w = NULL; /* safe to collect before the file exists */
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  if (luaL_newmetatable(L, LUNET_H5WRITER_MT)) {
    static const luaL_Reg methods[] = {{"group", w_group}, {"attr", w_attr}, {"write", w_write},
                                       {"write_int64", w_write_int64}, {"commit", w_commit}, {"abort", w_abort},
                                       {NULL, NULL}};
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, w_abort);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, w_abort);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, w_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, -2);
  b->w = lunet_h5writer_new(path);
  if (!b->w) return lunet_core_error(L, NULL);
  return 1;
}

void lunet_open_h5writer(lua_State *L) {
  static const luaL_Reg fns[] = {{"h5_create", l_h5_create}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
