/* The lunet executable: a Lua 5.4 interpreter with the runtime preloaded.
 *   lunet script.lua [args]   run a script (arg as in lua)
 *   lunet -e 'code'           run code;  -v version;  -h help;  -i REPL after
 *   lunet <command> [args]    a subcommand implemented in lua/lunet/cmd/<command>.lua
 *   lunet                     interactive REPL (core/repl.c)
 * It finds its Lua package next to itself (<exe dir>/../lua in a source tree,
 * <exe dir>/../share/lunet/lua when installed), so a copied tree runs its own
 * Lua; LUNET_LUA_DIR overrides. */
#define _GNU_SOURCE
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind/lbind.h"
#include "cli.h"
#include "common.h"
#include "ps/wire.h"

static lua_State *global_L;

static const char usage_text[] =
    "usage: lunet [options] [script [args...]]\n"
    "       lunet worker --connect tcp://HOST:PORT [--rank N] [--timeout SECONDS]\n"
    "                    [--key PATH --server-key KEY]\n"
    "       lunet keygen PATH [--force]   (a CURVE key pair: PATH, PATH.pub)\n"
    "       lunet help [NAME]             (the options of a trainer, layer, ...: help(x) in Lua)\n"
    "Options:\n"
    "  -e code     run code\n"
    "  -i          enter the interactive REPL after running the script/code\n"
    "  -v          print the version, the CPU target (-march=native or portable)\n"
    "              and the Lua package's folder\n"
    "  -h          print this help\n"
    "  --          stop handling options\n"
    "With no script, lunet starts an interactive REPL ('=expr' or a bare\n"
    "expression prints its value; Tab completes, help(x) documents x, .trace\n"
    "shows the last error's traceback; history in ~/.lunet_history).\n";

/* ---- Ctrl-C: stop the running Lua code at the next hook, as lua.c does ---- */

static void stop_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

static void on_sigint(int sig) {
  signal(sig, SIG_DFL); /* a second Ctrl-C kills the process */
  lua_sethook(global_L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static int message_handler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* (cli.h) */
int lunet_cli_docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, message_handler);
  lua_insert(L, base);
  signal(SIGINT, on_sigint);
  int status = lua_pcall(L, narg, nres, base);
  signal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

int lunet_cli_report(lua_State *L, int status) {
  if (status != LUA_OK) {
    fprintf(stderr, "lunet: %s\n", lua_tostring(L, -1));
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}

/* ---- finding the Lua package ---- */

static int is_package_dir(const char *dir) {
  char path[4200];
  struct stat st;
  snprintf(path, sizeof path, "%s/lunet/init.lua", dir);
  return stat(path, &st) == 0;
}

/* Where the Lua package was found (lua_dir) and why (lua_dir_from, for -v);
 * lua_dir_from is NULL when no place holds lunet/init.lua. */
static char lua_dir[4096];
static const char *lua_dir_from;
static char lua_dir_tried[4 * 4096 + 64], lua_dir_error[sizeof lua_dir_tried + 256];

static int try_lua_dir(const char *dir, const char *from) {
  char resolved[4096];
  size_t used = strlen(lua_dir_tried);
  snprintf(lua_dir_tried + used, sizeof lua_dir_tried - used, "%s%s", used ? ", " : "", dir);
  if (!is_package_dir(dir)) return 0;
  snprintf(lua_dir, sizeof lua_dir, "%s", realpath(dir, resolved) ? resolved : dir);
  lua_dir_from = from;
  return 1;
}

/* $LUNET_LUA_DIR overrides; then the package next to this executable, so a
 * copied or moved tree runs its own Lua: <exe dir>/../lua (a build directory
 * inside the source tree) or <exe dir>/../share/lunet/lua (an installed
 * tree); then the source tree it was built from (a build directory
 * elsewhere) and the install prefix. Returns 0, or -1 with lua_dir_error. */
static int find_lua_dir(void) {
  const char *env = getenv("LUNET_LUA_DIR");
  if (env && *env) {
    if (try_lua_dir(env, "LUNET_LUA_DIR")) return 0;
    snprintf(lua_dir_error, sizeof lua_dir_error,
             "LUNET_LUA_DIR='%s' holds no lunet/init.lua (it names the lua/ folder of a lunet tree)", env);
    return -1;
  }
  char exe[2048], dir[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      snprintf(dir, sizeof dir, "%s/../lua", exe);
      if (try_lua_dir(dir, "next to the executable")) return 0;
      snprintf(dir, sizeof dir, "%s/../share/lunet/lua", exe);
      if (try_lua_dir(dir, "next to the executable")) return 0;
    }
  }
  if (try_lua_dir(LUNET_LUA_BUILD_DIR, "the source tree it was built from")) return 0;
  if (try_lua_dir(LUNET_LUA_INSTALL_DIR, "the install prefix")) return 0;
  snprintf(lua_dir_error, sizeof lua_dir_error, "cannot find its Lua package (lunet/init.lua); tried %s "
           "(set LUNET_LUA_DIR to the lua/ folder of a lunet tree)", lua_dir_tried);
  return -1;
}

/* package.path starts with the package's folder (found by find_lua_dir). */
static void setup_paths(lua_State *L) {
  const char *dir = lua_dir;
  lua_getglobal(L, "package");
  if (lua_dir_from) {
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 1);
  }
  /* the C runtime is linked in: require "lunet.core" finds it in package.preload */
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_lunet_core);
  lua_setfield(L, -2, "lunet.core");
  lua_pop(L, 2);
}

/* the globals `lunet` (require "lunet") and `help` (lunet.help: help(x)
 * prints the options of x, in scripts and in the REPL) */
static int load_lunet_global(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "lunet");
  int status = lunet_cli_docall(L, 1, 1);
  if (status == LUA_OK) {
    lua_getfield(L, -1, "help");
    lua_setglobal(L, "help");
    lua_setglobal(L, "lunet");
  }
  return lunet_cli_report(L, status);
}

/* ---- arg table, as lua.c builds it ---- */

static void create_arg_table(lua_State *L, char **argv, int argc, int script) {
  lua_createtable(L, argc, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int run_script(lua_State *L, char **argv, int argc, int script) {
  const char *fname = argv[script];
  if (strcmp(fname, "-") == 0) fname = NULL;
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = argc - script - 1;
    luaL_checkstack(L, n + 3, "too many arguments to script");
    for (int i = script + 1; i < argc; i++) lua_pushstring(L, argv[i]);
    status = lunet_cli_docall(L, n, 0);
  }
  return lunet_cli_report(L, status);
}

static int run_string(lua_State *L, const char *code) {
  int status = luaL_loadbuffer(L, code, strlen(code), "=(command line)");
  if (status == LUA_OK) status = lunet_cli_docall(L, 0, 0);
  return lunet_cli_report(L, status);
}

/* `lunet worker ...` -> require("lunet.cmd.worker").main({...}) */
static int run_command(lua_State *L, char **argv, int argc) {
  if (strcmp(argv[1], "worker") == 0) lunet_zmq_io_threads(1); /* (one socket: the driver's 8 would idle) */
  lua_getglobal(L, "require");
  lua_pushfstring(L, "lunet.cmd.%s", argv[1]);
  int status = lunet_cli_docall(L, 1, 1);
  if (status != LUA_OK) {
    lua_pop(L, 1);
    fprintf(stderr, "lunet: cannot open script or command '%s'\n%s", argv[1], usage_text);
    return 1;
  }
  lua_getfield(L, -1, "main");
  lua_remove(L, -2);
  lua_createtable(L, argc - 2, 0);
  for (int i = 2; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  status = lunet_cli_docall(L, 1, 1);
  if (lunet_cli_report(L, status) != LUA_OK) return 1;
  int code = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
  lua_pop(L, 1);
  return code;
}

/* ---- main ---- */

static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  luaL_checkversion(L);
  luaL_openlibs(L);
  int have_lua = find_lua_dir() == 0;
  setup_paths(L);

  int script = 0, run_repl = 0, i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || strcmp(a, "-") == 0) { script = i; break; }
    if (strcmp(a, "--") == 0) { if (i + 1 < argc) script = i + 1; break; }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
      printf("lunet %s (%s, %s, %s)\n", LUNET_VERSION, LUA_RELEASE, "OpenBLAS", LUNET_CPU_TARGET);
      if (have_lua) printf("Lua package: %s (%s)\n", lua_dir, lua_dir_from);
      else printf("Lua package: none: %s\n", lua_dir_error);
      lua_pushinteger(L, 0);
      return 1;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      lua_pushinteger(L, 0);
      return 1;
    }
    if (strcmp(a, "-i") == 0) { run_repl = 1; continue; }
    if (strcmp(a, "-e") == 0) { i++; if (i >= argc) goto bad_option; continue; }
  bad_option:
    fprintf(stderr, "lunet: unrecognized option or missing argument: '%s'\n%s", a, usage_text);
    lua_pushinteger(L, 1);
    return 1;
  }
  create_arg_table(L, argv, argc, script);
  if (!have_lua) {
    fprintf(stderr, "lunet: %s\n", lua_dir_error);
    lua_pushinteger(L, 1);
    return 1;
  }
  if (load_lunet_global(L) != LUA_OK) { lua_pushinteger(L, 1); return 1; }

  /* a first argument that is not a file but a command name: lunet worker ... */
  if (script == 1 && strcmp(argv[1], "-") != 0) {
    struct stat st;
    const char *a = argv[1];
    if (stat(a, &st) != 0 && strchr(a, '/') == NULL && strchr(a, '.') == NULL) {
      lua_pushinteger(L, run_command(L, argv, argc));
      return 1;
    }
  }
  for (i = 1; i < (script ? script : argc); i++)
    if (strcmp(argv[i], "-e") == 0 && run_string(L, argv[++i]) != LUA_OK) {
      lua_pushinteger(L, 1);
      return 1;
    }
  if (script && run_script(L, argv, argc, script) != LUA_OK) { lua_pushinteger(L, 1); return 1; }
  int ran_code = script != 0;
  for (i = 1; i < argc && !ran_code; i++) if (strcmp(argv[i], "-e") == 0) ran_code = 1;
  if (run_repl || !ran_code) lunet_repl_run(L);
  lua_pushinteger(L, 0);
  return 1;
}

int main(int argc, char **argv) {
  /* no process-wide FTZ/DAZ: Lua's arithmetic stays exact; the kernels set
   * it around themselves (lunet_ftz_enter in common.h) */
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "lunet: cannot create the Lua state: not enough memory\n");
    return 1;
  }
  global_L = L;
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = lua_pcall(L, 2, 1, 0);
  int code = status == LUA_OK ? (int)lua_tointeger(L, -1) : 1;
  if (status != LUA_OK) lunet_cli_report(L, status);
  lua_close(L);
  /* every socket is closed now: what the driver's last sends still carry
   * (the stop to its last worker) goes out before the process ends */
  lunet_zmq_term();
  return code;
}
