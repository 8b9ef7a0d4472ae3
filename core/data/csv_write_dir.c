/* The Spark-style directory writer of csvio.h (lunet_csv_write_dir): part
 * files written into a fresh hidden directory beside the target, each
 * fsync'ed, then _SUCCESS, then one rename. gzip parts go through a stdio
 * stream over zlib (fopencookie), so plain and gzip share the row writer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common.h"
#include "csvio.h"

static ssize_t gz_write(void *cookie, const char *buf, size_t len) {
  if (len == 0) return 0;
  int n = gzwrite((gzFile)cookie, buf, (unsigned)len);
  return n <= 0 ? -1 : n;
}

/* Writes one part to path (a new file in the fresh directory) and syncs it. */
static int write_part(const char *path, int ncols, const char *const *names, lunet_column_t *const *cols,
                      int64_t first, int64_t count, char delim, int header, int gzip) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return lunet_fail("cannot create '%s': %s", path, strerror(errno));
  int bad = 0;
  gzFile gz = NULL;
  FILE *f;
  if (gzip) {
    int fd2 = dup(fd);
    gz = fd2 >= 0 ? gzdopen(fd2, "wb") : NULL;
    if (!gz && fd2 >= 0) close(fd2);
    f = gz ? fopencookie(gz, "w", (cookie_io_functions_t){.write = gz_write}) : NULL;
  } else {
    f = fdopen(dup(fd), "w");
  }
  if (!f) bad = errno ? errno : ENOMEM;
  else {
    lunet_csv_write_rows(f, ncols, names, cols, first, count, delim, header);
    if (fflush(f) != 0 || ferror(f)) bad = errno ? errno : EIO;
    if (fclose(f) != 0 && !bad) bad = errno ? errno : EIO;
  }
  if (gz && gzclose(gz) != Z_OK && !bad) bad = EIO;
  if (!bad && fsync(fd) != 0) bad = errno;
  if (close(fd) != 0 && !bad) bad = errno;
  if (bad) return lunet_fail("cannot write '%s': %s", path, strerror(bad));
  return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st; (void)ftw;
  return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes path and everything under it (symbolic links are removed, never
 * followed). */
static int remove_tree(const char *path) { return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS); }

static int sync_path(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int bad = fsync(fd) != 0 && errno != EINVAL;
  close(fd);
  return bad ? -1 : 0;
}

/* "<parent>/.<base><suffix>XXXXXX" for mkdtemp; malloc'ed. */
static char *beside(const char *dir, const char *suffix) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  const char *slash = memrchr(dir, '/', n);
  size_t plen = slash ? (size_t)(slash - dir) + 1 : 0;
  char *out = lunet_malloc(n + strlen(suffix) + 16);
  if (!out) return NULL;
  sprintf(out, "%.*s.%.*s%sXXXXXX", (int)plen, dir, (int)(n - plen), dir + plen, suffix);
  return out;
}

int lunet_csv_write_dir(const char *dir, int ncols, const char *const *names, lunet_column_t *const *cols,
                        int nparts, const int64_t *first, const int64_t *count, char delim, int header, int gzip,
                        int overwrite) {
  if (lunet_csv_check_columns(ncols, names, cols) < 0) return -1;
  int64_t rows = ncols ? cols[0]->rows : 0;
  for (int p = 0; p < nparts; p++)
    if (first[p] < 0 || count[p] < 0 || first[p] + count[p] > rows)
      return lunet_fail("part %d: rows %lld..%lld of %lld", p + 1, (long long)first[p] + 1,
                        (long long)(first[p] + count[p]), (long long)rows);
  struct stat st;
  int exists = lstat(dir, &st) == 0;
  if (exists && !overwrite)
    return lunet_fail("'%s' exists (mode = 'overwrite' replaces it, as Spark's SaveMode.Overwrite)", dir);
  char *tmp = beside(dir, "tmp"), *old = beside(dir, "old");
  if (!tmp || !old || !mkdtemp(tmp)) {
    int rc = tmp && old ? lunet_fail("cannot create a directory next to '%s': %s", dir, strerror(errno)) : -1;
    free(tmp);
    free(old);
    return rc;
  }
  mode_t mask = umask(0); /* mkdtemp makes 0700; a dataset is as readable as any new directory */
  umask(mask);
  chmod(tmp, 0777 & ~mask);
  unsigned char id[16];
  if (getrandom(id, sizeof id, 0) != (ssize_t)sizeof id)
    for (size_t i = 0; i < sizeof id; i++) id[i] = (unsigned char)(rand() ^ getpid() >> (i % 8));
  char uuid[40];
  snprintf(uuid, sizeof uuid, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", id[0], id[1],
           id[2], id[3], id[4], id[5], id[6], id[7], id[8], id[9], id[10], id[11], id[12], id[13], id[14], id[15]);
  size_t plen = strlen(tmp) + 80;
  char *path = lunet_malloc(plen);
  int rc = path ? 0 : -1;
  for (int p = 0; p < nparts && rc == 0; p++) {
    snprintf(path, plen, "%s/part-%05d-%s.csv%s", tmp, p, uuid, gzip ? ".gz" : "");
    rc = write_part(path, ncols, names, cols, first[p], count[p], delim, header, gzip);
  }
  if (rc == 0) {
    snprintf(path, plen, "%s/_SUCCESS", tmp);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || fsync(fd) != 0) rc = lunet_fail("cannot write '%s': %s", path, strerror(errno));
    if (fd >= 0) close(fd);
  }
  if (rc == 0 && sync_path(tmp) < 0) rc = lunet_fail("cannot sync '%s': %s", tmp, strerror(errno));
  /* the old dir moves aside first, so dir is never half old, half new */
  int moved = 0;
  char *aside = lunet_malloc(strlen(old) + 8);
  if (!aside) rc = -1;
  if (rc == 0 && exists) { /* into a fresh hidden directory: a file or a directory alike */
    if (!mkdtemp(old)) rc = lunet_fail("cannot replace '%s': %s", dir, strerror(errno));
    else if (sprintf(aside, "%s/old", old), rename(dir, aside) != 0) {
      rc = lunet_fail("cannot replace '%s': %s", dir, strerror(errno));
      rmdir(old);
    } else moved = 1;
  }
  if (rc == 0 && rename(tmp, dir) != 0) {
    rc = lunet_fail("cannot rename '%s' to '%s': %s", tmp, dir, strerror(errno));
    if (moved && rename(aside, dir) == 0) rmdir(old); /* put the old one back */
    moved = 0;
  }
  if (rc < 0) remove_tree(tmp);
  if (moved) remove_tree(old);
  free(aside);
  if (rc == 0) {
    char *parent = beside(dir, "");
    if (parent) {
      char *slash = strrchr(parent, '/');
      if (slash) slash[slash == parent ? 1 : 0] = '\0';
      else strcpy(parent, ".");
      sync_path(parent);
    }
    free(parent);
  }
  free(path);
  free(tmp);
  free(old);
  return rc;
}
