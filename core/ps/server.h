/* The parameter server's socket: a ZeroMQ ROUTER bound in the driver. Workers
 * are told apart by the peer id ZeroMQ gives each connection. */
#ifndef LUNET_SERVER_H
#define LUNET_SERVER_H

#include <stdint.h>

#include "wire.h"

typedef struct lunet_server lunet_server_t;

typedef struct {
  uint64_t max_message; /* payload bytes above which a message is refused (0: 1 GiB) */
  int send_timeout_ms;  /* a send that cannot complete in this time fails (0: 10 s) */
} lunet_server_opts_t;

/* Binds endpoint ("tcp://127.0.0.1:0": port 0 picks a free port). NULL with a
 * message naming the endpoint when it cannot bind (e.g. the port is in use). */
lunet_server_t *lunet_server_new(const char *endpoint, const lunet_server_opts_t *opts);
void lunet_server_free(lunet_server_t *s);
/* The endpoint actually bound, with the real port ("tcp://127.0.0.1:43121"). */
const char *lunet_server_endpoint(const lunet_server_t *s);
/* Binds one more endpoint (e.g. an ipc:// socket for local workers next to
 * the TCP one); writes the endpoint actually bound into bound. 0 or -1. */
int lunet_server_bind(lunet_server_t *s, const char *endpoint, char *bound, size_t bound_size);
int lunet_server_send(lunet_server_t *s, const uint8_t *peer, size_t peer_len, const lunet_wire_header_t *h,
                      const char *meta, size_t meta_len, lunet_tensor_t *const *frames, int nframes);
/* 1 message, 0 timeout, -1 error; malformed messages are dropped and counted
 * while waiting, within the same timeout. A message whose header announces
 * more than max_message payload bytes is one of them; a single frame above
 * max_message + 1 MiB never gets here: ZeroMQ refuses it before allocating it
 * and disconnects that peer (uncounted; a Client reconnects by itself, under a
 * new peer id). */
int lunet_server_recv(lunet_server_t *s, int timeout_ms, lunet_wire_msg_t *out);
uint64_t lunet_server_dropped(const lunet_server_t *s);
/* Why the last message was dropped ("" if none). */
const char *lunet_server_last_drop(const lunet_server_t *s);

#endif
