/* Error reporting and invariants shared by every part of the C core.
 * User-caused errors set a thread-local message (lunet_fail) and return -1/NULL;
 * the Lua binding turns that message into a Lua error. Library code never exits. */
#ifndef LUNET_COMMON_H
#define LUNET_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define LUNET_VERSION "0.1.0"
#define LUNET_ERRMSG_MAX 1024

/* Formats the thread's error message; always returns -1 so callers can
 * `return lunet_fail(...)`. */
int lunet_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last message set by lunet_fail in this thread ("" if none). */
const char *lunet_errmsg(void);

/* Broken invariants are bugs, not user errors: print and abort. */
void lunet_assert_fail(const char *cond, const char *file, int line);
#define LUNET_ASSERT(cond) \
  do { if (!(cond)) lunet_assert_fail(#cond, __FILE__, __LINE__); } while (0)

/* malloc/calloc that set an error message on failure (and on n == 0 return a
 * valid unique pointer). Free with free(). */
void *lunet_malloc(size_t n);
void *lunet_calloc(size_t count, size_t size);

/* Flush-to-zero and denormals-are-zero (FTZ/DAZ) around the compute kernels:
 * denormals cost ~20x on this hardware, but the mode is per thread and would
 * also flush Lua's own arithmetic and number parsing (5e-324 > 0 false), so
 * the kernels' entry points (the matrix products of blas.c, the nn runner's
 * steps in net.c) set it on entry and restore the caller's mode on return:
 *   lunet_fpmode_t m = lunet_ftz_enter(); ...kernel...; lunet_ftz_leave(m);
 * Costs two MXCSR accesses (a few ns) per call; scopes nest. (OpenBLAS's
 * own worker threads, started before main, never had the mode set.) */
typedef unsigned lunet_fpmode_t;
static inline lunet_fpmode_t lunet_ftz_enter(void) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned m = __builtin_ia32_stmxcsr();
  if ((m & 0x8040u) != 0x8040u) __builtin_ia32_ldmxcsr(m | 0x8040u);
  return m;
#else
  return 0;
#endif
}
static inline void lunet_ftz_leave(lunet_fpmode_t m) {
#if defined(__x86_64__) || defined(__i386__)
  if ((m & 0x8040u) != 0x8040u) __builtin_ia32_ldmxcsr(m);
#else
  (void)m;
#endif
}

/* Monotonic seconds, for timings and progress. */
double lunet_now(void);

#endif
