/* Lua binding of lunet.Tensor: the userdata, constructors, inspection, element
 * access, views and copies (arithmetic, reductions, printing: ltensor_ops.c). A
 * box owns one reference to a C tensor; __close and __gc drop it. Indices are
 * 1-based here, 0-based in C. lua/lunet/tensor.lua checks the constructors'
 * arguments; C checks what memory safety needs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "ltensor.h"
#include "rng.h"

#define shape_of lunet_tensor_shape_of
#define check_dim lunet_tensor_check_dim

lunet_tensor_t *lunet_test_tensor(lua_State *L, int idx) {
  lunet_tensor_box *b = luaL_testudata(L, idx, LUNET_TENSOR_MT);
  return b ? b->t : NULL;
}

lunet_tensor_t *lunet_check_tensor(lua_State *L, int idx) {
  lunet_tensor_box *b = luaL_checkudata(L, idx, LUNET_TENSOR_MT);
  if (!b->t) luaL_argerror(L, idx, "tensor was closed");
  return b->t;
}

void lunet_push_tensor(lua_State *L, lunet_tensor_t *t) {
  if (!t) lunet_core_error(L, NULL);
  lunet_tensor_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->t = t;
  luaL_setmetatable(L, LUNET_TENSOR_MT);
}

char *lunet_tensor_shape_of(char *buf, const lunet_tensor_t *t) {
  return lunet_shape_str(buf, LUNET_SHAPE_STR_MAX, t->ndim, t->shape);
}

/* 1-based (negative from the end) dimension argument -> 0-based. */
int lunet_tensor_check_dim(lua_State *L, int arg, const lunet_tensor_t *t, const char *where) {
  lua_Integer d = luaL_checkinteger(L, arg);
  lua_Integer d0 = d < 0 ? t->ndim + d : d - 1;
  if (d0 < 0 || d0 >= t->ndim) {
    char s[LUNET_SHAPE_STR_MAX];
    luaL_error(L, "%s: dimension %I out of range for tensor %s", where, (lua_Integer)d, shape_of(s, t));
  }
  return (int)d0;
}

/* A shape given as a table {2, 3} or as sizes 2, 3 from argument first on;
 * *next is set to the first argument after the shape. */
static int read_shape_args(lua_State *L, int first, int64_t *shape, int allow_infer, const char *where,
                           int *next) {
  if (lua_istable(L, first)) {
    *next = first + 1;
    return lunet_read_shape(L, first, shape, allow_infer, where);
  }
  int n = 0, top = lua_gettop(L);
  for (int i = first; i <= top && lua_type(L, i) == LUA_TNUMBER; i++) {
    if (n == LUNET_MAX_DIMS)
      luaL_error(L, "%s: tensors have at most %d dimensions", where, LUNET_MAX_DIMS);
    int ok;
    lua_Integer v = lua_tointegerx(L, i, &ok);
    if (!ok) luaL_error(L, "%s: size %d must be an integer, got %s", where, n + 1, lua_tostring(L, i));
    if (v < 0 && !(allow_infer && v == -1))
      luaL_error(L, "%s: size %d must be non-negative, got %I", where, n + 1, v);
    shape[n++] = v;
  }
  if (n == 0 && first <= top && !lua_isnil(L, first))
    luaL_error(L, "%s: shape must be a table of sizes or sizes, got %s", where, luaL_typename(L, first));
  *next = first + n;
  return n;
}

/* ---- constructors ---- */

/* Walks a nested table to find its shape, checking it is rectangular. */
static void nested_shape(lua_State *L, int idx, int depth, int *ndim, int64_t *shape) {
  if (lua_type(L, idx) == LUA_TNUMBER) { *ndim = depth; return; }
  if (!lua_istable(L, idx))
    luaL_error(L, "tensor: expected a number or a table at depth %d, got %s", depth + 1, luaL_typename(L, idx));
  if (depth == LUNET_MAX_DIMS) luaL_error(L, "tensor: more than %d nested levels", LUNET_MAX_DIMS);
  shape[depth] = (int64_t)luaL_len(L, idx);
  if (shape[depth] == 0) { *ndim = depth + 1; return; }
  lua_geti(L, idx, 1);
  nested_shape(L, lua_gettop(L), depth + 1, ndim, shape);
  lua_pop(L, 1);
}

static void nested_fill(lua_State *L, int idx, int depth, int ndim, const int64_t *shape, float **out,
                        char *path, size_t pathlen) {
  if (depth == ndim) {
    int ok;
    lua_Number v = lua_tonumberx(L, idx, &ok);
    if (!ok || lua_type(L, idx) != LUA_TNUMBER)
      luaL_error(L, "tensor: element %s is a %s, expected a number", path, luaL_typename(L, idx));
    *(*out)++ = (float)v;
    return;
  }
  if (!lua_istable(L, idx))
    luaL_error(L, "tensor: element %s is a %s, expected a table of %I entries", path, luaL_typename(L, idx),
               (lua_Integer)shape[depth]);
  lua_Integer n = luaL_len(L, idx);
  if (n != shape[depth])
    luaL_error(L, "tensor: ragged nested table: %s has %I entries, expected %I", pathlen ? path : "the table",
               n, (lua_Integer)shape[depth]);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, idx, i);
    int w = snprintf(path + pathlen, 128 - pathlen, "[%lld]", (long long)i);
    nested_fill(L, lua_gettop(L), depth + 1, ndim, shape, out, path, pathlen + (size_t)(w > 0 ? w : 0));
    path[pathlen] = '\0';
    lua_pop(L, 1);
  }
}

static int l_tensor(lua_State *L) {
  if (luaL_testudata(L, 1, LUNET_TENSOR_MT)) {
    lunet_tensor_t *src = lunet_check_tensor(L, 1); lunet_push_tensor(L, lunet_tensor_clone(src)); return 1; }
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lunet_tensor_t *t = lunet_tensor_new(0, NULL);
    if (t) lunet_tensor_data(t)[0] = (float)lua_tonumber(L, 1);
    lunet_push_tensor(L, t);
    return 1;
  }
  luaL_argexpected(L, lua_istable(L, 1), 1, "table or number");
  int ndim = 0;
  int64_t shape[LUNET_MAX_DIMS];
  nested_shape(L, 1, 0, &ndim, shape);
  lunet_tensor_t *t = lunet_tensor_new_uninit(ndim, shape);
  if (!t) return lunet_core_error(L, "tensor");
  lunet_push_tensor(L, t); /* owned by Lua now: a ragged-table error cannot leak it */
  float *p = lunet_tensor_data(t);
  char path[128] = "";
  nested_fill(L, 1, 0, ndim, shape, &p, path, 0);
  return 1;
}

static int push_new(lua_State *L, const char *where, int64_t *shape, int ndim) {
  lunet_tensor_t *t = lunet_tensor_new(ndim, shape);
  if (!t) return lunet_core_error(L, where);
  lunet_push_tensor(L, t);
  return 1;
}

static int l_zeros(lua_State *L) {
  int64_t shape[LUNET_MAX_DIMS];
  int next, n = read_shape_args(L, 1, shape, 0, "zeros", &next);
  return push_new(L, "zeros", shape, n);
}

static int fill_new(lua_State *L, const char *where, float v) {
  int64_t shape[LUNET_MAX_DIMS];
  int next, n = read_shape_args(L, 1, shape, 0, where, &next);
  push_new(L, where, shape, n);
  lunet_tensor_fill(lunet_check_tensor(L, -1), v);
  return 1;
}

static int l_ones(lua_State *L) { return fill_new(L, "ones", 1.0f); }

static int l_full(lua_State *L) {
  int64_t shape[LUNET_MAX_DIMS];
  int next, n = read_shape_args(L, 1, shape, 0, "full", &next);
  float v = (float)luaL_checknumber(L, next);
  push_new(L, "full", shape, n);
  lunet_tensor_fill(lunet_check_tensor(L, -1), v);
  return 1;
}

/* rand/randn: shape then an optional {seed=, low=, high=} / {seed=, mean=,
 * std=} (checked by lua/lunet/tensor.lua); without a seed the default
 * generator advances, so consecutive calls differ but a run is reproducible. */
static int random_new(lua_State *L, int normal) {
  const char *where = normal ? "randn" : "rand";
  int64_t shape[LUNET_MAX_DIMS];
  int next, n = read_shape_args(L, 1, shape, 0, where, &next);
  lunet_rng_t local, *rng = lunet_rng_default();
  if (lua_istable(L, next)) {
    lua_getfield(L, next, "seed");
    if (!lua_isnil(L, -1)) {
      int ok;
      lua_Integer seed = lua_tointegerx(L, -1, &ok);
      if (!ok) luaL_error(L, "%s: option 'seed' must be an integer", where);
      lunet_rng_seed(&local, (uint64_t)seed);
      rng = &local;
    }
    lua_pop(L, 1);
  }
  float a = (float)lunet_opt_number(L, next, normal ? "mean" : "low", 0.0, where);
  float b = (float)lunet_opt_number(L, next, normal ? "std" : "high", 1.0, where);
  push_new(L, where, shape, n);
  lunet_tensor_t *t = lunet_check_tensor(L, -1);
  size_t numel = (size_t)lunet_tensor_numel(t);
  if (normal) lunet_rng_fill_normal(rng, lunet_tensor_data(t), numel, a, b);
  else lunet_rng_fill_uniform(rng, lunet_tensor_data(t), numel, a, b);
  return 1;
}

static int l_rand(lua_State *L) { return random_new(L, 0); }
static int l_randn(lua_State *L) { return random_new(L, 1); }

static int l_is_tensor(lua_State *L) {
  lua_pushboolean(L, lunet_test_tensor(L, 1) != NULL);
  return 1;
}

/* ---- inspection ---- */

static int m_shape(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  lunet_push_shape(L, t->ndim, t->shape);
  return 1;
}

static int m_size(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  if (lua_isnoneornil(L, 2)) { lunet_push_shape(L, t->ndim, t->shape); return 1; }
  lua_pushinteger(L, t->shape[check_dim(L, 2, t, "Tensor:size")]);
  return 1;
}

static int m_numel(lua_State *L) {
  lua_pushinteger(L, lunet_tensor_numel(lunet_check_tensor(L, 1)));
  return 1;
}

static int m_dim(lua_State *L) {
  lua_pushinteger(L, lunet_check_tensor(L, 1)->ndim);
  return 1;
}

static int m_len(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  if (t->ndim == 0) return luaL_error(L, "Tensor: a 0-d tensor has no length");
  lua_pushinteger(L, t->shape[0]);
  return 1;
}

static int m_is_contiguous(lua_State *L) {
  lua_pushboolean(L, lunet_tensor_is_contiguous(lunet_check_tensor(L, 1)));
  return 1;
}

/* References to the storage: > 1 while a view or an in-flight zero-copy send holds it. */
static int m_storage_refs(lua_State *L) {
  lua_pushinteger(L, atomic_load(&lunet_check_tensor(L, 1)->storage->refs));
  return 1;
}

static int m_data_ptr(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)(intptr_t)lunet_tensor_data(lunet_check_tensor(L, 1)));
  return 1;
}

/* Reads ndim 1-based indices from argument first on into idx (0-based). */
static void read_index(lua_State *L, lunet_tensor_t *t, int first, int count, int64_t *idx,
                       const char *where) {
  char s[LUNET_SHAPE_STR_MAX];
  if (count != t->ndim)
    luaL_error(L, "%s: tensor %s needs %d indices, got %d", where, shape_of(s, t), t->ndim, count);
  for (int i = 0; i < count; i++) {
    int ok;
    lua_Integer v = lua_tointegerx(L, first + i, &ok);
    if (!ok)
      luaL_error(L, "%s: index %d must be an integer, got %s", where, i + 1,
                 lua_type(L, first + i) == LUA_TNUMBER ? lua_tostring(L, first + i)
                                                       : luaL_typename(L, first + i));
    if (v < 1 || v > t->shape[i])
      luaL_error(L, "%s: index %I out of range for dimension %d of size %I", where, (lua_Integer)v, i + 1,
                 (lua_Integer)t->shape[i]);
    idx[i] = v - 1;
  }
}

static int m_get(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  int64_t idx[LUNET_MAX_DIMS];
  read_index(L, t, 2, lua_gettop(L) - 1, idx, "Tensor:get");
  lua_pushnumber(L, *lunet_tensor_at(t, idx));
  return 1;
}

static int m_set(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  int top = lua_gettop(L);
  int64_t idx[LUNET_MAX_DIMS];
  if (top < 2) return luaL_error(L, "Tensor:set: missing the value");
  read_index(L, t, 2, top - 2, idx, "Tensor:set");
  *lunet_tensor_at(t, idx) = (float)luaL_checknumber(L, top);
  lua_settop(L, 1);
  return 1;
}

/* ---- views ---- */

static int m_view(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  int64_t shape[LUNET_MAX_DIMS];
  int next, n = read_shape_args(L, 2, shape, 1, "Tensor:view", &next);
  if (next <= lua_gettop(L)) /* view(2, "3") is not view(2) */
    return luaL_error(L, "Tensor:view: argument %d is not a size, got %s", next, luaL_typename(L, next));
  lunet_tensor_t *v = lunet_tensor_view(t, n, shape);
  if (!v) return lunet_core_error(L, "Tensor:view");
  lunet_push_tensor(L, v);
  return 1;
}

static int m_narrow(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  int dim = check_dim(L, 2, t, "Tensor:narrow");
  lua_Integer start = luaL_checkinteger(L, 3), len = luaL_checkinteger(L, 4);
  if (start < 1 || start > t->shape[dim] + 1 || len < 0 || len > t->shape[dim])
    return luaL_error(L, "Tensor:narrow: elements %I..+%I out of range for dimension %d of size %I", start, len,
                      dim + 1, (lua_Integer)t->shape[dim]);
  lunet_tensor_t *v = lunet_tensor_narrow(t, dim, start - 1, len);
  if (!v) return lunet_core_error(L, "Tensor:narrow");
  lunet_push_tensor(L, v);
  return 1;
}

static int m_transpose(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  int d0 = check_dim(L, 2, t, "Tensor:transpose"), d1 = check_dim(L, 3, t, "Tensor:transpose");
  lunet_push_tensor(L, lunet_tensor_transpose(t, d0, d1));
  return 1;
}

static int m_t(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  char s[LUNET_SHAPE_STR_MAX];
  if (t->ndim != 2) return luaL_error(L, "Tensor:t: needs a 2-D tensor, got %s", shape_of(s, t));
  lunet_push_tensor(L, lunet_tensor_transpose(t, 0, 1));
  return 1;
}

static int m_contiguous(lua_State *L) {
  lunet_push_tensor(L, lunet_tensor_contiguous(lunet_check_tensor(L, 1)));
  return 1;
}

/* ---- copies ---- */

static int m_copy(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1), *src = lunet_check_tensor(L, 2);
  if (lunet_tensor_copy(t, src) < 0) return lunet_core_error(L, "Tensor:copy");
  lua_settop(L, 1);
  return 1;
}

static int m_clone(lua_State *L) {
  lunet_push_tensor(L, lunet_tensor_clone(lunet_check_tensor(L, 1)));
  return 1;
}

static int m_fill(lua_State *L) {
  lunet_tensor_fill(lunet_check_tensor(L, 1), (float)luaL_checknumber(L, 2));
  lua_settop(L, 1);
  return 1;
}

static int m_free(lua_State *L) {
  lunet_tensor_box *b = luaL_checkudata(L, 1, LUNET_TENSOR_MT);
  lunet_tensor_free(b->t);
  b->t = NULL;
  return 0;
}

static const luaL_Reg methods[] = {
    {"shape", m_shape}, {"size", m_size}, {"numel", m_numel}, {"dim", m_dim},
    {"is_contiguous", m_is_contiguous}, {"data_ptr", m_data_ptr}, {"storage_refs", m_storage_refs}, {"get", m_get}, {"set", m_set},
    {"view", m_view}, {"reshape", m_view}, {"narrow", m_narrow}, {"transpose", m_transpose}, {"t", m_t},
    {"contiguous", m_contiguous}, {"copy", m_copy}, {"clone", m_clone}, {"fill", m_fill}, {"close", m_free},
    {NULL, NULL}};

static const luaL_Reg metamethods[] = {
    {"__len", m_len}, {"__gc", m_free}, {"__close", m_free}, {NULL, NULL}};

static const luaL_Reg functions[] = {
    {"tensor", l_tensor}, {"zeros", l_zeros}, {"ones", l_ones}, {"full", l_full}, {"rand", l_rand},
    {"randn", l_randn}, {"is_tensor", l_is_tensor}, {NULL, NULL}};

void lunet_open_tensor(lua_State *L) {
  luaL_newmetatable(L, LUNET_TENSOR_MT);
  luaL_setfuncs(L, metamethods, 0);
  luaL_setfuncs(L, lunet_tensor_op_metamethods, 0);
  luaL_newlib(L, methods);
  luaL_setfuncs(L, lunet_tensor_op_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_getfield(L, -1, "__index");
  lua_pushvalue(L, -1);
  lua_setfield(L, -4, "Tensor"); /* core.Tensor = the method table, for extensions */
  /* and package.loaded["lunet.Tensor"], so an argument error in a pcall or tail
   * call names 'lunet.Tensor.narrow', not '?' */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_insert(L, -2);
  lua_setfield(L, -2, "lunet.Tensor");
  lua_pop(L, 2);
  luaL_setfuncs(L, functions, 0);
}
