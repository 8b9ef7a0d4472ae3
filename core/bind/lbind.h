/* Shared helpers of the Lua binding (core/bind/l*.c): the Tensor userdata,
 * option tables, shapes and error conversion. Indices are 1-based in Lua and
 * 0-based in C; the conversion happens only in core/bind. */
#ifndef LUNET_LBIND_H
#define LUNET_LBIND_H

#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>

#include "tensor.h"

#define LUNET_TENSOR_MT "lunet.Tensor"

/* The tensor at idx, or a Lua argument error "(lunet.Tensor expected, got X)";
 * also raises if the tensor was closed. Borrowed. */
lunet_tensor_t *lunet_check_tensor(lua_State *L, int idx);
/* The tensor at idx or NULL when it is something else. Borrowed. */
lunet_tensor_t *lunet_test_tensor(lua_State *L, int idx);
/* Pushes a new Tensor userdata owning the reference t (takes ownership).
 * t == NULL raises a Lua error with lunet_errmsg(). */
void lunet_push_tensor(lua_State *L, lunet_tensor_t *t);
/* The one way a binding reports a core function that failed (lunet_fail,
 * -1/NULL): `return lunet_core_error(L, "where");` raises
 * "<where>: <lunet_errmsg()>", or the message alone when where is NULL (the
 * core's message already names the function). Never returns. */
int lunet_core_error(lua_State *L, const char *where);

/* Raises "<where>: unknown option '<key>'" for any string key of the table at
 * idx not in allowed (NULL-terminated); nil/none at idx is accepted. */
void lunet_check_options(lua_State *L, int idx, const char *where, const char *const *allowed);
/* Option readers for the table at idx (may be nil/none): the default when the
 * key is absent, a Lua error naming where and key when the type is wrong. */
lua_Number lunet_opt_number(lua_State *L, int idx, const char *key, lua_Number def,
                            const char *where);
lua_Integer lunet_opt_integer(lua_State *L, int idx, const char *key, lua_Integer def,
                              const char *where);
const char *lunet_opt_string(lua_State *L, int idx, const char *key, const char *def,
                             const char *where);
int lunet_opt_boolean(lua_State *L, int idx, const char *key, int def, const char *where);

/* Reads a shape from a table of sizes at idx (e.g. {2, 3}) into shape; returns
 * ndim. Raises naming where when a size is not a non-negative integer (-1 is
 * allowed when allow_infer) or there are more than LUNET_MAX_DIMS sizes. */
int lunet_read_shape(lua_State *L, int idx, int64_t *shape, int allow_infer, const char *where);
/* Pushes a shape as a Lua array of integers. */
void lunet_push_shape(lua_State *L, int ndim, const int64_t *shape);

/* Area openers: each adds its functions to the module table on top of the stack
 * (called once by luaopen_lunet_core, in this order). */
void lunet_open_tensor(lua_State *L);
void lunet_open_vec(lua_State *L);
void lunet_open_rng(lua_State *L);
void lunet_open_sys(lua_State *L);
void lunet_open_nn(lua_State *L);
void lunet_open_metrics(lua_State *L);
void lunet_open_data(lua_State *L);
void lunet_open_ps(lua_State *L);
void lunet_open_shm(lua_State *L);
/* Metatable mt for a userdata class: methods as __index, close as __gc and __close. */
void lunet_new_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction close);
/* The fd of the Doorbell at idx (lshm.c); raises if it is not one, or closed. */
int lunet_doorbell_check_fd(lua_State *L, int idx);
void lunet_open_keys(lua_State *L);
void lunet_open_json(lua_State *L);
void lunet_open_proc(lua_State *L);
void lunet_open_file(lua_State *L);
void lunet_open_shuffle(lua_State *L);
void lunet_open_h5tree(lua_State *L); /* lh5tree.c: core.h5_open, h5_open_bytes, h5_create */
void lunet_open_zip(lua_State *L);    /* lzip.c: core.zip_list, zip_read, zip_write */
void lunet_open_codec(lua_State *L);  /* lcodec.c: core.Codec, codec_floats, codec_decode */
void lunet_open_thread(lua_State *L); /* lthread.c: core.start_lua_thread */

/* lua_CFunction that opens the `lunet.core` module table. */
int luaopen_lunet_core(lua_State *L);

#endif
