/* Lua binding of the missing-value kernels (core/data/missing.c):
 * feature.Imputer, df:dropna and the NaN checks of lua/lunet/data/missing.lua
 * call these; the Lua side checks users' values, here only what memory
 * safety needs. */
#include <math.h>
#include <string.h>

#include "common.h"
#include "ldata.h"
#include "missing.h"

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

const luaL_Reg lunet_data_missing_functions[] = {{"data_first_nan", d_first_nan},
                                                 {"data_complete_rows", d_complete_rows},
                                                 {"data_impute_fit", d_impute_fit},
                                                 {"data_impute", d_impute},
                                                 {NULL, NULL}};
