/* Lua binding of CURVE keys and key files (core/ps/keys.h), for `lunet
 * keygen` and the key checks of lua/lunet/runtime/keys.lua:
 *   curve_available() -> boolean
 *   curve_keypair() -> public, secret            (Z85 text)
 *   curve_public(secret) -> public               (raises on a bad key)
 *   curve_check(text) -> true | false, why       (a 40-character Z85 key?)
 *   write_private(path, text, replace?)          (mode 0600 from the start)
 *   file_mode(path) -> mode, owner uid | nil, why
 *   bench_secretbox(bytes, reps) -> seal + open pairs per second (CURVE's
 *                                cipher, for scripts/bench_ps.lua) */
#include <limits.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "keys.h"
#include "lbind.h"
#include "wire.h"

static int l_curve_available(lua_State *L) {
  lua_pushboolean(L, lunet_curve_available());
  return 1;
}

static int l_curve_keypair(lua_State *L) {
  char public_z85[LUNET_KEY_Z85_LEN + 1], secret_z85[LUNET_KEY_Z85_LEN + 1];
  if (lunet_curve_keypair(public_z85, secret_z85) < 0) return lunet_core_error(L, "curve_keypair");
  lua_pushstring(L, public_z85);
  lua_pushstring(L, secret_z85);
  return 2;
}

static int l_curve_public(lua_State *L) {
  size_t len;
  const char *secret = luaL_checklstring(L, 1, &len);
  char public_z85[LUNET_KEY_Z85_LEN + 1];
  if (strlen(secret) != len) return luaL_error(L, "curve_public: the key contains a NUL byte");
  if (lunet_curve_public(public_z85, secret) < 0) return lunet_core_error(L, "curve_public");
  lua_pushstring(L, public_z85);
  return 1;
}

static int l_curve_check(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  uint8_t key[32];
  if (lunet_curve_decode(key, text, len) < 0) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, lunet_errmsg());
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int l_write_private(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  if (lunet_keys_write_private(path, text, len, lua_toboolean(L, 3)) < 0) return lunet_core_error(L, "write_private");
  return 0;
}

static int l_file_mode(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  if (stat(path, &st) < 0) {
    lua_pushnil(L);
    lua_pushstring(L, strerror(errno));
    return 2;
  }
  lua_pushinteger(L, st.st_mode & 07777);
  lua_pushinteger(L, st.st_uid);
  return 2;
}

static int l_bench_secretbox(lua_State *L) {
  lua_Integer bytes = luaL_checkinteger(L, 1), reps = luaL_optinteger(L, 2, 100);
  if (bytes < 0 || bytes > (lua_Integer)(1 << 30))
    return luaL_error(L, "bench_secretbox: bytes must be in 0..2^30, got %I", bytes);
  if (reps < 1 || reps > INT_MAX) return luaL_error(L, "bench_secretbox: reps must be positive, got %I", reps);
  double rate = lunet_ps_bench_secretbox((size_t)bytes, (int)reps);
  if (rate < 0) return lunet_core_error(L, "bench_secretbox");
  lua_pushnumber(L, rate);
  return 1;
}

void lunet_open_keys(lua_State *L) {
  static const luaL_Reg fns[] = {{"curve_available", l_curve_available}, {"curve_keypair", l_curve_keypair},
                                 {"curve_public", l_curve_public},       {"curve_check", l_curve_check},
                                 {"write_private", l_write_private},     {"file_mode", l_file_mode},
                                 {"bench_secretbox", l_bench_secretbox}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
