/* Lua binding of core/data/zipfile.c: core.zip_list(path) -> {{name=,
 * size=}, ...}, core.zip_read(path, member) -> string, core.zip_write(path,
 * {{name=, data=}, ...}) (atomic, deflated). Messages name the file and the
 * member (zipfile.h). */
#include <limits.h>
#include <stdlib.h>

#include "common.h"
#include "lbind.h"
#include "zipfile.h"

static int l_zip_list(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lunet_zip_entry_t *e;
  int64_t n;
  if (lunet_zip_list(path, &e, &n) < 0) return lunet_core_error(L, NULL);
  lua_createtable(L, n > 1 << 20 ? 1 << 20 : (int)n, 0);
  for (int64_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, e[i].name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, (lua_Integer)e[i].size);
    lua_setfield(L, -2, "size");
    lua_rawseti(L, -2, i + 1);
  }
  lunet_zip_entries_free(e, n);
  return 1;
}

static int l_zip_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1), *member = luaL_checkstring(L, 2);
  char *data;
  size_t len;
  if (lunet_zip_read(path, member, &data, &len) < 0) return lunet_core_error(L, NULL);
  lua_pushlstring(L, data, len);
  free(data);
  return 1;
}

/* zip_write(path, members): each member a table {name = string, data = string}. */
static int l_zip_write(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 2);
  if (n < 0 || n > INT_MAX / 2) return luaL_error(L, "zip_write: %I members", n);
  lunet_zip_member_t *m = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *m, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, 2, i) != LUA_TTABLE)
      return luaL_error(L, "zip_write: '%s': member %I is a %s, expected a table {name =, data =}", path, i,
                        luaL_typename(L, -1));
    if (lua_getfield(L, -1, "name") != LUA_TSTRING)
      return luaL_error(L, "zip_write: '%s': member %I's name is a %s, expected a string", path, i, luaL_typename(L, -1));
    m[i - 1].name = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "data") != LUA_TSTRING)
      return luaL_error(L, "zip_write: '%s': member '%s''s data is a %s, expected a string", path, m[i - 1].name,
                        luaL_typename(L, -1));
    m[i - 1].data = lua_tolstring(L, -1, &m[i - 1].len);
    lua_pop(L, 2); /* the strings stay alive in the members table at 2 */
  }
  if (lunet_zip_write(path, m, (int)n) < 0) return lunet_core_error(L, NULL);
  return 0;
}

void lunet_open_zip(lua_State *L) {
  static const luaL_Reg fns[] = {{"zip_list", l_zip_list}, {"zip_read", l_zip_read}, {"zip_write", l_zip_write},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
