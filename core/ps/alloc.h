/* Process-wide malloc settings for the parameter exchange's repeated large
 * messages (see alloc.c for why). */
#ifndef LUNET_PS_ALLOC_H
#define LUNET_PS_ALLOC_H

#include <stddef.h>

/* The largest block lunet_malloc_fit keeps on the heap: glibc's own ceiling
 * for its mmap threshold on 64-bit (half its 64 MiB arena heap). */
#define LUNET_MALLOC_FIT_MAX ((size_t)32 << 20)

/* Makes glibc serve blocks of up to bytes (+ 64 KiB for CURVE's and
 * ZeroMQ's few extra bytes) from the heap and keep four such blocks (+ 16 MiB)
 * when they are freed, so that a message of that size reuses the pages of
 * the last one instead of mapping, faulting in and zeroing fresh ones.
 * Called by the send and receive paths (wire.c) with the largest payload
 * frame of a commit, commit_pull or params message (a well-formed one, from
 * an admitted peer).
 * Only ever raises the thresholds; does nothing above LUNET_MALLOC_FIT_MAX,
 * and nothing at all when the user set malloc thresholds (GLIBC_TUNABLES or
 * the MALLOC_*_ variables) or the allocator is not glibc's. Thread-safe; a
 * call the thresholds already cover costs one atomic load. Returns the
 * mmap threshold in effect by lunet's choice (0: none). */
size_t lunet_malloc_fit(size_t bytes);

#endif
