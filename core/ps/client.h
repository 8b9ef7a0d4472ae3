/* A worker's socket: a ZeroMQ DEALER connected to the parameter server. */
#ifndef LUNET_CLIENT_H
#define LUNET_CLIENT_H

#include <stdint.h>

#include "wire.h"

typedef struct lunet_client lunet_client_t;

typedef struct {
  uint64_t max_message; /* payload bytes refused above (0: 4 GiB) */
  /* ZeroMQ CURVE (both or neither, Z85 text, borrowed for the call): the
   * server's public key, and this client's secret key (its public key is
   * derived from it). */
  const char *curve_server_key;
  const char *curve_secret_key;
} lunet_client_opts_t;

/* Connects to endpoint (connection happens in the background; messages queue
 * until it is up). max_message: payload bytes refused above (0: 4 GiB). */
lunet_client_t *lunet_client_new(const char *endpoint, uint64_t max_message);
/* The same with options (opts may be NULL); NULL with a message on bad keys. */
lunet_client_t *lunet_client_new_opts(const char *endpoint, const lunet_client_opts_t *opts);
void lunet_client_free(lunet_client_t *c);
int lunet_client_send(lunet_client_t *c, const lunet_wire_header_t *h, const char *meta, size_t meta_len,
                      lunet_tensor_t *const *frames, int nframes);
/* 1 message, 0 timeout, -1 error; malformed messages are dropped while
 * waiting, within the same timeout. */
int lunet_client_recv(lunet_client_t *c, int timeout_ms, lunet_wire_msg_t *out);
/* Sends n frames (frames[i] of lens[i] bytes, copied) as one multipart
 * message, with no header and no checks: a testing and fuzzing aid for the
 * server's decoder. 0, or -1 with a message. */
int lunet_client_send_raw(lunet_client_t *c, const char *const *frames, const size_t *lens, int n);
/* How the connection's security handshake went, as ZeroMQ's monitor told it:
 * 1 succeeded, 0 nothing yet (not connected), -1 the last attempt failed;
 * *why says how ("the server refused this client's key", ...), and *final
 * is 1 when retrying cannot help. *cause names a final failure's kind (""
 * before one): "refused" (the server's ZAP handler said no), "mechanism"
 * (CURVE on one side only), "server_key" (the server cannot open this CURVE
 * client's HELLO: the server key given is not its public key). A server
 * that closes 5 handshakes in a row without a word is answering too: libzmq
 * 4.3 does that on a wrong server key, and at times on a mismatch. */
int lunet_client_handshake(lunet_client_t *c, const char **why, int *final, const char **cause);

#endif
