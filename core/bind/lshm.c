/* Lua binding of the shared memory segments (core/ps/shm.h):
 * core.shm_create(bytes) -> Segment | nil, why (a worker's);
 * core.shm_attach(pid, fd, bytes) -> Segment | nil, why (the driver's);
 * seg:fd(), seg:bytes() (one area's size), seg:write(area, t) -> bytes copied,
 * seg:view(area, bytes) -> a Tensor over the area (no copy; it keeps the
 * segment mapped), seg:set_consumed(n), seg:consumed(),
 * seg:wait_consumed(n, ms) -> reached?, seg:close(). area: "commit" | "params". */
#include <string.h>

#include "common.h"
#include "lbind.h"
#include "shm.h"

#define SEGMENT_MT "lunet.Segment"

typedef struct { lunet_shm_t *s; } segment_box;

static lunet_shm_t *check_segment(lua_State *L) {
  segment_box *b = luaL_checkudata(L, 1, SEGMENT_MT);
  if (!b->s) luaL_error(L, "Segment: closed");
  return b->s;
}

static int check_area(lua_State *L, int idx, const char *where) {
  static const char *const names[] = {"commit", "params", NULL};
  const char *name = luaL_checkstring(L, idx);
  for (int i = 0; names[i]; i++) if (strcmp(name, names[i]) == 0) return i;
  return luaL_error(L, "%s: area '%s' (commit or params)", where, name);
}

static int push_segment(lua_State *L, lunet_shm_t *s) {
  if (!s) {
    lua_pushnil(L);
    lua_pushstring(L, lunet_errmsg());
    return 2;
  }
  segment_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->s = s;
  luaL_setmetatable(L, SEGMENT_MT);
  return 1;
}

static size_t check_bytes(lua_State *L, int idx, const char *where) {
  lua_Integer n = luaL_checkinteger(L, idx);
  if (n <= 0 || n % 4 != 0 || n > ((lua_Integer)1 << 40))
    luaL_error(L, "%s: %I bytes (a positive multiple of 4 expected)", where, n);
  return (size_t)n;
}

static int l_create(lua_State *L) {
  return push_segment(L, lunet_shm_create(check_bytes(L, 1, "shm_create")));
}

static int l_attach(lua_State *L) {
  lua_Integer pid = luaL_checkinteger(L, 1), fd = luaL_checkinteger(L, 2);
  size_t bytes = check_bytes(L, 3, "shm_attach");
  if (pid <= 0 || pid > INT32_MAX || fd < 0 || fd > INT32_MAX)
    return luaL_error(L, "shm_attach: pid %I, fd %I out of range", pid, fd);
  return push_segment(L, lunet_shm_attach((int)pid, (int)fd, bytes));
}

static int seg_fd(lua_State *L) {
  lua_pushinteger(L, lunet_shm_fd(check_segment(L)));
  return 1;
}

static int seg_bytes(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lunet_shm_area_bytes(check_segment(L)));
  return 1;
}

static int seg_write(lua_State *L) {
  lunet_shm_t *s = check_segment(L);
  int area = check_area(L, 2, "Segment:write");
  lunet_tensor_t *t = lunet_check_tensor(L, 3);
  if (!lunet_tensor_is_contiguous(t)) return luaL_error(L, "Segment:write: the tensor is not contiguous");
  size_t n = (size_t)lunet_tensor_numel(t) * sizeof(float);
  if (n > lunet_shm_area_bytes(s))
    return luaL_error(L, "Segment:write: %I bytes do not fit the %s area (%I bytes)", (lua_Integer)n, lua_tostring(L, 2),
                      (lua_Integer)lunet_shm_area_bytes(s));
  memcpy(lunet_shm_area(s, area), lunet_tensor_data(t), n);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int seg_view(lua_State *L) {
  lunet_shm_t *s = check_segment(L);
  int area = check_area(L, 2, "Segment:view");
  size_t n = check_bytes(L, 3, "Segment:view");
  if (n > lunet_shm_area_bytes(s))
    return luaL_error(L, "Segment:view: %I bytes, the %s area has %I", (lua_Integer)n, lua_tostring(L, 2),
                      (lua_Integer)lunet_shm_area_bytes(s));
  int64_t shape[1] = {(int64_t)(n / sizeof(float))};
  lunet_shm_retain(s);
  lunet_tensor_t *t = lunet_tensor_wrap(lunet_shm_area(s, area), 1, shape, lunet_shm_view_release, s);
  if (!t) lunet_shm_release(s);
  lunet_push_tensor(L, t);
  return 1;
}

static int seg_set_consumed(lua_State *L) {
  lunet_shm_t *s = check_segment(L);
  lunet_shm_set_consumed(s, (uint32_t)luaL_checkinteger(L, 2));
  return 0;
}

static int seg_consumed(lua_State *L) {
  lua_pushinteger(L, lunet_shm_consumed(check_segment(L)));
  return 1;
}

static int seg_wait_consumed(lua_State *L) {
  lunet_shm_t *s = check_segment(L);
  uint32_t n = (uint32_t)luaL_checkinteger(L, 2);
  lua_Integer ms = luaL_checkinteger(L, 3);
  lua_pushboolean(L, lunet_shm_wait_consumed(s, n, ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms));
  return 1;
}

/* Drops the segment's own reference; views made over it keep it mapped until they are released. */
static int seg_close(lua_State *L) {
  segment_box *b = luaL_checkudata(L, 1, SEGMENT_MT);
  lunet_shm_release(b->s);
  b->s = NULL;
  return 0;
}

void lunet_open_shm(lua_State *L) {
  static const luaL_Reg methods[] = {{"fd", seg_fd}, {"bytes", seg_bytes}, {"write", seg_write},
                                     {"view", seg_view}, {"set_consumed", seg_set_consumed},
                                     {"consumed", seg_consumed}, {"wait_consumed", seg_wait_consumed},
                                     {"close", seg_close}, {NULL, NULL}};
  luaL_newmetatable(L, SEGMENT_MT);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, seg_close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, seg_close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_create);
  lua_setfield(L, -2, "shm_create");
  lua_pushcfunction(L, l_attach);
  lua_setfield(L, -2, "shm_attach");
}
