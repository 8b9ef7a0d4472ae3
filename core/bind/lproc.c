/* core.spawn / kill / wait / die_with_parent / getpid: process control for
 * the local launcher and for workers watching their driver. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "lbind.h"
#include "proc.h"

static int signal_number(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TNUMBER) return (int)luaL_checkinteger(L, idx);
  static const char *const names[] = {"TERM", "KILL", "INT", "STOP", "CONT", "HUP", NULL};
  static const int numbers[] = {SIGTERM, SIGKILL, SIGINT, SIGSTOP, SIGCONT, SIGHUP};
  const char *name = luaL_optstring(L, idx, "TERM");
  if (strncmp(name, "SIG", 3) == 0) name += 3;
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], name) == 0) return numbers[i];
  return luaL_error(L, "kill: unknown signal '%s'", name);
}

/* spawn({argv...}, {NAME=value...}?) -> pid */
static int l_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  int argc = (int)luaL_len(L, 1);
  if (argc < 1) return luaL_error(L, "spawn: argv is empty");
  lua_newtable(L); /* 3: anchors every string handed to C below */
  int anchors = 0;
  const char **argv = lua_newuserdatauv(L, (size_t)(argc + 1) * sizeof *argv, 0);
  for (int i = 1; i <= argc; i++) {
    if (lua_geti(L, 1, i) != LUA_TSTRING)
      return luaL_error(L, "spawn: argv[%d] is a %s, expected a string", i, luaL_typename(L, -1));
    argv[i - 1] = lua_tostring(L, -1);
    lua_rawseti(L, 3, ++anchors);
  }
  argv[argc] = NULL;
  int n_env = 0;
  if (!lua_isnil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 2)) { n_env++; lua_pop(L, 1); }
  }
  const char **env = lua_newuserdatauv(L, (size_t)(n_env + 1) * sizeof *env, 0);
  int k = 0;
  if (n_env) {
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
        return luaL_error(L, "spawn: environment entries must be NAME = string");
      env[k++] = lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
      lua_rawseti(L, 3, ++anchors);
      lua_pop(L, 1);
    }
  }
  env[k] = NULL;
  pid_t pid = lunet_proc_spawn((char *const *)argv, (char *const *)env);
  if (pid < 0) return lunet_core_error(L, "spawn");
  lua_pushinteger(L, pid);
  return 1;
}

static int l_kill(lua_State *L) {
  pid_t pid = (pid_t)luaL_checkinteger(L, 1);
  lua_pushboolean(L, lunet_proc_kill(pid, signal_number(L, 2)) == 0);
  return 1;
}

/* wait(pid, timeout_s?) -> true, code  |  false (still running) */
static int l_wait(lua_State *L) {
  pid_t pid = (pid_t)luaL_checkinteger(L, 1);
  double timeout = luaL_optnumber(L, 2, -1);
  int code = 0;
  int rc = lunet_proc_wait(pid, timeout, &code);
  if (rc < 0) return lunet_core_error(L, "wait");
  lua_pushboolean(L, rc);
  if (!rc) return 1;
  lua_pushinteger(L, code);
  return 2;
}

static int l_die_with_parent(lua_State *L) {
  lua_pushboolean(L, lunet_proc_die_with_parent(signal_number(L, 1)) == 0);
  return 1;
}

static int l_getpid(lua_State *L) {
  lua_pushinteger(L, getpid());
  return 1;
}

static int l_getppid(lua_State *L) {
  lua_pushinteger(L, getppid());
  return 1;
}

static int l_getuid(lua_State *L) {
  lua_pushinteger(L, getuid());
  return 1;
}

static int l_hostname(lua_State *L) {
  char name[256];
  if (gethostname(name, sizeof name) < 0) return lunet_core_error(L, "hostname");
  name[sizeof name - 1] = '\0';
  lua_pushstring(L, name);
  return 1;
}

static int l_sleep(lua_State *L) {
  double s = luaL_checknumber(L, 1);
  if (s > 0) usleep((useconds_t)(s * 1e6));
  return 0;
}

void lunet_open_proc(lua_State *L) {
  static const luaL_Reg fns[] = {{"spawn", l_spawn}, {"kill", l_kill}, {"wait", l_wait},
                                 {"die_with_parent", l_die_with_parent}, {"getpid", l_getpid},
                                 {"getppid", l_getppid}, {"getuid", l_getuid}, {"hostname", l_hostname}, {"sleep", l_sleep},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
