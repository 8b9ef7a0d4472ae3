/* Process-wide malloc settings for the transport's large buffers. */
#ifndef LUNET_PS_ALLOC_H
#define LUNET_PS_ALLOC_H

#include <stddef.h>

/* The thresholds lunet_malloc_tune sets (bytes). */
#define LUNET_MALLOC_MMAP_THRESHOLD ((size_t)32 << 20)
#define LUNET_MALLOC_TRIM_THRESHOLD ((size_t)64 << 20)

/* Keeps blocks below 32 MiB (a parameter vector, a ZeroMQ message, CURVE's
 * buffers) on the heap, and up to 64 MiB of freed heap per arena, so a
 * message of the same size reuses the pages of the last one instead of
 * mapping, faulting in and zeroing fresh ones. Once per process (later
 * calls do nothing); left to the user when GLIBC_TUNABLES or MALLOC_*_
 * variables set malloc thresholds. Returns 1 if the settings were applied
 * by this process, 0 if not (the user's settings, or not glibc). */
int lunet_malloc_tune(void);

#endif
