/* Lua binding of the data area: the lunet.Column userdata (one reference to an
 * immutable C column), lunet.RowIndex (0-based row positions made by
 * permutations, masks and splits, consumed by Column:gather), read_csv /
 * write_csv / read_idx, and the row kernels of lunet.feature. lua/lunet/data.lua
 * and feature.lua build DataFrame and the transformers on these. Rows are
 * 1-based here, 0-based in C. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column.h"
#include "common.h"
#include "csvio.h"
#include "idx.h"
#include "lbind.h"
#include "rng.h"
#include "rowops.h"

#define COLUMN_MT "lunet.Column"
#define ROWINDEX_MT "lunet.RowIndex"

typedef struct { lunet_column_t *c; size_t counted; } column_box;
typedef struct { int64_t *idx; int64_t n; } rowindex_box;

static lunet_column_t *check_column(lua_State *L, int i) {
  return ((column_box *)luaL_checkudata(L, i, COLUMN_MT))->c;
}

/* Takes ownership of c; NULL raises "<where>: <errmsg>". */
static void push_column(lua_State *L, lunet_column_t *c, const char *where) {
  if (!c) lunet_core_error(L, where);
  column_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->c = c;
  b->counted = 0;
  luaL_setmetatable(L, COLUMN_MT);
}

/* Lua's collector sees only the small userdata boxes, not the C buffers
 * behind them, so frames made in a loop (a shuffle per epoch) would pile up.
 * Columns count the bytes they allocated; when the counted live bytes pass
 * twice what survived the last collection (plus 64 MB), a full collection
 * runs: Lua's own pause rule, applied to the column buffers. One Lua state
 * per process uses this binding (driver or worker), so plain globals do. */
static size_t live_bytes, live_after_collect;

static void note_alloc(lua_State *L, int idx, size_t bytes) {
  column_box *b = luaL_checkudata(L, idx, COLUMN_MT);
  b->counted = bytes;
  live_bytes += bytes;
  if (live_bytes > 2 * live_after_collect + ((size_t)64 << 20)) {
    lua_gc(L, LUA_GCCOLLECT);
    live_after_collect = live_bytes;
  }
}

static size_t column_bytes(const lunet_column_t *c) {
  size_t per = c->tensor ? 4 * (size_t)lunet_column_width(c) : c->type == LUNET_COL_STRING ? 4 : 8;
  return per * (size_t)c->rows;
}

static int column_gc(lua_State *L) {
  column_box *b = luaL_checkudata(L, 1, COLUMN_MT);
  lunet_column_free(b->c);
  b->c = NULL;
  live_bytes -= b->counted <= live_bytes ? b->counted : live_bytes;
  b->counted = 0;
  return 0;
}

static rowindex_box *push_rowindex(lua_State *L) {
  rowindex_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->idx = NULL;
  b->n = 0;
  luaL_setmetatable(L, ROWINDEX_MT);
  return b;
}

static int rowindex_gc(lua_State *L) {
  rowindex_box *b = luaL_checkudata(L, 1, ROWINDEX_MT);
  free(b->idx);
  b->idx = NULL;
  return 0;
}

static int rowindex_len(lua_State *L) {
  lua_pushinteger(L, ((rowindex_box *)luaL_checkudata(L, 1, ROWINDEX_MT))->n);
  return 1;
}

/* ---- columns from Lua values ---- */

/* data_column(x, where): a Column from a tensor (1-D float, 2- to 4-D vector;
 * shared, made contiguous if needed) or a Lua array of numbers (integer when
 * all are Lua integers, else double) or strings. */
static int d_column(lua_State *L) {
  const char *where = luaL_optstring(L, 2, "frame");
  lunet_tensor_t *t = lunet_test_tensor(L, 1);
  if (t) {
    lunet_tensor_t *ct = lunet_tensor_contiguous(t);
    if (!ct) return lunet_core_error(L, where);
    lunet_column_t *c = lunet_column_new_tensor(ct);
    lunet_tensor_free(ct);
    push_column(L, c, where);
    note_alloc(L, -1, column_bytes(check_column(L, -1)));
    return 1;
  }
  if (!lua_istable(L, 1))
    return luaL_error(L, "%s: a column must be a tensor or a table, got %s", where, luaL_typename(L, 1));
  lua_Integer n = luaL_len(L, 1);
  int first = n > 0 ? lua_geti(L, 1, 1) : LUA_TNUMBER;
  if (n > 0) lua_pop(L, 1);
  if (first == LUA_TSTRING) {
    lunet_strdict_t *d = lunet_strdict_new();
    int32_t *codes = d ? lunet_malloc((size_t)n * sizeof *codes) : NULL;
    if (!codes) { lunet_strdict_free(d); return lunet_core_error(L, where); }
    for (lua_Integer i = 1; i <= n; i++) {
      size_t len;
      if (lua_geti(L, 1, i) != LUA_TSTRING) {
        free(codes);
        lunet_strdict_free(d);
        return luaL_error(L, "%s: row %d is a %s, rows above are strings", where, (int)i, luaL_typename(L, -1));
      }
      const char *s = lua_tolstring(L, -1, &len);
      codes[i - 1] = lunet_strdict_intern(d, s, len);
      lua_pop(L, 1);
    }
    push_column(L, lunet_column_new_str(codes, n, d), where);
    note_alloc(L, -1, column_bytes(check_column(L, -1)));
    return 1;
  }
  double *v = lunet_malloc((size_t)n * sizeof *v);
  if (!v) return lunet_core_error(L, where);
  int all_int = 1;
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, 1, i) != LUA_TNUMBER) {
      free(v);
      return luaL_error(L, "%s: row %d is a %s, rows above are numbers", where, (int)i, luaL_typename(L, -1));
    }
    all_int &= lua_isinteger(L, -1);
    v[i - 1] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  push_column(L, lunet_column_new_f64(all_int && n > 0 ? LUNET_COL_INTEGER : LUNET_COL_DOUBLE, v, n), where);
  note_alloc(L, -1, column_bytes(check_column(L, -1)));
  return 1;
}

/* ---- Column methods ---- */

static int c_type(lua_State *L) {
  lua_pushstring(L, lunet_coltype_name(check_column(L, 1)->type));
  return 1;
}

static int c_rows(lua_State *L) {
  lua_pushinteger(L, check_column(L, 1)->rows);
  return 1;
}

/* The shape of one row: {} for scalars, {d} or {h, w, c} for vectors. */
static int c_row_shape(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  if (c->type == LUNET_COL_VECTOR) lunet_push_shape(L, c->tensor->ndim - 1, c->tensor->shape + 1);
  else lua_newtable(L);
  return 1;
}

static int c_tensor(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  lunet_tensor_t *t = lunet_column_to_tensor(c);
  if (!t) return lunet_core_error(L, luaL_optstring(L, 2, "column"));
  lunet_push_tensor(L, t);
  return 1;
}

static int c_strings(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  if (c->type != LUNET_COL_STRING) return luaL_error(L, "column: not a string column");
  const int32_t *codes = lunet_column_codes(c);
  lua_createtable(L, (int)c->rows, 0);
  for (int64_t i = 0; i < c->rows; i++) {
    size_t len;
    const char *s = lunet_strdict_get(c->dict, codes[i], &len);
    lua_pushlstring(L, s, len);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int64_t check_row(lua_State *L, lunet_column_t *c, int arg) {
  lua_Integer i = luaL_checkinteger(L, arg);
  if (i < 1 || i > c->rows)
    luaL_error(L, "column: row %d out of range 1..%d", (int)i, (int)c->rows);
  return i - 1;
}

/* c:get(i): number, string, or (vector) a tensor copy of the row */
static int c_get(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  int64_t i = check_row(L, c, 2);
  size_t len;
  switch (c->type) {
    case LUNET_COL_STRING: {
      const char *s = lunet_strdict_get(c->dict, lunet_column_codes(c)[i], &len);
      lua_pushlstring(L, s, len);
      break;
    }
    case LUNET_COL_INTEGER: {
      double v = lunet_column_f64(c)[i];
      if (isnan(v)) lua_pushnumber(L, v);
      else lua_pushinteger(L, (lua_Integer)v);
      break;
    }
    case LUNET_COL_VECTOR: {
      lunet_tensor_t *row = lunet_tensor_narrow(c->tensor, 0, i, 1);
      lunet_tensor_t *copy = row ? lunet_tensor_clone(row) : NULL;
      lunet_tensor_free(row);
      if (copy) {
        lunet_tensor_t *v = lunet_tensor_view(copy, c->tensor->ndim - 1, c->tensor->shape + 1);
        lunet_tensor_free(copy);
        copy = v;
      }
      lunet_push_tensor(L, copy);
      break;
    }
    default: lua_pushnumber(L, lunet_column_number(c, i));
  }
  return 1;
}

/* Spark's rendering of a double: the shortest text that reads back as the
 * same value, with ".0" on integral values ("-999.0", "138.47"). */
static void format_double(char *buf, size_t size, double v, int is_float) {
  for (int p = is_float ? 6 : 15; p <= 17; p++) {
    snprintf(buf, size, "%.*g", p, v);
    double back = strtod(buf, NULL);
    if (is_float ? (float)back == (float)v : back == v) break;
  }
  if (isnan(v)) snprintf(buf, size, "NaN");
  else if (!strpbrk(buf, ".eni")) strncat(buf, ".0", size - strlen(buf) - 1);
}

/* c:format(i): the cell as show() prints it */
static int c_format(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  int64_t i = check_row(L, c, 2);
  char buf[128];
  if (c->type == LUNET_COL_STRING) return c_get(L);
  if (c->type == LUNET_COL_INTEGER && !isnan(lunet_column_f64(c)[i])) {
    snprintf(buf, sizeof buf, "%.0f", lunet_column_f64(c)[i]);
  } else if (c->type != LUNET_COL_VECTOR) {
    format_double(buf, sizeof buf, lunet_column_number(c, i), c->type == LUNET_COL_FLOAT);
  } else {
    int64_t w = lunet_column_width(c), n = 0;
    const float *p = lunet_tensor_data(c->tensor) + i * w; /* (w) */
    n += snprintf(buf, sizeof buf, "[");
    for (int64_t j = 0; j < w && j < 4; j++) {
      char num[40];
      format_double(num, sizeof num, p[j], 1);
      n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%s", j ? "," : "", num);
    }
    snprintf(buf + n, sizeof buf - (size_t)n, "%s]", w > 4 ? ",..." : "");
  }
  lua_pushstring(L, buf);
  return 1;
}

/* c:as_strings(): a numeric column as a string column of its show() texts
 * ("3" for integers, "1.0" for doubles: Spark's cast), for StringIndexer. */
static int c_as_strings(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  if (c->type == LUNET_COL_STRING) { lua_settop(L, 1); return 1; }
  if (c->type == LUNET_COL_VECTOR) return luaL_error(L, "as_strings: a vector column has no string form");
  lunet_strdict_t *d = lunet_strdict_new();
  int32_t *codes = d ? lunet_malloc((size_t)c->rows * sizeof *codes) : NULL;
  if (!codes) { lunet_strdict_free(d); return lunet_core_error(L, "as_strings"); }
  for (int64_t i = 0; i < c->rows; i++) {
    char buf[48];
    double v = lunet_column_number(c, i);
    if (c->type == LUNET_COL_INTEGER && !isnan(v)) snprintf(buf, sizeof buf, "%.0f", v);
    else format_double(buf, sizeof buf, v, c->type == LUNET_COL_FLOAT);
    if ((codes[i] = lunet_strdict_intern(d, buf, strlen(buf))) < 0) {
      free(codes);
      lunet_strdict_free(d);
      return lunet_core_error(L, "as_strings");
    }
  }
  push_column(L, lunet_column_new_str(codes, c->rows, d), "as_strings");
  note_alloc(L, -1, column_bytes(check_column(L, -1)));
  return 1;
}

static int c_gather(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  rowindex_box *r = luaL_checkudata(L, 2, ROWINDEX_MT);
  for (int64_t i = 0; i < r->n; i++)
    if (r->idx[i] >= c->rows) return luaL_error(L, "gather: row %d out of range 1..%d", (int)r->idx[i] + 1, (int)c->rows);
  push_column(L, lunet_column_gather(c, r->idx, r->n), "gather");
  note_alloc(L, -1, column_bytes(check_column(L, -1)));
  return 1;
}

static int c_slice(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  lua_Integer first = luaL_checkinteger(L, 2), count = luaL_checkinteger(L, 3);
  push_column(L, lunet_column_slice(c, first - 1, count), "slice");
  return 1;
}

static int c_concat(lua_State *L) {
  push_column(L, lunet_column_concat(check_column(L, 1), check_column(L, 2)), luaL_optstring(L, 3, "union"));
  note_alloc(L, -1, column_bytes(check_column(L, -1)));
  return 1;
}

/* Bytes held by the column's values (for memory accounting). */
static int c_nbytes(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  int64_t per = c->tensor ? 4 * lunet_column_width(c) : c->type == LUNET_COL_STRING ? 4 : 8;
  lua_pushinteger(L, per * c->rows);
  return 1;
}

/* c:string_counts() -> labels, counts (labels present in the rows only) */
static int c_string_counts(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  if (c->type != LUNET_COL_STRING) return luaL_error(L, "string_counts: not a string column");
  int64_t *counts = lunet_malloc((size_t)c->dict->count * sizeof *counts);
  if (!counts) return lunet_core_error(L, "string_counts");
  lunet_string_counts(c, counts);
  lua_newtable(L);
  lua_newtable(L);
  int k = 0;
  for (int32_t code = 0; code < c->dict->count; code++) {
    if (!counts[code]) continue;
    size_t len;
    const char *s = lunet_strdict_get(c->dict, code, &len);
    lua_pushlstring(L, s, len);
    lua_rawseti(L, -3, ++k);
    lua_pushinteger(L, counts[code]);
    lua_rawseti(L, -2, k);
  }
  free(counts);
  return 2;
}

/* c:string_index(label_to_index, keep, skip, where) -> float column [, RowIndex]
 * label_to_index maps a label to its 0-based index; keep < 0 disables 'keep'. */
static int c_string_index(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer keep = luaL_checkinteger(L, 3);
  int skip = lua_toboolean(L, 4);
  const char *where = luaL_checkstring(L, 5);
  if (c->type != LUNET_COL_STRING) return luaL_error(L, "%s: input column is %s, expected string", where,
                                                     lunet_coltype_name(c->type));
  int32_t *map = lunet_malloc((size_t)c->dict->count * sizeof *map);
  if (!map) return lunet_core_error(L, where);
  for (int32_t code = 0; code < c->dict->count; code++) {
    size_t len;
    const char *s = lunet_strdict_get(c->dict, code, &len);
    lua_pushlstring(L, s, len);
    map[code] = lua_rawget(L, 2) == LUA_TNUMBER ? (int32_t)lua_tointeger(L, -1) : -1;
    lua_pop(L, 1);
  }
  int64_t *kept = NULL, nkept = 0;
  lunet_tensor_t *t = lunet_string_index(c, map, (int32_t)keep, skip, &kept, &nkept, where);
  free(map);
  if (!t) return luaL_error(L, "%s", lunet_errmsg());
  if (skip && nkept < c->rows) { /* keep the first nkept values only */
    lunet_tensor_t *v = lunet_tensor_narrow(t, 0, 0, nkept);
    lunet_tensor_free(t);
    t = v;
  }
  lunet_column_t *col = t ? lunet_column_new_tensor(t) : NULL;
  lunet_tensor_free(t);
  push_column(L, col, where);
  note_alloc(L, -1, column_bytes(check_column(L, -1)));
  if (!skip) return 1;
  rowindex_box *r = push_rowindex(L);
  r->idx = kept;
  r->n = nkept;
  return 2;
}

/* c:equals(value) -> float column, 1 where the row equals value else 0 */
static int c_equals(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  int64_t shape[1] = {c->rows};
  if (c->type == LUNET_COL_VECTOR) return luaL_error(L, "BinaryLabelTransformer: input is a vector column");
  lunet_tensor_t *t = lunet_tensor_new(1, shape);
  if (!t) return lunet_core_error(L, "BinaryLabelTransformer");
  float *y = lunet_tensor_data(t); /* (rows) */
  if (c->type == LUNET_COL_STRING) {
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    int32_t code = lunet_strdict_find(c->dict, s, len);
    const int32_t *codes = lunet_column_codes(c);
    for (int64_t i = 0; i < c->rows; i++) y[i] = codes[i] == code;
  } else {
    double v = luaL_checknumber(L, 2);
    for (int64_t i = 0; i < c->rows; i++) y[i] = lunet_column_number(c, i) == v;
  }
  lunet_column_t *col = lunet_column_new_tensor(t);
  lunet_tensor_free(t);
  push_column(L, col, "BinaryLabelTransformer");
  note_alloc(L, -1, column_bytes(check_column(L, -1)));
  return 1;
}

/* ---- module functions ---- */

/* Strings of the array at t[key] into a NULL-free C array on the Lua stack's
 * userdata (kept alive by the caller's frame); returns the count. */
static int string_list(lua_State *L, int t, const char *key, const char ***out) {
  *out = NULL;
  if (lua_getfield(L, t, key) == LUA_TNIL) { lua_pop(L, 1); return 0; }
  int list = lua_gettop(L);
  int n = (int)luaL_len(L, list);
  const char **a = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *a, 0);
  for (int i = 0; i < n; i++) {
    lua_geti(L, list, i + 1);
    a[i] = lua_tostring(L, -1); /* strings stay referenced by the list */
    lua_pop(L, 1);
  }
  *out = a;
  return n; /* leaves the list and the array on the stack */
}

/* data_read_csv(path, opts) -> names, columns. opts is normalised by
 * data.lua: delimiter, quote (1-char strings), header, infer (booleans),
 * limit (integer, -1 = all), na_values, columns (string arrays), schema_names,
 * schema_types (parallel arrays). */
static int d_read_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lunet_csv_options_t o = {0};
  o.delimiter = lunet_opt_string(L, 2, "delimiter", ",", "read_csv")[0];
  o.quote = lunet_opt_string(L, 2, "quote", "\"", "read_csv")[0];
  o.header = lunet_opt_boolean(L, 2, "header", 0, "read_csv");
  o.infer = lunet_opt_boolean(L, 2, "infer", 0, "read_csv");
  o.limit = lunet_opt_integer(L, 2, "limit", -1, "read_csv");
  o.n_na = string_list(L, 2, "na_values", (const char ***)&o.na_values);
  o.n_columns = string_list(L, 2, "columns", (const char ***)&o.columns);
  o.n_schema = string_list(L, 2, "schema_names", (const char ***)&o.schema_names);
  lunet_coltype_t *types = lua_newuserdatauv(L, (size_t)(o.n_schema + 1) * sizeof *types, 0);
  lua_getfield(L, 2, "schema_types");
  for (int i = 0; i < o.n_schema; i++) {
    lua_geti(L, -1, i + 1);
    int t = lunet_coltype_parse(luaL_checkstring(L, -1));
    if (t < 0) return luaL_error(L, "read_csv: unknown schema type '%s'", lua_tostring(L, -1));
    types[i] = (lunet_coltype_t)t;
    lua_pop(L, 1);
  }
  o.schema_types = types;
  lunet_table_t *t = lunet_csv_read(path, &o);
  if (!t) return luaL_error(L, "read_csv: %s", lunet_errmsg());
  lua_createtable(L, t->ncols, 0);
  lua_createtable(L, t->ncols, 0);
  for (int i = 0; i < t->ncols; i++) {
    lua_pushstring(L, t->names[i]);
    lua_rawseti(L, -3, i + 1);
    push_column(L, lunet_column_retain(t->cols[i]), "read_csv");
    note_alloc(L, -1, column_bytes(t->cols[i]));
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

/* data_write_csv(path, names, columns, delimiter) */
static int d_write_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int n = (int)luaL_len(L, 2);
  const char **names = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *names, 0);
  lunet_column_t **cols = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *cols, 0);
  for (int i = 0; i < n; i++) {
    lua_geti(L, 2, i + 1);
    names[i] = lua_tostring(L, -1);
    lua_pop(L, 1);
    lua_geti(L, 3, i + 1);
    cols[i] = check_column(L, -1);
    lua_pop(L, 1);
  }
  if (lunet_csv_write(path, n, names, cols, luaL_optstring(L, 4, ",")[0]) < 0)
    return luaL_error(L, "write_csv: %s", lunet_errmsg());
  return 0;
}

static lunet_rng_t *seeded(lua_State *L, int arg, lunet_rng_t *local) {
  if (lua_isnoneornil(L, arg)) return lunet_rng_default();
  lunet_rng_seed(local, (uint64_t)luaL_checkinteger(L, arg));
  return local;
}

/* data_permutation(n, seed?) -> RowIndex of a random order of 0..n-1 */
static int d_permutation(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  lunet_rng_t local;
  lunet_rng_t *r = seeded(L, 2, &local);
  rowindex_box *b = push_rowindex(L);
  if (!(b->idx = lunet_malloc((size_t)n * sizeof *b->idx))) return lunet_core_error(L, "shuffle");
  b->n = n;
  lunet_rng_permutation(r, b->idx, (size_t)n);
  return 1;
}

/* data_split(n, weights, seed?) -> RowIndex, RowIndex, ... */
static int d_split(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int k = (int)luaL_len(L, 2);
  double w[64];
  if (k < 1 || k > 64) return luaL_error(L, "random_split: between 1 and 64 weights, got %d", k);
  for (int j = 0; j < k; j++) {
    lua_geti(L, 2, j + 1);
    if (!lua_isnumber(L, -1)) return luaL_error(L, "random_split: weight %d is not a number", j + 1);
    w[j] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  lunet_rng_t local;
  lunet_rng_t *r = seeded(L, 3, &local);
  int64_t *idx[64], count[64];
  if (lunet_random_split(r, n, w, k, idx, count) < 0) return lunet_core_error(L, "random_split");
  for (int j = 0; j < k; j++) {
    rowindex_box *b = push_rowindex(L);
    b->idx = idx[j];
    b->n = count[j];
  }
  return k;
}

/* data_mask(mask, n, where) -> RowIndex of rows whose mask is non-zero/true.
 * mask: a tensor of n numbers or a Lua array of n booleans. */
static int d_mask(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 2);
  const char *where = luaL_checkstring(L, 3);
  lunet_tensor_t *t = lunet_test_tensor(L, 1);
  rowindex_box *b = push_rowindex(L);
  if (t) {
    if (lunet_tensor_numel(t) != n) return luaL_error(L, "%s: mask has %d entries, frame has %d rows", where,
                                                      (int)lunet_tensor_numel(t), (int)n);
    lunet_tensor_t *ct = lunet_tensor_contiguous(t);
    if (!ct) return lunet_core_error(L, where);
    int rc = lunet_mask_positions(lunet_tensor_data(ct), n, &b->idx, &b->n);
    lunet_tensor_free(ct);
    if (rc < 0) return lunet_core_error(L, where);
    return 1;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  if (luaL_len(L, 1) != n) return luaL_error(L, "%s: mask has %d entries, frame has %d rows", where,
                                             (int)luaL_len(L, 1), (int)n);
  if (!(b->idx = lunet_malloc((size_t)n * sizeof *b->idx))) return lunet_core_error(L, where);
  for (lua_Integer i = 1; i <= n; i++) {
    int ty = lua_geti(L, 1, i);
    if (ty != LUA_TBOOLEAN) return luaL_error(L, "%s: mask entry %d is a %s, expected a boolean", where, (int)i,
                                              luaL_typename(L, -1));
    if (lua_toboolean(L, -1)) b->idx[b->n++] = i - 1;
    lua_pop(L, 1);
  }
  return 1;
}

/* data_range(first, count) -> RowIndex first-1 .. first+count-2 */
static int d_range(lua_State *L) {
  lua_Integer first = luaL_checkinteger(L, 1), count = luaL_checkinteger(L, 2);
  rowindex_box *b = push_rowindex(L);
  if (!(b->idx = lunet_malloc((size_t)count * sizeof *b->idx))) return lunet_core_error(L, "range");
  for (lua_Integer i = 0; i < count; i++) b->idx[i] = first - 1 + i;
  b->n = count;
  return 1;
}

/* data_assemble({columns}, where) -> tensor (rows, total width) */
static int d_assemble(lua_State *L) {
  int n = (int)luaL_len(L, 1);
  const char *where = luaL_checkstring(L, 2);
  lunet_column_t **cols = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *cols, 0);
  for (int i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    cols[i] = check_column(L, -1);
    lua_pop(L, 1);
  }
  lunet_tensor_t *t = lunet_assemble(cols, n);
  if (!t) return lunet_core_error(L, where);
  lunet_push_tensor(L, t);
  return 1;
}

static void push_doubles(lua_State *L, const double *v, int64_t n) {
  lua_createtable(L, (int)n, 0);
  for (int64_t i = 0; i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

/* data_stats(x (rows, d)) -> mean, std (unbiased), min, max as Lua arrays */
static int d_stats(lua_State *L) {
  lunet_tensor_t *x = lunet_check_tensor(L, 1);
  if (x->ndim == 1) {
    int64_t shape[2] = {x->shape[0], 1};
    lunet_tensor_t *ct = lunet_tensor_contiguous(x);
    x = ct ? lunet_tensor_view(ct, 2, shape) : NULL;
    lunet_tensor_free(ct);
  } else {
    x = lunet_tensor_contiguous(x);
  }
  if (!x || x->ndim != 2) {
    lunet_tensor_free(x);
    return luaL_error(L, "stats: expected a column of numbers or vectors");
  }
  int64_t d = x->shape[1];
  double *s = lunet_malloc((size_t)(4 * d) * sizeof *s);
  if (!s || lunet_colstats(x, s, s + d, s + 2 * d, s + 3 * d) < 0) {
    free(s);
    lunet_tensor_free(x);
    return lunet_core_error(L, "stats");
  }
  for (int k = 0; k < 4; k++) push_doubles(L, s + k * d, d);
  free(s);
  lunet_tensor_free(x);
  return 4;
}

/* data_one_hot(idx (rows), dim, where) -> (rows, dim) */
static int d_one_hot(lua_State *L) {
  lunet_tensor_t *x = lunet_check_tensor(L, 1);
  lua_Integer dim = luaL_checkinteger(L, 2);
  const char *where = luaL_checkstring(L, 3);
  if (x->ndim != 1) return luaL_error(L, "%s: input must be a scalar column", where);
  lunet_tensor_t *ct = lunet_tensor_contiguous(x);
  lunet_tensor_t *t = ct ? lunet_one_hot(ct, dim) : NULL;
  lunet_tensor_free(ct);
  if (!t) return lunet_core_error(L, where);
  lunet_push_tensor(L, t);
  return 1;
}

static int d_argmax_rows(lua_State *L) {
  lunet_tensor_t *x = lunet_check_tensor(L, 1);
  const char *where = luaL_checkstring(L, 2);
  if (x->ndim != 2) return luaL_error(L, "%s: input must be a vector column (rows, d)", where);
  lunet_tensor_t *ct = lunet_tensor_contiguous(x);
  lunet_tensor_t *t = ct ? lunet_argmax_rows(ct) : NULL;
  lunet_tensor_free(ct);
  if (!t) return lunet_core_error(L, where);
  lunet_push_tensor(L, t);
  return 1;
}

/* data_index_to_string(idx column, labels, where) -> string column */
static int d_index_to_string(lua_State *L) {
  lunet_column_t *c = check_column(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const char *where = luaL_checkstring(L, 3);
  if (c->type == LUNET_COL_STRING || c->type == LUNET_COL_VECTOR)
    return luaL_error(L, "%s: input column is %s, expected numeric indices", where, lunet_coltype_name(c->type));
  int n = (int)luaL_len(L, 2);
  lunet_strdict_t *d = lunet_strdict_new();
  int32_t *codes = d ? lunet_malloc((size_t)c->rows * sizeof *codes) : NULL;
  if (!codes) { lunet_strdict_free(d); return lunet_core_error(L, where); }
  for (int i = 0; i < n; i++) {
    size_t len;
    lua_geti(L, 2, i + 1);
    const char *s = lua_tolstring(L, -1, &len);
    if (!s || lunet_strdict_intern(d, s, len) != i) {
      free(codes);
      lunet_strdict_free(d);
      return luaL_error(L, "%s: labels must be distinct strings (entry %d)", where, i + 1);
    }
    lua_pop(L, 1);
  }
  for (int64_t i = 0; i < c->rows; i++) {
    double v = lunet_column_number(c, i);
    if (!(v >= 0 && v < n) || v != floor(v)) {
      free(codes);
      lunet_strdict_free(d);
      lunet_fail("%s: row %lld holds %g, expected an index in [0, %d)", where, (long long)i + 1, v, n);
      return luaL_error(L, "%s", lunet_errmsg());
    }
    codes[i] = (int32_t)v;
  }
  push_column(L, lunet_column_new_str(codes, c->rows, d), where);
  note_alloc(L, -1, column_bytes(check_column(L, -1)));
  return 1;
}

static int d_read_idx(lua_State *L) {
  lunet_tensor_t *t = lunet_idx_read(luaL_checkstring(L, 1));
  if (!t) return luaL_error(L, "%s", lunet_errmsg());
  lunet_push_tensor(L, t);
  return 1;
}

/* Bytes of column buffers allocated through this binding and not yet freed. */
static int d_live_bytes(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)live_bytes);
  return 1;
}

static int d_is_column(lua_State *L) {
  lua_pushboolean(L, luaL_testudata(L, 1, COLUMN_MT) != NULL);
  return 1;
}

void lunet_open_data(lua_State *L) {
  static const luaL_Reg column_methods[] = {
      {"type", c_type}, {"rows", c_rows}, {"row_shape", c_row_shape}, {"tensor", c_tensor},
      {"strings", c_strings}, {"get", c_get}, {"format", c_format}, {"gather", c_gather},
      {"slice", c_slice}, {"concat", c_concat}, {"nbytes", c_nbytes}, {"string_counts", c_string_counts},
      {"string_index", c_string_index}, {"as_strings", c_as_strings}, {"equals", c_equals}, {NULL, NULL}};
  luaL_newmetatable(L, COLUMN_MT);
  luaL_newlib(L, column_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, column_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_newmetatable(L, ROWINDEX_MT);
  lua_pushcfunction(L, rowindex_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, rowindex_len);
  lua_setfield(L, -2, "__len");
  lua_pop(L, 1);
  static const luaL_Reg fns[] = {
      {"data_column", d_column}, {"data_read_csv", d_read_csv}, {"data_csv_bare_parse", d_csv_bare_parse},
      {"data_write_csv", d_write_csv}, {"data_permutation", d_permutation}, {"data_split", d_split},
      {"data_mask", d_mask}, {"data_range", d_range}, {"data_assemble", d_assemble}, {"data_stats", d_stats},
      {"data_one_hot", d_one_hot}, {"data_argmax_rows", d_argmax_rows},
      {"data_index_to_string", d_index_to_string}, {"data_read_idx", d_read_idx},
      {"data_is_column", d_is_column}, {"data_live_bytes", d_live_bytes}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
