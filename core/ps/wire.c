/* Header codec and multipart send/receive over ZeroMQ (see wire.h). Received
 * parts are checked by a decoder that works on plain memory (so it can be
 * fuzzed without sockets); payload frames become tensors that own their
 * zmq_msg_t: no copy. */
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "alloc.h"
#include "common.h"

/* (the order of lunet_msg_type_t) */
static const char *const type_names[] = {
    NULL,     "hello",     "job",        "data_request", "data",
    "end_of_data", "report", "heartbeat", "commit",      "commit_pull",
    "pull",   "params",    "result",     "checkpoint_request", "checkpoint_state",
    "done",   "stop",      "error",      "validate",     "validation",
    "learning_rate", "shm_offer", "shm_answer", "trial", "trial_report", "trial_answer", "trial_result"};
_Static_assert(sizeof type_names / sizeof *type_names == LUNET_MSG_LAST + 1, "a name for every message type");

const char *lunet_msg_type_name(int type) {
  return type >= 1 && type <= LUNET_MSG_LAST ? type_names[type] : "unknown";
}

int lunet_msg_type_from_name(const char *name) {
  for (int i = 1; i <= LUNET_MSG_LAST; i++)
    if (strcmp(type_names[i], name) == 0) return i;
  return -1;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

void lunet_wire_encode_header(uint8_t *out, const lunet_wire_header_t *h) {
  put32(out, LUNET_WIRE_MAGIC);
  put16(out + 4, LUNET_WIRE_VERSION);
  put16(out + 6, h->type);
  put32(out + 8, h->worker);
  put32(out + 12, h->nframes);
  put64(out + 16, h->seq);
  put64(out + 24, h->payload_bytes);
}

int lunet_wire_decode_header(lunet_wire_header_t *h, const uint8_t *buf, size_t len, uint64_t max_payload) {
  if (len != LUNET_WIRE_HEADER_SIZE) return lunet_fail("header has %zu bytes, expected 32", len);
  h->magic = get32(buf);
  h->version = get16(buf + 4);
  h->type = get16(buf + 6);
  h->worker = get32(buf + 8);
  h->nframes = get32(buf + 12);
  h->seq = get64(buf + 16);
  h->payload_bytes = get64(buf + 24);
  if (h->magic != LUNET_WIRE_MAGIC) return lunet_fail("bad magic 0x%08x", h->magic);
  if (h->version != LUNET_WIRE_VERSION)
    return lunet_fail("wire version %u, this lunet speaks %d", h->version, LUNET_WIRE_VERSION);
  if (h->type < 1 || h->type > LUNET_MSG_LAST) return lunet_fail("unknown message type %u", h->type);
  if (h->nframes > LUNET_WIRE_MAX_FRAMES) return lunet_fail("%u payload frames, at most %d", h->nframes,
                                                           LUNET_WIRE_MAX_FRAMES);
  if (h->payload_bytes > max_payload)
    return lunet_fail("payload of %llu bytes exceeds the limit of %llu", (unsigned long long)h->payload_bytes,
                      (unsigned long long)max_payload);
  if (h->payload_bytes % 4) return lunet_fail("payload of %llu bytes is not float32",
                                              (unsigned long long)h->payload_bytes);
  return 0;
}

void lunet_wire_msg_free(lunet_wire_msg_t *m) {
  if (!m) return;
  free(m->meta);
  m->meta = NULL;
  for (int i = 0; i < m->nframes; i++) lunet_tensor_free(m->frames[i]);
  m->nframes = 0;
}

/* ---- send ---- */

static void release_tensor(void *data, void *hint) {
  (void)data;
  lunet_tensor_free(hint); /* atomic: ZeroMQ calls this from its I/O thread */
}

/* Commits and pulls repeat messages of one size for the whole run: glibc
 * must reuse their pages (alloc.h), on both sides, whichever sends first. */
static int is_exchange(int type) {
  return type == LUNET_MSG_COMMIT || type == LUNET_MSG_COMMIT_PULL || type == LUNET_MSG_PARAMS;
}

static int send_bytes(void *zsock, const void *data, size_t len, int more) {
  if (zmq_send(zsock, data, len, more ? ZMQ_SNDMORE : 0) < 0)
    return lunet_fail("send failed: %s", zmq_strerror(zmq_errno()));
  return 0;
}

int lunet_wire_send(void *zsock, const uint8_t *peer, size_t peer_len, const lunet_wire_header_t *hin,
                    const char *meta, size_t meta_len, lunet_tensor_t *const *frames, int nframes) {
  if (nframes < 0 || nframes > LUNET_WIRE_MAX_FRAMES)
    return lunet_fail("%d payload frames, at most %d", nframes, LUNET_WIRE_MAX_FRAMES);
  if (meta_len > LUNET_WIRE_MAX_META) return lunet_fail("meta of %zu bytes exceeds 1 MiB", meta_len);
  lunet_wire_header_t h = *hin;
  h.nframes = (uint32_t)nframes;
  h.payload_bytes = 0;
  size_t largest = 0;
  for (int i = 0; i < nframes; i++) {
    if (!lunet_tensor_is_contiguous(frames[i])) return lunet_fail("payload frame %d is not contiguous", i + 1);
    size_t bytes = (size_t)lunet_tensor_numel(frames[i]) * sizeof(float);
    h.payload_bytes += bytes;
    if (bytes > largest) largest = bytes;
  }
  if (is_exchange(h.type)) lunet_malloc_fit(largest);
  /* Each payload frame holds a view of its tensor's storage (not the tensor
   * itself): t:storage_refs() stays above 1 until ZeroMQ has written the
   * frame, which is how a caller knows it may change the tensor again.
   * All views first, so nothing is half-sent when one cannot be made. */
  lunet_tensor_t *views[LUNET_WIRE_MAX_FRAMES] = {0};
  for (int i = 0; i < nframes; i++) {
    int64_t n = lunet_tensor_numel(frames[i]);
    if (!(views[i] = lunet_tensor_view(frames[i], 1, &n))) {
      for (int j = 0; j < i; j++) lunet_tensor_free(views[j]);
      return -1;
    }
  }
  uint8_t header[LUNET_WIRE_HEADER_SIZE];
  lunet_wire_encode_header(header, &h);
  int i = 0;
  /* the peer frame fails fast (ROUTER_MANDATORY) before anything else is queued */
  if (peer && send_bytes(zsock, peer, peer_len, 1) < 0) goto fail;
  if (send_bytes(zsock, header, sizeof header, 1) < 0) goto fail;
  if (send_bytes(zsock, meta ? meta : "", meta_len, nframes > 0) < 0) goto fail;
  for (; i < nframes; i++) {
    zmq_msg_t msg;
    lunet_tensor_t *t = views[i];
    size_t bytes = (size_t)lunet_tensor_numel(t) * sizeof(float);
    if (zmq_msg_init_data(&msg, bytes ? lunet_tensor_data(t) : NULL, bytes, release_tensor, t) < 0) {
      lunet_fail("cannot build a payload frame: %s", zmq_strerror(zmq_errno()));
      goto fail;
    }
    views[i] = NULL; /* the message owns it now */
    if (zmq_msg_send(&msg, zsock, i + 1 < nframes ? ZMQ_SNDMORE : 0) < 0) {
      lunet_fail("send failed: %s", zmq_strerror(zmq_errno()));
      zmq_msg_close(&msg); /* runs release_tensor */
      i++;
      goto fail;
    }
  }
  return 0;
fail:
  for (; i < nframes; i++) lunet_tensor_free(views[i]);
  return -1;
}

/* ---- decode: shared by the socket path below and spec/fuzz/fuzz_wire.c ---- */

int lunet_wire_reader_part(lunet_wire_reader_t *r, lunet_wire_msg_t *out, const uint8_t *data, size_t size) {
  int slot = r->index - (r->with_peer ? 1 : 0); /* -1 peer, 0 header, 1 meta, 2.. payload */
  r->index++;
  if (slot == -1) {
    if (size > LUNET_WIRE_MAX_PEER) return lunet_fail("peer id of %zu bytes is too long", size);
    if (size) memcpy(out->peer, data, size); /* an empty part may have no data pointer */
    out->peer_len = size;
    return 0;
  }
  if (slot == 0) {
    if (lunet_wire_decode_header(&out->h, data, size, r->max_payload) == 0) return 0;
    char detail[LUNET_ERRMSG_MAX]; /* lunet_fail must not format its own buffer */
    snprintf(detail, sizeof detail, "%s", lunet_errmsg());
    return lunet_fail("bad header: %s", detail);
  }
  if (slot == 1) {
    if (size > LUNET_WIRE_MAX_META) return lunet_fail("meta of %zu bytes exceeds 1 MiB", size);
    if (!(out->meta = malloc(size + 1))) return lunet_fail("out of memory for the meta frame");
    if (size) memcpy(out->meta, data, size);
    out->meta[size] = '\0';
    out->meta_len = size;
    return 0;
  }
  int frame = out->nframes + 1;
  if (out->nframes >= (int)out->h.nframes)
    return lunet_fail("more payload frames than the %u the header says", out->h.nframes);
  if (size % 4) return lunet_fail("payload frame %d has %zu bytes, not a float32 multiple", frame, size);
  r->payload += size;
  if (r->payload > out->h.payload_bytes)
    return lunet_fail("payload frames exceed the %llu bytes the header says", (unsigned long long)out->h.payload_bytes);
  return 1;
}

int lunet_wire_reader_end(const lunet_wire_reader_t *r, const lunet_wire_msg_t *out) {
  if (r->index < (r->with_peer ? 3 : 2)) return lunet_fail("missing header or meta frame");
  if (out->nframes != (int)out->h.nframes)
    return lunet_fail("the header says %u payload frames, got %d", out->h.nframes, out->nframes);
  if (r->payload != out->h.payload_bytes)
    return lunet_fail("the header says %llu payload bytes, got %llu", (unsigned long long)out->h.payload_bytes,
                      (unsigned long long)r->payload);
  return 0;
}

/* A 1-D tensor holding a copy of a payload part (size is a float32 multiple). */
static lunet_tensor_t *copy_frame(const void *data, size_t size) {
  int64_t n = (int64_t)(size / sizeof(float));
  lunet_tensor_t *t = lunet_tensor_new_uninit(1, &n);
  if (t && size) memcpy(lunet_tensor_data(t), data, size);
  return t;
}

int lunet_wire_decode(lunet_wire_msg_t *out, const uint8_t *const *parts, const size_t *sizes, int nparts,
                      int with_peer, uint64_t max_payload) {
  memset(out, 0, sizeof *out);
  lunet_wire_reader_t r = {.with_peer = with_peer, .max_payload = max_payload};
  for (int i = 0; i < nparts; i++) {
    int rc = lunet_wire_reader_part(&r, out, parts[i], sizes[i]);
    if (rc < 0) goto fail;
    if (rc == 1) {
      lunet_tensor_t *t = copy_frame(parts[i], sizes[i]);
      if (!t) goto fail;
      out->frames[out->nframes++] = t;
    }
  }
  if (lunet_wire_reader_end(&r, out) == 0) return 0;
fail:
  lunet_wire_msg_free(out);
  return -1;
}

/* ---- receive ---- */

typedef struct {
  zmq_msg_t msg;
} held_msg;

static void release_msg(void *data, void *hint) {
  (void)data;
  held_msg *m = hint;
  zmq_msg_close(&m->msg);
  free(m);
}

/* Drains the rest of a multipart message after a malformed part. */
static void drain(void *zsock, int more) {
  while (more) {
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, zsock, ZMQ_DONTWAIT) < 0) { zmq_msg_close(&m); return; }
    more = zmq_msg_more(&m);
    zmq_msg_close(&m);
  }
}

/* Turns a received part into a 1-D tensor (consumes part); zero-copy when aligned. */
static lunet_tensor_t *frame_tensor(zmq_msg_t *part) {
  size_t bytes = zmq_msg_size(part);
  void *data = zmq_msg_data(part);
  if (((uintptr_t)data & 3u) != 0 || bytes < 64) {
    lunet_tensor_t *t = copy_frame(data, bytes);
    zmq_msg_close(part);
    return t;
  }
  int64_t n = (int64_t)(bytes / sizeof(float));
  held_msg *h = lunet_malloc(sizeof *h);
  if (!h) { zmq_msg_close(part); return NULL; }
  zmq_msg_init(&h->msg);
  zmq_msg_move(&h->msg, part);
  lunet_tensor_t *t = lunet_tensor_wrap(zmq_msg_data(&h->msg), 1, &n, release_msg, h);
  if (!t) release_msg(NULL, h);
  return t;
}

/* Drops the message being read: the reason is already in the thread's error
 * buffer and *why points at it; the rest of the message is discarded. */
static int drop(void *zsock, int more, lunet_wire_msg_t *out, const char **why) {
  *why = lunet_errmsg();
  drain(zsock, more);
  lunet_wire_msg_free(out);
  return 2;
}

int lunet_wire_recv(void *zsock, int with_peer, int timeout_ms, uint64_t max_payload, lunet_wire_msg_t *out,
                    const char **why) {
  memset(out, 0, sizeof *out);
  zmq_pollitem_t item = {zsock, 0, ZMQ_POLLIN, 0};
  int rc = zmq_poll(&item, 1, timeout_ms);
  if (rc < 0) {
    if (zmq_errno() == EINTR) return 0;
    return lunet_fail("poll failed: %s", zmq_strerror(zmq_errno()));
  }
  if (rc == 0) return 0;
  lunet_wire_reader_t r = {.with_peer = with_peer, .max_payload = max_payload};
  int more = 1;
  while (more) {
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, zsock, ZMQ_DONTWAIT) < 0) {
      zmq_msg_close(&part);
      if (r.index == 0) return 0; /* poll woke up for nothing */
      lunet_fail("truncated multipart message");
      return drop(zsock, 0, out, why);
    }
    more = zmq_msg_more(&part);
    int kind = lunet_wire_reader_part(&r, out, zmq_msg_data(&part), zmq_msg_size(&part));
    if (kind != 1) {
      zmq_msg_close(&part);
      if (kind < 0) return drop(zsock, more, out, why);
      continue;
    }
    int frame = out->nframes + 1;
    lunet_tensor_t *t = frame_tensor(&part);
    if (!t) {
      lunet_fail("out of memory for payload frame %d", frame);
      return drop(zsock, more, out, why);
    }
    out->frames[out->nframes++] = t;
  }
  if (lunet_wire_reader_end(&r, out) < 0) return drop(zsock, 0, out, why);
  if (is_exchange(out->h.type)) {
    size_t largest = 0;
    for (int i = 0; i < out->nframes; i++) {
      size_t bytes = (size_t)lunet_tensor_numel(out->frames[i]) * sizeof(float);
      if (bytes > largest) largest = bytes;
    }
    lunet_malloc_fit(largest);
  }
  return 1;
}

static void *process_ctx;
static int io_threads = LUNET_ZMQ_IO_THREADS;

void lunet_zmq_io_threads(int n) {
  if (!process_ctx && n >= 1 && n <= LUNET_ZMQ_IO_THREADS) io_threads = n;
}

void *lunet_zmq_context(void) {
  if (!process_ctx) {
    process_ctx = zmq_ctx_new();
    /* a socket's close drops its unsent messages unless it sets a linger */
    if (process_ctx) zmq_ctx_set(process_ctx, ZMQ_BLOCKY, 0);
    if (process_ctx) zmq_ctx_set(process_ctx, ZMQ_IO_THREADS, io_threads);
  }
  return process_ctx;
}

void lunet_zmq_term(void) {
  if (!process_ctx) return;
  while (zmq_ctx_term(process_ctx) < 0 && zmq_errno() == EINTR) {
  }
  process_ctx = NULL;
}

void lunet_wire_io_threads(void *zsock, int spread) {
  uint64_t mask = spread && io_threads > 1 ? ((uint64_t)1 << io_threads) - 2 : 1;
  zmq_setsockopt(zsock, ZMQ_AFFINITY, &mask, sizeof mask);
}

void lunet_wire_tune_socket(void *zsock, const char *endpoint) {
  int size = strncmp(endpoint, "ipc://", 6) == 0 ? 4 << 20 : -1;
  zmq_setsockopt(zsock, ZMQ_SNDBUF, &size, sizeof size); /* -1: the OS default */
  zmq_setsockopt(zsock, ZMQ_RCVBUF, &size, sizeof size);
}
