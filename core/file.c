/* Files the user names (see file.h): reading regular files only; atomic
 * replacement by mkstemp beside the target, stdio writes, fflush + fsync +
 * fclose checked, rename, fsync of the directory. */
#define _GNU_SOURCE
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int lunet_file_open_read(const char *path, const char **why) {
  /* O_NONBLOCK: opening a FIFO without a writer returns at once */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { *why = strerror(errno); return -1; }
  struct stat st;
  if (fstat(fd, &st) != 0) { *why = strerror(errno); close(fd); return -1; }
  if (!S_ISREG(st.st_mode)) {
    *why = S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file (a pipe or a device cannot be read twice)";
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

/* fsync of the directory holding path: a rename is only durable once the
 * directory entry is on disk (otherwise a power loss may bring back the old
 * name, or none). 0, or -1 with errno. */
static int sync_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = lunet_malloc(slash ? (size_t)(slash - path) + 2 : 2);
  if (!dir) return -1;
  if (!slash) strcpy(dir, ".");
  else if (slash == path) strcpy(dir, "/");
  else { memcpy(dir, path, (size_t)(slash - path)); dir[slash - path] = '\0'; }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  if (fd < 0) return -1;
  int bad = fsync(fd) != 0 && errno != EINVAL; /* EINVAL: a file system without directory sync */
  int e = errno;
  close(fd);
  errno = e;
  return bad ? -1 : 0;
}

int lunet_atomic_open(lunet_atomic_t *a, const char *path) {
  a->f = NULL;
  a->path = path;
  a->tmp = lunet_malloc(strlen(path) + 16);
  if (!a->tmp) return -1;
  sprintf(a->tmp, "%s.tmpXXXXXX", path);
  int fd = mkostemp(a->tmp, O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    free(a->tmp);
    a->tmp = NULL;
    return lunet_fail("cannot create a file next to '%s': %s", path, strerror(e));
  }
  if (!(a->f = fdopen(fd, "wb"))) {
    int e = errno;
    close(fd);
    unlink(a->tmp);
    free(a->tmp);
    a->tmp = NULL;
    return lunet_fail("cannot create a file next to '%s': %s", path, strerror(e));
  }
  errno = 0;
  return 0;
}

int lunet_atomic_commit(lunet_atomic_t *a) {
  /* a failed fwrite sets the stream's error flag and errno (cleared at open);
   * the flush then retries what is buffered and reports its own errno */
  int bad = ferror(a->f) != 0, e = bad ? (errno ? errno : EIO) : 0;
  if (fflush(a->f) != 0) { bad = 1; e = errno; }
  if (!bad && fsync(fileno(a->f)) != 0) { bad = 1; e = errno; }
  if (fclose(a->f) != 0 && !bad) { bad = 1; e = errno; }
  a->f = NULL;
  if (!bad && rename(a->tmp, a->path) != 0) { bad = 1; e = errno; }
  if (bad) {
    unlink(a->tmp);
    free(a->tmp);
    a->tmp = NULL;
    return lunet_fail("cannot write '%s': %s", a->path, strerror(e));
  }
  free(a->tmp);
  a->tmp = NULL;
  if (sync_dir(a->path) != 0) /* renamed, but maybe not durable yet */
    return lunet_fail("cannot sync the directory of '%s': %s", a->path, strerror(errno));
  return 0;
}

void lunet_atomic_abort(lunet_atomic_t *a) {
  if (a->f) fclose(a->f);
  a->f = NULL;
  if (a->tmp) unlink(a->tmp);
  free(a->tmp);
  a->tmp = NULL;
}

int lunet_atomic_write(const char *path, const void *text, size_t len) {
  lunet_atomic_t a;
  if (lunet_atomic_open(&a, path) < 0) return -1;
  if (len) fwrite(text, 1, len, a.f); /* a short write sets the error flag commit checks */
  return lunet_atomic_commit(&a);
}
