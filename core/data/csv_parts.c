/* A CSV dataset's files and byte ranges (csvshard.h): the part files of a
 * directory or a glob, as Spark lists them, and the quote-aware cutter that
 * splits a large plain file at record boundaries in one pass. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "csvparts.h"
#include "csvshard.h"
#include "file.h"

void lunet_csv_list_free(char **paths, int n) {
  if (!paths) return;
  for (int i = 0; i < n; i++) free(paths[i]);
  free(paths);
}

typedef struct { char **p; int n, cap; } pathlist;

/* Adds the absolute form of path when it is a regular file. */
static int add_regular(pathlist *l, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 16;
    char **p = realloc(l->p, (size_t)cap * sizeof *p);
    if (!p) return lunet_fail("out of memory listing %s", path);
    l->p = p;
    l->cap = cap;
  }
  char *abs = realpath(path, NULL);
  if (!abs) return lunet_fail("%s: %s", path, strerror(errno));
  l->p[l->n++] = abs;
  return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Spark's part files: not hidden ('.'), not metadata ('_'), no checksum. */
static int is_part(const char *name) {
  size_t len = strlen(name);
  return name[0] != '.' && name[0] != '_' && !(len >= 4 && strcmp(name + len - 4, ".crc") == 0);
}

static int list_dir(pathlist *l, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return lunet_fail("%s: %s", dir, strerror(errno));
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (!is_part(e->d_name)) continue;
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    char *full = lunet_malloc(len);
    if (!full) { rc = -1; break; }
    snprintf(full, len, "%s/%s", dir, e->d_name);
    rc = add_regular(l, full);
    free(full);
  }
  closedir(d);
  if (rc == 0 && l->n == 0)
    rc = lunet_fail("%s: no part files in the directory (every regular file not named _* or .*)", dir);
  return rc;
}

static int list_glob(pathlist *l, const char *pattern) {
  glob_t g;
  int r = glob(pattern, 0, NULL, &g);
  if (r == GLOB_NOSPACE) return lunet_fail("out of memory expanding %s", pattern);
  int rc = 0;
  if (r == 0)
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) rc = add_regular(l, g.gl_pathv[i]);
  globfree(&g);
  if (rc == 0 && l->n == 0) {
    if (!strpbrk(pattern, "*?[")) return lunet_fail("%s: No such file or directory", pattern);
    return lunet_fail("%s: the glob matches no file", pattern);
  }
  return rc;
}

int lunet_csv_list(const char *pattern, char ***paths, int *n) {
  pathlist l = {0};
  struct stat st;
  int rc;
  if (stat(pattern, &st) == 0 && S_ISDIR(st.st_mode)) rc = list_dir(&l, pattern);
  else if (stat(pattern, &st) == 0 && !S_ISREG(st.st_mode))
    rc = lunet_fail("%s: not a regular file (a pipe or a device cannot be read twice)", pattern);
  else rc = list_glob(&l, pattern);
  if (rc < 0) { lunet_csv_list_free(l.p, l.n); return -1; }
  qsort(l.p, (size_t)l.n, sizeof *l.p, by_name);
  *paths = l.p;
  *n = l.n;
  return 0;
}

int lunet_csv_file_info(const char *path, int64_t *size, int *gz) {
  const char *why;
  int fd = lunet_file_open_read(path, &why);
  if (fd < 0) return lunet_fail("%s: %s", path, why);
  struct stat st;
  unsigned char magic[2] = {0, 0};
  ssize_t got = fstat(fd, &st) == 0 ? read(fd, magic, 2) : -1;
  int err = errno;
  close(fd);
  if (got < 0) return lunet_fail("%s: %s", path, strerror(err));
  *size = st.st_size;
  *gz = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  return 0;
}

typedef struct { int64_t *off, *line; int n, cap; } cuts;

static int add_cut(cuts *c, int64_t off, int64_t line) {
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 16;
    int64_t *o = realloc(c->off, (size_t)cap * sizeof *o);
    if (o) c->off = o;
    int64_t *l = realloc(c->line, (size_t)cap * sizeof *l);
    if (l) c->line = l;
    if (!o || !l) return lunet_fail("out of memory");
    c->cap = cap;
  }
  c->off[c->n] = off;
  c->line[c->n++] = line;
  return 0;
}

/* Lines are counted as the reader counts them (csv_fields.c): a LF, a CR not
 * followed by LF outside quotes; inside quotes only LFs. A quote character
 * toggles the quoted state: in a file the strict reader accepts, quotes open
 * fields and "" escapes toggle twice. */
int lunet_csv_cut(const char *path, char quote, int64_t shard_bytes, int64_t **offsets, int64_t **lines, int *n) {
  const char *why;
  int fd = lunet_file_open_read(path, &why);
  if (fd < 0) return lunet_fail("%s: %s", path, why);
  char *buf = lunet_malloc(LUNET_CSV_CHUNK);
  cuts c = {0};
  int rc = buf ? add_cut(&c, 0, 1) : -1;
  int64_t pos = 0, line = 1, next = shard_bytes;
  int in_quote = 0, after_cr = 0;
  const unsigned char q = (unsigned char)quote;
  while (rc == 0) {
    ssize_t got = read(fd, buf, LUNET_CSV_CHUNK);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) { rc = lunet_fail("%s: %s", path, strerror(errno)); break; }
    if (got == 0) break;
    for (ssize_t i = 0; i < got && rc == 0; i++) {
      unsigned char b = (unsigned char)buf[i];
      int was_cr = after_cr;
      after_cr = 0;
      if (b == q) { in_quote = !in_quote; continue; }
      if (b == '\r') { if (!in_quote) after_cr = 1, line++; continue; }
      if (b != '\n') continue;
      if (in_quote) { line++; continue; }
      if (!was_cr) line++;
      /* a boundary: the record ends here; cut once past the target */
      int64_t at = pos + i + 1;
      if (at >= next) {
        rc = add_cut(&c, at, line);
        next = at + shard_bytes;
      }
    }
    pos += got;
  }
  close(fd);
  free(buf);
  /* a cut at the very end would make an empty last range */
  if (rc == 0 && c.n > 1 && c.off[c.n - 1] >= pos) c.n--;
  if (rc < 0) { free(c.off); free(c.line); return -1; }
  *offsets = c.off;
  *lines = c.line;
  *n = c.n;
  return 0;
}
