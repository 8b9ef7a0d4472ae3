/* Lua binding of the metrics (core/nn/metrics.c): the Metric userdata, a
 * metric's running sums, updated from a Net's last forward output so that
 * fit and evaluate copy nothing and allocate nothing per batch. lua/lunet/nn
 * /metrics turns the sums into results. */
#include <string.h>

#include "lnn.h"
#include "metrics.h"

#define LUNET_METRIC_MT "lunet.Metric"

typedef struct {
  lunet_metric_t *m; /* owned */
} metric_box;

static lunet_metric_t *check_metric(lua_State *L, int idx) {
  metric_box *b = luaL_checkudata(L, idx, LUNET_METRIC_MT);
  if (!b->m) luaL_argerror(L, idx, "metric was freed");
  return b->m;
}

static int m_gc(lua_State *L) {
  metric_box *b = luaL_checkudata(L, 1, LUNET_METRIC_MT);
  lunet_metric_free(b->m);
  b->m = NULL;
  return 0;
}

static const char *const KINDS[] = {"binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                                    "top_k", "sparse_top_k", "mse", "mae", "mape", "confusion", NULL};

/* metric_new(kind, {threshold=, k=, thresholds = {ascending numbers}}) ->
 * Metric (lua/lunet/nn/metrics has checked the options users give). */
static int l_metric_new(lua_State *L) {
  lua_settop(L, 2);
  lunet_metric_kind_t kind = (lunet_metric_kind_t)luaL_checkoption(L, 1, NULL, KINDS);
  static const char *const allowed[] = {"threshold", "k", "thresholds", NULL};
  lunet_check_options(L, 2, "metric_new", allowed);
  float threshold = (float)lunet_opt_number(L, 2, "threshold", 0.5, "metric_new");
  lua_Integer k = lunet_opt_integer(L, 2, "k", 5, "metric_new");
  if (k < 1 || k > INT32_MAX) return luaL_error(L, "metric_new: k must be from 1 to %d", INT32_MAX);
  float *thr = NULL;
  int nthr = 0;
  metric_box *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->m = NULL;
  luaL_setmetatable(L, LUNET_METRIC_MT);
  if (lua_istable(L, 2) && lua_getfield(L, 2, "thresholds") == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, -1);
    if (n < 1 || n > 1 << 20) return luaL_error(L, "metric_new: thresholds must hold 1 to %d numbers", 1 << 20);
    thr = lua_newuserdatauv(L, (size_t)n * sizeof *thr, 0); /* (collected with the stack) */
    for (lua_Integer i = 1; i <= n; i++) {
      lua_geti(L, -2, i);
      if (!lua_isnumber(L, -1)) return luaL_error(L, "metric_new: thresholds[%I] is not a number", i);
      thr[i - 1] = (float)lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    nthr = (int)n;
  }
  box->m = lunet_metric_new(kind, threshold, (int)k, nthr, thr);
  if (!box->m) return lunet_core_error(L, "metric_new");
  lua_settop(L, 3);
  return 1;
}

/* update(net, y[, w[, k]]): adds the batch of y's first dimension, whose
 * predictions are the net's last forward output k (1-based, default 1;
 * train_step / test on this y just before). y (B, n), or (B) class indices
 * for the sparse kinds; with several outputs y is the packed targets and
 * output k's are read from the net's copy. w (B) sample weights. Checks
 * what memory safety needs; a batch larger than the net's buffers is
 * refused. */
static int m_update(lua_State *L) {
  lunet_metric_t *m = check_metric(L, 1);
  lunet_net_t *net = lunet_check_net(L, 2);
  lunet_tensor_t *y = lunet_check_tensor(L, 3);
  lunet_tensor_t *w = lua_isnoneornil(L, 4) ? NULL : lunet_check_tensor(L, 4);
  lua_Integer k = luaL_optinteger(L, 5, 1);
  if (k < 1 || k > net->noutputs) return luaL_error(L, "metric: the net has no output %I", k);
  const lunet_net_output_t *o = &net->outputs[k - 1];
  int64_t n = o->size, want = lunet_metric_sparse(m->kind) ? 1 : n;
  if (y->ndim < 1 || !lunet_tensor_is_contiguous(y)) return luaL_error(L, "metric: targets must be contiguous");
  int64_t batch = y->shape[0];
  const float *p = lunet_net_output_values(net, (int)k - 1);
  if (!p || batch > net->max_batch)
    return luaL_error(L, "metric: the net has no output for %I samples", (lua_Integer)batch);
  int64_t have = batch ? lunet_tensor_numel(y) / batch : 0;
  if (net->noutputs > 1 ? (have != net->tgt_total || o->tsize != want) : lunet_tensor_numel(y) != batch * want)
    return luaL_error(L, "metric: targets have %I values per sample, expected %I",
                      (lua_Integer)(net->noutputs > 1 ? o->tsize : have), (lua_Integer)want);
  if (w && (!lunet_tensor_is_contiguous(w) || lunet_tensor_numel(w) != batch))
    return luaL_error(L, "metric: sample weights must be %I contiguous values", (lua_Integer)batch);
  const float *t = lunet_net_output_targets(net, (int)k - 1, lunet_tensor_data(y));
  lunet_metric_update(m, p, t, w ? lunet_tensor_data(w) : NULL, batch, n);
  return 0;
}

static int m_reset(lua_State *L) {
  lunet_metric_reset(check_metric(L, 1));
  return 0;
}

/* state() -> {sums...} (metrics.h says what they are) */
static int m_state(lua_State *L) {
  lunet_metric_t *m = check_metric(L, 1);
  lua_createtable(L, (int)m->nstate, 0);
  for (int64_t i = 0; i < m->nstate; i++) {
    lua_pushnumber(L, m->state[i]);
    lua_seti(L, -2, i + 1);
  }
  return 1;
}

/* add_state(sums): adds another metric's state() (a worker's) to this one */
static int m_add_state(lua_State *L) {
  lunet_metric_t *m = check_metric(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  if (luaL_len(L, 2) != m->nstate)
    return luaL_error(L, "metric: a state of %I sums, expected %I", luaL_len(L, 2), (lua_Integer)m->nstate);
  for (int64_t i = 0; i < m->nstate; i++) {
    lua_geti(L, 2, i + 1);
    m->state[i] += luaL_checknumber(L, -1);
    lua_pop(L, 1);
  }
  return 0;
}

/* thresholds() -> {numbers} as float32 (the values the comparisons use) */
static int m_thresholds(lua_State *L) {
  lunet_metric_t *m = check_metric(L, 1);
  lua_createtable(L, m->nthr, 0);
  for (int i = 0; i < m->nthr; i++) {
    lua_pushnumber(L, m->thr[i]);
    lua_seti(L, -2, i + 1);
  }
  return 1;
}

static const luaL_Reg metric_methods[] = {{"update", m_update}, {"reset", m_reset}, {"state", m_state},
                                          {"add_state", m_add_state}, {"thresholds", m_thresholds},
                                          {NULL, NULL}};

void lunet_open_metrics(lua_State *L) {
  luaL_newmetatable(L, LUNET_METRIC_MT);
  lua_pushcfunction(L, m_gc);
  lua_setfield(L, -2, "__gc");
  luaL_newlib(L, metric_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_metric_new);
  lua_setfield(L, -2, "metric_new");
}
