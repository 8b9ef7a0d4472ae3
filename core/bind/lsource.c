/* Lua binding of the CSV shard reading (core/data/csvshard.h) behind
 * lunet.data.source: listing part files, cutting a file at record
 * boundaries, and the shard cursor (a "lunet.CsvCursor" userdata). Users'
 * values are checked by lua/lunet/data/source.lua; here what memory safety
 * needs (lengths, types, indices in range). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "csvshard.h"
#include "ldata.h"

#define CURSOR_MT "lunet.CsvCursor"

/* data_csv_list(pattern) -> {absolute paths, sorted}, "file" | "dir" | "glob" */
static int d_csv_list(lua_State *L) {
  const char *pattern = luaL_checkstring(L, 1);
  char **paths;
  int n;
  if (lunet_csv_list(pattern, &paths, &n) < 0) return lunet_core_error(L, NULL);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, paths[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lunet_csv_list_free(paths, n);
  struct stat st;
  int found = stat(pattern, &st) == 0;
  lua_pushstring(L, found && S_ISREG(st.st_mode) ? "file" : found && S_ISDIR(st.st_mode) ? "dir" : "glob");
  return 2;
}

/* data_csv_file_info(path) -> size, is_gzip */
static int d_csv_file_info(lua_State *L) {
  int64_t size;
  int gz;
  if (lunet_csv_file_info(luaL_checkstring(L, 1), &size, &gz) < 0) return lunet_core_error(L, NULL);
  lua_pushinteger(L, (lua_Integer)size);
  lua_pushboolean(L, gz);
  return 2;
}

/* data_csv_cut(path, quote, shard_bytes) -> {offsets}, {lines} */
static int d_csv_cut(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t qlen;
  const char *quote = luaL_checklstring(L, 2, &qlen);
  lua_Integer bytes = luaL_checkinteger(L, 3);
  luaL_argcheck(L, qlen == 1, 2, "one character expected");
  luaL_argcheck(L, bytes >= 1, 3, "at least 1 expected");
  int64_t *offsets, *lines;
  int n;
  if (lunet_csv_cut(path, quote[0], (int64_t)bytes, &offsets, &lines, &n) < 0) return lunet_core_error(L, NULL);
  lua_createtable(L, n, 0);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushinteger(L, (lua_Integer)offsets[i]);
    lua_rawseti(L, -3, i + 1);
    lua_pushinteger(L, (lua_Integer)lines[i]);
    lua_rawseti(L, -2, i + 1);
  }
  free(offsets);
  free(lines);
  return 2;
}

/* The array t[key] (absent: empty) as a scratch userdata left on the stack:
 * strings (kind 's', pointers kept alive by the list), numbers ('d') or
 * integers ('i'). Returns the count. */
static int array_opt(lua_State *L, int t, const char *key, char kind, void **out) {
  lua_getfield(L, t, key);
  int list = lua_gettop(L);
  lua_Integer n = lua_istable(L, list) ? luaL_len(L, list) : 0;
  if (!lua_isnil(L, list) && !lua_istable(L, list)) return luaL_error(L, "csv cursor: '%s' must be a table", key);
  if (n < 0 || n > INT_MAX / 16) return luaL_error(L, "csv cursor: '%s' has %I entries", key, n);
  size_t size = kind == 's' ? sizeof(char *) : kind == 'd' ? sizeof(double) : sizeof(int);
  char *a = lua_newuserdatauv(L, (size_t)(n + 1) * size, 0);
  for (int i = 0; i < n; i++) {
    lua_geti(L, list, i + 1);
    int ok = kind == 's' ? lua_type(L, -1) == LUA_TSTRING : lua_type(L, -1) == LUA_TNUMBER;
    if (!ok) return luaL_error(L, "csv cursor: '%s' entry %d is a %s", key, i + 1, luaL_typename(L, -1));
    if (kind == 's') ((const char **)a)[i] = lua_tostring(L, -1);
    else if (kind == 'd') ((double *)a)[i] = lua_tonumber(L, -1);
    else {
      lua_Integer v = lua_tointeger(L, -1);
      if (v < 0 || v > INT_MAX) return luaL_error(L, "csv cursor: '%s' entry %d is out of range", key, i + 1);
      ((int *)a)[i] = (int)v - 1; /* 1-based output column, 0 = not read */
    }
    lua_pop(L, 1);
  }
  *out = a;
  return (int)n;
}

static char one_char(lua_State *L, int t, const char *key) {
  size_t len;
  lua_getfield(L, t, key);
  const char *s = lua_tolstring(L, -1, &len);
  if (!s || len != 1) luaL_error(L, "csv cursor: '%s' must be one character", key);
  char c = s[0];
  lua_pop(L, 1);
  return c;
}

/* data_csv_cursor(path, offset, length, line, gz, opts) -> cursor. opts:
 * delimiter, quote, header, skip_bad, fields {names}, out {1-based output
 * column per field, 0 = not read}, types {per output column}, na_texts,
 * na_numbers. */
static int d_csv_cursor(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Integer offset = luaL_checkinteger(L, 2), length = luaL_checkinteger(L, 3), line = luaL_checkinteger(L, 4);
  int gz = lua_toboolean(L, 5);
  luaL_checktype(L, 6, LUA_TTABLE);
  lunet_csv_cursor_options_t o = {0};
  o.delimiter = one_char(L, 6, "delimiter");
  o.quote = one_char(L, 6, "quote");
  o.header = lunet_opt_boolean(L, 6, "header", 0, "csv cursor");
  o.skip_bad = lunet_opt_boolean(L, 6, "skip_bad", 0, "csv cursor");
  void *fields, *out, *texts, *numbers, *tnames;
  o.nfields = array_opt(L, 6, "fields", 's', &fields);
  if (array_opt(L, 6, "out", 'i', &out) != o.nfields) return luaL_error(L, "csv cursor: 'out' must match 'fields'");
  o.nout = array_opt(L, 6, "types", 's', &tnames);
  lunet_coltype_t *types = lua_newuserdatauv(L, (size_t)(o.nout + 1) * sizeof *types, 0);
  for (int k = 0; k < o.nout; k++) {
    int t = lunet_coltype_parse(((const char **)tnames)[k]);
    if (t < 0) return luaL_error(L, "csv cursor: unknown type '%s'", ((const char **)tnames)[k]);
    types[k] = (lunet_coltype_t)t;
  }
  o.n_na_texts = array_opt(L, 6, "na_texts", 's', &texts);
  o.n_na_numbers = array_opt(L, 6, "na_numbers", 'd', &numbers);
  o.fields = fields;
  o.out = out;
  o.types = types;
  o.na_texts = texts;
  o.na_numbers = numbers;
  lunet_csv_cursor_t **ud = lua_newuserdatauv(L, sizeof *ud, 1);
  *ud = NULL;
  lua_pushinteger(L, o.nout);
  lua_setiuservalue(L, -2, 1);
  luaL_setmetatable(L, CURSOR_MT);
  if (!(*ud = lunet_csv_cursor_new(path, offset, length, line, gz, &o))) return lunet_core_error(L, NULL);
  return 1;
}

static lunet_csv_cursor_t *check_cursor(lua_State *L) {
  lunet_csv_cursor_t **ud = luaL_checkudata(L, 1, CURSOR_MT);
  if (!*ud) luaL_error(L, "the shard reader is closed");
  return *ud;
}

/* cursor:next(max_rows) -> {columns}, rows; nil at the end */
static int cursor_next(lua_State *L) {
  lunet_csv_cursor_t *c = check_cursor(L);
  lua_Integer max = luaL_checkinteger(L, 2);
  lua_getiuservalue(L, 1, 1);
  int nout = (int)lua_tointeger(L, -1);
  lunet_column_t **cols = lua_newuserdatauv(L, (size_t)(nout + 1) * sizeof *cols, 0);
  int64_t rows;
  if (lunet_csv_cursor_next(c, (int64_t)max, cols, &rows) < 0) return lunet_core_error(L, NULL);
  if (rows == 0) return 0;
  lua_createtable(L, nout, 0);
  /* the table owns each column as soon as it is pushed; an error while
   * pushing leaves the rest unowned only on out-of-memory inside Lua */
  for (int k = 0; k < nout; k++) {
    lunet_push_column(L, cols[k], "next");
    lua_rawseti(L, -2, k + 1);
  }
  lua_pushinteger(L, (lua_Integer)rows);
  return 2;
}

static int cursor_bad_rows(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lunet_csv_cursor_bad_rows(check_cursor(L)));
  return 1;
}

static int cursor_close(lua_State *L) {
  lunet_csv_cursor_t **ud = luaL_checkudata(L, 1, CURSOR_MT);
  lunet_csv_cursor_free(*ud);
  *ud = NULL;
  return 0;
}

void lunet_open_source(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"next", cursor_next}, {"bad_rows", cursor_bad_rows}, {"close", cursor_close}, {NULL, NULL}};
  lunet_new_class(L, CURSOR_MT, methods, cursor_close);
  static const luaL_Reg fns[] = {{"data_csv_list", d_csv_list},
                                 {"data_csv_file_info", d_csv_file_info},
                                 {"data_csv_cut", d_csv_cut},
                                 {"data_csv_cursor", d_csv_cursor},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
