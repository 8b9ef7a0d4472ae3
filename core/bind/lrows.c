/* Lua binding of the row kernels (core/data/rowops.c) behind DataFrame's row
 * selections (permutations, random splits, masks) and lunet.feature's
 * transformers (string counts and indexing, equality, assembly, statistics,
 * one-hot, argmax, index to string). lua/lunet/data and lua/lunet/feature
 * check users' values first; the checks here keep memory safe. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "common.h"
#include "ldata.h"
#include "rng.h"
#include "rowops.h"

/* ---- Column methods ---- */

/* c:string_counts() -> labels, counts (labels present in the rows only) */
static int c_string_counts(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
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
  lunet_column_t *c = lunet_check_column(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer keep = luaL_checkinteger(L, 3);
  int skip = lua_toboolean(L, 4);
  const char *where = luaL_checkstring(L, 5);
  if (c->type != LUNET_COL_STRING) return luaL_error(L, "%s: input column is %s, expected string", where,
                                                     lunet_coltype_name(c->type));
  if (keep > INT32_MAX) return luaL_error(L, "%s: %I labels are too many", where, (lua_Integer)keep);
  int32_t *map = lunet_malloc((size_t)c->dict->count * sizeof *map);
  if (!map) return lunet_core_error(L, where);
  for (int32_t code = 0; code < c->dict->count; code++) {
    size_t len;
    const char *s = lunet_strdict_get(c->dict, code, &len);
    lua_pushlstring(L, s, len);
    int isint = 0;
    lua_Integer ix = lua_rawget(L, 2) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : -1;
    map[code] = isint && ix >= 0 && ix <= INT32_MAX ? (int32_t)ix : -1;
    lua_pop(L, 1);
  }
  int64_t *kept = NULL, nkept = 0;
  lunet_tensor_t *t = lunet_string_index(c, map, (int32_t)keep, skip, &kept, &nkept, where);
  free(map);
  if (!t) return lunet_core_error(L, NULL);
  if (skip && nkept < c->rows) { /* keep the first nkept values only */
    lunet_tensor_t *v = lunet_tensor_narrow(t, 0, 0, nkept);
    lunet_tensor_free(t);
    t = v;
  }
  lunet_column_t *col = t ? lunet_column_new_tensor(t) : NULL;
  lunet_tensor_free(t);
  if (!col) free(kept);
  lunet_push_column(L, col, where);
  if (!skip) return 1;
  lunet_rowindex_t *r = lunet_push_rowindex(L);
  r->idx = kept;
  r->n = nkept;
  return 2;
}

/* c:equals(value, where) -> float column, 1 where the row equals value else 0.
 * A string column takes a string, a numeric column a number. */
static int c_equals(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  const char *where = luaL_optstring(L, 3, "equals");
  int is_str = c->type == LUNET_COL_STRING;
  if (c->type == LUNET_COL_VECTOR) return luaL_error(L, "%s: input is a vector column", where);
  if (lua_type(L, 2) != (is_str ? LUA_TSTRING : LUA_TNUMBER))
    return luaL_error(L, "%s: a %s column compares with a %s, got a %s", where, lunet_coltype_name(c->type),
                      is_str ? "string" : "number", luaL_typename(L, 2));
  int64_t shape[1] = {c->rows};
  lunet_tensor_t *t = lunet_tensor_new(1, shape);
  if (!t) return lunet_core_error(L, where);
  float *y = lunet_tensor_data(t); /* (rows) */
  if (is_str) {
    size_t len;
    const char *s = lua_tolstring(L, 2, &len);
    int32_t code = lunet_strdict_find(c->dict, s, len);
    const int32_t *codes = lunet_column_codes(c);
    for (int64_t i = 0; i < c->rows; i++) y[i] = codes[i] == code;
  } else {
    double v = lua_tonumber(L, 2);
    for (int64_t i = 0; i < c->rows; i++) y[i] = lunet_column_number(c, i) == v;
  }
  lunet_column_t *col = lunet_column_new_tensor(t);
  lunet_tensor_free(t);
  lunet_push_column(L, col, where);
  return 1;
}

const luaL_Reg lunet_column_kernels[] = {{"string_counts", c_string_counts},
                                         {"string_index", c_string_index},
                                         {"equals", c_equals},
                                         {NULL, NULL}};

/* ---- row selections ---- */

/* A row count at arg: an integer >= 0. */
static int64_t check_rows(lua_State *L, int arg, const char *where) {
  lua_Integer n = luaL_checkinteger(L, arg);
  if (n < 0) luaL_error(L, "%s: %I rows", where, (lua_Integer)n);
  return n;
}

static lunet_rng_t *seeded(lua_State *L, int arg, lunet_rng_t *local) {
  if (lua_isnoneornil(L, arg)) return lunet_rng_default();
  lunet_rng_seed(local, (uint64_t)luaL_checkinteger(L, arg));
  return local;
}

/* data_permutation(n, seed?) -> RowIndex of a random order of 0..n-1 */
static int d_permutation(lua_State *L) {
  int64_t n = check_rows(L, 1, "shuffle");
  lunet_rng_t local;
  lunet_rng_t *r = seeded(L, 2, &local);
  lunet_rowindex_t *b = lunet_push_rowindex(L);
  if (!(b->idx = lunet_malloc((size_t)n * sizeof *b->idx))) return lunet_core_error(L, "shuffle");
  b->n = n;
  lunet_rng_permutation(r, b->idx, (size_t)n);
  return 1;
}

/* data_split(n, weights, seed?) -> RowIndex, RowIndex, ... */
static int d_split(lua_State *L) {
  int64_t n = check_rows(L, 1, "random_split");
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer k = luaL_len(L, 2);
  double w[64];
  if (k < 1 || k > 64) return luaL_error(L, "random_split: between 1 and 64 weights, got %I", (lua_Integer)k);
  for (int j = 0; j < k; j++) {
    lua_geti(L, 2, j + 1);
    if (lua_type(L, -1) != LUA_TNUMBER) return luaL_error(L, "random_split: weight %d is not a number", j + 1);
    w[j] = lua_tonumber(L, -1);
    if (!isfinite(w[j])) return luaL_error(L, "random_split: weight %d is not finite", j + 1);
    lua_pop(L, 1);
  }
  lunet_rng_t local;
  lunet_rng_t *r = seeded(L, 3, &local);
  int64_t *idx[64], count[64];
  if (lunet_random_split(r, n, w, (int)k, idx, count) < 0) return lunet_core_error(L, "random_split");
  for (int j = 0; j < k; j++) { /* every part gets a box first: an error frees them all */
    lunet_rowindex_t *b = lunet_push_rowindex(L);
    b->idx = idx[j];
    b->n = count[j];
  }
  return (int)k;
}

/* data_mask(mask, n, where) -> RowIndex of rows whose mask is non-zero/true.
 * mask: a tensor of n numbers or a Lua array of n booleans. */
static int d_mask(lua_State *L) {
  int64_t n = check_rows(L, 2, "mask");
  const char *where = luaL_checkstring(L, 3);
  lunet_tensor_t *t = lunet_test_tensor(L, 1);
  lunet_rowindex_t *b = lunet_push_rowindex(L);
  if (t) {
    if (lunet_tensor_numel(t) != n)
      return luaL_error(L, "%s: mask has %I entries, frame has %I rows", where, (lua_Integer)lunet_tensor_numel(t),
                        (lua_Integer)n);
    lunet_tensor_t *ct = lunet_tensor_contiguous(t);
    if (!ct) return lunet_core_error(L, where);
    int rc = lunet_mask_positions(lunet_tensor_data(ct), n, &b->idx, &b->n);
    lunet_tensor_free(ct);
    if (rc < 0) return lunet_core_error(L, where);
    return 1;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  if (luaL_len(L, 1) != n)
    return luaL_error(L, "%s: mask has %I entries, frame has %I rows", where, (lua_Integer)luaL_len(L, 1),
                      (lua_Integer)n);
  if (!(b->idx = lunet_malloc((size_t)n * sizeof *b->idx))) return lunet_core_error(L, where);
  for (lua_Integer i = 1; i <= n; i++) {
    int ty = lua_geti(L, 1, i);
    if (ty != LUA_TBOOLEAN)
      return luaL_error(L, "%s: mask entry %I is a %s, expected a boolean", where, (lua_Integer)i,
                        luaL_typename(L, -1));
    if (lua_toboolean(L, -1)) b->idx[b->n++] = i - 1;
    lua_pop(L, 1);
  }
  return 1;
}

/* data_range(first, count) -> RowIndex first-1 .. first+count-2 */
static int d_range(lua_State *L) {
  lua_Integer first = luaL_checkinteger(L, 1), count = luaL_checkinteger(L, 2);
  if (first < 1 || count < 0 || count > LLONG_MAX - first)
    return luaL_error(L, "range: rows %I+%I out of range", (lua_Integer)first, (lua_Integer)count);
  lunet_rowindex_t *b = lunet_push_rowindex(L);
  if (!(b->idx = lunet_malloc((size_t)count * sizeof *b->idx))) return lunet_core_error(L, "range");
  for (lua_Integer i = 0; i < count; i++) b->idx[i] = first - 1 + i;
  b->n = count;
  return 1;
}

/* ---- feature kernels ---- */

/* data_assemble({columns}, where) -> tensor (rows, total width) */
static int d_assemble(lua_State *L) {
  const char *where = luaL_checkstring(L, 2);
  int n;
  lunet_column_t **cols = lunet_check_columns(L, 1, where, &n);
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

/* data_stats(x (rows, d)) -> mean, std (unbiased), min, max as Lua arrays;
 * data_moments(x) -> mean, m2 (sum of squared deviations), min, max */
static int stats(lua_State *L, int moments) {
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
  if (!s || (moments ? lunet_colmoments : lunet_colstats)(x, s, s + d, s + 2 * d, s + 3 * d) < 0) {
    free(s);
    lunet_tensor_free(x);
    return lunet_core_error(L, "stats");
  }
  for (int k = 0; k < 4; k++) push_doubles(L, s + k * d, d);
  free(s);
  lunet_tensor_free(x);
  return 4;
}
static int d_stats(lua_State *L) { return stats(L, 0); }
static int d_moments(lua_State *L) { return stats(L, 1); }

/* data_one_hot(idx (rows), dim, where) -> (rows, dim) */
static int d_one_hot(lua_State *L) {
  lunet_tensor_t *x = lunet_check_tensor(L, 1);
  lua_Integer dim = luaL_checkinteger(L, 2);
  const char *where = luaL_checkstring(L, 3);
  if (x->ndim != 1) return luaL_error(L, "%s: input must be a scalar column", where);
  if (dim < 1 || dim > INT_MAX) return luaL_error(L, "%s: output_dim %I out of range", where, (lua_Integer)dim);
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
  if (x->ndim != 2 || x->shape[1] < 1) return luaL_error(L, "%s: input must be a vector column (rows, d)", where);
  lunet_tensor_t *ct = lunet_tensor_contiguous(x);
  lunet_tensor_t *t = ct ? lunet_argmax_rows(ct) : NULL;
  lunet_tensor_free(ct);
  if (!t) return lunet_core_error(L, where);
  lunet_push_tensor(L, t);
  return 1;
}

/* data_index_to_string(idx column, labels, where) -> string column */
static int d_index_to_string(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const char *where = luaL_checkstring(L, 3);
  if (c->type == LUNET_COL_STRING || c->type == LUNET_COL_VECTOR)
    return luaL_error(L, "%s: input column is %s, expected numeric indices", where, lunet_coltype_name(c->type));
  lua_Integer n = luaL_len(L, 2);
  if (n < 0 || n > INT32_MAX) return luaL_error(L, "%s: %I labels", where, (lua_Integer)n);
  lunet_strdict_t *d = lunet_strdict_new();
  int32_t *codes = d ? lunet_malloc((size_t)c->rows * sizeof *codes) : NULL;
  if (!codes) { lunet_strdict_free(d); return lunet_core_error(L, where); }
  for (int i = 0; i < n; i++) {
    size_t len;
    const char *s = lua_geti(L, 2, i + 1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
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
      lunet_fail("%s: row %lld holds %g, expected an index in [0, %lld)", where, (long long)i + 1, v, (long long)n);
      return lunet_core_error(L, NULL);
    }
    codes[i] = (int32_t)v;
  }
  lunet_push_column(L, lunet_column_new_str(codes, c->rows, d), where);
  return 1;
}

const luaL_Reg lunet_data_row_functions[] = {
    {"data_permutation", d_permutation}, {"data_split", d_split}, {"data_mask", d_mask},
    {"data_range", d_range}, {"data_assemble", d_assemble}, {"data_stats", d_stats},
    {"data_moments", d_moments},
    {"data_one_hot", d_one_hot}, {"data_argmax_rows", d_argmax_rows},
    {"data_index_to_string", d_index_to_string}, {NULL, NULL}};
