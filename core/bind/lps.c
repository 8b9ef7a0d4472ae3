/* Lua binding of the transport: core.Server (ROUTER, in the driver) and
 * core.Client (DEALER, in a worker). Messages are tables
 * {type=, worker=, seq=, meta=, frames={tensors}, peer=}; payload tensors are
 * sent zero-copy (a tensor may not be changed until t:storage_refs() is 1).
 * With ZeroMQ CURVE: Server(ep, {curve = {secret = Z85, authorized = {Z85,
 * ...}}}) and Client(ep, {curve = {server = Z85, secret = Z85}}). */
#include <limits.h>
#include <string.h>

#include "client.h"
#include "common.h"
#include "keys.h"
#include "lbind.h"
#include "server.h"

#define SERVER_MT "lunet.Server"
#define CLIENT_MT "lunet.Client"

typedef struct { lunet_server_t *s; } server_box;
typedef struct { lunet_client_t *c; uint32_t worker; } client_box;

static lunet_server_t *check_server(lua_State *L) {
  server_box *b = luaL_checkudata(L, 1, SERVER_MT);
  if (!b->s) luaL_error(L, "Server: the socket was closed");
  return b->s;
}

static client_box *check_client(lua_State *L) {
  client_box *b = luaL_checkudata(L, 1, CLIENT_MT);
  if (!b->c) luaL_error(L, "Client: the socket was closed");
  return b;
}

/* recv's timeout in ms: absent or negative waits forever. */
static int check_timeout(lua_State *L, int idx) {
  lua_Integer ms = luaL_optinteger(L, idx, -1);
  if (ms < 0) return -1;
  return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* An integer option in [0, max]. */
static lua_Integer opt_range(lua_State *L, const char *key, lua_Integer max, const char *where) {
  lua_Integer v = lunet_opt_integer(L, 2, key, 0, where);
  if (v < 0 || v > max)
    luaL_error(L, "%s: option '%s' is %I, expected 0 to %I", where, key, (LUAI_UACINT)v, (LUAI_UACINT)max);
  return v;
}

static int check_type(lua_State *L, int idx, const char *where) {
  const char *name = luaL_checkstring(L, idx);
  int type = lunet_msg_type_from_name(name);
  if (type < 0) luaL_error(L, "%s: unknown message type '%s'", where, name);
  return type;
}

/* Tensors from argument first to the top, as payload frames. */
static int collect_frames(lua_State *L, int first, lunet_tensor_t **frames, const char *where) {
  int n = lua_gettop(L) - first + 1;
  if (n < 0) n = 0;
  if (n > LUNET_WIRE_MAX_FRAMES) luaL_error(L, "%s: at most %d payload tensors", where, LUNET_WIRE_MAX_FRAMES);
  for (int i = 0; i < n; i++) frames[i] = lunet_check_tensor(L, first + i);
  return n;
}

static void push_message(lua_State *L, lunet_wire_msg_t *m) {
  lua_createtable(L, 0, 6);
  lua_pushstring(L, lunet_msg_type_name(m->h.type));
  lua_setfield(L, -2, "type");
  lua_pushinteger(L, m->h.worker);
  lua_setfield(L, -2, "worker");
  lua_pushinteger(L, (lua_Integer)m->h.seq);
  lua_setfield(L, -2, "seq");
  lua_pushlstring(L, m->meta ? m->meta : "", m->meta_len);
  lua_setfield(L, -2, "meta");
  if (m->peer_len) {
    lua_pushlstring(L, (const char *)m->peer, m->peer_len);
    lua_setfield(L, -2, "peer");
  }
  lua_createtable(L, m->nframes, 0);
  for (int i = 0; i < m->nframes; i++) {
    lunet_push_tensor(L, m->frames[i]); /* the table takes the message's reference */
    m->frames[i] = NULL;
    lua_rawseti(L, -2, i + 1);
  }
  m->nframes = 0;
  lua_setfield(L, -2, "frames");
}

/* ---- server ---- */

/* The Z85 string at field key of the table at idx; raises naming where. */
static const char *curve_key_field(lua_State *L, int idx, const char *key, const char *where) {
  lua_getfield(L, idx, key);
  if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: curve.%s must be a Z85 key string, got %s", where, key,
                                                 luaL_typename(L, -1));
  const char *z85 = lua_tostring(L, -1);
  lua_pop(L, 1); /* (still referenced by the table) */
  return z85;
}

/* Reads opts.curve = {secret=, authorized={...}} into o; the decoded keys go
 * to a userdata left on the stack (alive until the call returns). */
static void server_curve(lua_State *L, lunet_server_opts_t *o) {
  static const char *const allowed[] = {"secret", "authorized", NULL};
  if (lua_getfield(L, 2, "curve") == LUA_TNIL) { lua_pop(L, 1); return; }
  int t = lua_gettop(L);
  luaL_checktype(L, t, LUA_TTABLE);
  lunet_check_options(L, t, "Server: curve", allowed);
  o->curve_secret_key = curve_key_field(L, t, "secret", "Server");
  if (lua_getfield(L, t, "authorized") != LUA_TTABLE)
    luaL_error(L, "Server: curve.authorized must be a list of Z85 public keys");
  size_t n = lua_rawlen(L, -1);
  uint8_t *keys = lua_newuserdatauv(L, n ? n * 32 : 1, 0);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, -2, (lua_Integer)i + 1);
    size_t len;
    const char *z85 = lua_tolstring(L, -1, &len);
    if (!z85 || lunet_curve_decode(keys + 32 * i, z85, len) < 0)
      luaL_error(L, "Server: curve.authorized[%d]: %s", (int)i + 1, z85 ? lunet_errmsg() : "not a string");
    lua_pop(L, 1);
  }
  o->authorized_keys = keys;
  o->n_authorized = n;
}

/* core.Server(endpoint, {max_message=, send_timeout=, curve=, report_drops=,
 * spread_io= (true: its connections on ZeroMQ I/O threads 1 and up, the least
 * loaded for each; by default thread 0, as every socket's: wire.h)}) */
static int l_server(lua_State *L) {
  static const char *const opts[] = {"max_message", "send_timeout", "curve", "report_drops", "spread_io", NULL};
  const char *endpoint = luaL_checkstring(L, 1);
  lua_settop(L, 2);
  lunet_check_options(L, 2, "Server", opts);
  lunet_server_opts_t o = {0};
  if (lua_istable(L, 2)) server_curve(L, &o);
  o.report_drops = lunet_opt_boolean(L, 2, "report_drops", 0, "Server");
  o.max_message = (uint64_t)opt_range(L, "max_message", LUA_MAXINTEGER, "Server");
  o.spread_io = lunet_opt_boolean(L, 2, "spread_io", 0, "Server");
  lua_Number timeout = lunet_opt_number(L, 2, "send_timeout", 0, "Server");
  if (!(timeout >= 0 && timeout <= INT_MAX / 1000)) /* also NaN */
    return luaL_error(L, "Server: option 'send_timeout' is %f s, expected 0 to %d", timeout, INT_MAX / 1000);
  o.send_timeout_ms = (int)(timeout * 1000);
  if (timeout > 0 && o.send_timeout_ms == 0) o.send_timeout_ms = 1; /* 0 means the default */
  server_box *b = lua_newuserdatauv(L, sizeof *b, 1);
  b->s = NULL;
  luaL_setmetatable(L, SERVER_MT);
  b->s = lunet_server_new(endpoint, &o);
  if (!b->s) return lunet_core_error(L, "Server");
  return 1; /* (the box, on top of the keys' userdata) */
}

/* srv:bind(endpoint) -> the endpoint bound (one more address to listen on) */
static int server_bind(lua_State *L) {
  lunet_server_t *s = check_server(L);
  char bound[256];
  if (lunet_server_bind(s, luaL_checkstring(L, 2), bound, sizeof bound) < 0) return lunet_core_error(L, "Server:bind");
  lua_pushstring(L, bound);
  return 1;
}

static int server_endpoint(lua_State *L) {
  lua_pushstring(L, lunet_server_endpoint(check_server(L)));
  return 1;
}

/* srv:recv(timeout_ms) -> message table, or nil on timeout; with
 * report_drops also {type = "dropped", peer=, reason=} for a message refused
 * from a known peer */
static int server_recv(lua_State *L) {
  lunet_server_t *s = check_server(L);
  int timeout = check_timeout(L, 2);
  lunet_wire_msg_t m;
  int rc = lunet_server_recv(s, timeout, &m);
  if (rc < 0) return lunet_core_error(L, "Server:recv");
  if (rc == 0) return 0;
  if (rc == 3) { /* the doorbell rang: a local worker posted into its segment (shm_link.lua) */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "doorbell");
    lua_setfield(L, -2, "type");
    return 1;
  }
  if (rc == 2) {
    lua_createtable(L, 0, 3);
    lua_pushliteral(L, "dropped");
    lua_setfield(L, -2, "type");
    lua_pushlstring(L, (const char *)m.peer, m.peer_len);
    lua_setfield(L, -2, "peer");
    lua_pushstring(L, lunet_server_last_drop(s));
    lua_setfield(L, -2, "reason");
    return 1;
  }
  push_message(L, &m);
  lunet_wire_msg_free(&m);
  return 1;
}

/* srv:set_doorbell(bell | nil): polled beside the socket (the server keeps a reference) */
static int server_set_doorbell(lua_State *L) {
  lunet_server_t *s = check_server(L);
  int fd = lua_isnoneornil(L, 2) ? -1 : lunet_doorbell_check_fd(L, 2);
  lua_settop(L, 2);
  lua_setiuservalue(L, 1, 1);
  lunet_server_set_doorbell(s, fd);
  return 0;
}

/* srv:send(peer, type, seq, meta, tensors...) */
static int server_send(lua_State *L) {
  lunet_server_t *s = check_server(L);
  size_t peer_len, meta_len;
  const char *peer = luaL_checklstring(L, 2, &peer_len);
  lunet_wire_header_t h = {0};
  h.type = (uint16_t)check_type(L, 3, "Server:send");
  h.seq = (uint64_t)luaL_optinteger(L, 4, 0);
  const char *meta = luaL_optlstring(L, 5, "", &meta_len);
  lunet_tensor_t *frames[LUNET_WIRE_MAX_FRAMES];
  int n = collect_frames(L, 6, frames, "Server:send");
  if (lunet_server_send(s, (const uint8_t *)peer, peer_len, &h, meta, meta_len, frames, n) < 0)
    return lunet_core_error(L, "Server:send");
  return 0;
}

/* srv:stats() -> {dropped=, last_drop=, curve=, denied=, last_denied=} */
static int server_stats(lua_State *L) {
  lunet_server_t *s = check_server(L);
  char why[256];
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, (lua_Integer)lunet_server_dropped(s));
  lua_setfield(L, -2, "dropped");
  lua_pushstring(L, lunet_server_last_drop(s));
  lua_setfield(L, -2, "last_drop");
  lua_pushboolean(L, lunet_server_is_curve(s));
  lua_setfield(L, -2, "curve");
  lua_pushinteger(L, (lua_Integer)lunet_server_denied(s, why, sizeof why));
  lua_setfield(L, -2, "denied");
  lua_pushstring(L, why);
  lua_setfield(L, -2, "last_denied");
  return 1;
}

static int server_close(lua_State *L) {
  server_box *b = luaL_checkudata(L, 1, SERVER_MT);
  lunet_server_free(b->s);
  b->s = NULL;
  return 0;
}

/* ---- client ---- */

static int l_client(lua_State *L) {
  static const char *const opts[] = {"worker", "max_message", "curve", NULL};
  static const char *const curve_opts[] = {"server", "secret", NULL};
  const char *endpoint = luaL_checkstring(L, 1);
  lua_settop(L, 2); /* the options stay at 2, absent or not */
  lunet_check_options(L, 2, "Client", opts);
  lunet_client_opts_t o = {0};
  uint32_t worker = (uint32_t)opt_range(L, "worker", UINT32_MAX, "Client");
  o.max_message = (uint64_t)opt_range(L, "max_message", LUA_MAXINTEGER, "Client");
  if (lua_istable(L, 2) && lua_getfield(L, 2, "curve") != LUA_TNIL) { /* stays at 3 */
    luaL_checktype(L, 3, LUA_TTABLE);
    lunet_check_options(L, 3, "Client: curve", curve_opts);
    o.curve_server_key = curve_key_field(L, 3, "server", "Client");
    o.curve_secret_key = curve_key_field(L, 3, "secret", "Client");
  }
  client_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->c = NULL;
  b->worker = worker;
  luaL_setmetatable(L, CLIENT_MT);
  b->c = lunet_client_new_opts(endpoint, &o);
  if (!b->c) return lunet_core_error(L, "Client");
  return 1;
}

/* cli:handshake() -> "ok" | "pending" | "failed", why, final, cause (see client.h) */
static int client_handshake(lua_State *L) {
  client_box *b = check_client(L);
  const char *why, *cause;
  int final;
  int state = lunet_client_handshake(b->c, &why, &final, &cause);
  lua_pushstring(L, state > 0 ? "ok" : state == 0 ? "pending" : "failed");
  lua_pushstring(L, why);
  lua_pushboolean(L, final);
  lua_pushstring(L, cause);
  return 4;
}

/* cli:send(type, seq, meta, tensors...) */
static int client_send(lua_State *L) {
  client_box *b = check_client(L);
  size_t meta_len;
  lunet_wire_header_t h = {0};
  h.type = (uint16_t)check_type(L, 2, "Client:send");
  h.worker = b->worker;
  h.seq = (uint64_t)luaL_optinteger(L, 3, 0);
  const char *meta = luaL_optlstring(L, 4, "", &meta_len);
  lunet_tensor_t *frames[LUNET_WIRE_MAX_FRAMES];
  int n = collect_frames(L, 5, frames, "Client:send");
  if (lunet_client_send(b->c, &h, meta, meta_len, frames, n) < 0) return lunet_core_error(L, "Client:send");
  return 0;
}

static int client_recv(lua_State *L) {
  client_box *b = check_client(L);
  int timeout = check_timeout(L, 2);
  lunet_wire_msg_t m;
  int rc = lunet_client_recv(b->c, timeout, &m);
  if (rc < 0) return lunet_core_error(L, "Client:recv");
  if (rc == 0) return 0;
  push_message(L, &m);
  lunet_wire_msg_free(&m);
  return 1;
}

/* cli:send_raw(frame, ...): strings sent as one multipart message exactly as
 * given, no header, no checks. A testing and fuzzing aid for the server's
 * decoder; trainers use send. */
static int client_send_raw(lua_State *L) {
  client_box *b = check_client(L);
  int n = lua_gettop(L) - 1;
  if (n < 1) return luaL_error(L, "Client:send_raw: at least one frame");
  const char **frames = lua_newuserdatauv(L, (size_t)n * sizeof *frames, 0);
  size_t *lens = lua_newuserdatauv(L, (size_t)n * sizeof *lens, 0);
  for (int i = 0; i < n; i++) frames[i] = luaL_checklstring(L, i + 2, &lens[i]);
  if (lunet_client_send_raw(b->c, frames, lens, n) < 0) return lunet_core_error(L, "Client:send_raw");
  return 0;
}

static int client_close(lua_State *L) {
  client_box *b = luaL_checkudata(L, 1, CLIENT_MT);
  lunet_client_free(b->c);
  b->c = NULL;
  return 0;
}

/* bench_zmq_bare(n_floats, reps) -> round trips per second */
static int l_bench_zmq_bare(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1), reps = luaL_optinteger(L, 2, 200);
  if (n < 1 || reps < 1 || reps > INT_MAX) return luaL_error(L, "bench_zmq_bare: n and reps must be positive");
  lua_pushnumber(L, lunet_ps_bench_bare((size_t)n, (int)reps));
  return 1;
}

void lunet_open_ps(lua_State *L) {
  static const luaL_Reg server_methods[] = {{"endpoint", server_endpoint}, {"bind", server_bind}, {"recv", server_recv},
                                            {"send", server_send}, {"set_doorbell", server_set_doorbell}, {"stats", server_stats},
                                            {"close", server_close}, {NULL, NULL}};
  static const luaL_Reg client_methods[] = {{"send", client_send}, {"recv", client_recv},
                                            {"send_raw", client_send_raw}, {"handshake", client_handshake},
                                            {"close", client_close},
                                            {NULL, NULL}};
  lunet_new_class(L, SERVER_MT, server_methods, server_close);
  lunet_new_class(L, CLIENT_MT, client_methods, client_close);
  lua_pushcfunction(L, l_server);
  lua_setfield(L, -2, "Server");
  lua_pushcfunction(L, l_client);
  lua_setfield(L, -2, "Client");
  lua_pushcfunction(L, l_bench_zmq_bare);
  lua_setfield(L, -2, "bench_zmq_bare");
}
