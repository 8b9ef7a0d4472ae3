/* ROUTER socket of the parameter server (see server.h). */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common.h"

struct lunet_server {
  void *sock;
  char endpoint[256];
  uint64_t max_message;
  uint64_t dropped;
  char last_drop[256]; /* why the last malformed message was dropped */
};

/* "tcp://host:0" -> "tcp://host:*" (ZeroMQ's spelling of "any free port") */
static void zmq_endpoint(char *out, size_t size, const char *endpoint) {
  size_t n = strlen(endpoint);
  if (n >= 2 && strcmp(endpoint + n - 2, ":0") == 0) snprintf(out, size, "%.*s:*", (int)(n - 2), endpoint);
  else snprintf(out, size, "%s", endpoint);
}

/* zmq_bind with lunet's spelling of "any port" and a message naming the port. */
static int bind_endpoint(void *sock, const char *endpoint) {
  lunet_wire_tune_socket(sock, endpoint);
  char ep[256];
  zmq_endpoint(ep, sizeof ep, endpoint);
  if (zmq_bind(sock, ep) == 0) return 0;
  int err = zmq_errno();
  if (err == EADDRINUSE) {
    const char *colon = strrchr(endpoint, ':');
    return lunet_fail("cannot bind %s: port %s is already in use", endpoint, colon ? colon + 1 : "?");
  }
  return lunet_fail("cannot bind %s: %s", endpoint, zmq_strerror(err));
}

lunet_server_t *lunet_server_new(const char *endpoint, const lunet_server_opts_t *opts) {
  void *ctx = lunet_zmq_context();
  if (!ctx) return lunet_fail("cannot create a ZeroMQ context: %s", zmq_strerror(zmq_errno())), NULL;
  lunet_server_t *s = lunet_calloc(1, sizeof *s);
  if (!s) return NULL;
  s->max_message = opts && opts->max_message ? opts->max_message : (1ull << 30);
  s->sock = zmq_socket(ctx, ZMQ_ROUTER);
  if (!s->sock) {
    free(s);
    return lunet_fail("cannot create a socket: %s", zmq_strerror(zmq_errno())), NULL;
  }
  int zero = 0, one = 1, hwm = 10000;
  int send_timeout = opts && opts->send_timeout_ms ? opts->send_timeout_ms : 10000;
  /* ZeroMQ refuses a frame above this size before allocating it (+ header/meta slack) */
  int64_t maxmsg = s->max_message < (uint64_t)INT64_MAX - LUNET_WIRE_MAX_META
                       ? (int64_t)(s->max_message + LUNET_WIRE_MAX_META)
                       : -1; /* no limit rather than a wrapped negative one */
  zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(s->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
  zmq_setsockopt(s->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt(s->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
  zmq_setsockopt(s->sock, ZMQ_SNDTIMEO, &send_timeout, sizeof send_timeout);
  zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
  if (bind_endpoint(s->sock, endpoint) < 0) {
    zmq_close(s->sock);
    free(s);
    return NULL;
  }
  size_t len = sizeof s->endpoint;
  zmq_getsockopt(s->sock, ZMQ_LAST_ENDPOINT, s->endpoint, &len);
  return s;
}

void lunet_server_free(lunet_server_t *s) {
  if (!s) return;
  zmq_close(s->sock);
  free(s);
}

const char *lunet_server_endpoint(const lunet_server_t *s) { return s->endpoint; }

int lunet_server_bind(lunet_server_t *s, const char *endpoint, char *bound, size_t bound_size) {
  if (bind_endpoint(s->sock, endpoint) < 0) return -1;
  size_t len = bound_size;
  zmq_getsockopt(s->sock, ZMQ_LAST_ENDPOINT, bound, &len);
  return 0;
}

int lunet_server_send(lunet_server_t *s, const uint8_t *peer, size_t peer_len, const lunet_wire_header_t *h,
                      const char *meta, size_t meta_len, lunet_tensor_t *const *frames, int nframes) {
  return lunet_wire_send(s->sock, peer, peer_len, h, meta, meta_len, frames, nframes);
}

int lunet_server_recv(lunet_server_t *s, int timeout_ms, lunet_wire_msg_t *out) {
  double deadline = lunet_now() + timeout_ms / 1000.0;
  for (;;) {
    const char *why = NULL;
    int wait = timeout_ms < 0 ? -1 : (int)((deadline - lunet_now()) * 1000.0);
    if (timeout_ms >= 0 && wait < 0) wait = 0;
    int rc = lunet_wire_recv(s->sock, 1, wait, s->max_message, out, &why);
    if (rc != 2) return rc;
    s->dropped++;
    snprintf(s->last_drop, sizeof s->last_drop, "%s", why ? why : "malformed message");
    if (timeout_ms >= 0 && lunet_now() >= deadline) return 0;
  }
}

uint64_t lunet_server_dropped(const lunet_server_t *s) { return s->dropped; }
const char *lunet_server_last_drop(const lunet_server_t *s) { return s->last_drop; }
