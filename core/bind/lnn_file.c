/* Model files from Lua (core/nn/modelfile.c does the work): nn_read returns
 * a file's header and tensors after every check (core.file_save, lfile.c,
 * writes them). lua/lunet/nn/model_file.lua gives them their meaning. */
#include <string.h>

#include "common.h"
#include "lnn.h"
#include "modelfile.h"

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

static const luaL_Reg file_functions[] = {{"nn_read", l_nn_read}, {NULL, NULL}};

void lunet_open_nn_file(lua_State *L) { luaL_setfuncs(L, file_functions, 0); }
