/* The learning rate from Lua: schedules read from their plain-data tables
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

static const luaL_Reg optim_methods[] = {
    {"learning_rate", m_learning_rate}, {"set_learning_rate", m_set_learning_rate}, {NULL, NULL}};
static const luaL_Reg optim_functions[] = {{"nn_schedule_value", l_schedule_value}, {NULL, NULL}};

void lunet_open_nn_optim(lua_State *L) {
  luaL_getmetatable(L, LUNET_NET_MT);
  lua_getfield(L, -1, "__index");
  luaL_setfuncs(L, optim_methods, 0);
  lua_pop(L, 2);
  luaL_setfuncs(L, optim_functions, 0);
}
