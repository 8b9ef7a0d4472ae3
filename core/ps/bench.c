/* The floors the transport benchmarks compare against: a bare zero-copy
 * DEALER -> ROUTER -> DEALER round trip of n floats each way, no lunet
 * header, no validation, both sockets in this thread (as the lunet loop is);
 * and libsodium's own speed at what CURVE does to each message. */
#include <sodium.h>
#include <stdlib.h>
#include <zmq.h>

#include "common.h"
#include "wire.h"

static void no_free(void *data, void *hint) { (void)data; (void)hint; }

double lunet_ps_bench_bare(size_t n, int reps) {
  void *ctx = lunet_zmq_context();
  void *router = zmq_socket(ctx, ZMQ_ROUTER), *dealer = zmq_socket(ctx, ZMQ_DEALER);
  int zero = 0;
  zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero);
  lunet_wire_io_threads(router, 0);
  lunet_wire_io_threads(dealer, 0);
  char ep[256];
  size_t len = sizeof ep;
  float *out = lunet_calloc(n, sizeof *out), *back = lunet_calloc(n, sizeof *back);
  double rate = -1;
  if (!out || !back || zmq_bind(router, "tcp://127.0.0.1:*") < 0) goto done;
  zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len);
  if (zmq_connect(dealer, ep) < 0) goto done;
  double t0 = 0;
  for (int r = -3; r < reps; r++) { /* 3 warm-up round trips */
    if (r == 0) t0 = lunet_now();
    zmq_msg_t m, id, reply;
    zmq_msg_init_data(&m, out, n * sizeof(float), no_free, NULL);
    zmq_msg_send(&m, dealer, 0);
    zmq_msg_init(&id);
    zmq_msg_init(&m);
    zmq_msg_recv(&id, router, 0);
    zmq_msg_recv(&m, router, 0);
    zmq_msg_close(&m);
    zmq_msg_send(&id, router, ZMQ_SNDMORE);
    zmq_msg_init_data(&reply, back, n * sizeof(float), no_free, NULL);
    zmq_msg_send(&reply, router, 0);
    zmq_msg_init(&m);
    zmq_msg_recv(&m, dealer, 0);
    zmq_msg_close(&m);
  }
  rate = reps / (lunet_now() - t0);
done:
  zmq_close(dealer);
  zmq_close(router);
  free(out);
  free(back);
  return rate;
}

/* CURVE encrypts each message with crypto_box_easy_afternm, which is
 * crypto_secretbox_easy (XSalsa20-Poly1305) under the session key: this
 * times that pair on preallocated buffers, a fresh nonce per message as
 * CURVE's is. */
double lunet_ps_bench_secretbox(size_t bytes, int reps) {
  if (sodium_init() < 0) return lunet_fail("bench_secretbox: libsodium cannot be initialised"), -1;
  if (bytes > SIZE_MAX - crypto_secretbox_MACBYTES) return lunet_fail("bench_secretbox: %zu bytes is too many", bytes), -1;
  unsigned char key[crypto_secretbox_KEYBYTES], nonce[crypto_secretbox_NONCEBYTES];
  crypto_secretbox_keygen(key);
  randombytes_buf(nonce, sizeof nonce);
  unsigned char *plain = lunet_calloc(bytes ? bytes : 1, 1);
  unsigned char *box = lunet_malloc(bytes + crypto_secretbox_MACBYTES);
  unsigned char *back = lunet_malloc(bytes ? bytes : 1);
  double rate = -1;
  if (!plain || !box || !back) goto done;
  randombytes_buf(plain, bytes);
  double t0 = 0;
  for (int r = -2; r < reps; r++) { /* 2 warm-up pairs */
    if (r == 0) t0 = lunet_now();
    sodium_increment(nonce, sizeof nonce);
    crypto_secretbox_easy(box, plain, bytes, nonce, key);
    if (crypto_secretbox_open_easy(back, box, bytes + crypto_secretbox_MACBYTES, nonce, key) != 0) {
      lunet_fail("bench_secretbox: a message did not open (libsodium is broken?)");
      goto done;
    }
  }
  rate = reps / (lunet_now() - t0);
done:
  sodium_memzero(key, sizeof key);
  free(plain);
  free(box);
  free(back);
  return rate;
}
