/* Model files (see modelfile.h): the atomic writer and the checking reader. */
#define _GNU_SOURCE
#include "modelfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "common.h"

#define FNV_START 0xcbf29ce484222325ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) { h ^= c[i]; h *= 0x100000001b3ULL; }
  return h;
}

static int put(FILE *f, uint64_t *h, const void *p, size_t n) {
  *h = fnv(*h, p, n);
  return fwrite(p, 1, n, f) == n ? 0 : -1;
}

int lunet_modelfile_write(const char *path, const char *header, size_t header_len, int count,
                          const float *const *data, const uint64_t *n) {
  lunet_atomic_t a;
  if (lunet_atomic_open(&a, path) < 0) return -1;
  FILE *f = a.f;
  uint64_t h = FNV_START, hl = header_len;
  uint32_t version = 1, c = (uint32_t)count;
  int bad = put(f, &h, "LUNETNN1", 8) || put(f, &h, &version, 4) || put(f, &h, &c, 4) || put(f, &h, &hl, 8) ||
            put(f, &h, header, header_len);
  for (int i = 0; !bad && i < count; i++)
    bad = put(f, &h, &n[i], 8) || put(f, &h, data[i], n[i] * sizeof(float));
  if (!bad) { fwrite(&h, 8, 1, f); fwrite("LUNETEND", 1, 8, f); }
  return lunet_atomic_commit(&a); /* a short write above is seen here */
}

void lunet_modelfile_free(lunet_modelfile_t *f) {
  if (!f) return;
  free(f->buf);
  free(f->data);
  free(f->n);
  free(f);
}

static lunet_modelfile_t *fail_free(lunet_modelfile_t *m, char *buf, const char *path, const char *why) {
  lunet_fail("'%s' %s", path, why);
  free(buf);
  lunet_modelfile_free(m);
  return NULL;
}

/* The whole regular file at path in a new buffer (*size bytes), or NULL with
 * a message. O_NONBLOCK: opening a FIFO (or a device) would otherwise wait
 * for a writer; it is refused by the type check that follows, and on a
 * regular file the flag changes nothing. */
static char *read_regular(const char *path, size_t *size) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { lunet_fail("cannot open '%s': %s", path, strerror(errno)); return NULL; }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    lunet_fail("'%s' is not a regular file", path);
    return NULL;
  }
  if (st.st_size <= 0) { close(fd); lunet_fail("'%s' is empty", path); return NULL; }
  size_t n = (size_t)st.st_size, got = 0;
  char *buf = lunet_malloc(n);
  if (!buf) { close(fd); return NULL; }
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) { /* an error, or the file shrank while we read it */
      int e = r < 0 ? errno : EIO;
      close(fd);
      free(buf);
      lunet_fail("cannot read '%s': %s", path, strerror(e));
      return NULL;
    }
    got += (size_t)r;
  }
  close(fd);
  *size = n;
  return buf;
}

lunet_modelfile_t *lunet_modelfile_read(const char *path) {
  size_t sz = 0;
  char *buf = read_regular(path, &sz);
  if (!buf) return NULL;
  size_t pos = 24;
  if (sz < 24 || memcmp(buf, "LUNETNN1", 8) != 0) return fail_free(NULL, buf, path, "is not a lunet model file");
  uint32_t version, count;
  uint64_t hl;
  memcpy(&version, buf + 8, 4); memcpy(&count, buf + 12, 4); memcpy(&hl, buf + 16, 8);
  if (version != 1) return fail_free(NULL, buf, path, "has an unsupported format version");
  if (hl > sz - pos || count > sz / 8) return fail_free(NULL, buf, path, "is truncated");
  lunet_modelfile_t *m = lunet_calloc(1, sizeof *m);
  if (!m) { free(buf); return NULL; }
  m->data = lunet_calloc(count, sizeof *m->data);
  m->n = lunet_calloc(count, sizeof *m->n);
  if (!m->data || !m->n) { free(buf); lunet_modelfile_free(m); return NULL; }
  m->header = buf + pos;
  m->header_len = hl;
  m->count = (int)count;
  pos += hl;
  for (uint32_t i = 0; i < count; i++) {
    uint64_t n;
    if (sz - pos < 8) return fail_free(m, buf, path, "is truncated");
    memcpy(&n, buf + pos, 8);
    if (n > (sz - pos - 8) / sizeof(float)) return fail_free(m, buf, path, "is truncated");
    m->n[i] = n;
    m->data[i] = buf + pos + 8;
    pos += 8 + n * sizeof(float);
  }
  if (sz - pos < 16) return fail_free(m, buf, path, "is truncated");
  uint64_t sum;
  memcpy(&sum, buf + pos, 8);
  if (sum != fnv(FNV_START, buf, pos) || memcmp(buf + pos + 8, "LUNETEND", 8) != 0)
    return fail_free(m, buf, path, "is corrupt (checksum mismatch)");
  m->buf = buf;
  return m;
}
