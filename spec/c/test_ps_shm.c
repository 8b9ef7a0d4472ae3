/* C tests of core/ps/shm.c: a segment made, mapped again through
 * /proc/self/fd with its checks, shared contents, the consumed counter woken
 * across threads (futex), and a worker's segment freed with its last user. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
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

int main(void) {
  test_attach_and_share();
  test_refusals();
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
