/* Lua binding of lunet.Tensor: constructors, views, arithmetic, reductions and
 * printing. A userdata box owns exactly one reference to a C tensor; __close
 * and __gc drop it. Dimensions and indices are 1-based here, 0-based in C. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "lbind.h"
#include "rng.h"

typedef struct {
  lunet_tensor_t *t;
} tensor_box;

lunet_tensor_t *lunet_test_tensor(lua_State *L, int idx) {
  tensor_box *b = luaL_testudata(L, idx, LUNET_TENSOR_MT);
  return b ? b->t : NULL;
}

lunet_tensor_t *lunet_check_tensor(lua_State *L, int idx) {
  tensor_box *b = luaL_checkudata(L, idx, LUNET_TENSOR_MT);
  if (!b->t) luaL_argerror(L, idx, "tensor was closed");
  return b->t;
}

void lunet_push_tensor(lua_State *L, lunet_tensor_t *t) {
  if (!t) luaL_error(L, "%s", lunet_errmsg());
  tensor_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->t = t;
  luaL_setmetatable(L, LUNET_TENSOR_MT);
}

static char *shape_of(char *buf, const lunet_tensor_t *t) {
  return lunet_shape_str(buf, LUNET_SHAPE_STR_MAX, t->ndim, t->shape);
}

/* 1-based (negative from the end) dimension argument -> 0-based. */
static int check_dim(lua_State *L, int arg, const lunet_tensor_t *t, const char *where) {
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
      luaL_error(L, "%s: size %d must be non-negative, got %d", where, n + 1, (int)v);
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
    luaL_error(L, "tensor: element %s is a %s, expected a table of %d entries", path, luaL_typename(L, idx),
               (int)shape[depth]);
  lua_Integer n = luaL_len(L, idx);
  if (n != shape[depth])
    luaL_error(L, "tensor: ragged nested table: %s has %d entries, expected %d", pathlen ? path : "the table",
               (int)n, (int)shape[depth]);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, idx, i);
    int w = snprintf(path + pathlen, 128 - pathlen, "[%d]", (int)i);
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

/* rand/randn: shape then an optional {seed=, ...}; without a seed the default
 * generator advances, so consecutive calls differ but a run is reproducible. */
static int random_new(lua_State *L, int normal) {
  const char *where = normal ? "randn" : "rand";
  static const char *const rand_opts[] = {"seed", "low", "high", NULL};
  static const char *const randn_opts[] = {"seed", "mean", "std", NULL};
  int64_t shape[LUNET_MAX_DIMS];
  int next, n = read_shape_args(L, 1, shape, 0, where, &next);
  lunet_check_options(L, next, where, normal ? randn_opts : rand_opts);
  lunet_rng_t local, *rng = lunet_rng_default();
  if (!lua_isnoneornil(L, next)) {
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
  if (!normal && !(a < b)) luaL_error(L, "rand: low (%f) must be below high (%f)", (double)a, (double)b);
  if (normal && !(b >= 0)) luaL_error(L, "randn: std must be non-negative, got %f", (double)b);
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

/* ---- arithmetic ---- */

static const char *const binop_names[] = {"add", "sub", "mul", "div"};

/* A tensor operand, or a number wrapped as a 0-d tensor on the C stack. */
typedef struct {
  lunet_storage_t storage;
  lunet_tensor_t tensor;
  float value;
} operand;

static const lunet_tensor_t *get_operand(lua_State *L, int idx, operand *o, const char *where) {
  if (luaL_testudata(L, idx, LUNET_TENSOR_MT)) return lunet_check_tensor(L, idx);
  if (lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "%s: operand must be a tensor or a number, got %s", where, luaL_typename(L, idx));
  memset(o, 0, sizeof *o);
  o->value = (float)lua_tonumber(L, idx);
  o->storage.data = &o->value;
  o->storage.numel = 1;
  o->tensor.storage = &o->storage;
  o->tensor.ndim = 0;
  return &o->tensor;
}

static int binop(lua_State *L, lunet_binop_t op, int inplace, int a_idx, int b_idx) {
  char where[32];
  snprintf(where, sizeof where, "Tensor:%s%s", binop_names[op], inplace ? "_" : "");
  operand oa, ob;
  const lunet_tensor_t *a = get_operand(L, a_idx, &oa, where);
  const lunet_tensor_t *b = get_operand(L, b_idx, &ob, where);
  int ndim;
  int64_t shape[LUNET_MAX_DIMS];
  if (lunet_tensor_broadcast_shape(a, b, &ndim, shape) < 0) return lunet_core_error(L, where);
  lunet_tensor_t *out;
  if (inplace) {
    out = lunet_check_tensor(L, 1);
    if (lunet_tensor_binop(out, a, op, b) < 0) return lunet_core_error(L, where);
    lua_settop(L, 1);
    return 1;
  }
  out = lunet_tensor_new_uninit(ndim, shape);
  if (!out) return lunet_core_error(L, where);
  lunet_push_tensor(L, out);
  if (lunet_tensor_binop(out, a, op, b) < 0) return lunet_core_error(L, where);
  return 1;
}

static int m_add(lua_State *L) { lunet_check_tensor(L, 1); return binop(L, LUNET_OP_ADD, 0, 1, 2); }
static int m_sub(lua_State *L) { lunet_check_tensor(L, 1); return binop(L, LUNET_OP_SUB, 0, 1, 2); }
static int m_mul(lua_State *L) { lunet_check_tensor(L, 1); return binop(L, LUNET_OP_MUL, 0, 1, 2); }
static int m_div(lua_State *L) { lunet_check_tensor(L, 1); return binop(L, LUNET_OP_DIV, 0, 1, 2); }
static int m_add_(lua_State *L) { lunet_check_tensor(L, 1); return binop(L, LUNET_OP_ADD, 1, 1, 2); }
static int m_sub_(lua_State *L) { lunet_check_tensor(L, 1); return binop(L, LUNET_OP_SUB, 1, 1, 2); }
static int m_mul_(lua_State *L) { lunet_check_tensor(L, 1); return binop(L, LUNET_OP_MUL, 1, 1, 2); }
static int m_div_(lua_State *L) { lunet_check_tensor(L, 1); return binop(L, LUNET_OP_DIV, 1, 1, 2); }
/* metamethods: either side may be the number */
static int mm_add(lua_State *L) { return binop(L, LUNET_OP_ADD, 0, 1, 2); }
static int mm_sub(lua_State *L) { return binop(L, LUNET_OP_SUB, 0, 1, 2); }
static int mm_mul(lua_State *L) { return binop(L, LUNET_OP_MUL, 0, 1, 2); }
static int mm_div(lua_State *L) { return binop(L, LUNET_OP_DIV, 0, 1, 2); }

static int scale(lua_State *L, int inplace) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  float s = (float)luaL_checknumber(L, 2);
  lunet_tensor_t *out = t;
  if (!inplace) {
    out = lunet_tensor_new_uninit(t->ndim, t->shape);
    lunet_push_tensor(L, out);
  }
  lunet_tensor_binop_scalar(out, t, LUNET_OP_MUL, s);
  if (inplace) lua_settop(L, 1);
  return 1;
}

static int m_scale(lua_State *L) { return scale(L, 0); }
static int m_scale_(lua_State *L) { return scale(L, 1); }

static int map(lua_State *L, lunet_map_t f) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  lunet_tensor_t *out = lunet_tensor_new_uninit(t->ndim, t->shape);
  lunet_push_tensor(L, out);
  lunet_tensor_map(out, t, f);
  return 1;
}

static int m_neg(lua_State *L) { return map(L, LUNET_MAP_NEG); }
static int m_abs(lua_State *L) { return map(L, LUNET_MAP_ABS); }
static int m_exp(lua_State *L) { return map(L, LUNET_MAP_EXP); }
static int m_log(lua_State *L) { return map(L, LUNET_MAP_LOG); }
static int m_sqrt(lua_State *L) { return map(L, LUNET_MAP_SQRT); }
static int m_square(lua_State *L) { return map(L, LUNET_MAP_SQUARE); }
static int m_relu(lua_State *L) { return map(L, LUNET_MAP_RELU); }
static int m_sigmoid(lua_State *L) { return map(L, LUNET_MAP_SIGMOID); }
static int m_tanh(lua_State *L) { return map(L, LUNET_MAP_TANH); }

static int m_matmul(lua_State *L) {
  lunet_tensor_t *a = lunet_check_tensor(L, 1), *b = lunet_check_tensor(L, 2);
  char x[LUNET_SHAPE_STR_MAX], y[LUNET_SHAPE_STR_MAX];
  if (a->ndim != 2 || b->ndim != 2)
    return luaL_error(L, "Tensor:matmul: needs two 2-D tensors, got %s and %s", shape_of(x, a), shape_of(y, b));
  int64_t shape[2] = {a->shape[0], b->shape[1]};
  if (a->shape[1] != b->shape[0])
    return luaL_error(L, "Tensor:matmul: shapes %s and %s do not match: %d columns vs %d rows",
                      shape_of(x, a), shape_of(y, b), (int)a->shape[1], (int)b->shape[0]);
  lunet_tensor_t *out = lunet_tensor_new_uninit(2, shape);
  lunet_push_tensor(L, out);
  if (lunet_tensor_matmul(out, a, b) < 0) return lunet_core_error(L, "Tensor:matmul");
  return 1;
}

/* ---- reductions ---- */

static int reduce(lua_State *L, lunet_reduce_t r, const char *where) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  int arg = (r == LUNET_RED_ARGMAX || r == LUNET_RED_ARGMIN);
  if (lua_isnoneornil(L, 2)) {
    double v;
    if (lunet_tensor_reduce_all(t, r, &v) < 0) return lunet_core_error(L, where);
    if (arg) lua_pushinteger(L, (lua_Integer)v + 1);
    else lua_pushnumber(L, v);
    return 1;
  }
  int dim = check_dim(L, 2, t, where);
  lunet_tensor_t *out = lunet_tensor_reduce_dim(t, r, dim);
  if (!out) return lunet_core_error(L, where);
  lunet_push_tensor(L, out);
  if (arg) lunet_tensor_binop_scalar(out, out, LUNET_OP_ADD, 1.0f);
  return 1;
}

static int m_sum(lua_State *L) { return reduce(L, LUNET_RED_SUM, "Tensor:sum"); }
static int m_mean(lua_State *L) { return reduce(L, LUNET_RED_MEAN, "Tensor:mean"); }
static int m_max(lua_State *L) { return reduce(L, LUNET_RED_MAX, "Tensor:max"); }
static int m_min(lua_State *L) { return reduce(L, LUNET_RED_MIN, "Tensor:min"); }
static int m_argmax(lua_State *L) { return reduce(L, LUNET_RED_ARGMAX, "Tensor:argmax"); }
static int m_argmin(lua_State *L) { return reduce(L, LUNET_RED_ARGMIN, "Tensor:argmin"); }

/* ---- conversion and printing ---- */

static void push_nested(lua_State *L, const lunet_tensor_t *t, int dim, const float *p) {
  if (dim >= t->ndim || dim >= LUNET_MAX_DIMS) { lua_pushnumber(L, *p); return; }
  lua_createtable(L, (int)t->shape[dim], 0);
  for (int64_t i = 0; i < t->shape[dim]; i++) {
    push_nested(L, t, dim + 1, p + i * t->stride[dim]);
    lua_rawseti(L, -2, i + 1);
  }
}

static int m_totable(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  luaL_checkstack(L, 2 * LUNET_MAX_DIMS + 4, "totable");
  push_nested(L, t, 0, lunet_tensor_data(t));
  return 1;
}

#define EDGE 3 /* elements shown at each end of an abbreviated dimension */

static void format_value(char *buf, size_t size, float v) {
  if (v == 0.0f) snprintf(buf, size, "0");
  else if (fabsf(v) >= 1e-4f && fabsf(v) < 1e6f) snprintf(buf, size, "%.4f", (double)v);
  else snprintf(buf, size, "%.4e", (double)v);
  /* trim trailing zeros of fixed notation: 1.5000 -> 1.5 */
  if (!strchr(buf, 'e') && strchr(buf, '.')) {
    char *e = buf + strlen(buf) - 1;
    while (*e == '0') *e-- = '\0';
    if (*e == '.') *e = '\0';
  }
}

static void print_dim(luaL_Buffer *b, const lunet_tensor_t *t, int dim, const float *p, int width) {
  char num[64];
  if (dim >= t->ndim || dim >= LUNET_MAX_DIMS) {
    format_value(num, sizeof num, *p);
    for (int pad = width - (int)strlen(num); pad > 0; pad--) luaL_addchar(b, ' ');
    luaL_addstring(b, num);
    return;
  }
  int64_t n = t->shape[dim];
  int abbreviate = n > 2 * EDGE + 1;
  luaL_addchar(b, '[');
  for (int64_t i = 0; i < n; i++) {
    if (abbreviate && i == EDGE) {
      luaL_addstring(b, dim == t->ndim - 1 ? "..., " : "...,\n");
      for (int k = 0; dim != t->ndim - 1 && k <= dim; k++) luaL_addchar(b, ' ');
      i = n - EDGE;
    }
    print_dim(b, t, dim + 1, p + i * t->stride[dim], width);
    if (i + 1 < n) {
      if (dim == t->ndim - 1) luaL_addstring(b, ", ");
      else {
        luaL_addchar(b, ',');
        for (int k = dim; k < t->ndim - 1; k++) luaL_addchar(b, '\n');
        for (int k = 0; k <= dim; k++) luaL_addchar(b, ' ');
      }
    }
  }
  luaL_addchar(b, ']');
}

/* Widest formatted value among the elements that will be shown. */
static int shown_width(const lunet_tensor_t *t, int dim, const float *p) {
  char num[64];
  if (dim >= t->ndim || dim >= LUNET_MAX_DIMS) { format_value(num, sizeof num, *p); return (int)strlen(num); }
  int w = 0;
  int64_t n = t->shape[dim];
  for (int64_t i = 0; i < n; i++) {
    if (n > 2 * EDGE + 1 && i == EDGE) i = n - EDGE;
    int x = shown_width(t, dim + 1, p + i * t->stride[dim]);
    if (x > w) w = x;
  }
  return w;
}

static int m_tostring(lua_State *L) {
  tensor_box *box = luaL_checkudata(L, 1, LUNET_TENSOR_MT);
  if (!box->t) { lua_pushliteral(L, "lunet.Tensor (closed)"); return 1; }
  lunet_tensor_t *t = box->t;
  char s[LUNET_SHAPE_STR_MAX];
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (lunet_tensor_numel(t) > 0) {
    print_dim(&b, t, 0, lunet_tensor_data(t), shown_width(t, 0, lunet_tensor_data(t)));
    luaL_addchar(&b, '\n');
  }
  luaL_addstring(&b, "[lunet.Tensor of shape ");
  luaL_addstring(&b, shape_of(s, t));
  luaL_addchar(&b, ']');
  luaL_pushresult(&b);
  return 1;
}

static int m_free(lua_State *L) {
  tensor_box *b = luaL_checkudata(L, 1, LUNET_TENSOR_MT);
  lunet_tensor_free(b->t);
  b->t = NULL;
  return 0;
}

static const luaL_Reg methods[] = {
    {"shape", m_shape}, {"size", m_size}, {"numel", m_numel}, {"dim", m_dim},
    {"is_contiguous", m_is_contiguous}, {"data_ptr", m_data_ptr}, {"storage_refs", m_storage_refs}, {"get", m_get}, {"set", m_set},
    {"view", m_view}, {"reshape", m_view}, {"narrow", m_narrow}, {"transpose", m_transpose}, {"t", m_t},
    {"contiguous", m_contiguous}, {"copy", m_copy}, {"clone", m_clone}, {"fill", m_fill},
    {"add", m_add}, {"sub", m_sub}, {"mul", m_mul}, {"div", m_div}, {"add_", m_add_}, {"sub_", m_sub_},
    {"mul_", m_mul_}, {"div_", m_div_}, {"scale", m_scale}, {"scale_", m_scale_}, {"neg", m_neg},
    {"abs", m_abs}, {"exp", m_exp}, {"log", m_log}, {"sqrt", m_sqrt}, {"square", m_square},
    {"relu", m_relu}, {"sigmoid", m_sigmoid}, {"tanh", m_tanh}, {"matmul", m_matmul}, {"sum", m_sum},
    {"mean", m_mean}, {"max", m_max}, {"min", m_min}, {"argmax", m_argmax}, {"argmin", m_argmin},
    {"totable", m_totable}, {"close", m_free}, {NULL, NULL}};

static const luaL_Reg metamethods[] = {
    {"__tostring", m_tostring}, {"__len", m_len}, {"__gc", m_free}, {"__close", m_free},
    {"__add", mm_add}, {"__sub", mm_sub}, {"__mul", mm_mul}, {"__div", mm_div}, {"__unm", m_neg},
    {NULL, NULL}};

static const luaL_Reg functions[] = {
    {"tensor", l_tensor}, {"zeros", l_zeros}, {"ones", l_ones}, {"full", l_full}, {"rand", l_rand},
    {"randn", l_randn}, {"is_tensor", l_is_tensor}, {NULL, NULL}};

void lunet_open_tensor(lua_State *L) {
  luaL_newmetatable(L, LUNET_TENSOR_MT);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_getfield(L, -1, "__index");
  lua_setfield(L, -3, "Tensor"); /* core.Tensor = the method table, for extensions */
  lua_pop(L, 1);
  luaL_setfuncs(L, functions, 0);
}
