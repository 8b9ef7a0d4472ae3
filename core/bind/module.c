/* Entry point of build/lua/lunet/core.so, for `require "lunet"` from a plain
 * lua5.4: the same binding the lunet executable preloads. The reference below
 * pulls luaopen_lunet_core out of the static binding library into the module. */
#include "lbind.h"

__attribute__((used)) int (*const lunet_module_entry)(lua_State *) = luaopen_lunet_core;
