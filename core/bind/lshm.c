/* Lua binding of the shared memory segments (core/ps/shm.h):
 * core.shm_create(bytes) -> Segment | nil, why (a worker's);
 * core.shm_attach(pid, fd, bytes) -> Segment | nil, why (the driver's);
 * seg:fd(), seg:bytes() (one area's size), seg:write(area, t) -> bytes copied,
 * seg:view(area, bytes) -> a Tensor over the area (no copy; it keeps the
 * segment mapped), seg:set_consumed(n), seg:consumed(),
 * seg:wait_consumed(n, ms) -> reached?, seg:close(). area: "commit" | "params".
 * Mailbox slots (the commit slot is the worker's, the params slot the
 * driver's): seg:post(slot, type, seq, after, meta, n), seg:posted(slot) -> n,
 * seg:read(slot) -> type, seq, after, meta | nil, why, seg:wait_posted(slot, after, ms) -> moved?.
 * Doorbells (core/ps/doorbell.h): core.doorbell() -> Doorbell | nil, why (the
 * driver's); core.doorbell_inherited() -> Doorbell | nil, why (a worker's,
 * LUNET_DOORBELL_FD, once); bell:fd(), bell:ring(), bell:clear() -> rung?, bell:close(). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "doorbell.h"
#include "lbind.h"
#include "shm.h"
#include "wire.h"

#define SEGMENT_MT "lunet.Segment"
#define DOORBELL_MT "lunet.Doorbell"

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

/* nil and lunet_errmsg: what a failed call returns */
static int push_failure(lua_State *L) {
  lua_pushnil(L);
  lua_pushstring(L, lunet_errmsg());
  return 2;
}

static int push_segment(lua_State *L, lunet_shm_t *s) {
  if (!s) return push_failure(L);
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

static int seg_post(lua_State *L) {
  lunet_shm_t *s = check_segment(L);
  int slot = check_area(L, 2, "Segment:post");
  int type = lunet_msg_type_from_name(luaL_checkstring(L, 3));
  if (type < 0) return luaL_error(L, "Segment:post: unknown message type '%s'", lua_tostring(L, 3));
  lua_Integer seq = luaL_checkinteger(L, 4), after = luaL_checkinteger(L, 5);
  size_t len;
  const char *meta = luaL_checklstring(L, 6, &len);
  lua_Integer n = luaL_checkinteger(L, 7);
  if (lunet_shm_post(s, slot, (uint16_t)type, (uint64_t)seq, (uint32_t)after, meta, len, (uint32_t)n) < 0)
    return luaL_error(L, "Segment:post: %s", lunet_errmsg());
  return 0;
}

static int seg_posted(lua_State *L) {
  lunet_shm_t *s = check_segment(L);
  lua_pushinteger(L, lunet_shm_posted(s, check_area(L, 2, "Segment:posted")));
  return 1;
}

/* The slot's message: its type's name, seq, after and meta. */
static int seg_read(lua_State *L) {
  lunet_shm_t *s = check_segment(L);
  int slot = check_area(L, 2, "Segment:read");
  char meta[LUNET_SHM_META_MAX];
  uint16_t type;
  uint64_t seq;
  uint32_t after;
  size_t len;
  if (lunet_shm_read(s, slot, &type, &seq, &after, meta, &len) < 0) return push_failure(L);
  lua_pushstring(L, lunet_msg_type_name(type)); /* ("unknown" for a number no message has: protocol.lua refuses it) */
  lua_pushinteger(L, (lua_Integer)seq);
  lua_pushinteger(L, (lua_Integer)after);
  lua_pushlstring(L, meta, len);
  return 4;
}

static int seg_wait_posted(lua_State *L) {
  lunet_shm_t *s = check_segment(L);
  int slot = check_area(L, 2, "Segment:wait_posted");
  uint32_t after = (uint32_t)luaL_checkinteger(L, 3);
  lua_Integer ms = luaL_checkinteger(L, 4);
  lua_pushboolean(L, lunet_shm_wait_posted(s, slot, after, ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms));
  return 1;
}

/* Drops the segment's own reference; views made over it keep it mapped until they are released. */
static int seg_close(lua_State *L) {
  segment_box *b = luaL_checkudata(L, 1, SEGMENT_MT);
  lunet_shm_release(b->s);
  b->s = NULL;
  return 0;
}

/* ---- doorbells ---- */

typedef struct { int fd; } doorbell_box;

static int push_doorbell(lua_State *L, int fd) {
  if (fd < 0) return push_failure(L);
  doorbell_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->fd = fd;
  luaL_setmetatable(L, DOORBELL_MT);
  return 1;
}

int lunet_doorbell_check_fd(lua_State *L, int idx) {
  doorbell_box *b = luaL_checkudata(L, idx, DOORBELL_MT);
  if (b->fd < 0) return luaL_error(L, "Doorbell: closed");
  return b->fd;
}

static int l_doorbell(lua_State *L) { return push_doorbell(L, lunet_doorbell_new()); }

/* The doorbell this process inherited from its driver (LUNET_DOORBELL_FD), once:
 * only that fd, and only one owner, so no other fd of this process (ZeroMQ's
 * own eventfds among them) can be taken and closed through it. */
static int l_doorbell_inherited(lua_State *L) {
  static int taken = 0;
  const char *v = getenv("LUNET_DOORBELL_FD");
  if (taken || !v || !*v) {
    lua_pushnil(L);
    lua_pushstring(L, taken ? "doorbell_inherited: taken already" : "doorbell_inherited: LUNET_DOORBELL_FD is not set");
    return 2;
  }
  char *end = NULL;
  long fd = strtol(v, &end, 10);
  if (*end || fd < 0 || fd > INT32_MAX) {
    lua_pushnil(L);
    lua_pushfstring(L, "doorbell_inherited: LUNET_DOORBELL_FD is '%s', not an fd number", v);
    return 2;
  }
  taken = 1;
  return push_doorbell(L, lunet_doorbell_adopt((int)fd));
}

static int bell_fd(lua_State *L) {
  lua_pushinteger(L, lunet_doorbell_check_fd(L, 1));
  return 1;
}

static int bell_ring(lua_State *L) {
  lunet_doorbell_ring(lunet_doorbell_check_fd(L, 1));
  return 0;
}

static int bell_clear(lua_State *L) {
  lua_pushboolean(L, lunet_doorbell_clear(lunet_doorbell_check_fd(L, 1)));
  return 1;
}

static int bell_close(lua_State *L) {
  doorbell_box *b = luaL_checkudata(L, 1, DOORBELL_MT);
  if (b->fd >= 0) close(b->fd);
  b->fd = -1;
  return 0;
}

static void open_doorbell(lua_State *L) {
  static const luaL_Reg methods[] = {{"fd", bell_fd}, {"ring", bell_ring}, {"clear", bell_clear},
                                     {"close", bell_close}, {NULL, NULL}};
  lunet_new_class(L, DOORBELL_MT, methods, bell_close);
  lua_pushcfunction(L, l_doorbell);
  lua_setfield(L, -2, "doorbell");
  lua_pushcfunction(L, l_doorbell_inherited);
  lua_setfield(L, -2, "doorbell_inherited");
}

void lunet_open_shm(lua_State *L) {
  open_doorbell(L);
  static const luaL_Reg methods[] = {{"fd", seg_fd}, {"bytes", seg_bytes}, {"write", seg_write},
                                     {"view", seg_view}, {"set_consumed", seg_set_consumed},
                                     {"consumed", seg_consumed}, {"wait_consumed", seg_wait_consumed},
                                     {"post", seg_post}, {"posted", seg_posted}, {"read", seg_read},
                                     {"wait_posted", seg_wait_posted}, {"close", seg_close}, {NULL, NULL}};
  lunet_new_class(L, SEGMENT_MT, methods, seg_close);
  lua_pushcfunction(L, l_create);
  lua_setfield(L, -2, "shm_create");
  lua_pushcfunction(L, l_attach);
  lua_setfield(L, -2, "shm_attach");
}
