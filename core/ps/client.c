/* DEALER socket of a worker (see client.h). Until its first handshake
 * succeeds, a client also watches its socket's monitor events, so that a
 * worker the server refuses can say why instead of waiting in silence. */
#define _GNU_SOURCE
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common.h"
#include "keys.h"

#define HANDSHAKE_EVENTS                                                                               \
  (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | \
   ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* Handshakes the server closed in a row after which retrying stops (see
 * closed_handshake): 0.5-1 s of ZeroMQ's reconnects, 100-200 ms apart. */
#define CLOSED_IN_A_ROW 5

struct lunet_client {
  void *sock;
  void *monitor; /* PAIR receiving sock's handshake events; NULL once one succeeded */
  int handshake; /* 1 succeeded, 0 not yet, -1 failed */
  int final;     /* the failure will not go away by retrying */
  int curve;     /* a CURVE client */
  int closed;    /* handshakes the server closed in a row */
  const char *cause; /* a final failure's kind (client.h) */
  char why[240];
  uint64_t max_message;
};

static int set_curve(void *sock, const lunet_client_opts_t *o) {
  uint8_t server[32], secret[32];
  char public_z85[LUNET_KEY_Z85_LEN + 1];
  if (!o->curve_server_key || !o->curve_secret_key)
    return lunet_fail("CURVE needs both the server's public key and this client's secret key");
  if (lunet_curve_decode(server, o->curve_server_key, strlen(o->curve_server_key)) < 0) {
    char detail[LUNET_ERRMSG_MAX];
    snprintf(detail, sizeof detail, "%s", lunet_errmsg());
    return lunet_fail("the server key: %s", detail);
  }
  if (lunet_curve_public(public_z85, o->curve_secret_key) < 0) {
    char detail[LUNET_ERRMSG_MAX];
    snprintf(detail, sizeof detail, "%s", lunet_errmsg());
    return lunet_fail("the secret key: %s", detail);
  }
  lunet_curve_decode(secret, o->curve_secret_key, LUNET_KEY_Z85_LEN);
  int rc = zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server, sizeof server);
  if (rc == 0) rc = zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, public_z85, LUNET_KEY_Z85_LEN);
  if (rc == 0) rc = zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, sizeof secret);
  explicit_bzero(secret, sizeof secret);
  if (rc < 0) return lunet_fail("cannot set up CURVE: %s", zmq_strerror(zmq_errno()));
  return 0;
}

/* A PAIR connected to sock's monitor (before sock connects: no event is missed). */
static void *watch(void *ctx, void *sock) {
  static unsigned clients; /* a closed socket's inproc name is freed later: a new name each time */
  char ep[64];
  snprintf(ep, sizeof ep, "inproc://lunet-client-monitor-%u", __atomic_add_fetch(&clients, 1, __ATOMIC_RELAXED));
  if (zmq_socket_monitor(sock, ep, HANDSHAKE_EVENTS) < 0) return NULL;
  void *pair = zmq_socket(ctx, ZMQ_PAIR);
  int zero = 0;
  if (pair) zmq_setsockopt(pair, ZMQ_LINGER, &zero, sizeof zero);
  if (!pair || zmq_connect(pair, ep) < 0) {
    if (pair) zmq_close(pair);
    zmq_socket_monitor(sock, NULL, 0);
    return NULL;
  }
  return pair;
}

static void unwatch(lunet_client_t *c) {
  if (!c->monitor) return;
  zmq_socket_monitor(c->sock, NULL, 0);
  zmq_close(c->monitor);
  c->monitor = NULL;
}

lunet_client_t *lunet_client_new(const char *endpoint, uint64_t max_message) {
  lunet_client_opts_t o = {max_message, NULL, NULL};
  return lunet_client_new_opts(endpoint, &o);
}

lunet_client_t *lunet_client_new_opts(const char *endpoint, const lunet_client_opts_t *opts) {
  void *ctx = lunet_zmq_context();
  if (!ctx) return lunet_fail("cannot create a ZeroMQ context: %s", zmq_strerror(zmq_errno())), NULL;
  lunet_client_t *c = lunet_calloc(1, sizeof *c);
  if (!c) return NULL;
  c->max_message = opts && opts->max_message ? opts->max_message : (4ull << 30);
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
  lunet_wire_io_threads(c->sock, 0);
  lunet_wire_tune_socket(c->sock, endpoint);
  if (opts && (opts->curve_server_key || opts->curve_secret_key)) {
    if (set_curve(c->sock, opts) < 0) {
      zmq_close(c->sock);
      free(c);
      return NULL;
    }
    c->curve = 1;
  }
  c->monitor = watch(ctx, c->sock); /* (without it, failures are only slower to notice) */
  if (zmq_connect(c->sock, endpoint) < 0) {
    int err = zmq_errno();
    lunet_client_free(c);
    return lunet_fail("cannot connect to %s: %s", endpoint, zmq_strerror(err)), NULL;
  }
  return c;
}

void lunet_client_free(lunet_client_t *c) {
  if (!c) return;
  unwatch(c);
  zmq_close(c->sock);
  free(c);
}

#define MISMATCH "the server and this client disagree on CURVE"

static void protocol_error(lunet_client_t *c, uint32_t value) {
  c->final = 1;
  switch (value) {
  case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
    c->cause = "mechanism";
    snprintf(c->why, sizeof c->why, MISMATCH " (one side has keys, the other not)");
    return;
  case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
  case ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE:
    c->cause = "server_key";
    snprintf(c->why, sizeof c->why, "the CURVE handshake failed (is the server key the server's public key?)");
    return;
  }
  c->final = 0;
  snprintf(c->why, sizeof c->why, "the handshake failed (protocol error %#x)", value);
}

/* The server closed the connection during the handshake (errno err). The
 * server says nothing more in two cases, as libzmq 4.3 is written: it cannot
 * open a CURVE client's HELLO (made for another server key), and, when the
 * client's whole greeting arrives in one read, a mechanism mismatch (it
 * closes before its own greeting, which names its mechanism, is sent). So
 * one closure may be a server restarting; several in a row are an answer. */
static void closed_handshake(lunet_client_t *c, uint32_t err) {
  c->closed++;
  c->final = c->closed >= CLOSED_IN_A_ROW;
  if (!c->final) {
    snprintf(c->why, sizeof c->why, "the server closed the connection during the handshake (%s)",
             zmq_strerror((int)err));
  } else if (c->curve) {
    c->cause = "server_key";
    snprintf(c->why, sizeof c->why,
             "the CURVE handshake failed %d times in a row: the server closed the connection on each HELLO, "
             "which it can open only if the server key given is its public key (or it does not use CURVE)",
             c->closed);
  } else {
    c->cause = "mechanism";
    snprintf(c->why, sizeof c->why,
             MISMATCH ", it seems: the server closed the connection during the handshake %d times in a row "
             "(as a server with keys does to a client without)", c->closed);
  }
}

/* Takes in the monitor's events; stops watching after a success. */
static void drain_events(lunet_client_t *c) {
  while (c->monitor) {
    zmq_msg_t ev, addr;
    zmq_msg_init(&ev);
    if (zmq_msg_recv(&ev, c->monitor, ZMQ_DONTWAIT) < 0) { zmq_msg_close(&ev); return; }
    uint16_t event = 0;
    uint32_t value = 0;
    if (zmq_msg_size(&ev) >= 6) {
      memcpy(&event, zmq_msg_data(&ev), 2);
      memcpy(&value, (const uint8_t *)zmq_msg_data(&ev) + 2, 4);
    }
    int more = zmq_msg_more(&ev);
    zmq_msg_close(&ev);
    if (more) { /* the endpoint frame */
      zmq_msg_init(&addr);
      zmq_msg_recv(&addr, c->monitor, ZMQ_DONTWAIT);
      zmq_msg_close(&addr);
    }
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      c->handshake = 1, c->final = 0, c->closed = 0, c->why[0] = '\0';
      unwatch(c);
      return;
    }
    if (c->final) continue; /* (a final failure stays the answer) */
    c->handshake = -1;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL && (value == EPIPE || value == ECONNRESET)) {
      closed_handshake(c, value);
      continue;
    }
    c->closed = 0;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      c->final = 1;
      c->cause = "refused";
      if (c->curve) snprintf(c->why, sizeof c->why, "the server refused this client's key (ZAP status %u)", value);
      else snprintf(c->why, sizeof c->why, "the server refused this client (ZAP status %u)", value);
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
      protocol_error(c, value);
    } else {
      snprintf(c->why, sizeof c->why, "the handshake failed (%s)", zmq_strerror((int)value));
    }
  }
}

int lunet_client_handshake(lunet_client_t *c, const char **why, int *final, const char **cause) {
  drain_events(c);
  if (why) *why = c->why;
  if (final) *final = c->final;
  if (cause) *cause = c->final && c->cause ? c->cause : "";
  return c->handshake;
}

int lunet_client_send(lunet_client_t *c, const lunet_wire_header_t *h, const char *meta, size_t meta_len,
                      lunet_tensor_t *const *frames, int nframes) {
  return lunet_wire_send(c->sock, NULL, 0, h, meta, meta_len, frames, nframes);
}

int lunet_client_recv(lunet_client_t *c, int timeout_ms, lunet_wire_msg_t *out) {
  double deadline = lunet_now() + timeout_ms / 1000.0;
  for (;;) {
    const char *why;
    drain_events(c);
    int wait = timeout_ms < 0 ? -1 : (int)((deadline - lunet_now()) * 1000.0);
    if (timeout_ms >= 0 && wait < 0) wait = 0;
    /* while the monitor reports (a refusing server is retried every 100 ms),
     * its events are taken in at least every second: they queue in a
     * bounded pipe */
    int sliced = c->monitor && (wait < 0 || wait > 1000);
    if (sliced) wait = 1000;
    int rc = lunet_wire_recv(c->sock, 0, wait, c->max_message, out, &why);
    if (rc == 0 && sliced) continue;
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
