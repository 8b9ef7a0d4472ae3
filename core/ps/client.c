/* DEALER socket of a worker (see client.h). */
#include "client.h"

#include <stdlib.h>
#include <zmq.h>

#include "common.h"

struct lunet_client {
  void *sock;
  uint64_t max_message;
};

lunet_client_t *lunet_client_new(const char *endpoint, uint64_t max_message) {
  void *ctx = lunet_zmq_context();
  if (!ctx) return lunet_fail("cannot create a ZeroMQ context: %s", zmq_strerror(zmq_errno())), NULL;
  lunet_client_t *c = lunet_calloc(1, sizeof *c);
  if (!c) return NULL;
  c->max_message = max_message ? max_message : (4ull << 30);
  c->sock = zmq_socket(ctx, ZMQ_DEALER);
  if (!c->sock) {
    free(c);
    return lunet_fail("cannot create a socket: %s", zmq_strerror(zmq_errno())), NULL;
  }
  int zero = 0, hwm = 10000, send_timeout = 30000;
  zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt(c->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
  zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &send_timeout, sizeof send_timeout);
  lunet_wire_tune_socket(c->sock, endpoint);
  if (zmq_connect(c->sock, endpoint) < 0) {
    int err = zmq_errno();
    zmq_close(c->sock);
    free(c);
    return lunet_fail("cannot connect to %s: %s", endpoint, zmq_strerror(err)), NULL;
  }
  return c;
}

void lunet_client_free(lunet_client_t *c) {
  if (!c) return;
  zmq_close(c->sock);
  free(c);
}

int lunet_client_send(lunet_client_t *c, const lunet_wire_header_t *h, const char *meta, size_t meta_len,
                      lunet_tensor_t *const *frames, int nframes) {
  return lunet_wire_send(c->sock, NULL, 0, h, meta, meta_len, frames, nframes);
}

int lunet_client_recv(lunet_client_t *c, int timeout_ms, lunet_wire_msg_t *out) {
  double deadline = lunet_now() + timeout_ms / 1000.0;
  for (;;) {
    const char *why;
    int wait = timeout_ms < 0 ? -1 : (int)((deadline - lunet_now()) * 1000.0);
    if (timeout_ms >= 0 && wait < 0) wait = 0;
    int rc = lunet_wire_recv(c->sock, 0, wait, c->max_message, out, &why);
    if (rc != 2) return rc;
    if (timeout_ms >= 0 && lunet_now() >= deadline) return 0; /* drops do not extend the wait */
  }
}

int lunet_client_send_raw(lunet_client_t *c, const char *const *frames, const size_t *lens, int n) {
  if (n < 1) return lunet_fail("send_raw: at least one frame");
  for (int i = 0; i < n; i++)
    if (zmq_send(c->sock, frames[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
      return lunet_fail("send failed: %s", zmq_strerror(zmq_errno()));
  return 0;
}
