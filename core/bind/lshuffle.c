/* Lua binding of the bounded shuffle buffer (core/data/shuffle.h):
 *   core.ShuffleBuffer(capacity, {width, ...}, seed) -> buffer
 *   buffer:draw({out, ...}, filled, {in, ...} | nil, pos) -> filled, pos
 *   buffer:reset(seed), buffer:count(), buffer:capacity(), buffer:close()
 * Tensors are contiguous, one per part, rows of that part's width; filled and
 * pos count rows already written / taken (0-based positions). in = nil: the
 * input ended, the buffer drains. */
#include "common.h"
#include "lbind.h"
#include "shuffle.h"

#define SHUFFLE_MT "lunet.ShuffleBuffer"

static lunet_shuffle_t *check_buf(lua_State *L) {
  lunet_shuffle_t *s = luaL_checkudata(L, 1, SHUFFLE_MT);
  if (!s->rows) luaL_error(L, "ShuffleBuffer: the buffer is closed");
  return s;
}

static int l_new(lua_State *L) {
  lua_Integer cap = luaL_checkinteger(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer seed = luaL_checkinteger(L, 3);
  if (cap < 1) return luaL_error(L, "ShuffleBuffer: capacity must be at least 1, got %I", cap);
  size_t parts = (size_t)lua_rawlen(L, 2), widths[LUNET_SHUFFLE_PARTS];
  if (parts < 1 || parts > LUNET_SHUFFLE_PARTS)
    return luaL_error(L, "ShuffleBuffer: 1 to %d widths, got %d", LUNET_SHUFFLE_PARTS, (int)parts);
  for (size_t p = 0; p < parts; p++) {
    lua_rawgeti(L, 2, (lua_Integer)p + 1);
    int ok;
    lua_Integer w = lua_tointegerx(L, -1, &ok);
    if (!ok || w < 0) return luaL_error(L, "ShuffleBuffer: width %d must be an integer >= 0", (int)p + 1);
    widths[p] = (size_t)w;
    lua_pop(L, 1);
  }
  lunet_shuffle_t *s = lua_newuserdatauv(L, sizeof *s, 0);
  s->rows = NULL;
  luaL_setmetatable(L, SHUFFLE_MT);
  if (lunet_shuffle_init(s, (size_t)cap, parts, widths, (uint64_t)seed) != 0) return lunet_core_error(L, NULL);
  return 1;
}

/* The part tensors in the table at idx: data pointers and their common rows. */
static size_t part_tensors(lua_State *L, lunet_shuffle_t *s, int idx, float **data, const char *what) {
  luaL_checktype(L, idx, LUA_TTABLE);
  if (lua_rawlen(L, idx) != s->parts)
    luaL_error(L, "ShuffleBuffer:draw: %s has %d tensors, the buffer's rows have %d parts", what,
               (int)lua_rawlen(L, idx), (int)s->parts);
  size_t rows = 0;
  for (size_t p = 0; p < s->parts; p++) {
    lua_rawgeti(L, idx, (lua_Integer)p + 1);
    lunet_tensor_t *t = lunet_check_tensor(L, -1);
    if (!lunet_tensor_is_contiguous(t) || t->ndim < 1)
      luaL_error(L, "ShuffleBuffer:draw: %s tensor %d is not contiguous with a row dimension", what, (int)p + 1);
    size_t r = (size_t)t->shape[0], n = (size_t)lunet_tensor_numel(t);
    if (p > 0 && r != rows)
      luaL_error(L, "ShuffleBuffer:draw: %s tensor %d has %d rows, tensor 1 has %d", what, (int)p + 1, (int)r,
                 (int)rows);
    if (n != r * s->part_width[p])
      luaL_error(L, "ShuffleBuffer:draw: %s tensor %d has %d values for %d rows, expected %d per row", what,
                 (int)p + 1, (int)n, (int)r, (int)s->part_width[p]);
    rows = r;
    data[p] = lunet_tensor_data(t);
    lua_pop(L, 1); /* the table keeps the tensor alive */
  }
  return rows;
}

static int b_draw(lua_State *L) {
  lunet_shuffle_t *s = check_buf(L);
  float *out[LUNET_SHUFFLE_PARTS], *in[LUNET_SHUFFLE_PARTS] = {NULL, NULL, NULL};
  size_t out_rows = part_tensors(L, s, 2, out, "out");
  lua_Integer filled = luaL_checkinteger(L, 3);
  int ended = lua_isnoneornil(L, 4);
  size_t in_rows = ended ? 0 : part_tensors(L, s, 4, in, "in");
  lua_Integer pos = ended ? 0 : luaL_checkinteger(L, 5);
  if (filled < 0 || (size_t)filled > out_rows)
    return luaL_error(L, "ShuffleBuffer:draw: filled = %I outside 0..%d", filled, (int)out_rows);
  if (pos < 0 || (size_t)pos > in_rows)
    return luaL_error(L, "ShuffleBuffer:draw: pos = %I outside 0..%d", pos, (int)in_rows);
  size_t f = (size_t)filled, p = (size_t)pos;
  lunet_shuffle_draw(s, out, out_rows, &f, (const float *const *)in, in_rows, &p, ended);
  lua_pushinteger(L, (lua_Integer)f);
  lua_pushinteger(L, (lua_Integer)p);
  return 2;
}

static int b_reset(lua_State *L) {
  lunet_shuffle_reset(check_buf(L), (uint64_t)luaL_checkinteger(L, 2));
  return 0;
}

static int b_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)check_buf(L)->n);
  return 1;
}

static int b_capacity(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)check_buf(L)->capacity);
  return 1;
}

static int b_close(lua_State *L) {
  lunet_shuffle_free(luaL_checkudata(L, 1, SHUFFLE_MT));
  return 0;
}

static const luaL_Reg methods[] = {{"draw", b_draw}, {"reset", b_reset}, {"count", b_count},
                                   {"capacity", b_capacity}, {"close", b_close}, {NULL, NULL}};

void lunet_open_shuffle(lua_State *L) {
  lunet_new_class(L, SHUFFLE_MT, methods, b_close);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "ShuffleBuffer");
}
