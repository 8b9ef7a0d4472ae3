/* The CSV and IDX readers take a path: a fuzz target writes each input to one
 * scratch file of its own (mkstemp under $TMPDIR), rewritten in place. */
#ifndef LUNET_FUZZ_FILE_H
#define LUNET_FUZZ_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The path of the scratch file now holding data (size bytes); aborts when
 * the file cannot be written (the run would test nothing). */
static const char *fuzz_file_write(const uint8_t *data, size_t size) {
  static char path[512];
  static int fd = -1;
  if (fd < 0) {
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/lunet-fuzz-XXXXXX", dir && *dir ? dir : "/tmp");
    if ((fd = mkstemp(path)) < 0) { perror("fuzz: mkstemp"); abort(); }
  }
  if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
    perror(path);
    abort();
  }
  return path;
}

#endif
