/* Lua binding of the data area (filled in with the area itself). */
#include "lbind.h"

void lunet_open_data(lua_State *L) { (void)L; }
