/* The optimizer from Lua: the net's optimizer and its state (checkpoints),
 * and the learning rate: schedules read from their plain-data tables
 * (lua/lunet/nn/schedules.lua checked every value), a schedule's value at a
 * step (nn.schedules.X{...}(step) runs the optimizer's own C code), and the
 * net's current and constant rate (model:get_learning_rate / set_learning_rate). */
#include <string.h>

#include "common.h"
#include "lnn.h"

/* Reads the table at idx, {name =, option = number | boolean, boundaries =
 * {...}, values = {...}}, into s without raising (the caller may own memory
 * to free first): 0, or -1 with lunet_fail naming the part. */
int lunet_read_schedule(lua_State *L, int idx, lunet_schedule_t *s) {
  idx = lua_absindex(L, idx);
  lua_pushliteral(L, "name");
  lua_rawget(L, idx);
  const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  int rc = name ? lunet_schedule_init(s, name, "learning_rate") : lunet_fail("learning_rate: a schedule needs a name");
  lua_pop(L, 1);
  if (rc < 0) return -1;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    int t = lua_type(L, -1);
    if (!key) rc = lunet_fail("learning_rate: %s: option names must be strings", lunet_schedule_name(s->kind));
    else if (strcmp(key, "name") == 0) rc = 0;
    else if (t == LUA_TNUMBER || t == LUA_TBOOLEAN)
      rc = lunet_schedule_set(s, key, t == LUA_TBOOLEAN ? (double)lua_toboolean(L, -1) : lua_tonumber(L, -1));
    else if (t == LUA_TTABLE) {
      double v[LUNET_SCHEDULE_MAX_BOUNDARIES + 1];
      lua_Unsigned len = lua_rawlen(L, -1);
      int n = len > LUNET_SCHEDULE_MAX_BOUNDARIES + 1 ? LUNET_SCHEDULE_MAX_BOUNDARIES + 2 : (int)len;
      for (int i = 0; i < n && i <= LUNET_SCHEDULE_MAX_BOUNDARIES; i++) {
        lua_rawgeti(L, -1, i + 1);
        v[i] = lua_tonumber(L, -1);
        lua_pop(L, 1);
      }
      rc = lunet_schedule_set_list(s, key, v, n); /* (refuses n beyond v before reading it) */
    } else
      rc = lunet_fail("learning_rate: %s: option '%s' must be a number", lunet_schedule_name(s->kind), key);
    lua_pop(L, 1);
    if (rc < 0) { lua_pop(L, 1); return -1; }
  }
  return 0;
}

/* nn_schedule_value(schedule, step) -> the rate at step (>= 0) */
static int l_schedule_value(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer step = luaL_checkinteger(L, 2);
  luaL_argcheck(L, step >= 0, 2, "step must be >= 0");
  lunet_schedule_t s;
  if (lunet_read_schedule(L, 1, &s) < 0) return lunet_core_error(L, NULL);
  lua_pushnumber(L, lunet_schedule_value(&s, step));
  return 1;
}

/* learning_rate() -> the rate of the next step (schedule, decay), or nil
 * without an optimizer */
static int m_learning_rate(lua_State *L) {
  lunet_net_t *net = lunet_check_net(L, 1);
  if (!net->opt) return 0;
  lua_pushnumber(L, lunet_optimizer_current_lr(net->opt));
  return 1;
}

/* set_learning_rate(v): the constant rate (Lua checked v); an error while a
 * schedule sets the rate */
static int m_set_learning_rate(lua_State *L) {
  lunet_net_t *net = lunet_check_net(L, 1);
  lua_Number v = luaL_checknumber(L, 2);
  if (!net->opt) return luaL_error(L, "set_learning_rate: no optimizer (compile first)");
  if (net->opt->schedule.kind != LUNET_SCHED_NONE)
    return luaL_error(L, "set_learning_rate: the learning rate is set by a %s schedule",
                      lunet_schedule_name(net->opt->schedule.kind));
  net->opt->learning_rate = (float)v;
  return 0;
}

/* set_optimizer(name, {hyper = value}); learning_rate may be a schedule table */
static int m_set_optimizer(lua_State *L) {
  lunet_net_t *net = lunet_check_net(L, 1);
  lunet_optim_kind_t kind;
  if (lunet_optimizer_parse(&kind, luaL_checkstring(L, 2), "compile") < 0)
    return lunet_core_error(L, NULL);
  lunet_optimizer_t *o = lunet_optimizer_new(kind, net->nparams);
  if (!o) return lunet_core_error(L, NULL);
  if (lua_istable(L, 3)) {
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      double v = lua_isboolean(L, -1) ? (double)lua_toboolean(L, -1) : lua_tonumber(L, -1);
      int schedule = lua_istable(L, -1) && lua_type(L, -2) == LUA_TSTRING &&
                     strcmp(lua_tostring(L, -2), "learning_rate") == 0;
      if (schedule ? lunet_read_schedule(L, -1, &o->schedule) < 0
                   : lua_type(L, -2) != LUA_TSTRING || lunet_optimizer_set(o, lua_tostring(L, -2), v) < 0) {
        lunet_optimizer_free(o);
        return lunet_core_error(L, NULL);
      }
      lua_pop(L, 1);
    }
  }
  lunet_net_set_optimizer(net, o);
  return 0;
}

/* optimizer_state() -> state tensor (a copy: a recompile frees the state),
 * iterations, m_schedule */
static int m_optimizer_state(lua_State *L) {
  lunet_net_t *net = lunet_check_net(L, 1);
  if (!net->opt) return 0;
  int64_t n = (int64_t)net->opt->nslots * net->opt->n;
  lunet_tensor_t *t = lunet_tensor_new_uninit(1, &n);
  if (!t) return lunet_core_error(L, NULL);
  memcpy(lunet_tensor_data(t), net->opt->state, (size_t)n * sizeof(float));
  lunet_push_tensor(L, t);
  lua_pushinteger(L, net->opt->iterations);
  lua_pushnumber(L, net->opt->m_schedule);
  return 3;
}

/* set_optimizer_state(tensor, iterations, m_schedule): the Lua side checked
 * the values (lua/lunet/nn/sequential.lua); C checks the size it copies. */
static int m_set_optimizer_state(lua_State *L) {
  lunet_net_t *net = lunet_check_net(L, 1);
  lunet_tensor_t *t = lunet_check_tensor(L, 2);
  lua_Integer iterations = luaL_checkinteger(L, 3);
  lua_Number m_schedule = luaL_checknumber(L, 4);
  if (!net->opt) return luaL_error(L, "Sequential: no optimizer to restore (compile first)");
  int64_t n = (int64_t)net->opt->nslots * net->opt->n;
  if (lunet_tensor_numel(t) != n || !lunet_tensor_is_contiguous(t))
    return luaL_error(L, "Sequential: optimizer state has %I values, %s expects %I",
                      (lua_Integer)lunet_tensor_numel(t), lunet_optimizer_name(net->opt->kind), (lua_Integer)n);
  memcpy(net->opt->state, lunet_tensor_data(t), (size_t)n * sizeof(float));
  net->frozen_clean = 0; /* (a frozen layer's moments are dropped at the next step: net_frozen.c) */
  net->opt->iterations = iterations;
  net->opt->m_schedule = m_schedule;
  return 0;
}

static const luaL_Reg optim_methods[] = {
    {"set_optimizer", m_set_optimizer}, {"optimizer_state", m_optimizer_state},
    {"set_optimizer_state", m_set_optimizer_state},
    {"learning_rate", m_learning_rate}, {"set_learning_rate", m_set_learning_rate}, {NULL, NULL}};
static const luaL_Reg optim_functions[] = {{"nn_schedule_value", l_schedule_value}, {NULL, NULL}};

void lunet_open_nn_optim(lua_State *L) {
  luaL_getmetatable(L, LUNET_NET_MT);
  lua_getfield(L, -1, "__index");
  luaL_setfuncs(L, optim_methods, 0);
  lua_pop(L, 2);
  luaL_setfuncs(L, optim_functions, 0);
}
