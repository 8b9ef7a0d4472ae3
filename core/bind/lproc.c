/* core.spawn / kill / wait / die_with_parent / getpid / nice: process control for
 * the local launcher and for workers watching their driver; thread_cpu /
 * set_thread_name / process_threads: which thread of this process spends the
 * CPU (the sharded server's benchmark). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "lbind.h"
#include "proc.h"

static int signal_number(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TNUMBER) { /* 2^32 + 9 must not become 9 (SIGKILL) */
    lua_Integer n = luaL_checkinteger(L, idx);
    if (n < 0 || n > INT_MAX) return luaL_error(L, "kill: signal number %I out of range", n);
    return (int)n;
  }
  static const char *const names[] = {"TERM", "KILL", "INT", "STOP", "CONT", "HUP", NULL};
  static const int numbers[] = {SIGTERM, SIGKILL, SIGINT, SIGSTOP, SIGCONT, SIGHUP};
  const char *name = luaL_optstring(L, idx, "TERM");
  if (strncmp(name, "SIG", 3) == 0) name += 3;
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], name) == 0) return numbers[i];
  return luaL_error(L, "kill: unknown signal '%s'", name);
}

/* A pid argument: a positive int. Anything else is a bug in the caller, and
 * truncating it could name another process (2^32 + 1 -> 1, init). */
static pid_t check_pid(lua_State *L, int idx, const char *where) {
  lua_Integer pid = luaL_checkinteger(L, idx);
  if (pid <= 0 || pid > INT_MAX) luaL_error(L, "%s: invalid pid %I", where, (LUAI_UACINT)pid);
  return (pid_t)pid;
}

/* spawn({argv...}, {NAME=value...}?) -> pid */
static int l_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 3);
  int argc = (int)luaL_len(L, 1);
  if (argc < 1) return luaL_error(L, "spawn: argv is empty");
  lua_newtable(L); /* 4: anchors every string handed to C below */
  int anchors = 0;
  const char **argv = lua_newuserdatauv(L, (size_t)(argc + 1) * sizeof *argv, 0);
  for (int i = 1; i <= argc; i++) {
    if (lua_geti(L, 1, i) != LUA_TSTRING)
      return luaL_error(L, "spawn: argv[%d] is a %s, expected a string", i, luaL_typename(L, -1));
    size_t len;
    argv[i - 1] = lua_tolstring(L, -1, &len);
    if (strlen(argv[i - 1]) != len) return luaL_error(L, "spawn: argv[%d] contains a NUL byte", i);
    lua_rawseti(L, 4, ++anchors);
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
      size_t name_len, value_len;
      const char *name = lua_tolstring(L, -2, &name_len);
      const char *value = lua_tolstring(L, -1, &value_len);
      /* "A=B" = "c" would set A to "B=c" */
      if (name_len == 0 || strchr(name, '=') || strlen(name) != name_len)
        return luaL_error(L, "spawn: bad environment variable name '%s'", name);
      if (strlen(value) != value_len) return luaL_error(L, "spawn: environment variable %s contains a NUL byte", name);
      env[k++] = lua_pushfstring(L, "%s=%s", name, value);
      lua_rawseti(L, 4, ++anchors);
      lua_pop(L, 1);
    }
  }
  env[k] = NULL;
  /* 3rd argument: a Doorbell the child keeps (lshm.c), at the same fd number */
  int keep_fd = lua_isnoneornil(L, 3) ? -1 : lunet_doorbell_check_fd(L, 3);
  pid_t pid = lunet_proc_spawn((char *const *)argv, (char *const *)env, keep_fd);
  if (pid < 0) return lunet_core_error(L, "spawn");
  lua_pushinteger(L, pid);
  return 1;
}

static int l_kill(lua_State *L) {
  pid_t pid = check_pid(L, 1, "kill");
  lua_pushboolean(L, lunet_proc_kill(pid, signal_number(L, 2)) == 0);
  return 1;
}

/* wait(pid, timeout_s?) -> true, code  |  false (still running) */
static int l_wait(lua_State *L) {
  pid_t pid = check_pid(L, 1, "wait");
  double timeout = luaL_optnumber(L, 2, -1);
  if (isnan(timeout)) return luaL_error(L, "wait: timeout is NaN");
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

/* nice(increment) -> the process's new niceness: a helper process (the
 * evaluator) yields the cores to the training ones it shares them with. */
static int l_nice(lua_State *L) {
  lua_Integer inc = luaL_checkinteger(L, 1);
  if (inc < 0 || inc > 19) return luaL_error(L, "nice: increment must be from 0 to 19, got %I", inc);
  errno = 0;
  int n = nice((int)inc);
  if (n == -1 && errno) return luaL_error(L, "nice: %s", strerror(errno));
  lua_pushinteger(L, n);
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

/* sleep(seconds): the whole time, even when a signal interrupts it (usleep
 * takes at most 4295 s and returns early on a signal). */
static int l_sleep(lua_State *L) {
  double s = luaL_checknumber(L, 1);
  if (!(s > 0)) return 0;
  if (s > 1e9) s = 1e9;
  struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
  return 0;
}

/* thread_cpu() -> the calling thread's CPU seconds (user + system). */
static int l_thread_cpu(lua_State *L) {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0) return lunet_core_error(L, "thread_cpu");
  lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
  return 1;
}

/* set_thread_name(name): the calling thread's name as /proc and top show it
 * (at most 15 bytes: longer names are cut). */
static int l_set_thread_name(lua_State *L) {
  size_t len;
  const char *name = luaL_checklstring(L, 1, &len);
  char cut[16];
  if (len > 15) len = 15;
  memcpy(cut, name, len);
  cut[len] = '\0';
  int rc = pthread_setname_np(pthread_self(), cut);
  if (rc) return luaL_error(L, "set_thread_name: %s", strerror(rc));
  return 0;
}

/* The CPU seconds of thread tid of this process: its per-thread CPU clock
 * (Linux's clock id for a thread id: ns), else /proc's utime + stime ticks. */
static double task_cpu(long tid) {
  struct timespec ts;
  clockid_t id = (clockid_t)((~(unsigned)tid << 3) | 6); /* MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) */
  if (clock_gettime(id, &ts) == 0) return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')'); /* (the name may hold spaces) */
  unsigned long ut = 0, st = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* process_threads() -> {{tid=, name=, cpu=}, ...}: every thread of this
 * process now (cpu: its CPU seconds), or nil, why off Linux. */
static int l_process_threads(lua_State *L) {
  DIR *d = opendir("/proc/self/task");
  if (!d) {
    lua_pushnil(L);
    lua_pushfstring(L, "/proc/self/task: %s", strerror(errno));
    return 2;
  }
  lua_newtable(L);
  int i = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    char *end;
    long tid = strtol(e->d_name, &end, 10);
    if (*end || tid <= 0) continue;
    char path[64], name[32] = "";
    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
    FILE *f = fopen(path, "r");
    if (f) {
      if (!fgets(name, sizeof name, f)) name[0] = '\0';
      fclose(f);
    }
    name[strcspn(name, "\n")] = '\0';
    double cpu = task_cpu(tid);
    if (cpu < 0) continue; /* (a thread that ended meanwhile) */
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, tid);
    lua_setfield(L, -2, "tid");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "name");
    lua_pushnumber(L, cpu);
    lua_setfield(L, -2, "cpu");
    lua_rawseti(L, -2, ++i);
  }
  closedir(d);
  return 1;
}

void lunet_open_proc(lua_State *L) {
  static const luaL_Reg fns[] = {{"spawn", l_spawn}, {"kill", l_kill}, {"wait", l_wait},
                                 {"die_with_parent", l_die_with_parent}, {"getpid", l_getpid}, {"nice", l_nice},
                                 {"getppid", l_getppid}, {"getuid", l_getuid}, {"hostname", l_hostname}, {"sleep", l_sleep},
                                 {"thread_cpu", l_thread_cpu}, {"set_thread_name", l_set_thread_name},
                                 {"process_threads", l_process_threads}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
