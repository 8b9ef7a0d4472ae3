/* Process-wide malloc settings (see alloc.h). Why: glibc serves a block of
 * 128 KiB or more with a fresh mmap and unmaps it on free; its dynamic
 * threshold rises when such a block is freed, but then trims the heap's top
 * above twice that size (madvise), which a message-sized block exceeds once
 * two are in use. libzmq 4.3's CURVE allocates a plaintext copy and a
 * ciphertext message per frame, and every received frame is a new block of
 * the frame's size: for a 1.5 MB parameter vector, perf showed the I/O
 * thread spending most of its time in page faults, kernel zeroing and memset
 * of new pages (23 round trips/s; ~190 with the pages reused). The
 * thresholds follow the exchanged size rather than being large from the
 * start: blocks just below a high threshold fragment the heap of an
 * in-memory data preparation (read_csv's column buffers: +15% peak RSS
 * with 4 MiB against the default, measured). */
#define _GNU_SOURCE
#include "alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#define SLACK ((size_t)64 << 10)
#define TRIM_SLACK ((size_t)16 << 20)

/* 1: the user chose malloc thresholds (GLIBC_TUNABLES or the older
 * MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ / MALLOC_TOP_PAD_): keep them */
static int user_chose(void) {
  const char *t = getenv("GLIBC_TUNABLES");
  if (t && (strstr(t, "glibc.malloc.mmap_threshold") || strstr(t, "glibc.malloc.trim_threshold") ||
            strstr(t, "glibc.malloc.top_pad")))
    return 1;
  return getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_") || getenv("MALLOC_TOP_PAD_");
}

size_t lunet_malloc_fit(size_t bytes) {
#if defined(__GLIBC__)
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static size_t fitted; /* the mmap threshold set so far; (size_t)-1: the user's choice */
  static int checked;
  size_t now = __atomic_load_n(&fitted, __ATOMIC_ACQUIRE);
  if (now == (size_t)-1) return 0;
  if (bytes > LUNET_MALLOC_FIT_MAX - SLACK || bytes + SLACK <= now) return now;
  size_t want = bytes + SLACK;
  pthread_mutex_lock(&lock); /* raises in order: a smaller request never undoes a larger one */
  if (!checked) {
    checked = 1;
    if (user_chose()) __atomic_store_n(&fitted, (size_t)-1, __ATOMIC_RELEASE);
  }
  now = __atomic_load_n(&fitted, __ATOMIC_ACQUIRE);
  if (now != (size_t)-1 && now < want) {
    /* (setting M_MMAP_THRESHOLD ends glibc's dynamic adjustment, as intended) */
    mallopt(M_MMAP_THRESHOLD, (int)want);
    mallopt(M_TRIM_THRESHOLD, (int)(4 * want + TRIM_SLACK));
    __atomic_store_n(&fitted, want, __ATOMIC_RELEASE);
    now = want;
  }
  pthread_mutex_unlock(&lock);
  return now == (size_t)-1 ? 0 : now;
#else
  (void)bytes;
  return 0;
#endif
}
