/* Lua binding of DataFrame columns: the lunet.Column userdata (one reference
 * to an immutable C column), lunet.RowIndex (0-based row positions consumed
 * by Column:gather), columns made from Lua values, and the accounting that
 * lets the collector see the column buffers. lua/lunet/data builds DataFrame
 * on these. Rows are 1-based here, 0-based in C. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ldata.h"

typedef struct { lunet_column_t *c; size_t counted; } column_box;

lunet_column_t *lunet_check_column(lua_State *L, int i) {
  return ((column_box *)luaL_checkudata(L, i, LUNET_COLUMN_MT))->c;
}

lunet_column_t **lunet_check_columns(lua_State *L, int i, const char *where, int *n) {
  i = lua_absindex(L, i);
  luaL_checktype(L, i, LUA_TTABLE);
  lua_Integer len = luaL_len(L, i);
  if (len < 0 || len > INT_MAX) luaL_error(L, "%s: %I columns", where, (lua_Integer)len);
  lunet_column_t **cols = lua_newuserdatauv(L, (size_t)(len + 1) * sizeof *cols, 0);
  for (int k = 0; k < len; k++) {
    lua_geti(L, i, k + 1);
    cols[k] = lunet_check_column(L, -1);
    lua_pop(L, 1);
  }
  *n = (int)len;
  return cols;
}

/* Lua's collector sees only the small userdata boxes, not the C buffers
 * behind them, so frames made in a loop (a shuffle per epoch) would pile up.
 * Columns count the bytes they allocated; when the counted live bytes pass
 * twice what survived the last collection (plus 64 MB), a full collection
 * runs: Lua's own pause rule, applied to the column buffers. One Lua state
 * per process uses this binding (driver or worker), so plain globals do. */
static size_t live_bytes, live_after_collect;

static size_t column_bytes(const lunet_column_t *c) {
  size_t per = c->tensor ? 4 * (size_t)lunet_column_width(c) : c->type == LUNET_COL_STRING ? 4 : 8;
  return per * (size_t)c->rows;
}

static column_box *push_box(lua_State *L, lunet_column_t *c, const char *where) {
  if (!c) lunet_core_error(L, where);
  column_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->c = c;
  b->counted = 0;
  luaL_setmetatable(L, LUNET_COLUMN_MT);
  return b;
}

void lunet_push_column_view(lua_State *L, lunet_column_t *c, const char *where) { push_box(L, c, where); }

void lunet_push_column(lua_State *L, lunet_column_t *c, const char *where) {
  column_box *b = push_box(L, c, where);
  b->counted = column_bytes(c);
  live_bytes += b->counted;
  if (live_bytes > 2 * live_after_collect + ((size_t)64 << 20)) {
    lua_gc(L, LUA_GCCOLLECT);
    live_after_collect = live_bytes;
  }
}

static int column_gc(lua_State *L) {
  column_box *b = luaL_checkudata(L, 1, LUNET_COLUMN_MT);
  lunet_column_free(b->c);
  b->c = NULL;
  live_bytes -= b->counted <= live_bytes ? b->counted : live_bytes;
  b->counted = 0;
  return 0;
}

lunet_rowindex_t *lunet_push_rowindex(lua_State *L) {
  lunet_rowindex_t *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->idx = NULL;
  b->n = 0;
  luaL_setmetatable(L, LUNET_ROWINDEX_MT);
  return b;
}

static int rowindex_gc(lua_State *L) {
  lunet_rowindex_t *b = luaL_checkudata(L, 1, LUNET_ROWINDEX_MT);
  free(b->idx);
  b->idx = NULL;
  return 0;
}

static int rowindex_len(lua_State *L) {
  lua_pushinteger(L, ((lunet_rowindex_t *)luaL_checkudata(L, 1, LUNET_ROWINDEX_MT))->n);
  return 1;
}

/* ---- columns from Lua values ---- */

#define MAX_EXACT 9007199254740992LL /* 2^53: integers beyond lose digits as doubles */

/* data_column(x, where): a Column from a tensor (1-D float, 2- to 4-D vector;
 * shared, made contiguous if needed) or a Lua array of numbers (integer when
 * all are Lua integers, else double) or strings. */
static int d_column(lua_State *L) {
  const char *where = luaL_optstring(L, 2, "frame");
  lunet_tensor_t *t = lunet_test_tensor(L, 1);
  if (t) {
    if (t->ndim < 1 || t->ndim > 4)
      return luaL_error(L, "%s: a tensor column needs 1 to 4 dimensions, got %d", where, t->ndim);
    lunet_tensor_t *ct = lunet_tensor_contiguous(t);
    if (!ct) return lunet_core_error(L, where);
    lunet_column_t *c = lunet_column_new_tensor(ct);
    lunet_tensor_free(ct);
    lunet_push_column(L, c, where);
    return 1;
  }
  if (!lua_istable(L, 1))
    return luaL_error(L, "%s: a column must be a tensor or a table, got %s", where, luaL_typename(L, 1));
  lua_Integer n = luaL_len(L, 1);
  if (n < 0) return luaL_error(L, "%s: a column cannot have %I rows", where, (lua_Integer)n);
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
        return luaL_error(L, "%s: row %I is a %s, rows above are strings", where, (lua_Integer)i,
                          luaL_typename(L, -1));
      }
      const char *s = lua_tolstring(L, -1, &len);
      if ((codes[i - 1] = lunet_strdict_intern(d, s, len)) < 0) {
        free(codes);
        lunet_strdict_free(d);
        return lunet_core_error(L, where);
      }
      lua_pop(L, 1);
    }
    lunet_push_column(L, lunet_column_new_str(codes, n, d), where);
    return 1;
  }
  double *v = lunet_malloc((size_t)n * sizeof *v);
  if (!v) return lunet_core_error(L, where);
  int all_int = 1;
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, 1, i) != LUA_TNUMBER) {
      free(v);
      return luaL_error(L, "%s: row %I is a %s, rows above are numbers", where, (lua_Integer)i,
                        luaL_typename(L, -1));
    }
    if (lua_isinteger(L, -1)) {
      lua_Integer k = lua_tointeger(L, -1);
      if (k > MAX_EXACT || k < -MAX_EXACT) {
        free(v);
        return luaL_error(L, "%s: row %I holds %I, beyond 2^53: a column keeps integers in doubles, "
                          "which would change its last digits", where, (lua_Integer)i, (lua_Integer)k);
      }
    } else {
      all_int = 0;
    }
    v[i - 1] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  lunet_push_column(L, lunet_column_new_f64(all_int && n > 0 ? LUNET_COL_INTEGER : LUNET_COL_DOUBLE, v, n), where);
  return 1;
}

/* ---- Column methods ---- */

static int c_type(lua_State *L) {
  lua_pushstring(L, lunet_coltype_name(lunet_check_column(L, 1)->type));
  return 1;
}

static int c_rows(lua_State *L) {
  lua_pushinteger(L, lunet_check_column(L, 1)->rows);
  return 1;
}

/* The shape of one row: {} for scalars, {d} or {h, w, c} for vectors. */
static int c_row_shape(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  if (c->type == LUNET_COL_VECTOR) lunet_push_shape(L, c->tensor->ndim - 1, c->tensor->shape + 1);
  else lua_newtable(L);
  return 1;
}

static int c_tensor(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  lunet_tensor_t *t = lunet_column_to_tensor(c);
  if (!t) return lunet_core_error(L, luaL_optstring(L, 2, "column"));
  lunet_push_tensor(L, t);
  return 1;
}

static int c_strings(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  if (c->type != LUNET_COL_STRING) return luaL_error(L, "column: not a string column");
  const int32_t *codes = lunet_column_codes(c);
  lua_createtable(L, c->rows < INT32_MAX ? (int)c->rows : 0, 0);
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
    luaL_error(L, "column: row %I out of range 1..%I", (lua_Integer)i, (lua_Integer)c->rows);
  return i - 1;
}

/* c:get(i): number, string, or (vector) a tensor copy of the row */
static int c_get(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
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
  lunet_column_t *c = lunet_check_column(L, 1);
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
  lunet_column_t *c = lunet_check_column(L, 1);
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
  lunet_push_column(L, lunet_column_new_str(codes, c->rows, d), "as_strings");
  return 1;
}

static int c_gather(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  lunet_rowindex_t *r = luaL_checkudata(L, 2, LUNET_ROWINDEX_MT);
  for (int64_t i = 0; i < r->n; i++)
    if (r->idx[i] < 0 || r->idx[i] >= c->rows)
      return luaL_error(L, "gather: row %I out of range 1..%I", (lua_Integer)r->idx[i] + 1, (lua_Integer)c->rows);
  lunet_push_column(L, lunet_column_gather(c, r->idx, r->n), "gather");
  return 1;
}

static int c_slice(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  lua_Integer first = luaL_checkinteger(L, 2), count = luaL_checkinteger(L, 3);
  if (first < 1 || count < 0 || count > c->rows - (first - 1))
    return luaL_error(L, "slice: rows %I+%I out of range for %I rows", (lua_Integer)first, (lua_Integer)count,
                      (lua_Integer)c->rows);
  lunet_push_column_view(L, lunet_column_slice(c, first - 1, count), "slice");
  return 1;
}

static int c_concat(lua_State *L) {
  lunet_column_t *a = lunet_check_column(L, 1), *b = lunet_check_column(L, 2);
  lunet_push_column(L, lunet_column_concat(a, b), luaL_optstring(L, 3, "union"));
  return 1;
}

/* Bytes held by the column's values (for memory accounting). */
static int c_nbytes(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)column_bytes(lunet_check_column(L, 1)));
  return 1;
}

/* Bytes of column buffers allocated through this binding and not yet freed. */
static int d_live_bytes(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)live_bytes);
  return 1;
}

static int d_is_column(lua_State *L) {
  lua_pushboolean(L, luaL_testudata(L, 1, LUNET_COLUMN_MT) != NULL);
  return 1;
}

void lunet_open_data(lua_State *L) {
  static const luaL_Reg column_methods[] = {
      {"type", c_type}, {"rows", c_rows}, {"row_shape", c_row_shape}, {"tensor", c_tensor},
      {"strings", c_strings}, {"get", c_get}, {"format", c_format}, {"gather", c_gather},
      {"slice", c_slice}, {"concat", c_concat}, {"nbytes", c_nbytes}, {"as_strings", c_as_strings},
      {NULL, NULL}};
  luaL_newmetatable(L, LUNET_COLUMN_MT);
  luaL_newlib(L, column_methods);
  luaL_setfuncs(L, lunet_column_kernels, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, column_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_newmetatable(L, LUNET_ROWINDEX_MT);
  lua_pushcfunction(L, rowindex_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, rowindex_len);
  lua_setfield(L, -2, "__len");
  lua_pop(L, 1);
  static const luaL_Reg fns[] = {{"data_column", d_column}, {"data_is_column", d_is_column},
                                 {"data_live_bytes", d_live_bytes}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
  luaL_setfuncs(L, lunet_data_row_functions, 0);
  luaL_setfuncs(L, lunet_data_file_functions, 0);
  luaL_setfuncs(L, lunet_data_missing_functions, 0);
  luaL_setfuncs(L, lunet_data_hdf5_functions, 0);
  lunet_open_source(L);
}
