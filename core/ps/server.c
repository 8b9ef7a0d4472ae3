/* ROUTER socket of the parameter server (see server.h). */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "common.h"
#include "doorbell.h"
#include "keys.h"
#include "zap.h"

struct lunet_server {
  void *sock;
  char zap_domain[LUNET_ZAP_DOMAIN_MAX]; /* "" without CURVE */
  char endpoint[256];
  uint64_t max_message;
  uint64_t dropped;
  int report_drops;
  char last_drop[256]; /* why the last malformed message was dropped */
  int doorbell;        /* polled beside the socket (doorbell.h); -1: none */
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

/* Makes sock a CURVE server whose peers the ZAP handler checks under a
 * domain of its own. Before any bind (see zap.h). */
static int curve_setup(lunet_server_t *s, const lunet_server_opts_t *opts) {
  static unsigned servers;
  uint8_t secret[32];
  const char *z85 = opts->curve_secret_key;
  if (!lunet_curve_available()) return lunet_fail("CURVE is not available: this libzmq was built without libsodium");
  if (lunet_curve_decode(secret, z85, strlen(z85)) < 0) return -1;
  snprintf(s->zap_domain, sizeof s->zap_domain, "lunet-%ld-%u", (long)getpid(), ++servers);
  if (lunet_zap_add(s->zap_domain, opts->authorized_keys, opts->n_authorized, 1) < 0) {
    s->zap_domain[0] = '\0';
    explicit_bzero(secret, sizeof secret);
    return -1;
  }
  int one = 1;
  int rc = zmq_setsockopt(s->sock, ZMQ_ZAP_DOMAIN, s->zap_domain, strlen(s->zap_domain));
  if (rc == 0) rc = zmq_setsockopt(s->sock, ZMQ_CURVE_SERVER, &one, sizeof one);
  if (rc == 0) rc = zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY, secret, sizeof secret);
  explicit_bzero(secret, sizeof secret);
  if (rc < 0) return lunet_fail("cannot set up CURVE: %s", zmq_strerror(zmq_errno()));
  return 0;
}

lunet_server_t *lunet_server_new(const char *endpoint, const lunet_server_opts_t *opts) {
  void *ctx = lunet_zmq_context();
  if (!ctx) return lunet_fail("cannot create a ZeroMQ context: %s", zmq_strerror(zmq_errno())), NULL;
  lunet_server_t *s = lunet_calloc(1, sizeof *s);
  if (!s) return NULL;
  s->max_message = opts && opts->max_message ? opts->max_message : (1ull << 30);
  s->report_drops = opts && opts->report_drops;
  s->doorbell = -1;
  s->sock = zmq_socket(ctx, ZMQ_ROUTER);
  if (!s->sock) {
    free(s);
    return lunet_fail("cannot create a socket: %s", zmq_strerror(zmq_errno())), NULL;
  }
  /* a peer's queue of received messages is short (a worker has a report and
   * one exchange in flight): with max_message it bounds what a peer can make
   * this process hold; past it ZeroMQ stops reading that peer */
  int zero = 0, one = 1, hwm = 10000, rcvhwm = 64;
  int send_timeout = opts && opts->send_timeout_ms ? opts->send_timeout_ms : 10000;
  /* ZeroMQ refuses a frame above this size before allocating it (+ header/meta slack) */
  int64_t maxmsg = s->max_message < (uint64_t)INT64_MAX - LUNET_WIRE_MAX_META
                       ? (int64_t)(s->max_message + LUNET_WIRE_MAX_META)
                       : -1; /* no limit rather than a wrapped negative one */
  zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(s->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
  zmq_setsockopt(s->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt(s->sock, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
  zmq_setsockopt(s->sock, ZMQ_SNDTIMEO, &send_timeout, sizeof send_timeout);
  zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
  lunet_wire_io_threads(s->sock, opts && opts->spread_io); /* (before the bind: its connections' threads) */
  if ((opts && opts->curve_secret_key && curve_setup(s, opts) < 0) || bind_endpoint(s->sock, endpoint) < 0) {
    lunet_server_free(s);
    return NULL;
  }
  size_t len = sizeof s->endpoint;
  zmq_getsockopt(s->sock, ZMQ_LAST_ENDPOINT, s->endpoint, &len);
  return s;
}

/* How long a closed server still tries to deliver what it sent (the stop
 * that answers the last worker's done, when the driver's process exits
 * right after train()): the process's exit waits for it (lunet_zmq_term),
 * at most this long, only while a peer is connected but not reading. */
#define LUNET_SERVER_LINGER_MS 1000

void lunet_server_free(lunet_server_t *s) {
  if (!s) return;
  int linger = LUNET_SERVER_LINGER_MS;
  zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
  zmq_close(s->sock);
  /* only now: while the socket listened, the handler had to answer for it */
  if (s->zap_domain[0]) lunet_zap_remove(s->zap_domain);
  free(s);
}

const char *lunet_server_endpoint(const lunet_server_t *s) { return s->endpoint; }

int lunet_server_bind(lunet_server_t *s, const char *endpoint, char *bound, size_t bound_size) {
  /* a listener keeps the options it was bound with: CURVE off for this one
   * only (the ZAP domain stays: the handler admits this user's processes) */
  int local = s->zap_domain[0] && strncmp(endpoint, "ipc://", 6) == 0, off = 0, on = 1;
  if (local) zmq_setsockopt(s->sock, ZMQ_CURVE_SERVER, &off, sizeof off);
  int rc = bind_endpoint(s->sock, endpoint);
  if (local) zmq_setsockopt(s->sock, ZMQ_CURVE_SERVER, &on, sizeof on);
  if (rc < 0) return -1;
  size_t len = bound_size;
  zmq_getsockopt(s->sock, ZMQ_LAST_ENDPOINT, bound, &len);
  return 0;
}

int lunet_server_send(lunet_server_t *s, const uint8_t *peer, size_t peer_len, const lunet_wire_header_t *h,
                      const char *meta, size_t meta_len, lunet_tensor_t *const *frames, int nframes) {
  return lunet_wire_send(s->sock, peer, peer_len, h, meta, meta_len, frames, nframes);
}

void lunet_server_set_doorbell(lunet_server_t *s, int fd) { s->doorbell = fd; }

/* Waits up to wait ms for the socket or the doorbell: 3 the doorbell rang
 * (its rings taken), 1 the socket may have a message, 0 neither, -1 error. */
static int await_either(lunet_server_t *s, int wait) {
  zmq_pollitem_t items[2] = {{s->sock, 0, ZMQ_POLLIN, 0}, {NULL, s->doorbell, ZMQ_POLLIN, 0}};
  int rc = zmq_poll(items, 2, wait);
  if (rc < 0) {
    if (zmq_errno() == EINTR) return 0;
    return lunet_fail("poll failed: %s", zmq_strerror(zmq_errno()));
  }
  if ((items[1].revents & ZMQ_POLLIN) && lunet_doorbell_clear(s->doorbell)) return 3;
  return (items[0].revents & ZMQ_POLLIN) ? 1 : 0;
}

int lunet_server_recv(lunet_server_t *s, int timeout_ms, lunet_wire_msg_t *out) {
  double deadline = lunet_now() + timeout_ms / 1000.0;
  for (;;) {
    const char *why = NULL;
    int wait = timeout_ms < 0 ? -1 : (int)((deadline - lunet_now()) * 1000.0);
    if (timeout_ms >= 0 && wait < 0) wait = 0;
    if (s->doorbell >= 0) {
      memset(out, 0, sizeof *out);
      int ready = await_either(s, wait);
      if (ready != 1) return ready;
      wait = 0;
    }
    int rc = lunet_wire_recv(s->sock, 1, wait, s->max_message, out, &why);
    if (rc != 2) return rc;
    s->dropped++;
    snprintf(s->last_drop, sizeof s->last_drop, "%s", why ? why : "malformed message");
    if (s->report_drops && out->peer_len) return 2;
    if (timeout_ms >= 0 && lunet_now() >= deadline) return 0;
  }
}

uint64_t lunet_server_dropped(const lunet_server_t *s) { return s->dropped; }

uint64_t lunet_server_denied(const lunet_server_t *s, char *why, size_t why_size) {
  if (!s->zap_domain[0]) {
    if (why_size) why[0] = '\0';
    return 0;
  }
  return lunet_zap_denied(s->zap_domain, why, why_size);
}

int lunet_server_is_curve(const lunet_server_t *s) { return s->zap_domain[0] != '\0'; }
const char *lunet_server_last_drop(const lunet_server_t *s) { return s->last_drop; }
