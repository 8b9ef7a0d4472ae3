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
  int report_drops;     /* 1: recv returns 2 for a dropped message whose sender is known (see recv) */
  int spread_io;        /* 1: its connections on I/O threads 1 and up (lunet_wire_io_threads) */
  /* ZeroMQ CURVE: the server's secret key (Z85), NULL for none. With it
   * every TCP connection is encrypted and admitted only if the client's
   * public key is one of the n_authorized keys (Z85 text, decoded: 32 bytes
   * each, borrowed for the call), checked by the ZAP handler (zap.h). */
  const char *curve_secret_key;
  const uint8_t *authorized_keys; /* (n_authorized, 32) */
  size_t n_authorized;
} lunet_server_opts_t;

/* Binds endpoint ("tcp://127.0.0.1:0": port 0 picks a free port). NULL with a
 * message naming the endpoint when it cannot bind (e.g. the port is in use). */
lunet_server_t *lunet_server_new(const char *endpoint, const lunet_server_opts_t *opts);
void lunet_server_free(lunet_server_t *s);
/* The endpoint actually bound, with the real port ("tcp://127.0.0.1:43121"). */
const char *lunet_server_endpoint(const lunet_server_t *s);
/* Binds one more endpoint (e.g. an ipc:// socket for local workers next to
 * the TCP one); writes the endpoint actually bound into bound. 0 or -1.
 * On a CURVE server an ipc:// endpoint is not encrypted: it admits only
 * processes of this user (the kernel's peer credentials, checked by the ZAP
 * handler). An abstract Unix socket never leaves the machine, and anyone who
 * can act as this user could read the key files anyway; encrypting it would
 * cost the local workers time for nothing. */
int lunet_server_bind(lunet_server_t *s, const char *endpoint, char *bound, size_t bound_size);
int lunet_server_send(lunet_server_t *s, const uint8_t *peer, size_t peer_len, const lunet_wire_header_t *h,
                      const char *meta, size_t meta_len, lunet_tensor_t *const *frames, int nframes);
/* 1 message, 0 timeout, -1 error; malformed messages are dropped and counted
 * while waiting, within the same timeout. A message whose header announces
 * more than max_message payload bytes is one of them; a single frame above
 * max_message + 1 MiB never gets here: ZeroMQ refuses it before allocating it
 * and disconnects that peer (uncounted; a Client reconnects by itself, under a
 * new peer id). With opts.report_drops, a dropped message whose peer id was
 * read returns 2 instead, with only out->peer and out->peer_len set (nothing
 * to free) and the reason in lunet_server_last_drop: its sender waits for an
 * answer that will never come, and the caller must know who that is. */
int lunet_server_recv(lunet_server_t *s, int timeout_ms, lunet_wire_msg_t *out);
/* Polls the doorbell fd (doorbell.h; -1: none) beside the socket: recv then
 * returns 3, with no message, when it rang. The caller keeps fd open. */
void lunet_server_set_doorbell(lunet_server_t *s, int fd);
uint64_t lunet_server_dropped(const lunet_server_t *s);
/* Peers the ZAP handler refused (CURVE servers; 0 otherwise), and why the
 * last one was ("" if none), written into why (why_size bytes). */
uint64_t lunet_server_denied(const lunet_server_t *s, char *why, size_t why_size);
/* 1 if the server uses CURVE. */
int lunet_server_is_curve(const lunet_server_t *s);
/* Why the last message was dropped ("" if none). */
const char *lunet_server_last_drop(const lunet_server_t *s);

#endif
