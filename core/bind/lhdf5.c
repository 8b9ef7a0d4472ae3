/* Lua binding of core/data/h5file.c: an open HDF5 file as a "lunet.H5File"
 * userdata (datasets(), read(i, first, count), close()) and the writer.
 * lua/lunet/data/hdf5.lua checks the user's options; here only what memory
 * safety needs. Indices are 1-based in Lua, rows 0-based as in the shards. */
#include <limits.h>

#include "common.h"
#include "h5file.h"
#include "ldata.h"

#define LUNET_H5FILE_MT "lunet.H5File"

typedef struct { lunet_h5file_t *f; } h5box;

static lunet_h5file_t *check_open(lua_State *L) {
  h5box *b = luaL_checkudata(L, 1, LUNET_H5FILE_MT);
  if (!b->f) luaL_error(L, "the HDF5 file is closed");
  return b->f;
}

static int h5_close(lua_State *L) {
  h5box *b = luaL_checkudata(L, 1, LUNET_H5FILE_MT);
  lunet_h5file_free(b->f);
  b->f = NULL;
  return 0;
}

static const char *KINDS[] = {"integer", "double", "vector"};

/* f:datasets() -> {{name=, type=, rows=, width=}, ...} in the file's order. */
static int h5_datasets(lua_State *L) {
  lunet_h5file_t *f = check_open(L);
  int n = lunet_h5file_count(f);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    const lunet_h5dataset_t *s = lunet_h5file_dataset(f, i);
    lua_createtable(L, 0, 4);
    lua_pushstring(L, s->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, KINDS[s->kind]);
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, s->rows);
    lua_setfield(L, -2, "rows");
    lua_pushinteger(L, s->width);
    lua_setfield(L, -2, "width");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* f:read(i, first, count) -> Column of rows first..first+count-1 (0-based). */
static int h5_read(lua_State *L) {
  lunet_h5file_t *f = check_open(L);
  lua_Integer i = luaL_checkinteger(L, 2);
  lua_Integer first = luaL_checkinteger(L, 3), count = luaL_checkinteger(L, 4);
  if (i < 1 || i > lunet_h5file_count(f)) return luaL_error(L, "H5File:read: no dataset %I", (lua_Integer)i);
  lunet_column_t *c = lunet_h5file_read(f, (int)i - 1, first, count);
  if (!c) return lunet_core_error(L, NULL);
  lunet_push_column(L, c, "read_hdf5");
  return 1;
}

/* data_h5_open(path, datasets or nil, where) -> H5File. */
static int d_h5_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *where = luaL_optstring(L, 3, "read_hdf5");
  int n = 0;
  const char **names = NULL;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer len = luaL_len(L, 2);
    if (len < 0 || len > INT_MAX / 2) return luaL_error(L, "%s: %I datasets", where, (lua_Integer)len);
    n = (int)len;
    names = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *names, 0);
    for (int i = 0; i < n; i++) {
      if (lua_geti(L, 2, i + 1) != LUA_TSTRING)
        return luaL_error(L, "%s: dataset %d is a %s, expected a string", where, i + 1, luaL_typename(L, -1));
      names[i] = lua_tostring(L, -1); /* kept alive by the table at 2 */
      lua_pop(L, 1);
    }
  }
  h5box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->f = NULL; /* safe to collect before the open succeeds */
  if (luaL_newmetatable(L, LUNET_H5FILE_MT)) {
    static const luaL_Reg methods[] = {{"datasets", h5_datasets}, {"read", h5_read}, {"close", h5_close}, {NULL, NULL}};
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, h5_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, h5_close);
    lua_setfield(L, -2, "__close");
  }
  lua_setmetatable(L, -2);
  b->f = lunet_h5file_open(path, names, n, where);
  if (!b->f) return lunet_core_error(L, NULL);
  return 1;
}

/* data_h5_write(path, names, columns): one name per column. */
static int d_h5_write(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 2);
  if (n < 0 || n > INT_MAX / 2 || luaL_len(L, 3) != n)
    return luaL_error(L, "write_hdf5: %I names for %I columns", (lua_Integer)n, (lua_Integer)luaL_len(L, 3));
  const char **names = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *names, 0);
  lunet_column_t **cols = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *cols, 0);
  for (int i = 0; i < n; i++) {
    if (lua_geti(L, 2, i + 1) != LUA_TSTRING)
      return luaL_error(L, "write_hdf5: column %d's name is a %s, expected a string", i + 1, luaL_typename(L, -1));
    names[i] = lua_tostring(L, -1); /* kept alive by the names table */
    lua_pop(L, 1);
    lua_geti(L, 3, i + 1);
    cols[i] = lunet_check_column(L, -1);
    lua_pop(L, 1);
  }
  if (lunet_h5_write(path, (int)n, names, cols) < 0) return lunet_core_error(L, "write_hdf5");
  return 0;
}

const luaL_Reg lunet_data_hdf5_functions[] = {{"data_h5_open", d_h5_open}, {"data_h5_write", d_h5_write}, {NULL, NULL}};
