/* Private to the nn binding (lnn.c: the Net userdata's methods;
 * lnn_build.c: a Net from layer configs; lnn_file.c: model files;
 * lnn_optim.c: the optimizer, its state, schedules and the learning rate). */
#ifndef LUNET_LNN_H
#define LUNET_LNN_H

#include "lbind.h"
#include "net.h"

#define LUNET_NET_MT "lunet.Net"

typedef struct {
  lunet_net_t *net; /* owned; NULL once freed */
} lunet_net_box;

/* The net at idx, or a Lua argument error (also once freed). Borrowed. */
lunet_net_t *lunet_check_net(lua_State *L, int idx);

/* Add net_new / nn_default_seed, and nn_read, to the table on top. */
void lunet_open_nn_build(lua_State *L);
void lunet_open_nn_file(lua_State *L);
/* lnn_optim.c: the optimizer's net methods and nn_schedule_value (after
 * the Net metatable exists); a schedule table into a struct (0 / -1). */
void lunet_open_nn_optim(lua_State *L);
int lunet_read_schedule(lua_State *L, int idx, lunet_schedule_t *s);
/* lnn_state.c: reseed, rng_states, set_rng_states (after the Net metatable exists). */
void lunet_open_nn_state(lua_State *L);

#endif
