/* Process-wide malloc settings (see alloc.h). Why: glibc serves a block of
 * 128 KiB or more with a fresh mmap and unmaps it on free (its dynamic
 * threshold rises only when such a block is freed, then the trim threshold
 * of 2x hands the heap's top back with madvise). libzmq 4.3's CURVE
 * allocates a plaintext copy and a ciphertext message per frame, and every
 * received frame is a new block of the frame's size: for a 1.5 MB parameter
 * vector, perf showed the I/O thread spending most of its time in page
 * faults, kernel zeroing and memset of new pages, at 23 round trips/s
 * against ~190 with the pages reused. */
#define _GNU_SOURCE
#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* 1: the user chose malloc thresholds (GLIBC_TUNABLES or the older
 * MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ / MALLOC_TOP_PAD_): keep them */
static int user_chose(void) {
  const char *t = getenv("GLIBC_TUNABLES");
  if (t && (strstr(t, "glibc.malloc.mmap_threshold") || strstr(t, "glibc.malloc.trim_threshold")))
    return 1;
  return getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_") || getenv("MALLOC_TOP_PAD_");
}

int lunet_malloc_tune(void) {
  static int done, applied;
  if (done) return applied;
  done = 1;
#if defined(__GLIBC__)
  if (user_chose()) return 0;
  /* 32 MiB is the largest mmap threshold glibc accepts on 64-bit (half its
   * 64 MiB arena heap); larger blocks are still mapped and unmapped. Setting
   * it fixes the threshold (no dynamic rise); the trim threshold bounds
   * what an arena keeps once freed. */
  applied = mallopt(M_MMAP_THRESHOLD, (int)LUNET_MALLOC_MMAP_THRESHOLD) == 1 &&
            mallopt(M_TRIM_THRESHOLD, (int)LUNET_MALLOC_TRIM_THRESHOLD) == 1;
#endif
  return applied;
}
