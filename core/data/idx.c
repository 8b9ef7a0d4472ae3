/* MNIST's IDX format (plain or gzipped, read through zlib): a big-endian
 * header (two zero bytes, a type code, the number of dimensions, one 32-bit
 * size per dimension) then the values, row-major. Values become float32 as
 * they are (pixels 0..255, labels 0..9); scaling is the caller's choice. */
#include "idx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common.h"
#include "file.h"

/* Reads up to n bytes: returns how many (fewer only at the end of the data),
 * or -1 with a message on a read error or a corrupt gzip stream. */
static int64_t read_upto(gzFile gz, const char *path, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
    int r = gzread(gz, (char *)buf + got, chunk);
    int err;
    const char *msg = gzerror(gz, &err);
    if (r < 0 || (err != Z_OK && err != Z_BUF_ERROR))
      return lunet_fail("read_idx: %s: %s", path, err == Z_ERRNO ? strerror(errno) : msg);
    got += (size_t)r;
    if (r == 0 || err == Z_BUF_ERROR) break; /* Z_BUF_ERROR: a gzip stream cut short */
  }
  return (int64_t)got;
}

static int read_exact(gzFile gz, const char *path, void *buf, size_t n, const char *what) {
  int64_t got = read_upto(gz, path, buf, n);
  if (got < 0) return -1;
  if ((size_t)got < n)
    return lunet_fail("read_idx: %s: truncated %s: expected %zu bytes, got %lld", path, what, n, (long long)got);
  return 0;
}

/* The n-byte payload, in a buffer grown as the bytes arrive: a header of a
 * few bytes can claim terabytes, and only a file that holds them should make
 * the reader allocate that much. NULL with a message when the data ends
 * early. Free with free(). */
static unsigned char *read_payload(gzFile gz, const char *path, size_t n) {
  const size_t step = (size_t)1 << 20;
  size_t cap = n < step ? n : step, got = 0;
  unsigned char *buf = lunet_malloc(cap);
  while (buf) {
    int64_t r = read_upto(gz, path, buf + got, cap - got);
    if (r < 0) break;
    got += (size_t)r;
    if (got == n) return buf;
    if (got < cap) {
      lunet_fail("read_idx: %s: truncated payload: expected %zu bytes, got %zu", path, n, got);
      break;
    }
    cap = n - cap < cap ? n : 2 * cap; /* doubling, at most n */
    unsigned char *more = realloc(buf, cap);
    if (!more) {
      lunet_fail("read_idx: %s: out of memory for a %zu-byte payload", path, n);
      break;
    }
    buf = more;
  }
  free(buf);
  return NULL;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int elem_size(int type) {
  switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

/* y (n) = the big-endian values in raw, converted to float */
static void convert(float *y, const unsigned char *raw, size_t n, int type) {
  for (size_t i = 0; i < n; i++) {
    const unsigned char *p = raw + i * (size_t)elem_size(type);
    switch (type) {
      case 0x08: y[i] = (float)p[0]; break;
      case 0x09: y[i] = (float)(int8_t)p[0]; break;
      case 0x0B: y[i] = (float)(int16_t)(p[0] << 8 | p[1]); break;
      case 0x0C: y[i] = (float)(int32_t)be32(p); break;
      case 0x0D: { uint32_t u = be32(p); float f; memcpy(&f, &u, 4); y[i] = f; break; }
      default: {
        uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);
        double d;
        memcpy(&d, &u, 8);
        y[i] = (float)d;
      }
    }
  }
}

lunet_tensor_t *lunet_idx_read(const char *path) {
  const char *why;
  int fd = lunet_file_open_read(path, &why);
  if (fd < 0) { lunet_fail("read_idx: %s: %s", path, why); return NULL; }
  gzFile gz = gzdopen(fd, "rb");
  if (!gz) { close(fd); lunet_fail("read_idx: %s: out of memory", path); return NULL; }
  lunet_tensor_t *t = NULL;
  unsigned char *raw = NULL;
  unsigned char head[4], dims[4 * LUNET_MAX_DIMS];
  if (read_exact(gz, path, head, 4, "header") < 0) goto done;
  int type = head[2], ndim = head[3];
  if (head[0] != 0 || head[1] != 0 || elem_size(type) == 0 || ndim < 1 || ndim > LUNET_MAX_DIMS) {
    lunet_fail("read_idx: %s: bad magic number 0x%02x%02x%02x%02x (not an IDX file of 1 to %d dimensions)",
               path, head[0], head[1], head[2], head[3], LUNET_MAX_DIMS);
    goto done;
  }
  if (read_exact(gz, path, dims, 4 * (size_t)ndim, "header") < 0) goto done;
  int64_t shape[LUNET_MAX_DIMS];
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    shape[i] = be32(dims + 4 * i);
    if (shape[i] > 0 && n > ((size_t)1 << 40) / (size_t)shape[i]) {
      lunet_fail("read_idx: %s: implausible sizes in the header", path);
      goto done;
    }
    n *= (size_t)shape[i];
  }
  if (!(raw = read_payload(gz, path, n * (size_t)elem_size(type)))) goto done;
  t = lunet_tensor_new_uninit(ndim, shape);
  if (t) convert(lunet_tensor_data(t), raw, n, type);
done:
  free(raw);
  gzclose(gz);
  return t;
}
