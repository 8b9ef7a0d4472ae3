/* Lua binding of the missing-value kernels (core/data/missing.c):
 * feature.Imputer, df:dropna and the NaN checks of lua/lunet/data/missing.lua
 * call these; the Lua side checks users' values, here only what memory
 * safety needs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ldata.h"
#include "missing.h"
#include "quantile.h"

#define QUANTILES_MT "lunet.Quantiles"

/* data_first_nan(column) -> nil, or row, element (1-based) of its first NaN */
static int d_first_nan(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  int64_t elem;
  int64_t row = lunet_column_first_nan(c, &elem);
  if (row < 0) return 0;
  lua_pushinteger(L, (lua_Integer)row + 1);
  lua_pushinteger(L, (lua_Integer)elem + 1);
  return 2;
}

/* data_complete_rows({columns}, where) -> RowIndex of the rows without NaN */
static int d_complete_rows(lua_State *L) {
  const char *where = luaL_checkstring(L, 2);
  int n;
  lunet_column_t **cols = lunet_check_columns(L, 1, where, &n);
  lunet_rowindex_t *b = lunet_push_rowindex(L);
  if (lunet_complete_rows(cols, n, &b->idx, &b->n) < 0) return lunet_core_error(L, where);
  return 1;
}

static const char *const STRATEGIES[] = {"mean", "median", "mode", NULL};

/* data_impute_fit(column, missing, strategy, where) -> surrogate, valid rows */
static int d_impute_fit(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  double missing = luaL_checknumber(L, 2);
  int how = luaL_checkoption(L, 3, NULL, STRATEGIES);
  const char *where = luaL_checkstring(L, 4);
  double surrogate;
  int64_t valid;
  if (lunet_impute_fit(c, missing, (lunet_impute_t)how, &surrogate, &valid) < 0) return lunet_core_error(L, where);
  lua_pushnumber(L, surrogate);
  lua_pushinteger(L, (lua_Integer)valid);
  return 2;
}

/* data_impute(column, missing, surrogate, where) -> column */
static int d_impute(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  double missing = luaL_checknumber(L, 2), surrogate = luaL_checknumber(L, 3);
  const char *where = luaL_checkstring(L, 4);
  lunet_push_column(L, lunet_impute(c, missing, surrogate), where);
  return 1;
}

/* data_value_counts(column, missing, where) -> values, counts: the distinct
 * present values, ascending, and how often each occurs (a streaming mode
 * adds these up chunk by chunk) */
static int d_value_counts(lua_State *L) {
  lunet_column_t *c = lunet_check_column(L, 1);
  double missing = luaL_checknumber(L, 2);
  const char *where = luaL_checkstring(L, 3);
  double *v;
  int64_t n;
  if (lunet_column_present_sorted(c, missing, &v, &n) < 0) return lunet_core_error(L, where);
  lua_newtable(L);
  lua_newtable(L);
  int64_t k = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && v[j] == v[i]) j++;
    k++;
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -3, k);
    lua_pushinteger(L, (lua_Integer)(j - i));
    lua_rawseti(L, -2, k);
    i = j;
  }
  free(v);
  return 2;
}

static lunet_quantiles_t **check_quantiles(lua_State *L) {
  lunet_quantiles_t **b = luaL_checkudata(L, 1, QUANTILES_MT);
  if (!*b) luaL_error(L, "quantile summary is freed");
  return b;
}

static int quantiles_gc(lua_State *L) {
  lunet_quantiles_t **b = luaL_checkudata(L, 1, QUANTILES_MT);
  lunet_quantiles_free(*b);
  *b = NULL;
  return 0;
}

/* q:add(column, missing, where) -> the present values added */
static int quantiles_add(lua_State *L) {
  lunet_quantiles_t *q = *check_quantiles(L);
  lunet_column_t *c = lunet_check_column(L, 2);
  double missing = luaL_checknumber(L, 3);
  const char *where = luaL_checkstring(L, 4);
  double *v;
  int64_t n;
  if (lunet_column_present_sorted(c, missing, &v, &n) < 0) return lunet_core_error(L, where);
  int rc = lunet_quantiles_add_sorted(q, v, n);
  free(v);
  if (rc < 0) return lunet_core_error(L, where);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/* q:query(p) -> the approximate p-quantile, the values added, the entries kept */
static int quantiles_query(lua_State *L) {
  lunet_quantiles_t *q = *check_quantiles(L);
  double p = luaL_checknumber(L, 2);
  luaL_argcheck(L, p >= 0 && p <= 1, 2, "p must be in [0, 1]");
  lua_pushnumber(L, lunet_quantiles_query(q, p));
  lua_pushinteger(L, (lua_Integer)q->count);
  lua_pushinteger(L, (lua_Integer)q->n);
  return 3;
}

/* data_quantiles(relative_error) -> an empty summary (quantile.h) */
static int d_quantiles(lua_State *L) {
  double eps = luaL_checknumber(L, 1);
  lunet_quantiles_t **b = lua_newuserdatauv(L, sizeof *b, 0);
  *b = NULL;
  if (luaL_newmetatable(L, QUANTILES_MT)) {
    static const luaL_Reg methods[] = {{"add", quantiles_add}, {"query", quantiles_query}, {NULL, NULL}};
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, quantiles_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  if (!(*b = lunet_quantiles_new(eps))) return lunet_core_error(L, "quantiles");
  return 1;
}

const luaL_Reg lunet_data_missing_functions[] = {{"data_first_nan", d_first_nan},
                                                 {"data_complete_rows", d_complete_rows},
                                                 {"data_impute_fit", d_impute_fit},
                                                 {"data_impute", d_impute},
                                                 {"data_value_counts", d_value_counts},
                                                 {"data_quantiles", d_quantiles},
                                                 {NULL, NULL}};
