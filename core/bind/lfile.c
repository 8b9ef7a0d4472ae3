/* File-system functions Lua's io/os lack: an atomic, durable write of a
 * header and any number of float32 arrays (the model-file layout of
 * core/nn/modelfile.c, for checkpoints), an atomic write of a text and a read
 * of a regular file (lunet.feature's model files, charts: core/file.h),
 * mkdir -p, a directory listing (to find a crashed writer's temp files) and a
 * file's kind (a FIFO must be refused before it is opened: opening one blocks). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "file.h"
#include "lbind.h"
#include "modelfile.h"

/* file_save(path, header, {tensor, ...}): temp file, fsync, rename, fsync of
 * the directory; the previous file at path survives any failure or crash. */
static int f_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t hlen;
  const char *header = luaL_checklstring(L, 2, &hlen);
  luaL_checktype(L, 3, LUA_TTABLE);
  int count = (int)luaL_len(L, 3);
  /* a userdata owns the arrays, so an error below frees them with the stack */
  const float **data = lua_newuserdatauv(L, (size_t)(count + 1) * sizeof *data, 0);
  uint64_t *n = lua_newuserdatauv(L, (size_t)(count + 1) * sizeof *n, 0);
  for (int i = 0; i < count; i++) {
    lua_geti(L, 3, i + 1);
    lunet_tensor_t *t = lunet_check_tensor(L, -1); /* kept alive by the table */
    if (!lunet_tensor_is_contiguous(t)) return luaL_error(L, "file_save: tensor %d is not contiguous", i + 1);
    data[i] = lunet_tensor_data(t);
    n[i] = (uint64_t)lunet_tensor_numel(t);
    lua_pop(L, 1);
  }
  if (lunet_modelfile_write(path, header, hlen, count, data, n) < 0) return lunet_core_error(L, NULL);
  return 0;
}

/* file_write(path, text): text replaces path atomically (core/file.h); an
 * error names the path and the reason, and leaves the old file as it was. */
static int f_write(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  if (lunet_atomic_write(path, text, len) < 0) return lunet_core_error(L, NULL);
  return 0;
}

/* file_append(path, text): text appended to path (created 0644 if missing)
 * with O_APPEND, then fsync: an append-only record (lunet.tune's trials)
 * that a kill leaves whole or, at worst, with a truncated last line. */
static int f_append(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return luaL_error(L, "cannot append to '%s': %s", path, strerror(errno));
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, text + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return luaL_error(L, "cannot append to '%s': %s", path, strerror(e));
    }
    done += (size_t)n;
  }
  if (fsync(fd) < 0 && errno != EINVAL) {
    int e = errno;
    close(fd);
    return luaL_error(L, "cannot append to '%s': fsync: %s", path, strerror(e));
  }
  close(fd);
  return 0;
}

/* file_read(path) -> the whole content of a regular file (a FIFO or a device
 * is refused, not waited on). */
static int f_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *why;
  int fd = lunet_file_open_read(path, &why);
  if (fd < 0) return luaL_error(L, "cannot read '%s': %s", path, why);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (;;) {
    char *p = luaL_prepbuffer(&b);
    ssize_t n = read(fd, p, LUAL_BUFFERSIZE);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return luaL_error(L, "cannot read '%s': %s", path, strerror(e));
    }
    if (n == 0) break;
    luaL_addsize(&b, (size_t)n);
  }
  close(fd);
  luaL_pushresult(&b);
  return 1;
}

/* mkdirs(path [, mode]) -> {created, ...}: creates path and its missing
 * parents (mkdir -p), those it creates with exactly mode when given (keys
 * go in a 0700 folder), else 0777 less the umask; returns the folders it
 * created, outermost first. An error names the part that cannot be made. */
static int f_mkdirs(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  lua_Integer mode = luaL_optinteger(L, 2, -1);
  luaL_argcheck(L, mode == -1 || (mode >= 0 && mode <= 07777), 2, "a mode from 0 to 07777");
  char *p = lua_newuserdatauv(L, len + 1, 0);
  memcpy(p, path, len + 1);
  lua_newtable(L);
  int created = 0;
  for (size_t i = 1; i <= len; i++) {
    if (p[i] != '/' && p[i] != '\0') continue;
    char c = p[i];
    p[i] = '\0';
    struct stat st;
    if (mkdir(p, mode < 0 ? 0777 : (mode_t)mode) == 0) {
      /* (the umask may only narrow the mode; chmod makes it exact) */
      if (mode >= 0 && chmod(p, (mode_t)mode) != 0)
        return luaL_error(L, "cannot set the mode of '%s': %s", p, strerror(errno));
      lua_pushstring(L, p);
      lua_rawseti(L, -2, ++created);
    } else if (errno != EEXIST) {
      return luaL_error(L, "cannot create '%s': %s", p, strerror(errno));
    }
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) return luaL_error(L, "'%s' exists and is not a directory", p);
    p[i] = c;
  }
  return 1;
}

/* listdir(path) -> {name, ...} (no "." or ".."), unsorted */
static int f_listdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  DIR *d = opendir(path);
  if (!d) return luaL_error(L, "cannot list '%s': %s", path, strerror(errno));
  lua_newtable(L);
  int k = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    lua_pushstring(L, e->d_name);
    lua_rawseti(L, -2, ++k);
  }
  closedir(d);
  return 1;
}

/* file_kind(path) -> "file", "directory", "fifo", "socket", "character device",
 * "block device" or "other" (stat: links are followed), or nil, why */
static int f_kind(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  if (stat(path, &st) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, strerror(errno));
    return 2;
  }
  const char *kind = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "directory" : S_ISFIFO(st.st_mode) ? "fifo"
                     : S_ISSOCK(st.st_mode) ? "socket" : S_ISCHR(st.st_mode) ? "character device"
                     : S_ISBLK(st.st_mode) ? "block device" : "other";
  lua_pushstring(L, kind);
  return 1;
}

void lunet_open_file(lua_State *L) {
  static const luaL_Reg fns[] = {{"file_save", f_save}, {"file_write", f_write}, {"file_append", f_append}, {"file_read", f_read},
                                 {"mkdirs", f_mkdirs}, {"listdir", f_listdir}, {"file_kind", f_kind},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
