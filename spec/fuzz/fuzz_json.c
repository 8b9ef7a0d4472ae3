/* libFuzzer target for the configuration decoder: core.json_decode (the
 * binding in core/bind/ljson.c over the parser in core/ps/json.c), which
 * every worker runs on the job and control messages it receives. A text that
 * decodes must also encode, and the encoding must decode and re-encode to the
 * same bytes (the encoder's output is canonical: sorted keys, shortest
 * round-tripping numbers). */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "lbind.h"

/* Calls the module function `name` on the value at idx; 1 with the result on
 * top, or 0 with the error message on top. */
static int call(lua_State *L, const char *name, int idx) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, 1, name);
  lua_pushvalue(L, idx);
  return lua_pcall(L, 1, 1, 0) == LUA_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = luaL_newstate();
  if (!L) abort();
  lua_newtable(L); /* index 1: the json functions */
  lunet_open_json(L);
  lua_pushlstring(L, (const char *)data, size);
  if (call(L, "json_decode", -1)) {
    if (!call(L, "json_encode", -1)) abort(); /* decoded data must be encodable */
    size_t n1, n2;
    const char *first = lua_tolstring(L, -1, &n1);
    if (!call(L, "json_decode", -1) || !call(L, "json_encode", -1)) abort();
    const char *second = lua_tolstring(L, -1, &n2);
    if (n1 != n2 || memcmp(first, second, n1) != 0) abort();
  } else if (!lua_isstring(L, -1) || strncmp(lua_tostring(L, -1), "json: offset ", 13) != 0) {
    abort(); /* a rejection says where */
  }
  lua_close(L);
  return 0;
}
