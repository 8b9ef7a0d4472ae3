/* The CSV reader's byte source: a regular file (core/file.h refuses FIFOs
 * and devices, which could block or never end), plain or gzip alike through
 * zlib, read in LUNET_CSV_CHUNK pieces; and the bare libcsv parse that
 * benchmarks it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "common.h"
#include "csvio.h"
#include "csvparts.h"
#include "file.h"

gzFile lunet_csv_open(const char *path) {
  const char *why;
  int fd = lunet_file_open_read(path, &why);
  if (fd < 0) { lunet_fail("%s: %s", path, why); return NULL; }
  gzFile gz = gzdopen(fd, "rb");
  if (!gz) { close(fd); lunet_fail("%s: cannot open (out of memory)", path); return NULL; }
  gzbuffer(gz, LUNET_CSV_CHUNK);
  return gz;
}

/* zlib reports a cut-off stream as Z_BUF_ERROR with the data. */
int lunet_csv_read_chunk(gzFile gz, const char *path, char *buf, int *n) {
  *n = gzread(gz, buf, LUNET_CSV_CHUNK);
  int err;
  const char *msg = gzerror(gz, &err);
  if (err == Z_BUF_ERROR) return lunet_fail("%s: truncated gzip file (unexpected end of compressed data)", path);
  if (*n < 0 || (err != Z_OK && err != Z_BUF_ERROR))
    return lunet_fail("%s: %s", path, err == Z_ERRNO ? strerror(errno) : msg);
  return 0;
}

static void noop_field(void *s, size_t len, void *data) { (*(int64_t *)data)++; }
static void noop_record(int c, void *data) {}

int64_t lunet_csv_bare_parse(const char *path) {
  gzFile gz = lunet_csv_open(path);
  if (!gz) return -1;
  char *buf = lunet_malloc(LUNET_CSV_CHUNK);
  struct csv_parser p;
  if (!buf || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
    free(buf);
    gzclose(gz);
    return -1;
  }
  int64_t fields = 0;
  int n;
  while (lunet_csv_read_chunk(gz, path, buf, &n) == 0 && n > 0)
    csv_parse(&p, buf, (size_t)n, noop_field, noop_record, &fields);
  csv_fini(&p, noop_field, noop_record, &fields);
  csv_free(&p);
  free(buf);
  gzclose(gz);
  return fields;
}
