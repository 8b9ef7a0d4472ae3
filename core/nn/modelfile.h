/* Model files: one text header (JSON written by lua/lunet/nn) and a list of
 * float32 arrays, with a checksum, written atomically (temp file in the same
 * directory, fsync, rename, fsync of the directory) so a crash never leaves a
 * half-written model and a finished write survives a power loss.
 * Layout: "LUNETNN1", u32 version, u32 count, u64 header length, header,
 * count x (u64 numel, float32 data), u64 FNV-1a of all before, "LUNETEND". */
#ifndef LUNET_MODELFILE_H
#define LUNET_MODELFILE_H

#include <stddef.h>
#include <stdint.h>

/* Writes header and arrays data[i] (n[i] floats each) to path; -1 with a
 * message naming the path on failure (the old file, if any, is untouched). */
int lunet_modelfile_write(const char *path, const char *header, size_t header_len, int count,
                          const float *const *data, const uint64_t *n);

typedef struct lunet_modelfile {
  char *buf;               /* the whole file, owned */
  const char *header;      /* into buf, header_len bytes, not NUL-terminated */
  size_t header_len;
  int count;
  const void **data;       /* (count) float32 arrays in buf, maybe unaligned: memcpy them */
  uint64_t *n;             /* (count) */
} lunet_modelfile_t;

/* Reads and checks path; NULL with "'path' is not a lunet model file" /
 * "is truncated" / "is corrupt (checksum mismatch)" / an OS error. */
lunet_modelfile_t *lunet_modelfile_read(const char *path);
void lunet_modelfile_free(lunet_modelfile_t *f);

#endif
