/* Lua binding of the ps area (filled in with the area itself). */
#include "lbind.h"

void lunet_open_ps(lua_State *L) { (void)L; }
