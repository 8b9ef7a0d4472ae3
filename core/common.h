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

/* Sets flush-to-zero and denormals-are-zero in the calling thread: denormals
 * cost ~20x on this hardware. Call once in every thread that computes. */
void lunet_thread_init_compute(void);

/* Monotonic seconds, for timings and progress. */
double lunet_now(void);

#endif
