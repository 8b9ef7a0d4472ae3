/* ZAP handler thread and its registry of domains (see zap.h). */
#define _GNU_SOURCE
#include "zap.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "common.h"
#include "wire.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define MAX_FRAMES 8  /* a CURVE request has 7 */
#define MAX_FRAME 256 /* every frame we read is shorter: ids, names, a 32-byte key */

typedef struct domain {
  struct domain *next;
  char name[LUNET_ZAP_DOMAIN_MAX];
  uint8_t *keys; /* (n, 32) */
  size_t n;
  int local_same_user;
  uint64_t denied;
  char why[160]; /* the last refusal */
} domain_t;

/* lifecycle: held while the thread starts or stops (never by the thread);
 * registry: held while domains are read or changed (also by the thread) */
static pthread_mutex_t lifecycle = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static domain_t *domains;
static pthread_t thread;
static void *stop_sender; /* our end of the stop pipe; NULL when no thread runs */

typedef struct {
  void *rep, *stop;
} handler_t;

typedef struct {
  int n;
  size_t len[MAX_FRAMES];
  char data[MAX_FRAMES][MAX_FRAME];
} request_t;

static domain_t *find(const char *name) {
  for (domain_t *d = domains; d; d = d->next)
    if (strcmp(d->name, name) == 0) return d;
  return NULL;
}

static const char *frame(const request_t *r, int i) { return i < r->n ? r->data[i] : ""; }

/* The address of an ipc:// peer ends in ":uid:gid:pid" (ZeroMQ appends the
 * kernel's SO_PEERCRED credentials); a TCP peer's is an IP address. 1 with
 * *uid and *pid for the former, else 0. */
static int peer_credentials(const char *address, long *uid, long *pid) {
  long gid;
  const char *p = address + strlen(address);
  int colons = 0;
  while (p > address && colons < 3) if (*--p == ':') colons++;
  return colons == 3 && sscanf(p, ":%ld:%ld:%ld", uid, &gid, pid) == 3;
}

/* 200 or 400 for a request; why says what was refused. Registry held. */
static const char *decide(const request_t *r, char *why, size_t why_size) {
  domain_t *d = find(frame(r, 2));
  const char *address = frame(r, 3), *mechanism = frame(r, 5);
  long uid, pid;
  if (!d) {
    snprintf(why, why_size, "unknown ZAP domain '%.64s'", frame(r, 2));
    return "400";
  }
  if (strcmp(mechanism, "CURVE") == 0 && r->n >= 7 && r->len[6] == 32) {
    for (size_t i = 0; i < d->n; i++)
      if (memcmp(d->keys + 32 * i, r->data[6], 32) == 0) return "200";
    char z85[41];
    zmq_z85_encode(z85, (const uint8_t *)r->data[6], 32);
    snprintf(why, why_size, "CURVE key %s from %.64s is not in authorized_keys", z85, address);
  } else if (strcmp(mechanism, "NULL") == 0 && d->local_same_user && peer_credentials(address, &uid, &pid)) {
    if (uid == (long)geteuid()) return "200";
    snprintf(why, why_size, "a process of user %ld (pid %ld) on the local socket (only user %ld's may join)", uid, pid,
             (long)geteuid());
  } else {
    snprintf(why, why_size, "a %.16s peer from %.64s (this server admits CURVE clients only)", mechanism, address);
  }
  d->denied++;
  snprintf(d->why, sizeof d->why, "%s", why);
  return "400";
}

/* Reads one request (every frame, even past MAX_FRAMES: REP must get all of it). */
static int read_request(void *rep, request_t *r) {
  int more = 1;
  r->n = 0;
  while (more) {
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, rep, 0) < 0) { zmq_msg_close(&m); return -1; }
    more = zmq_msg_more(&m);
    if (r->n < MAX_FRAMES) {
      size_t len = zmq_msg_size(&m);
      r->len[r->n] = len;
      if (len >= MAX_FRAME) len = MAX_FRAME - 1; /* too long for anything we compare: no match */
      memcpy(r->data[r->n], zmq_msg_data(&m), len);
      r->data[r->n][len] = '\0';
      r->n++;
    }
    zmq_msg_close(&m);
  }
  return 0;
}

static void reply(void *rep, const request_t *r, const char *status, const char *text) {
  const char *id = frame(r, 1);
  zmq_send(rep, "1.0", 3, ZMQ_SNDMORE);
  zmq_send(rep, id, r->n > 1 ? r->len[1] : 0, ZMQ_SNDMORE);
  zmq_send(rep, status, 3, ZMQ_SNDMORE);
  zmq_send(rep, text, strlen(text), ZMQ_SNDMORE);
  zmq_send(rep, "", 0, ZMQ_SNDMORE); /* user id */
  zmq_send(rep, "", 0, 0);           /* metadata */
}

static void *run(void *arg) {
  handler_t *h = arg;
  zmq_pollitem_t items[2] = {{h->rep, 0, ZMQ_POLLIN, 0}, {h->stop, 0, ZMQ_POLLIN, 0}};
  request_t r;
  for (;;) {
    if (zmq_poll(items, 2, -1) < 0) continue; /* EINTR */
    if (items[1].revents & ZMQ_POLLIN) break;
    if (!(items[0].revents & ZMQ_POLLIN) || read_request(h->rep, &r) < 0) continue;
    char why[160] = "";
    const char *status;
    if (r.n < 6 || strcmp(frame(&r, 0), "1.0") != 0) {
      status = "500"; /* not a ZAP 1.0 request: refused as an internal error */
      snprintf(why, sizeof why, "malformed ZAP request");
    } else {
      pthread_mutex_lock(&registry);
      status = decide(&r, why, sizeof why);
      pthread_mutex_unlock(&registry);
    }
    reply(h->rep, &r, status, status[0] == '2' ? "OK" : why);
  }
  /* unbound now, not when ZeroMQ's reaper gets to the closed socket: the
   * next server may start a handler at once */
  zmq_unbind(h->rep, ZAP_ENDPOINT);
  zmq_close(h->rep);
  zmq_close(h->stop);
  free(h);
  return NULL;
}

/* Binds the ZAP address and starts the thread. Lifecycle held. */
static int start(void) {
  void *ctx = lunet_zmq_context();
  if (!ctx) return lunet_fail("cannot create a ZeroMQ context: %s", zmq_strerror(zmq_errno()));
  handler_t *h = lunet_calloc(1, sizeof *h);
  if (!h) return -1;
  int zero = 0;
  void *rep = zmq_socket(ctx, ZMQ_REP), *stop = zmq_socket(ctx, ZMQ_PAIR), *sender = zmq_socket(ctx, ZMQ_PAIR);
  if (!rep || !stop || !sender) {
    lunet_fail("cannot create the ZAP handler's sockets: %s", zmq_strerror(zmq_errno()));
    goto fail;
  }
  zmq_setsockopt(rep, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(stop, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(sender, ZMQ_LINGER, &zero, sizeof zero);
  if (zmq_bind(rep, ZAP_ENDPOINT) < 0) {
    lunet_fail("cannot serve ZAP at %s: %s (another ZAP handler in this process?)", ZAP_ENDPOINT,
               zmq_strerror(zmq_errno()));
    goto fail;
  }
  /* a new name each time: a closed socket's inproc name is freed later, by ZeroMQ's reaper */
  static unsigned starts;
  char stop_endpoint[64];
  snprintf(stop_endpoint, sizeof stop_endpoint, "inproc://lunet-zap-stop-%u", ++starts);
  if (zmq_bind(sender, stop_endpoint) < 0 || zmq_connect(stop, stop_endpoint) < 0) {
    lunet_fail("cannot make the ZAP handler's stop pipe: %s", zmq_strerror(zmq_errno()));
    goto fail;
  }
  h->rep = rep;
  h->stop = stop;
  /* (the sockets move to the thread: pthread_create is the memory barrier
   * ZeroMQ asks for when a socket changes threads) */
  int err = pthread_create(&thread, NULL, run, h);
  if (err) {
    lunet_fail("cannot start the ZAP handler thread: %s", strerror(err));
    goto fail;
  }
  stop_sender = sender;
  return 0;
fail:
  if (rep) {
    zmq_unbind(rep, ZAP_ENDPOINT);
    zmq_close(rep);
  }
  if (stop) zmq_close(stop);
  if (sender) zmq_close(sender);
  free(h);
  return -1;
}

/* Tells the thread to end and joins it. Lifecycle held. */
static void stop_thread(void) {
  zmq_send(stop_sender, "", 0, 0);
  pthread_join(thread, NULL);
  zmq_close(stop_sender);
  stop_sender = NULL;
}

int lunet_zap_add(const char *domain, const uint8_t *keys, size_t n, int local_same_user) {
  if (strlen(domain) >= LUNET_ZAP_DOMAIN_MAX) return lunet_fail("ZAP domain '%s' is too long", domain);
  domain_t *d = lunet_calloc(1, sizeof *d);
  if (!d) return -1;
  d->keys = lunet_malloc(n * 32);
  if (!d->keys) { free(d); return -1; }
  if (n) memcpy(d->keys, keys, n * 32);
  d->n = n;
  d->local_same_user = local_same_user;
  snprintf(d->name, sizeof d->name, "%s", domain);
  pthread_mutex_lock(&lifecycle);
  int rc = 0;
  pthread_mutex_lock(&registry);
  int taken = find(domain) != NULL;
  pthread_mutex_unlock(&registry);
  if (taken) rc = lunet_fail("ZAP domain '%s' is already registered", domain);
  else if (!stop_sender) rc = start();
  if (rc == 0) {
    pthread_mutex_lock(&registry);
    d->next = domains;
    domains = d;
    pthread_mutex_unlock(&registry);
  } else {
    free(d->keys);
    free(d);
  }
  pthread_mutex_unlock(&lifecycle);
  return rc;
}

void lunet_zap_remove(const char *domain) {
  pthread_mutex_lock(&lifecycle);
  pthread_mutex_lock(&registry);
  domain_t *gone = NULL;
  for (domain_t **p = &domains; *p; p = &(*p)->next)
    if (strcmp((*p)->name, domain) == 0) {
      gone = *p;
      *p = gone->next;
      break;
    }
  int last = domains == NULL;
  pthread_mutex_unlock(&registry);
  /* (not under the registry lock: the thread may need it to finish a request) */
  if (gone && last && stop_sender) stop_thread();
  pthread_mutex_unlock(&lifecycle);
  if (gone) {
    free(gone->keys);
    free(gone);
  }
}

uint64_t lunet_zap_denied(const char *domain, char *why, size_t why_size) {
  pthread_mutex_lock(&registry);
  domain_t *d = find(domain);
  uint64_t n = d ? d->denied : 0;
  if (why_size) snprintf(why, why_size, "%s", d ? d->why : "");
  pthread_mutex_unlock(&registry);
  return n;
}
