/* core.json_encode / core.json_decode: configuration as data, never code.
 * Decoding is strict (core/ps/json.c); encoding sorts object keys so that the
 * same table always gives the same text, and refuses what JSON cannot say
 * (functions, userdata, NaN, non-string keys in a map, cycles). A table marked
 * with core.json_array(t) is always an array: an empty one is [] (Keras configs
 * need [] where a plain empty table gives {}). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "lbind.h"

/* ---- decode ---- */

typedef struct {
  lua_State *L;
  int depth;
  char is_object[LUNET_JSON_MAX_DEPTH + 1];
  lua_Integer next_index[LUNET_JSON_MAX_DEPTH + 1];
} decoder;

/* Attaches the value on top of the stack to its container (or leaves the root). */
static int attach(decoder *d) {
  if (d->depth == 0) return 0;
  if (d->is_object[d->depth]) lua_rawset(d->L, -3);
  else lua_rawseti(d->L, -2, ++d->next_index[d->depth]);
  return 0;
}

static int on_null(void *ud) {
  decoder *d = ud;
  lua_getfield(d->L, LUA_REGISTRYINDEX, "lunet.json.null");
  return attach(d);
}
static int on_boolean(void *ud, int v) { decoder *d = ud; lua_pushboolean(d->L, v); return attach(d); }
static int on_number(void *ud, double v, int is_int, long long i) {
  decoder *d = ud;
  if (is_int) lua_pushinteger(d->L, (lua_Integer)i);
  else lua_pushnumber(d->L, v);
  return attach(d);
}
static int on_string(void *ud, const char *s, size_t n) { decoder *d = ud; lua_pushlstring(d->L, s, n); return attach(d); }
static int on_key(void *ud, const char *s, size_t n) { decoder *d = ud; lua_pushlstring(d->L, s, n); return 0; }
static int begin(decoder *d, int object) {
  luaL_checkstack(d->L, 4, "json nesting");
  lua_newtable(d->L);
  d->depth++;
  d->is_object[d->depth] = (char)object;
  d->next_index[d->depth] = 0;
  return 0;
}
static int on_begin_object(void *ud) { return begin(ud, 1); }
static int on_begin_array(void *ud) { return begin(ud, 0); }
static int on_end(void *ud) { decoder *d = ud; d->depth--; return attach(d); }

static int l_json_decode(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  static const lunet_json_handlers_t h = {on_null, on_boolean, on_number, on_string, on_begin_object,
                                          on_key, on_end, on_begin_array, on_end};
  char *scratch = lua_newuserdatauv(L, len + 1, 0); /* collected even if a callback raises */
  decoder *d = lua_newuserdatauv(L, sizeof *d, 0);
  memset(d, 0, sizeof *d);
  d->L = L;
  int base = lua_gettop(L);
  if (lunet_json_parse(text, len, &h, d, scratch) < 0) return lunet_core_error(L, NULL);
  LUNET_ASSERT(lua_gettop(L) == base + 1);
  return 1;
}

/* ---- encode ---- */

/* A growable output buffer owned by a userdata, so an error mid-way frees it. */
typedef struct {
  char *p;
  size_t n, cap;
} strbuf;

static int strbuf_gc(lua_State *L) {
  strbuf *sb = lua_touserdata(L, 1);
  free(sb->p);
  sb->p = NULL;
  return 0;
}

static void sb_add(lua_State *L, strbuf *sb, const char *s, size_t n) {
  if (sb->n + n > sb->cap) {
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->n + n) cap *= 2;
    char *p = realloc(sb->p, cap);
    if (!p) luaL_error(L, "json_encode: out of memory");
    sb->p = p;
    sb->cap = cap;
  }
  memcpy(sb->p + sb->n, s, n);
  sb->n += n;
}

static void sb_char(lua_State *L, strbuf *sb, char c) { sb_add(L, sb, &c, 1); }
static void sb_str(lua_State *L, strbuf *sb, const char *s) { sb_add(L, sb, s, strlen(s)); }


static void add_string(lua_State *L, strbuf *b, const char *s, size_t n) {
  sb_char(L, b, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    switch (c) {
    case '"': sb_str(L, b, "\\\""); break;
    case '\\': sb_str(L, b, "\\\\"); break;
    case '\n': sb_str(L, b, "\\n"); break;
    case '\r': sb_str(L, b, "\\r"); break;
    case '\t': sb_str(L, b, "\\t"); break;
    default:
      if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); sb_str(L, b, esc); }
      else sb_char(L, b, (char)c);
    }
  }
  sb_char(L, b, '"');
}

/* An object key: Lua strings may hold NULs, so keys carry their length. */
typedef struct {
  const char *s;
  size_t n;
} json_key;

/* Byte order (what strcmp gives for NUL-free keys), a prefix first. */
static int cmp_key(const void *pa, const void *pb) {
  const json_key *a = pa, *b = pb;
  int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
  return c ? c : (a->n > b->n) - (a->n < b->n);
}

static void encode(lua_State *L, strbuf *b, int idx, int depth, const char *path);

static void encode_table(lua_State *L, strbuf *b, int idx, int depth, const char *path) {
  /* the decoder's limit: the text this writes must read back */
  if (depth >= LUNET_JSON_MAX_DEPTH) luaL_error(L, "json_encode: nesting too deep at %s (a cycle?)", path);
  lua_Integer count = 0, max_index = 0;
  int only_strings = 1, only_ints = 1, marked = 0;
  if (lua_getmetatable(L, idx)) {
    luaL_getmetatable(L, "lunet.json.array");
    marked = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    count++;
    if (lua_type(L, -1) == LUA_TSTRING) only_ints = 0;
    else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
      only_strings = 0;
      if (lua_tointeger(L, -1) > max_index) max_index = lua_tointeger(L, -1);
    } else luaL_error(L, "json_encode: %s has a %s key; only strings or array indices", path, luaL_typename(L, -1));
  }
  char sub[512];
  if (marked && !only_ints) luaL_error(L, "json_encode: %s is marked as an array (json_array) but has string keys", path);
  if ((count > 0 && only_ints) || marked) {
    if (max_index != count) luaL_error(L, "json_encode: %s is a sparse array (holes are not JSON)", path);
    sb_char(L, b, '[');
    for (lua_Integer i = 1; i <= count; i++) {
      if (i > 1) sb_char(L, b, ',');
      lua_rawgeti(L, idx, i);
      snprintf(sub, sizeof sub, "%s[%lld]", path, (long long)i);
      encode(L, b, lua_gettop(L), depth + 1, sub);
      lua_pop(L, 1);
    }
    sb_char(L, b, ']');
    return;
  }
  if (!only_strings) luaL_error(L, "json_encode: %s mixes string and integer keys", path);
  /* the key strings stay alive: the table holds them and is not changed */
  json_key *keys = lua_newuserdatauv(L, (size_t)(count ? count : 1) * sizeof *keys, 0);
  lua_Integer k = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    keys[k].s = lua_tolstring(L, -1, &keys[k].n);
    if (!lunet_utf8_valid(keys[k].s, keys[k].n))
      luaL_error(L, "json_encode: %s has a key that is not valid UTF-8", path);
    k++;
  }
  qsort(keys, (size_t)count, sizeof *keys, cmp_key);
  sb_char(L, b, '{');
  for (lua_Integer i = 0; i < count; i++) {
    if (i) sb_char(L, b, ',');
    add_string(L, b, keys[i].s, keys[i].n);
    sb_char(L, b, ':');
    lua_pushlstring(L, keys[i].s, keys[i].n);
    lua_rawget(L, idx);
    snprintf(sub, sizeof sub, "%s.%s", path, keys[i].s);
    encode(L, b, lua_gettop(L), depth + 1, sub);
    lua_pop(L, 1);
  }
  lua_pop(L, 1); /* keys */
  sb_char(L, b, '}');
}

static void encode(lua_State *L, strbuf *b, int idx, int depth, const char *path) {
  char num[64];
  size_t n;
  const char *s;
  luaL_checkstack(L, 6, "json_encode");
  switch (lua_type(L, idx)) {
  case LUA_TNIL: sb_str(L, b, "null"); break;
  case LUA_TBOOLEAN: sb_str(L, b, lua_toboolean(L, idx) ? "true" : "false"); break;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) snprintf(num, sizeof num, "%lld", (long long)lua_tointeger(L, idx));
    else {
      double v = lua_tonumber(L, idx);
      if (!isfinite(v)) luaL_error(L, "json_encode: %s is %f, which JSON cannot represent", path, v);
      /* the shortest of 15..17 digits that reads back as v (0.1, not 0.10000000000000001) */
      for (int digits = 15; digits <= 17; digits++) {
        snprintf(num, sizeof num, "%.*g", digits, v);
        if (strtod(num, NULL) == v) break;
      }
      if (!strpbrk(num, ".eE")) strcat(num, ".0"); /* stays a float after decoding */
    }
    sb_str(L, b, num);
    break;
  case LUA_TSTRING:
    s = lua_tolstring(L, idx, &n);
    if (!lunet_utf8_valid(s, n)) luaL_error(L, "json_encode: %s is not valid UTF-8", path);
    add_string(L, b, s, n);
    break;
  case LUA_TTABLE: encode_table(L, b, idx, depth, path); break;
  case LUA_TLIGHTUSERDATA:
    lua_getfield(L, LUA_REGISTRYINDEX, "lunet.json.null");
    if (lua_rawequal(L, -1, idx)) { lua_pop(L, 1); sb_str(L, b, "null"); break; }
    /* fall through */
  default: luaL_error(L, "json_encode: %s is a %s, which is not data", path, luaL_typename(L, idx));
  }
}

/* core.json_array(t) -> t, marked so that json_encode writes it as an array
 * ([] when empty); t must be a table without another metatable. */
static int l_json_array(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_getmetatable(L, "lunet.json.array");
  if (lua_getmetatable(L, 1)) {
    if (!lua_rawequal(L, -1, -2)) return luaL_error(L, "json_array: the table already has a metatable");
    lua_pop(L, 2);
    return 1;
  }
  lua_setmetatable(L, 1);
  return 1;
}

static int l_json_encode(lua_State *L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  strbuf *sb = lua_newuserdatauv(L, sizeof *sb, 0);
  memset(sb, 0, sizeof *sb);
  if (luaL_newmetatable(L, "lunet.strbuf")) {
    lua_pushcfunction(L, strbuf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  encode(L, sb, 1, 0, "value");
  lua_pushlstring(L, sb->p ? sb->p : "", sb->n);
  return 1;
}

void lunet_open_json(lua_State *L) {
  static char null_sentinel;
  lua_pushlightuserdata(L, &null_sentinel);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "lunet.json.null");
  lua_setfield(L, -2, "json_null");
  lua_pushcfunction(L, l_json_encode);
  lua_setfield(L, -2, "json_encode");
  lua_pushcfunction(L, l_json_decode);
  lua_setfield(L, -2, "json_decode");
  luaL_newmetatable(L, "lunet.json.array");
  lua_pushstring(L, "json_array");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_json_array);
  lua_setfield(L, -2, "json_array");
}
