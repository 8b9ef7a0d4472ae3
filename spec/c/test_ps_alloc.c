/* C unit test of core/ps/alloc.h: after lunet_malloc_fit(4 MiB), a 4 MiB
 * block (a parameter vector, a ZeroMQ message) comes from the heap, not from
 * a fresh mmap, and freeing it keeps its pages; blocks above the fitted size
 * are still mapped; the fit only ever rises and stops at 32 MiB. Observed
 * through mallinfo2's count of mmapped blocks (glibc). The user's malloc
 * variables are unset first: with them, lunet leaves malloc alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "alloc.h"

#include "check.h"

/* gcc says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer) */
#if defined(__SANITIZE_ADDRESS__)
#define LUNET_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LUNET_TEST_ASAN 1
#endif
#endif
#ifndef LUNET_TEST_ASAN
#define LUNET_TEST_ASAN 0
#endif

#define MiB ((size_t)1 << 20)

int main(void) {
#if LUNET_TEST_ASAN
  /* AddressSanitizer's allocator replaces glibc's: mallopt does nothing there */
  fprintf(stderr, "test_ps_alloc: skipped under AddressSanitizer (glibc's malloc is replaced)\n");
  return 0;
#endif
#if defined(__GLIBC__)
  unsetenv("GLIBC_TUNABLES"); /* (read by lunet_malloc_fit; glibc read its own at start) */
  unsetenv("MALLOC_MMAP_THRESHOLD_");
  unsetenv("MALLOC_TRIM_THRESHOLD_");
  unsetenv("MALLOC_TOP_PAD_");
  /* (nothing large is allocated before: freeing a mapped block would raise
   * glibc's dynamic threshold by itself, and this test would prove nothing) */
  size_t fit = lunet_malloc_fit(4 * MiB);
  CHECK(fit > 4 * MiB && fit < 5 * MiB);
  CHECK(lunet_malloc_fit(1 * MiB) == fit);       /* never lowered */
  CHECK(lunet_malloc_fit(64 * MiB) == fit);      /* above 32 MiB: left to mmap */
  size_t before = mallinfo2().hblks;
  char *b = malloc(4 * MiB);
  CHECK(b != NULL);
  memset(b, 1, 4 * MiB);
  CHECK(mallinfo2().hblks == before); /* from the heap */
  free(b);
  CHECK(mallinfo2().fordblks >= 4 * MiB); /* freed, its pages stay in the arena */
  char *c = malloc(8 * MiB);
  CHECK(c != NULL);
  CHECK(mallinfo2().hblks == before + 1); /* above the fit: still mapped */
  free(c);
  size_t wider = lunet_malloc_fit(8 * MiB); /* a larger model's vector raises it */
  CHECK(wider > 8 * MiB && wider > fit);
  char *d = malloc(8 * MiB);
  CHECK(d != NULL);
  CHECK(mallinfo2().hblks == before);
  free(d);
#endif
  return failures ? 1 : 0;
}
