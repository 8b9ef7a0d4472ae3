/* Process-level functions: BLAS threads, the usable CPUs, clocks, the
 * executable's path, tty checks, and the bare-sgemm timers the benchmarks
 * compare against. */
#define _GNU_SOURCE
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "common.h"
#include "lbind.h"

/* set_num_threads(n): lunet.set_num_threads (lua/lunet/init.lua) checked n
 * against blas_max_threads(); OpenBLAS would clamp a larger n silently. */
static int s_set_num_threads(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1), max = lunet_blas_max_threads();
  if (n < 1 || n > max) return luaL_error(L, "set_num_threads: n must be from 1 to %I, got %I", max, n);
  lunet_blas_set_num_threads((int)n);
  return 0;
}

static int s_blas_quiesce(lua_State *L) {
  (void)L;
  lunet_blas_quiesce();
  return 0;
}

static int s_blas_max_threads(lua_State *L) {
  lua_pushinteger(L, lunet_blas_max_threads());
  return 1;
}

static int s_get_num_threads(lua_State *L) {
  lua_pushinteger(L, lunet_blas_get_num_threads());
  return 1;
}

/* num_cpus() -> the CPUs this process may run on (its affinity mask; a
 * container or taskset may give it fewer than the machine has) */
static int s_num_cpus(lua_State *L) {
  cpu_set_t set;
  long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
  lua_pushinteger(L, n > 0 ? n : 1);
  return 1;
}

static int s_blas_config(lua_State *L) {
  lua_pushstring(L, lunet_blas_config());
  return 1;
}

static int s_now(lua_State *L) {
  lua_pushnumber(L, lunet_now());
  return 1;
}

static int s_isatty(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  lua_pushboolean(L, fd >= 0 && fd <= INT_MAX && isatty((int)fd));
  return 1;
}

/* The lunet executable to launch workers with: $LUNET_EXECUTABLE, this process
 * when it is lunet, else the build tree's or the installed one. */
static int s_executable(lua_State *L) {
  const char *env = getenv("LUNET_EXECUTABLE");
  if (env && *env) { lua_pushstring(L, env); return 1; }
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    const char *base = strrchr(exe, '/');
    if (base && strcmp(base + 1, "lunet") == 0) { lua_pushstring(L, exe); return 1; }
  }
  lua_pushstring(L, access(LUNET_BUILD_EXE, X_OK) == 0 ? LUNET_BUILD_EXE : LUNET_INSTALL_EXE);
  return 1;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* bench_sgemm(m, n, k, reps) -> median seconds of one bare sgemm on
 * preallocated buffers: the floor the benchmarks compare lunet against. */
static int s_bench_sgemm(lua_State *L) {
  lua_Integer m = luaL_checkinteger(L, 1), n = luaL_checkinteger(L, 2), k = luaL_checkinteger(L, 3);
  lua_Integer reps = luaL_optinteger(L, 4, 10);
  const lua_Integer lim = 1 << 14; /* each size; products then stay far from overflow */
  if (m < 1 || n < 1 || k < 1 || reps < 1 || m > lim || n > lim || k > lim || reps > 100000)
    return luaL_error(L, "bench_sgemm: sizes must be in 1..16384 and reps in 1..100000");
  float *a = lunet_malloc((size_t)(m * k) * sizeof(float));
  float *b = lunet_malloc((size_t)(k * n) * sizeof(float));
  float *c = lunet_malloc((size_t)(m * n) * sizeof(float));
  double *times = lunet_malloc((size_t)reps * sizeof(double));
  if (!a || !b || !c || !times) {
    free(a); free(b); free(c); free(times);
    return lunet_core_error(L, "bench_sgemm");
  }
  for (lua_Integer i = 0; i < m * k; i++) a[i] = (float)(i % 7) * 0.1f;
  for (lua_Integer i = 0; i < k * n; i++) b[i] = (float)(i % 5) * 0.1f;
  lunet_blas_sgemm(0, 0, (int)m, (int)n, (int)k, 1.0f, a, (int)k, b, (int)n, 0.0f, c, (int)n); /* warm-up */
  for (lua_Integer r = 0; r < reps; r++) {
    double t0 = lunet_now();
    lunet_blas_sgemm(0, 0, (int)m, (int)n, (int)k, 1.0f, a, (int)k, b, (int)n, 0.0f, c, (int)n);
    times[r] = lunet_now() - t0;
  }
  qsort(times, (size_t)reps, sizeof *times, cmp_double);
  lua_pushnumber(L, times[reps / 2]);
  free(a); free(b); free(c); free(times);
  return 1;
}

/* bench_gemms({{ta, tb, m, n, k}, ...}, reps) -> median seconds of running
 * exactly these sgemm calls back to back on preallocated buffers (the floor
 * of one training step, scripts/bench_nn.lua) */
static int s_bench_gemms(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer reps = luaL_optinteger(L, 2, 20), count = luaL_len(L, 1);
  const lua_Integer lim = 1 << 28; /* each size, and each matrix in floats (1 GB) */
  if (reps < 1 || reps > 100000 || count < 1 || count > 1000)
    return luaL_error(L, "bench_gemms: need 1 to 1000 calls and reps in 1..100000");
  int(*calls)[5] = lua_newuserdatauv(L, (size_t)count * sizeof *calls, 0); /* freed by Lua on error */
  size_t big = 1;
  for (lua_Integer i = 0; i < count; i++) {
    lua_geti(L, 1, i + 1);
    for (int j = 0; j < 5; j++) {
      lua_geti(L, -1, j + 1);
      int ok;
      lua_Integer v = lua_tointegerx(L, -1, &ok);
      if (!ok || v < (j < 2 ? 0 : 1) || v > (j < 2 ? 1 : lim))
        return luaL_error(L, "bench_gemms: call %I: {ta, tb, m, n, k} with ta, tb 0 or 1 and sizes in 1..%I",
                          i + 1, lim);
      calls[i][j] = (int)v;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    size_t m = (size_t)calls[i][2], n = (size_t)calls[i][3], k = (size_t)calls[i][4];
    if (m * k > (size_t)lim || k * n > (size_t)lim || m * n > (size_t)lim)
      return luaL_error(L, "bench_gemms: call %I: a matrix of more than %I floats", i + 1, lim);
    if (m * k > big) big = m * k;
    if (k * n > big) big = k * n;
    if (m * n > big) big = m * n;
  }
  float *a = lunet_malloc(big * sizeof(float)), *b = lunet_malloc(big * sizeof(float)),
        *c = lunet_malloc(big * sizeof(float));
  double *times = lunet_malloc((size_t)reps * sizeof(double));
  if (!a || !b || !c || !times) {
    free(a); free(b); free(c); free(times);
    return lunet_core_error(L, "bench_gemms");
  }
  for (size_t i = 0; i < big; i++) { a[i] = (float)(i % 7) * 0.1f; b[i] = (float)(i % 5) * 0.1f; c[i] = 0.0f; }
  for (lua_Integer r = -2; r < reps; r++) {
    double t0 = lunet_now();
    for (lua_Integer i = 0; i < count; i++) {
      int ta = calls[i][0], tb = calls[i][1], m = calls[i][2], n = calls[i][3], k = calls[i][4];
      lunet_blas_sgemm(ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n);
    }
    if (r >= 0) times[r] = lunet_now() - t0;
  }
  qsort(times, (size_t)reps, sizeof *times, cmp_double);
  lua_pushnumber(L, times[reps / 2]);
  free(a); free(b); free(c); free(times);
  return 1;
}

static const luaL_Reg sys_functions[] = {
    {"set_num_threads", s_set_num_threads}, {"get_num_threads", s_get_num_threads},
    {"blas_quiesce", s_blas_quiesce},
    {"blas_max_threads", s_blas_max_threads},
    {"blas_config", s_blas_config}, {"now", s_now}, {"isatty", s_isatty}, {"executable", s_executable},
    {"bench_sgemm", s_bench_sgemm}, {"nn_bench_gemms", s_bench_gemms}, {"num_cpus", s_num_cpus},
    {NULL, NULL}};

void lunet_open_sys(lua_State *L) {
  luaL_setfuncs(L, sys_functions, 0);
  lua_pushstring(L, LUNET_VERSION);
  lua_setfield(L, -2, "version");
}
