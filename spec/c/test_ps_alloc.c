/* C unit test of core/ps/alloc.h: after lunet_malloc_tune, a 4 MiB block
 * (a parameter vector, a ZeroMQ message) comes from the heap, not from a
 * fresh mmap, and freeing it does not hand its pages back; a block above
 * the threshold is still mapped. Observed through mallinfo2's count of
 * mmapped blocks (glibc). Run with the user's GLIBC_TUNABLES unset. */
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

int main(void) {
#if LUNET_TEST_ASAN
  /* AddressSanitizer's allocator replaces glibc's: mallopt does nothing there */
  fprintf(stderr, "test_ps_alloc: skipped under AddressSanitizer (glibc's malloc is replaced)\n");
  return 0;
#endif
#if defined(__GLIBC__)
  unsetenv("GLIBC_TUNABLES"); /* (read by lunet_malloc_tune; glibc read its own at start) */
  unsetenv("MALLOC_MMAP_THRESHOLD_");
  unsetenv("MALLOC_TRIM_THRESHOLD_");
  unsetenv("MALLOC_TOP_PAD_");
  /* (nothing large is allocated before: freeing a mapped block would raise
   * glibc's dynamic threshold by itself, and this test would prove nothing) */
  CHECK(lunet_malloc_tune() == 1);
  CHECK(lunet_malloc_tune() == 1); /* once; the second call reports the first */
  size_t before = mallinfo2().hblks;
  char *b = malloc(4u << 20);
  CHECK(b != NULL);
  memset(b, 1, 4u << 20);
  CHECK(mallinfo2().hblks == before); /* from the heap */
  free(b);
  /* freed, its pages stay in this arena (below the trim threshold) */
  size_t kept = mallinfo2().fordblks;
  CHECK(kept >= (size_t)(4u << 20));
  char *c = malloc(LUNET_MALLOC_MMAP_THRESHOLD + (1u << 20));
  CHECK(c != NULL);
  CHECK(mallinfo2().hblks == before + 1); /* above the threshold: still mapped */
  free(c);
#endif
  return failures ? 1 : 0;
}
