/* Lua binding of lunet.Tensor, the computing half: element-wise arithmetic
 * (methods and operators; a number operand is a 0-d tensor), maps, matmul,
 * reductions, conversion to tables and printing. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "ltensor.h"

#define shape_of lunet_tensor_shape_of
#define check_dim lunet_tensor_check_dim

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
    return luaL_error(L, "Tensor:matmul: shapes %s and %s do not match: %I columns vs %I rows",
                      shape_of(x, a), shape_of(y, b), (lua_Integer)a->shape[1], (lua_Integer)b->shape[0]);
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
  lua_createtable(L, t->shape[dim] <= INT_MAX ? (int)t->shape[dim] : 0, 0); /* a size hint only */
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
  lunet_tensor_box *box = luaL_checkudata(L, 1, LUNET_TENSOR_MT);
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

const luaL_Reg lunet_tensor_op_methods[] = {
    {"add", m_add}, {"sub", m_sub}, {"mul", m_mul}, {"div", m_div}, {"add_", m_add_}, {"sub_", m_sub_},
    {"mul_", m_mul_}, {"div_", m_div_}, {"scale", m_scale}, {"scale_", m_scale_}, {"neg", m_neg},
    {"abs", m_abs}, {"exp", m_exp}, {"log", m_log}, {"sqrt", m_sqrt}, {"square", m_square},
    {"relu", m_relu}, {"sigmoid", m_sigmoid}, {"tanh", m_tanh}, {"matmul", m_matmul}, {"sum", m_sum},
    {"mean", m_mean}, {"max", m_max}, {"min", m_min}, {"argmax", m_argmax}, {"argmin", m_argmin},
    {"totable", m_totable}, {NULL, NULL}};

const luaL_Reg lunet_tensor_op_metamethods[] = {
    {"__tostring", m_tostring}, {"__add", mm_add}, {"__sub", mm_sub}, {"__mul", mm_mul}, {"__div", mm_div},
    {"__unm", m_neg}, {NULL, NULL}};
