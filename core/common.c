/* Thread-local error buffer, checked allocation and a monotonic clock. */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Thread_local char errmsg[LUNET_ERRMSG_MAX];

int lunet_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errmsg, sizeof errmsg, fmt, ap);
  va_end(ap);
  return -1;
}

const char *lunet_errmsg(void) { return errmsg; }

void lunet_assert_fail(const char *cond, const char *file, int line) {
  fprintf(stderr, "lunet: internal error: assertion '%s' failed at %s:%d\n", cond, file, line);
  abort();
}

void *lunet_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) lunet_fail("out of memory allocating %zu bytes", n);
  return p;
}

void *lunet_calloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) lunet_fail("out of memory allocating %zu x %zu bytes", count, size);
  return p;
}

double lunet_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
