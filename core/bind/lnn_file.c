/* Model files from Lua (core/nn/modelfile.c does the work): nn_save writes a
 * header and tensors atomically, nn_read returns them after every check.
 * lua/lunet/nn/sequential.lua gives them their meaning. */
#include <string.h>

#include "common.h"
#include "lnn.h"
#include "modelfile.h"

#define MAX_ARRAYS 16

/* nn_save(path, header, {tensors}): atomic (temp file, fsync, rename) */
static int l_nn_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t hlen;
  const char *header = luaL_checklstring(L, 2, &hlen);
  luaL_checktype(L, 3, LUA_TTABLE);
  lua_Integer count = luaL_len(L, 3);
  if (count < 0 || count > MAX_ARRAYS) return luaL_error(L, "save: at most %d arrays per file, got %I", MAX_ARRAYS, count);
  const float *data[MAX_ARRAYS];
  uint64_t n[MAX_ARRAYS];
  for (int i = 0; i < (int)count; i++) {
    lua_geti(L, 3, i + 1);
    lunet_tensor_t *t = lunet_check_tensor(L, -1); /* kept alive by the table */
    if (!lunet_tensor_is_contiguous(t)) return luaL_error(L, "save: tensor %d is not contiguous", i + 1);
    data[i] = lunet_tensor_data(t);
    n[i] = (uint64_t)lunet_tensor_numel(t);
    lua_pop(L, 1);
  }
  if (lunet_modelfile_write(path, header, hlen, (int)count, data, n) < 0)
    return lunet_core_error(L, "save");
  return 0;
}

/* nn_read(path) -> header, {tensors}, or an error naming what is wrong */
static int l_nn_read(lua_State *L) {
  lunet_modelfile_t *f = lunet_modelfile_read(luaL_checkstring(L, 1));
  if (!f) return lunet_core_error(L, "load");
  lua_pushlstring(L, f->header, f->header_len);
  lua_createtable(L, f->count, 0);
  for (int i = 0; i < f->count; i++) {
    int64_t shape[1] = {(int64_t)f->n[i]};
    lunet_tensor_t *t = lunet_tensor_new_uninit(1, shape);
    if (!t) { lunet_modelfile_free(f); return lunet_core_error(L, "load"); }
    memcpy(lunet_tensor_data(t), f->data[i], f->n[i] * sizeof(float));
    lunet_push_tensor(L, t);
    lua_rawseti(L, -2, i + 1);
  }
  lunet_modelfile_free(f);
  return 2;
}

static const luaL_Reg file_functions[] = {{"nn_save", l_nn_save}, {"nn_read", l_nn_read}, {NULL, NULL}};

void lunet_open_nn_file(lua_State *L) { luaL_setfuncs(L, file_functions, 0); }
