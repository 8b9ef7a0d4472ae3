/* Private to the Tensor binding (ltensor.c: the userdata, constructors,
 * inspection, views and copies; ltensor_ops.c: arithmetic, reductions,
 * conversion and printing). */
#ifndef LUNET_LTENSOR_H
#define LUNET_LTENSOR_H

#include "lbind.h"

typedef struct {
  lunet_tensor_t *t; /* one owned reference; NULL once closed */
} lunet_tensor_box;

/* The shape of t as "(2, 3)" in buf (LUNET_SHAPE_STR_MAX bytes). */
char *lunet_tensor_shape_of(char *buf, const lunet_tensor_t *t);
/* The 1-based (negative: from the end) dimension argument at arg, 0-based;
 * a Lua error naming where and the tensor's shape when out of range. */
int lunet_tensor_check_dim(lua_State *L, int arg, const lunet_tensor_t *t, const char *where);

/* ltensor_ops.c's methods and metamethods, registered by ltensor.c. */
extern const luaL_Reg lunet_tensor_op_methods[];
extern const luaL_Reg lunet_tensor_op_metamethods[];

#endif
