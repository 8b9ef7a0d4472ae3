/* Process-level functions: BLAS threads, the usable CPUs, clocks, the
 * executable's path, tty checks, and the bare-sgemm timer the benchmarks
 * compare against. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "common.h"
#include "lbind.h"

static int s_set_num_threads(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  if (n < 1) return luaL_error(L, "set_num_threads: n must be at least 1, got %d", (int)n);
  lunet_blas_set_num_threads((int)n);
  return 0;
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
  lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
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

static const luaL_Reg sys_functions[] = {
    {"set_num_threads", s_set_num_threads}, {"get_num_threads", s_get_num_threads},
    {"blas_config", s_blas_config}, {"now", s_now}, {"isatty", s_isatty}, {"executable", s_executable},
    {"bench_sgemm", s_bench_sgemm}, {"num_cpus", s_num_cpus}, {NULL, NULL}};

void lunet_open_sys(lua_State *L) {
  lunet_thread_init_compute();
  luaL_setfuncs(L, sys_functions, 0);
  lua_pushstring(L, LUNET_VERSION);
  lua_setfield(L, -2, "version");
}
