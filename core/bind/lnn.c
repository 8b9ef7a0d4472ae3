/* Lua binding of the nn area (filled in with the area itself). */
#include "lbind.h"

void lunet_open_nn(lua_State *L) { (void)L; }
