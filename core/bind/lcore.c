/* The `lunet.core` module: every binding area's functions in one table.
 * lua/lunet/init.lua builds the public API on top of it. */
#include "lbind.h"

int luaopen_lunet_core(lua_State *L) {
  lua_newtable(L);
  lunet_open_tensor(L);
  lunet_open_vec(L);
  lunet_open_rng(L);
  lunet_open_sys(L);
  lunet_open_nn(L);
  lunet_open_metrics(L);
  lunet_open_data(L);
  lunet_open_ps(L);
  lunet_open_shm(L);
  lunet_open_keys(L);
  lunet_open_json(L);
  lunet_open_proc(L);
  lunet_open_file(L);
  lunet_open_shuffle(L);
  lunet_open_h5tree(L);
  lunet_open_zip(L);
  lunet_open_codec(L);
  lunet_open_thread(L);
  return 1;
}
