/* C tests of core/ps/shm.c: a segment made, mapped again through
 * /proc/self/fd with its checks, shared contents, the consumed counter woken
 * across threads (futex), and a worker's segment freed with its last user;
 * the mailbox slots (a message posted on one mapping read on the other, a
 * sleeper woken, oversized or scribbled meta refused) and the doorbell
 * (core/ps/doorbell.c). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "doorbell.h"
#include "shm.h"
#include "check.h"


static void *consume(void *arg) {
  lunet_shm_t *s = arg;
  /* (the waiter may already be asleep or not yet: either way it sees 3) */
  lunet_shm_set_consumed(s, 3);
  return NULL;
}

static void test_attach_and_share(void) {
  lunet_shm_t *w = lunet_shm_create(1000);
  CHECK(w != NULL);
  if (!w) return;
  CHECK(lunet_shm_area_bytes(w) == 4096);
  lunet_shm_t *d = lunet_shm_attach(getpid(), lunet_shm_fd(w), 1000);
  CHECK(d != NULL);
  if (!d) return;
  memcpy(lunet_shm_area(w, 0), "commit", 7);
  memcpy(lunet_shm_area(d, 1), "params", 7);
  CHECK(strcmp(lunet_shm_area(d, 0), "commit") == 0);
  CHECK(strcmp(lunet_shm_area(w, 1), "params") == 0);
  CHECK(lunet_shm_wait_consumed(w, 1, 0) == 0);
  pthread_t t;
  pthread_create(&t, NULL, consume, d);
  CHECK(lunet_shm_wait_consumed(w, 3, 60000) == 1);
  pthread_join(t, NULL);
  CHECK(lunet_shm_consumed(w) == 3);
  CHECK(lunet_shm_wait_consumed(w, 2, 0) == 1);
  /* a view's reference keeps the mapping after the owner's release */
  lunet_shm_retain(d);
  lunet_shm_release(d);
  CHECK(strcmp(lunet_shm_area(d, 0), "commit") == 0);
  lunet_shm_view_release(NULL, d);
  lunet_shm_release(w);
}

static void test_refusals(void) {
  lunet_shm_t *w = lunet_shm_create(4096);
  CHECK(w != NULL);
  if (!w) return;
  CHECK(lunet_shm_attach(getpid(), lunet_shm_fd(w), 8192) == NULL);
  CHECK(strstr(lunet_errmsg(), "not of the expected size") != NULL);
  CHECK(lunet_shm_attach(getpid(), 1, 4096) == NULL);
  CHECK(lunet_shm_attach(getpid(), 9999, 4096) == NULL);
  CHECK(strstr(lunet_errmsg(), "/proc/") != NULL);
  CHECK(lunet_shm_attach(-1, 3, 4096) == NULL);
  CHECK(lunet_shm_create(0) == NULL);
  lunet_shm_release(w);
}

static void *post_later(void *arg) {
  lunet_shm_t *s = arg;
  /* (the reader may be asleep on the slot or not yet: either way it sees 5) */
  lunet_shm_post(s, 1, 7, 42, 0, "{}", 2, 5);
  return NULL;
}

static void test_slots(void) {
  lunet_shm_t *w = lunet_shm_create(1000);
  CHECK(w != NULL);
  if (!w) return;
  lunet_shm_t *d = lunet_shm_attach(getpid(), lunet_shm_fd(w), 1000);
  CHECK(d != NULL);
  if (!d) return;
  CHECK(lunet_shm_posted(d, 0) == 0 && lunet_shm_posted(w, 1) == 0);
  const char *meta = "{\"shm\":{\"bytes\":4000,\"n\":1}}";
  CHECK(lunet_shm_post(w, 0, 9, 17, 3, meta, strlen(meta), 1) == 0);
  CHECK(lunet_shm_posted(d, 0) == 1);
  char got[LUNET_SHM_META_MAX];
  uint16_t type = 0;
  uint64_t seq = 0;
  uint32_t after = 0;
  size_t len = 0;
  CHECK(lunet_shm_read(d, 0, &type, &seq, &after, got, &len) == 0);
  CHECK(type == 9 && seq == 17 && after == 3 && len == strlen(meta) && memcmp(got, meta, len) == 0);
  /* the other slot is untouched; a sleeper on it is woken by the post */
  CHECK(lunet_shm_wait_posted(w, 1, 0, 0) == 0);
  pthread_t t;
  pthread_create(&t, NULL, post_later, d);
  CHECK(lunet_shm_wait_posted(w, 1, 0, 60000) == 1);
  pthread_join(t, NULL);
  CHECK(lunet_shm_posted(w, 1) == 5);
  /* meta longer than a slot is refused, and the slot keeps its message */
  static char big[LUNET_SHM_META_MAX + 1];
  memset(big, 'x', sizeof big);
  CHECK(lunet_shm_post(w, 0, 9, 18, 0, big, sizeof big, 2) < 0);
  CHECK(strstr(lunet_errmsg(), "do not fit a mailbox slot") != NULL);
  CHECK(lunet_shm_posted(d, 0) == 1);
  /* a peer that scribbles over the header page: the length is refused, not trusted */
  memset((char *)lunet_shm_area(w, 0) - 4096 + 32, 0xff, 4096 - 32); /* (the slots)*/
  CHECK(lunet_shm_read(d, 0, &type, &seq, &after, got, &len) < 0);
  CHECK(strstr(lunet_errmsg(), "bytes of meta") != NULL);
  lunet_shm_release(d);
  lunet_shm_release(w);
}

static void test_doorbell(void) {
  int fd = lunet_doorbell_new();
  CHECK(fd >= 0);
  if (fd < 0) return;
  CHECK(lunet_doorbell_clear(fd) == 0); /* not rung */
  lunet_doorbell_ring(fd);
  lunet_doorbell_ring(fd);
  CHECK(lunet_doorbell_clear(fd) == 1); /* rung (twice: one clear takes both) */
  CHECK(lunet_doorbell_clear(fd) == 0);
  CHECK(lunet_doorbell_adopt(fd) == fd);
  CHECK(lunet_doorbell_adopt(-1) < 0);
  CHECK(lunet_doorbell_adopt(9999) < 0);
  lunet_shm_t *s = lunet_shm_create(1000);
  CHECK(s != NULL);
  if (s) {
    CHECK(lunet_doorbell_adopt(lunet_shm_fd(s)) < 0); /* a memfd is no eventfd */
    CHECK(strstr(lunet_errmsg(), "not an eventfd") != NULL);
    lunet_shm_release(s);
  }
  close(fd);
}

int main(void) {
  test_attach_and_share();
  test_refusals();
  test_slots();
  test_doorbell();
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
