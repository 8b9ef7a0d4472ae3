/* Lua binding of the exchange's payload codecs (core/ps/codec.h):
 *   core.Codec(encoding, n [, k]) -> codec   (encoding "fp16" | "bf16" | "topk" | "q8"; k: top-k's count)
 *   codec:encode(src, residual | nil, out) -> bytes   (out: codec:floats() values; src, residual: n)
 *   codec:floats(), codec:count(), codec:close()
 *   core.codec_floats(encoding, n [, k]) -> the payload's float32 count
 *   core.codec_decode(encoding, payload, out)  (out: n values; raises on a payload that does not fit)
 * Payloads are float32 tensors whose raw bytes are the encoding. */
#include "codec.h"
#include "common.h"
#include "lbind.h"

#define CODEC_MT "lunet.Codec"

typedef struct { lunet_codec_t *c; } codec_ud;

static lunet_codec_t *check_codec(lua_State *L) {
  codec_ud *u = luaL_checkudata(L, 1, CODEC_MT);
  if (!u->c) luaL_error(L, "Codec: the codec is closed");
  return u->c;
}

static int check_kind(lua_State *L, int idx, const char *where) {
  const char *name = luaL_checkstring(L, idx);
  int kind = lunet_codec_kind(name);
  if (!kind) luaL_error(L, "%s: unknown encoding '%s' (expected fp16, bf16, topk or q8)", where, name);
  return kind;
}

/* A contiguous tensor argument and its element count. */
static float *flat(lua_State *L, int idx, size_t *n, const char *where, const char *name) {
  lunet_tensor_t *t = lunet_check_tensor(L, idx);
  if (!lunet_tensor_is_contiguous(t)) luaL_error(L, "%s: %s is not contiguous", where, name);
  *n = (size_t)lunet_tensor_numel(t);
  return lunet_tensor_data(t);
}

static size_t count_arg(lua_State *L, int idx, const char *where, const char *name) {
  lua_Integer v = luaL_checkinteger(L, idx);
  if (v < 0 || v > (lua_Integer)1 << 40) luaL_error(L, "%s: %s = %I is out of range", where, name, v);
  return (size_t)v;
}

static int l_new(lua_State *L) {
  int kind = check_kind(L, 1, "Codec");
  size_t n = count_arg(L, 2, "Codec", "n");
  size_t k = kind == LUNET_CODEC_TOPK ? count_arg(L, 3, "Codec", "k") : 0;
  codec_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->c = NULL;
  luaL_setmetatable(L, CODEC_MT);
  if (!(u->c = lunet_codec_new(kind, n, k))) return lunet_core_error(L, NULL);
  return 1;
}

static int c_encode(lua_State *L) {
  lunet_codec_t *c = check_codec(L);
  size_t ns, nr = 0, no, n = lunet_codec_count(c);
  const float *src = flat(L, 2, &ns, "Codec:encode", "src");
  float *res = lua_isnoneornil(L, 3) ? NULL : flat(L, 3, &nr, "Codec:encode", "residual");
  float *out = flat(L, 4, &no, "Codec:encode", "out");
  if (ns != n || (res && nr != n))
    return luaL_error(L, "Codec:encode: src has %I values, residual %I, the codec encodes %I", (lua_Integer)ns,
                      (lua_Integer)(res ? nr : n), (lua_Integer)n);
  if (no * 4 != lunet_codec_size(c))
    return luaL_error(L, "Codec:encode: out has %I values, the payload is %I", (lua_Integer)no,
                      (lua_Integer)(lunet_codec_size(c) / 4));
  lua_pushinteger(L, (lua_Integer)lunet_codec_encode(c, (uint8_t *)out, src, res));
  return 1;
}

static int c_floats(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)(lunet_codec_size(check_codec(L)) / 4));
  return 1;
}

static int c_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lunet_codec_count(check_codec(L)));
  return 1;
}

static int c_close(lua_State *L) {
  codec_ud *u = luaL_checkudata(L, 1, CODEC_MT);
  lunet_codec_free(u->c);
  u->c = NULL;
  return 0;
}

static int l_floats(lua_State *L) {
  int kind = check_kind(L, 1, "codec_floats");
  size_t n = count_arg(L, 2, "codec_floats", "n");
  size_t k = kind == LUNET_CODEC_TOPK ? count_arg(L, 3, "codec_floats", "k") : 0;
  lua_pushinteger(L, (lua_Integer)(lunet_codec_bytes(kind, n, k) / 4));
  return 1;
}

static int l_decode(lua_State *L) {
  int kind = check_kind(L, 1, "codec_decode");
  size_t np, n;
  const float *p = flat(L, 2, &np, "codec_decode", "payload");
  float *out = flat(L, 3, &n, "codec_decode", "out");
  if (lunet_codec_decode(out, kind, (const uint8_t *)p, np * 4, n) != 0) return lunet_core_error(L, NULL);
  lua_settop(L, 3);
  return 1;
}

static const luaL_Reg methods[] = {
    {"encode", c_encode}, {"floats", c_floats}, {"count", c_count}, {"close", c_close}, {NULL, NULL}};

void lunet_open_codec(lua_State *L) {
  lunet_new_class(L, CODEC_MT, methods, c_close);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "Codec");
  lua_pushcfunction(L, l_floats);
  lua_setfield(L, -2, "codec_floats");
  lua_pushcfunction(L, l_decode);
  lua_setfield(L, -2, "codec_decode");
}
