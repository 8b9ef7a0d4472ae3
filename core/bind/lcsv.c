/* Lua binding of lunet.data's files: read_csv / write_csv (core/data/csv*.c)
 * and read_idx (core/data/idx.c). lua/lunet/data/csv.lua normalises and
 * checks the options; here only what C needs to stay memory safe is checked
 * (strings where C reads strings, counts that fit). */
#include <limits.h>
#include <stdlib.h>

#include "common.h"
#include "csvio.h"
#include "idx.h"
#include "ldata.h"

/* The strings of the array at t[key] as a C array in a userdata left on the
 * stack with the list (both live until the caller returns); returns the
 * count (0 when the key is absent). */
static int string_list(lua_State *L, int t, const char *key, const char ***out) {
  *out = NULL;
  if (lua_getfield(L, t, key) == LUA_TNIL) { lua_pop(L, 1); return 0; }
  int list = lua_gettop(L);
  luaL_checktype(L, list, LUA_TTABLE);
  lua_Integer n = luaL_len(L, list);
  if (n < 0 || n > INT_MAX / 2) return luaL_error(L, "read_csv: option '%s' has %I entries", key, (lua_Integer)n);
  const char **a = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *a, 0);
  for (int i = 0; i < n; i++) {
    if (lua_geti(L, list, i + 1) != LUA_TSTRING)
      return luaL_error(L, "read_csv: option '%s' entry %d is a %s, expected a string", key, i + 1,
                        luaL_typename(L, -1));
    a[i] = lua_tostring(L, -1); /* strings stay referenced by the list */
    lua_pop(L, 1);
  }
  *out = a;
  return (int)n;
}

/* The numbers of the array at t[key] as a C array in a userdata left on the
 * stack (it lives until the caller returns); returns the count (0 when the
 * key is absent). */
static int number_list(lua_State *L, int t, const char *key, const double **out) {
  *out = NULL;
  if (lua_getfield(L, t, key) == LUA_TNIL) { lua_pop(L, 1); return 0; }
  int list = lua_gettop(L);
  luaL_checktype(L, list, LUA_TTABLE);
  lua_Integer n = luaL_len(L, list);
  if (n < 0 || n > INT_MAX / 2) return luaL_error(L, "read_csv: option '%s' has %I entries", key, (lua_Integer)n);
  double *a = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *a, 0);
  for (int i = 0; i < n; i++) {
    if (lua_geti(L, list, i + 1) != LUA_TNUMBER)
      return luaL_error(L, "read_csv: option '%s' entry %d is a %s, expected a number", key, i + 1,
                        luaL_typename(L, -1));
    a[i] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  *out = a;
  return (int)n;
}

/* A one-character option: its character. */
static char one_char(lua_State *L, int t, const char *key, const char *def) {
  size_t len;
  lua_getfield(L, t, key);
  const char *s = lua_isnil(L, -1) ? def : lua_tolstring(L, -1, &len);
  if (!s || (s != def && len != 1)) luaL_error(L, "read_csv: option '%s' must be one character", key);
  char c = s[0];
  lua_pop(L, 1);
  return c;
}

/* data_read_csv(path, opts) -> names, columns. opts is normalised by
 * lua/lunet/data/csv.lua: delimiter, quote (1-char strings), header, infer
 * (booleans), limit (integer, -1 = all), na_values, columns (string arrays),
 * na_numbers (a number array),
 * schema_names, schema_types (parallel arrays). */
static int d_read_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lunet_csv_options_t o = {0};
  o.delimiter = one_char(L, 2, "delimiter", ",");
  o.quote = one_char(L, 2, "quote", "\"");
  o.header = lunet_opt_boolean(L, 2, "header", 0, "read_csv");
  o.infer = lunet_opt_boolean(L, 2, "infer", 0, "read_csv");
  o.limit = lunet_opt_integer(L, 2, "limit", -1, "read_csv");
  o.skip_bad = lunet_opt_boolean(L, 2, "skip_bad", 0, "read_csv");
  o.n_na = string_list(L, 2, "na_values", (const char ***)&o.na_values);
  o.n_na_numbers = number_list(L, 2, "na_numbers", &o.na_numbers);
  o.n_columns = string_list(L, 2, "columns", (const char ***)&o.columns);
  o.n_schema = string_list(L, 2, "schema_names", (const char ***)&o.schema_names);
  lunet_coltype_t *types = lua_newuserdatauv(L, (size_t)(o.n_schema + 1) * sizeof *types, 0);
  lua_getfield(L, 2, "schema_types");
  if (o.n_schema > 0 && !lua_istable(L, -1)) return luaL_error(L, "read_csv: schema_types must be a table");
  for (int i = 0; i < o.n_schema; i++) {
    lua_geti(L, -1, i + 1);
    int t = lua_type(L, -1) == LUA_TSTRING ? lunet_coltype_parse(lua_tostring(L, -1)) : -1;
    if (t < 0) return luaL_error(L, "read_csv: unknown schema type %s", luaL_tolstring(L, -1, NULL));
    types[i] = (lunet_coltype_t)t;
    lua_pop(L, 1);
  }
  o.schema_types = types;
  lunet_table_t *t = lunet_csv_read(path, &o);
  if (!t) return lunet_core_error(L, "read_csv");
  lua_createtable(L, t->ncols, 0);
  lua_createtable(L, t->ncols, 0);
  for (int i = 0; i < t->ncols; i++) {
    lua_pushstring(L, t->names[i]);
    lua_rawseti(L, -3, i + 1);
    lunet_push_column(L, lunet_column_retain(t->cols[i]), "read_csv");
    lua_rawseti(L, -2, i + 1);
  }
  lunet_table_free(t);
  return 2;
}

static int d_csv_bare_parse(lua_State *L) {
  int64_t n = lunet_csv_bare_parse(luaL_checkstring(L, 1));
  if (n < 0) return lunet_core_error(L, "csv_bare_parse");
  lua_pushinteger(L, n);
  return 1;
}

/* The names (strings) at 2 and columns at 3 as C arrays in scratch userdata
 * left on the stack; returns their count. */
static int write_columns(lua_State *L, const char ***pnames, lunet_column_t ***pcols) {
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 2);
  if (n < 0 || n > INT_MAX / 2 || luaL_len(L, 3) != n)
    return luaL_error(L, "write_csv: %I names for %I columns", (lua_Integer)n, (lua_Integer)luaL_len(L, 3));
  const char **names = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *names, 0);
  lunet_column_t **cols = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *cols, 0);
  for (int i = 0; i < n; i++) {
    if (lua_geti(L, 2, i + 1) != LUA_TSTRING) /* never strlen a table */
      return luaL_error(L, "write_csv: column %d's name is a %s, expected a string", i + 1, luaL_typename(L, -1));
    names[i] = lua_tostring(L, -1); /* kept alive by the names table */
    lua_pop(L, 1);
    lua_geti(L, 3, i + 1);
    cols[i] = lunet_check_column(L, -1);
    lua_pop(L, 1);
  }
  *pnames = names;
  *pcols = cols;
  return (int)n;
}

static char write_delimiter(lua_State *L, int i) {
  size_t dlen;
  const char *delim = luaL_optlstring(L, i, ",", &dlen);
  if (dlen != 1) luaL_error(L, "write_csv: the delimiter must be one character");
  return delim[0];
}

/* data_write_csv(path, names, columns, delimiter, header): names are
 * strings, one per column. */
static int d_write_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char **names;
  lunet_column_t **cols;
  int n = write_columns(L, &names, &cols);
  char delim = write_delimiter(L, 4);
  if (lunet_csv_write(path, n, names, cols, delim, lua_isnone(L, 5) || lua_toboolean(L, 5)) < 0)
    return lunet_core_error(L, "write_csv");
  return 0;
}

/* data_write_csv_dir(dir, names, columns, delimiter, header, gzip,
 * overwrite, {first (1-based)}, {count}) */
static int d_write_csv_dir(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  const char **names;
  lunet_column_t **cols;
  int n = write_columns(L, &names, &cols);
  char delim = write_delimiter(L, 4);
  luaL_checktype(L, 8, LUA_TTABLE);
  luaL_checktype(L, 9, LUA_TTABLE);
  lua_Integer parts = luaL_len(L, 8);
  if (parts < 1 || parts > 100000 || luaL_len(L, 9) != parts)
    return luaL_error(L, "write_csv: %I partitions", (lua_Integer)parts);
  int64_t *first = lua_newuserdatauv(L, (size_t)parts * 2 * sizeof *first, 0), *count = first + parts;
  for (int p = 0; p < parts; p++) {
    lua_geti(L, 8, p + 1);
    lua_geti(L, 9, p + 1);
    first[p] = (int64_t)luaL_checkinteger(L, -2) - 1;
    count[p] = (int64_t)luaL_checkinteger(L, -1);
    lua_pop(L, 2);
  }
  if (lunet_csv_write_dir(dir, n, names, cols, (int)parts, first, count, delim, lua_toboolean(L, 5),
                          lua_toboolean(L, 6), lua_toboolean(L, 7)) < 0)
    return lunet_core_error(L, "write_csv");
  return 0;
}

static int d_read_idx(lua_State *L) {
  lunet_tensor_t *t = lunet_idx_read(luaL_checkstring(L, 1));
  if (!t) return lunet_core_error(L, NULL);
  lunet_push_tensor(L, t);
  return 1;
}

const luaL_Reg lunet_data_file_functions[] = {{"data_read_csv", d_read_csv},
                                              {"data_csv_bare_parse", d_csv_bare_parse},
                                              {"data_write_csv", d_write_csv},
                                              {"data_write_csv_dir", d_write_csv_dir},
                                              {"data_read_idx", d_read_idx},
                                              {NULL, NULL}};
