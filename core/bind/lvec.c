/* Lua binding of the flat vector kit (lunet.vec): the primitives distributed
 * optimizers are written in. Operands are contiguous tensors of any shape with
 * equal element counts; nothing allocates except argmax_rows' result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "lbind.h"
#include "rng.h"
#include "vec.h"

/* A contiguous tensor argument, with its element count. */
static float *flat(lua_State *L, int idx, size_t *n, const char *where, const char *name) {
  lunet_tensor_t *t = lunet_check_tensor(L, idx);
  if (!lunet_tensor_is_contiguous(t)) luaL_error(L, "vec.%s: %s is not contiguous", where, name);
  *n = (size_t)lunet_tensor_numel(t);
  return lunet_tensor_data(t);
}

static void same_size(lua_State *L, size_t ny, size_t nx, const char *where, const char *a, const char *b) {
  if (ny != nx)
    luaL_error(L, "vec.%s: %s has %I elements, %s has %I", where, a, (lua_Integer)ny, b, (lua_Integer)nx);
}

static int v_copy(lua_State *L) {
  size_t ny, nx;
  float *y = flat(L, 1, &ny, "copy", "y");
  const float *x = flat(L, 2, &nx, "copy", "x");
  same_size(L, ny, nx, "copy", "y", "x");
  lunet_vec_copy(y, x, ny);
  lua_settop(L, 1);
  return 1;
}

static int v_axpy(lua_State *L) {
  size_t ny, nx;
  float *y = flat(L, 1, &ny, "axpy", "y");
  float a = (float)luaL_checknumber(L, 2);
  const float *x = flat(L, 3, &nx, "axpy", "x");
  same_size(L, ny, nx, "axpy", "y", "x");
  lunet_vec_axpy(y, a, x, ny);
  lua_settop(L, 1);
  return 1;
}

static int v_scale(lua_State *L) {
  size_t n;
  float *y = flat(L, 1, &n, "scale", "y");
  lunet_vec_scale(y, (float)luaL_checknumber(L, 2), n);
  lua_settop(L, 1);
  return 1;
}

static int v_fill(lua_State *L) {
  size_t n;
  float *y = flat(L, 1, &n, "fill", "y");
  lunet_vec_fill(y, (float)luaL_checknumber(L, 2), n);
  lua_settop(L, 1);
  return 1;
}

static int v_dot(lua_State *L) {
  size_t nx, ny;
  const float *x = flat(L, 1, &nx, "dot", "x");
  const float *y = flat(L, 2, &ny, "dot", "y");
  same_size(L, nx, ny, "dot", "x", "y");
  lua_pushnumber(L, lunet_vec_dot(x, y, nx));
  return 1;
}

static int v_lerp(lua_State *L) {
  size_t ny, nx;
  float *y = flat(L, 1, &ny, "lerp", "y");
  const float *x = flat(L, 2, &nx, "lerp", "x");
  same_size(L, ny, nx, "lerp", "y", "x");
  lunet_vec_lerp(y, x, (float)luaL_checknumber(L, 3), ny);
  lua_settop(L, 1);
  return 1;
}

/* adaptive_axpy(y, x, stale, gamma): y += x / ((y - stale)^2 / gamma + 1),
 * per element (ADAG's staleness scaling); returns y */
static int v_adaptive_axpy(lua_State *L) {
  size_t ny, nx, ns;
  float *y = flat(L, 1, &ny, "adaptive_axpy", "y");
  const float *x = flat(L, 2, &nx, "adaptive_axpy", "x");
  const float *stale = flat(L, 3, &ns, "adaptive_axpy", "stale");
  lua_Number g = luaL_checknumber(L, 4);
  same_size(L, ny, nx, "adaptive_axpy", "y", "x");
  same_size(L, ny, ns, "adaptive_axpy", "y", "stale");
  /* checked as the float the loop divides by: 1e-50 would be 0 */
  float gamma = (float)g;
  if (!(gamma > 0.0f) || isinf(gamma))
    return luaL_error(L, "vec.adaptive_axpy: gamma must be a positive float32 number, got %f", g);
  lunet_vec_adaptive_axpy(y, x, stale, gamma, ny);
  lua_settop(L, 1);
  return 1;
}

/* Whether the n floats at a and at b share any memory. */
static int overlap(const float *a, const float *b, size_t n) {
  return n && (uintptr_t)a < (uintptr_t)(b + n) && (uintptr_t)b < (uintptr_t)(a + n);
}

/* momentum_ahead(x, u, before, delta): before = x, x += delta u; returns x */
static int v_momentum_ahead(lua_State *L) {
  size_t nx, nu, nb;
  float *x = flat(L, 1, &nx, "momentum_ahead", "x");
  const float *u = flat(L, 2, &nu, "momentum_ahead", "u");
  float *before = flat(L, 3, &nb, "momentum_ahead", "before");
  float delta = (float)luaL_checknumber(L, 4);
  same_size(L, nx, nu, "momentum_ahead", "x", "u");
  same_size(L, nx, nb, "momentum_ahead", "x", "before");
  if (overlap(x, before, nx) || overlap(u, before, nx) || overlap(x, u, nx))
    return luaL_error(L, "vec.momentum_ahead: x, u and before must be three buffers that do not overlap");
  lunet_vec_momentum_ahead(x, u, before, delta, nx);
  lua_settop(L, 1);
  return 1;
}

/* momentum_step(x, u, before, delta, eta): s = x - before - delta u,
 * u = delta u + eta s, x = before + u; returns x */
static int v_momentum_step(lua_State *L) {
  size_t nx, nu, nb;
  float *x = flat(L, 1, &nx, "momentum_step", "x");
  float *u = flat(L, 2, &nu, "momentum_step", "u");
  const float *before = flat(L, 3, &nb, "momentum_step", "before");
  float delta = (float)luaL_checknumber(L, 4), eta = (float)luaL_checknumber(L, 5);
  same_size(L, nx, nu, "momentum_step", "x", "u");
  same_size(L, nx, nb, "momentum_step", "x", "before");
  if (overlap(x, before, nx) || overlap(u, before, nx) || overlap(x, u, nx))
    return luaL_error(L, "vec.momentum_step: x, u and before must be three buffers that do not overlap");
  lunet_vec_momentum_step(x, u, before, delta, eta, nx);
  lua_settop(L, 1);
  return 1;
}

static int v_sum(lua_State *L) {
  size_t n;
  const float *x = flat(L, 1, &n, "sum", "x");
  lua_pushnumber(L, lunet_vec_sum(x, n));
  return 1;
}

/* hash(x) -> 16 hex digits: a fingerprint of x's values (lunet_vec_hash) */
static int v_hash(lua_State *L) {
  size_t n;
  const float *x = flat(L, 1, &n, "hash", "x");
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", (unsigned long long)lunet_vec_hash(0, x, n));
  lua_pushstring(L, buf);
  return 1;
}

static int v_all_finite(lua_State *L) {
  size_t n;
  const float *x = flat(L, 1, &n, "all_finite", "x");
  lua_pushboolean(L, lunet_vec_all_finite(x, n));
  return 1;
}

/* argmax_rows(x (rows, cols)) -> tensor (rows) of 1-based column indices */
static int v_argmax_rows(lua_State *L) {
  lunet_tensor_t *t = lunet_check_tensor(L, 1);
  size_t n;
  const float *x = flat(L, 1, &n, "argmax_rows", "x");
  char s[LUNET_SHAPE_STR_MAX];
  if (t->ndim != 2 || t->shape[1] == 0)
    return luaL_error(L, "vec.argmax_rows: x must be a 2-D tensor with columns, got %s",
                      lunet_shape_str(s, sizeof s, t->ndim, t->shape));
  size_t rows = (size_t)t->shape[0], cols = (size_t)t->shape[1];
  int64_t shape[1] = {(int64_t)rows};
  lunet_tensor_t *out = lunet_tensor_new_uninit(1, shape);
  lunet_push_tensor(L, out);
  int64_t *idx = lunet_malloc(rows * sizeof *idx);
  if (!idx) return lunet_core_error(L, "vec.argmax_rows");
  lunet_vec_argmax_rows(idx, x, rows, cols);
  float *o = lunet_tensor_data(out);
  for (size_t r = 0; r < rows; r++) o[r] = (float)(idx[r] + 1);
  free(idx);
  return 1;
}

/* shuffle_rows(a, b?, seed): the rows of a and b (same row count) in place,
 * with the same permutation; a seed makes it reproducible. */
static int v_shuffle_rows(lua_State *L) {
  lunet_tensor_t *a = lunet_check_tensor(L, 1);
  lunet_tensor_t *b = lua_isnoneornil(L, 2) ? NULL : lunet_check_tensor(L, 2);
  lua_Integer seed = luaL_checkinteger(L, 3);
  char x[LUNET_SHAPE_STR_MAX], y[LUNET_SHAPE_STR_MAX];
  if (a->ndim < 1 || !lunet_tensor_is_contiguous(a) || (b && (b->ndim < 1 || !lunet_tensor_is_contiguous(b))))
    return luaL_error(L, "vec.shuffle_rows: needs contiguous tensors with a row dimension");
  if (b && a->shape[0] != b->shape[0])
    return luaL_error(L, "vec.shuffle_rows: %s and %s have different row counts",
                      lunet_shape_str(x, sizeof x, a->ndim, a->shape), lunet_shape_str(y, sizeof y, b->ndim, b->shape));
  size_t rows = (size_t)a->shape[0];
  size_t ac = rows ? (size_t)lunet_tensor_numel(a) / rows : 0, bc = b && rows ? (size_t)lunet_tensor_numel(b) / rows : 0;
  float *tmp = lua_newuserdatauv(L, (ac > bc ? ac : bc) * sizeof(float) + 1, 0);
  lunet_rng_t rng;
  lunet_rng_seed(&rng, (uint64_t)seed);
  lunet_vec_shuffle_rows(lunet_tensor_data(a), ac, b ? lunet_tensor_data(b) : NULL, bc, rows, &rng, tmp);
  return 0;
}

/* Three distinct contiguous arrays of one size (the fused kernels' restrict). */
static void disjoint3(lua_State *L, const char *where, const float *a, const float *b, const float *c, size_t n) {
  const float *p[3] = {a, b, c};
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++)
      if (p[i] < p[j] + n && p[j] < p[i] + n) luaL_error(L, "vec.%s: the tensors must not overlap", where);
}

/* delta(out, w, pulled, scale): out = (w - pulled) * scale; returns out */
static int v_delta(lua_State *L) {
  size_t no, nw, np;
  float *out = flat(L, 1, &no, "delta", "out");
  const float *w = flat(L, 2, &nw, "delta", "w");
  const float *pulled = flat(L, 3, &np, "delta", "pulled");
  float scale = (float)luaL_optnumber(L, 4, 1.0);
  same_size(L, no, nw, "delta", "out", "w");
  same_size(L, no, np, "delta", "out", "pulled");
  disjoint3(L, "delta", out, w, pulled, no);
  lunet_vec_delta(out, w, pulled, scale, no);
  lua_settop(L, 1);
  return 1;
}

/* delta_send(out, w, pulled, scale): out = (w - pulled) * scale, pulled = w;
 * returns out and whether every element of out is finite */
static int v_delta_send(lua_State *L) {
  size_t no, nw, np;
  float *out = flat(L, 1, &no, "delta_send", "out");
  const float *w = flat(L, 2, &nw, "delta_send", "w");
  float *pulled = flat(L, 3, &np, "delta_send", "pulled");
  float scale = (float)luaL_optnumber(L, 4, 1.0);
  same_size(L, no, nw, "delta_send", "out", "w");
  same_size(L, no, np, "delta_send", "out", "pulled");
  disjoint3(L, "delta_send", out, w, pulled, no);
  int finite = lunet_vec_delta_send(out, w, pulled, scale, no);
  lua_settop(L, 1);
  lua_pushboolean(L, finite);
  return 2;
}

/* fold(w, pulled, c): w = w + c - pulled, pulled = c; returns w */
static int v_fold(lua_State *L) {
  size_t nw, np, nc;
  float *w = flat(L, 1, &nw, "fold", "w");
  float *pulled = flat(L, 2, &np, "fold", "pulled");
  const float *c = flat(L, 3, &nc, "fold", "c");
  same_size(L, nw, np, "fold", "w", "pulled");
  same_size(L, nw, nc, "fold", "w", "c");
  disjoint3(L, "fold", w, pulled, c, nw);
  lunet_vec_fold(w, pulled, c, nw);
  lua_settop(L, 1);
  return 1;
}

/* The staleness rules' operands: n floats each, none overlapping another
 * (the loops are restrict-qualified). */
static void disjoint4(lua_State *L, const char *where, const float *a, const float *b, const float *c,
                      const float *d, size_t n) {
  disjoint3(L, where, a, b, c, n);
  disjoint3(L, where, a, b, d, n);
  disjoint3(L, where, a, c, d, n);
}

/* A float32 scalar argument in [lo, hi) (hi_open) or [lo, hi]. */
static float scalar_in(lua_State *L, int idx, const char *where, const char *name, double lo, double hi,
                       int hi_open) {
  lua_Number v = luaL_checknumber(L, idx);
  if (!(v >= lo) || (hi_open ? !(v < hi) : !(v <= hi)) || isinf((float)v)) {
    char msg[160]; /* (lua_pushfstring has no %g) */
    snprintf(msg, sizeof msg, "vec.%s: %s must be a number in [%g, %g%s, got %g", where, name, lo, hi,
             hi_open ? ")" : "]", (double)v);
    luaL_error(L, "%s", msg);
  }
  return (float)v;
}

/* the staleness kernels' further vectors: contiguous, as long as y (n) */
static float *flat_as_y(lua_State *L, int idx, size_t n, const char *where, const char *name) {
  size_t m;
  float *p = flat(L, idx, &m, where, name);
  same_size(L, n, m, where, "y", name);
  return p;
}

/* dc_axpy(y, x, backup, c): y += x - c x^2 (y - backup); returns y */
static int v_dc_axpy(lua_State *L) {
  size_t ny;
  float *y = flat(L, 1, &ny, "dc_axpy", "y");
  const float *x = flat_as_y(L, 2, ny, "dc_axpy", "x");
  const float *b = flat_as_y(L, 3, ny, "dc_axpy", "backup");
  float c = scalar_in(L, 4, "dc_axpy", "c", 0, 3.4e38, 0);
  disjoint3(L, "dc_axpy", y, x, b, ny);
  lunet_vec_dc_axpy(y, x, b, c, ny);
  lua_settop(L, 1);
  return 1;
}

/* dc_adaptive_axpy(y, x, backup, ms, lambda, m): ms = m ms + (1 - m) x^2,
 * y += x - lambda x^2 / sqrt(ms) (y - backup); returns y */
static int v_dc_adaptive_axpy(lua_State *L) {
  size_t ny;
  float *y = flat(L, 1, &ny, "dc_adaptive_axpy", "y");
  const float *x = flat_as_y(L, 2, ny, "dc_adaptive_axpy", "x");
  const float *b = flat_as_y(L, 3, ny, "dc_adaptive_axpy", "backup");
  float *ms = flat_as_y(L, 4, ny, "dc_adaptive_axpy", "ms");
  float lambda = scalar_in(L, 5, "dc_adaptive_axpy", "lambda", 0, 3.4e38, 0);
  float m = scalar_in(L, 6, "dc_adaptive_axpy", "m", 0, 1, 1);
  disjoint4(L, "dc_adaptive_axpy", y, x, b, ms, ny);
  lunet_vec_dc_adaptive_axpy(y, x, b, ms, lambda, m, ny);
  lua_settop(L, 1);
  return 1;
}

/* gap_axpy(y, x, pulled, v, beta, correction): v = beta v + (1 - beta) x^2,
 * y += x / max(1, |y - pulled| / sqrt(v correction)); returns y */
static int v_gap_axpy(lua_State *L) {
  size_t ny;
  float *y = flat(L, 1, &ny, "gap_axpy", "y");
  const float *x = flat_as_y(L, 2, ny, "gap_axpy", "x");
  const float *p = flat_as_y(L, 3, ny, "gap_axpy", "pulled");
  float *v = flat_as_y(L, 4, ny, "gap_axpy", "v");
  float beta = scalar_in(L, 5, "gap_axpy", "beta", 0, 1, 1);
  float correction = scalar_in(L, 6, "gap_axpy", "correction", 1, 3.4e38, 0);
  disjoint4(L, "gap_axpy", y, x, p, v, ny);
  lunet_vec_gap_axpy(y, x, p, v, beta, correction, ny);
  lua_settop(L, 1);
  return 1;
}

/* vec.add_copy(y, x, out): y += x, out = y (one pass); returns y */
static int v_add_copy(lua_State *L) {
  size_t ny;
  float *y = flat(L, 1, &ny, "add_copy", "y");
  const float *x = flat_as_y(L, 2, ny, "add_copy", "x");
  float *out = flat_as_y(L, 3, ny, "add_copy", "out");
  disjoint3(L, "add_copy", y, x, out, ny);
  lunet_vec_add_copy(y, x, out, ny);
  lua_settop(L, 1);
  return 1;
}

static const luaL_Reg vec_functions[] = {
    {"delta", v_delta}, {"delta_send", v_delta_send}, {"fold", v_fold}, {"add_copy", v_add_copy},
    {"shuffle_rows", v_shuffle_rows},
    {"copy", v_copy}, {"axpy", v_axpy}, {"scale", v_scale}, {"fill", v_fill}, {"dot", v_dot},
    {"lerp", v_lerp}, {"adaptive_axpy", v_adaptive_axpy},
    {"dc_axpy", v_dc_axpy}, {"dc_adaptive_axpy", v_dc_adaptive_axpy}, {"gap_axpy", v_gap_axpy},
    {"momentum_ahead", v_momentum_ahead}, {"momentum_step", v_momentum_step}, {"sum", v_sum}, {"argmax_rows", v_argmax_rows},
    {"all_finite", v_all_finite}, {"hash", v_hash},
    {NULL, NULL}};

void lunet_open_vec(lua_State *L) {
  luaL_newlib(L, vec_functions);
  lua_setfield(L, -2, "vec");
}
