/* Shared by lh5tree.c (the reader) and lh5tree_write.c (the writer). */
#ifndef LUNET_LH5TREE_H
#define LUNET_LH5TREE_H

#include "h5tree.h"
#include "lbind.h"

/* Pushes v as Lua: a scalar as a string, integer, number or boolean; a list
 * as a table of them. */
void lunet_push_h5value(lua_State *L, const lunet_h5value_t *v);
/* Adds core.h5_create to the module table on top of the stack. */
void lunet_open_h5writer(lua_State *L);

#endif
