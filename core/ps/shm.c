/* Shared memory segments between the driver and local workers (shm.h). */
#define _GNU_SOURCE
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define SHM_MAGIC UINT64_C(0x4d48532d54454e55) /* "UNET-SHM" */
#define SHM_VERSION 2u
#define SHM_PAGE 4096u
#define SHM_NAME "lunet"
#define SHM_SEALS (F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

/* A futex word and the count of those asleep on it: publishing wakes only
 * when there are some. */
typedef struct {
  _Atomic uint32_t word;
  _Atomic uint32_t waiters;
} shm_counter_t;

/* One message's header and meta in a mailbox slot (shm.h); posted is the
 * counter, published last. */
typedef struct {
  shm_counter_t posted;
  uint16_t type;
  uint16_t pad;
  uint32_t meta_len;
  uint64_t seq;
  uint32_t after; /* the socket messages its sender had sent before it */
  uint32_t pad2;
  char meta[LUNET_SHM_META_MAX];
} shm_slot_t;

typedef struct {
  uint64_t magic;
  uint32_t version;
  uint32_t pad;
  uint64_t area_bytes;
  shm_counter_t consumed; /* commits the driver has read */
  shm_slot_t slot[2]; /* 0: the worker's messages, 1: the driver's */
} shm_header_t;

_Static_assert(sizeof(shm_header_t) <= SHM_PAGE, "the mailbox slots fit the header page");

struct lunet_shm {
  int fd;
  size_t area, total;
  unsigned char *base;
  atomic_int refs;
};

static size_t page_round(size_t n) { return (n + SHM_PAGE - 1) / SHM_PAGE * SHM_PAGE; }

static int total_for(size_t area_bytes, size_t *area, size_t *total) {
  if (area_bytes == 0 || area_bytes > ((size_t)1 << 40)) return lunet_fail("shm: an area of %zu bytes", area_bytes);
  *area = page_round(area_bytes);
  *total = SHM_PAGE + 2 * *area;
  return 0;
}

static lunet_shm_t *wrap(int fd, size_t area, size_t total, unsigned char *base) {
  lunet_shm_t *s = lunet_malloc(sizeof *s);
  if (!s) {
    munmap(base, total);
    close(fd);
    return NULL;
  }
  s->fd = fd, s->area = area, s->total = total, s->base = base;
  atomic_init(&s->refs, 1);
  return s;
}

lunet_shm_t *lunet_shm_create(size_t area_bytes) {
  size_t area = 0, total = 0;
  if (total_for(area_bytes, &area, &total) < 0) return NULL;
  int fd = memfd_create(SHM_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return lunet_fail("shm: memfd_create: %s", strerror(errno)), NULL;
  if (ftruncate(fd, (off_t)total) < 0 || fcntl(fd, F_ADD_SEALS, SHM_SEALS) < 0) {
    lunet_fail("shm: sizing the segment (%zu bytes): %s", total, strerror(errno));
    close(fd);
    return NULL;
  }
  void *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (base == MAP_FAILED) {
    lunet_fail("shm: mmap of %zu bytes: %s", total, strerror(errno));
    close(fd);
    return NULL;
  }
  shm_header_t *h = base;
  h->magic = SHM_MAGIC, h->version = SHM_VERSION, h->area_bytes = area;
  /* (a new memfd is zero-filled: every counter starts at 0) */
  return wrap(fd, area, total, base);
}

lunet_shm_t *lunet_shm_attach(int pid, int fd, size_t area_bytes) {
  size_t area = 0, total = 0;
  if (total_for(area_bytes, &area, &total) < 0) return NULL;
  if (pid <= 0 || fd < 0) return lunet_fail("shm: pid %d, fd %d", pid, fd), NULL;
  char path[64], target[PATH_MAX];
  snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
  ssize_t len = readlink(path, target, sizeof target - 1);
  if (len < 0) return lunet_fail("shm: %s: %s", path, strerror(errno)), NULL;
  target[len] = '\0';
  if (strncmp(target, "/memfd:" SHM_NAME " ", strlen("/memfd:" SHM_NAME " ")) != 0)
    return lunet_fail("shm: %s is %s, not a lunet memfd", path, target), NULL;
  int sfd = open(path, O_RDWR | O_CLOEXEC);
  if (sfd < 0) return lunet_fail("shm: open %s: %s", path, strerror(errno)), NULL;
  struct stat st;
  int seals = fcntl(sfd, F_GET_SEALS);
  const char *why = NULL;
  if (fstat(sfd, &st) < 0) why = "fstat failed";
  else if (!S_ISREG(st.st_mode)) why = "not a regular file";
  else if ((size_t)st.st_size != total) why = "not of the expected size";
  else if (seals < 0 || (seals & (F_SEAL_GROW | F_SEAL_SHRINK)) != (F_SEAL_GROW | F_SEAL_SHRINK))
    why = "not sealed against resizing";
  if (why) {
    lunet_fail("shm: %s: %s (%lld bytes, expected %zu)", path, why, why[0] == 'f' ? -1LL : (long long)st.st_size,
               total);
    close(sfd);
    return NULL;
  }
  void *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, sfd, 0);
  if (base == MAP_FAILED) {
    lunet_fail("shm: mmap %s: %s", path, strerror(errno));
    close(sfd);
    return NULL;
  }
  shm_header_t *h = base;
  if (h->magic != SHM_MAGIC || h->version != SHM_VERSION || h->area_bytes != area) {
    lunet_fail("shm: %s: its header does not match (magic, version %u, area %llu bytes, expected %zu)", path,
               h->version, (unsigned long long)h->area_bytes, area);
    munmap(base, total);
    close(sfd);
    return NULL;
  }
  return wrap(sfd, area, total, base);
}

int lunet_shm_fd(const lunet_shm_t *s) { return s->fd; }
size_t lunet_shm_area_bytes(const lunet_shm_t *s) { return s->area; }
void *lunet_shm_area(lunet_shm_t *s, int area) { return s->base + SHM_PAGE + (area ? s->area : 0); }

static shm_counter_t *consumed_counter(lunet_shm_t *s) { return &((shm_header_t *)s->base)->consumed; }

/* Publishes c = n and wakes its sleepers, if any: the store and the load of
 * waiters are sequentially consistent, as are the sleeper's increment and
 * its re-read (await_counter), so a sleeper either sees n or is seen and
 * woken; most posts then cost no system call. */
static void publish(shm_counter_t *c, uint32_t n) {
  atomic_store(&c->word, n);
  if (atomic_load(&c->waiters)) syscall(SYS_futex, &c->word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Waits up to timeout_ms for c to reach n (moved = 0: a wrapping >=) or to
 * differ from n (moved = 1): 1 it did, 0 not yet. Sleeps on the futex
 * between looks (a wake, the timeout or a signal ends each sleep). */
static int await_counter(shm_counter_t *c, uint32_t n, int moved, int timeout_ms) {
  double deadline = now_s() + (timeout_ms < 0 ? 0 : timeout_ms) * 1e-3;
  for (;;) {
    uint32_t v = atomic_load_explicit(&c->word, memory_order_acquire);
    if (moved ? v != n : (int32_t)(v - n) >= 0) return 1;
    double left = deadline - now_s();
    if (left <= 0) return 0;
    struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
    atomic_fetch_add(&c->waiters, 1);
    if (atomic_load(&c->word) == v) syscall(SYS_futex, &c->word, FUTEX_WAIT, v, &ts, NULL, 0);
    atomic_fetch_sub(&c->waiters, 1);
  }
}

void lunet_shm_set_consumed(lunet_shm_t *s, uint32_t n) { publish(consumed_counter(s), n); }

uint32_t lunet_shm_consumed(lunet_shm_t *s) {
  return atomic_load_explicit(&consumed_counter(s)->word, memory_order_acquire);
}

int lunet_shm_wait_consumed(lunet_shm_t *s, uint32_t n, int timeout_ms) {
  return await_counter(consumed_counter(s), n, 0, timeout_ms);
}

static shm_slot_t *slot_of(lunet_shm_t *s, int slot) { return &((shm_header_t *)s->base)->slot[slot ? 1 : 0]; }

int lunet_shm_post(lunet_shm_t *s, int slot, uint16_t type, uint64_t seq, uint32_t after, const char *meta,
                   size_t meta_len, uint32_t n) {
  if (meta_len > LUNET_SHM_META_MAX)
    return lunet_fail("shm: %zu bytes of meta do not fit a mailbox slot (%d)", meta_len, LUNET_SHM_META_MAX);
  shm_slot_t *m = slot_of(s, slot);
  m->type = type, m->seq = seq, m->after = after, m->meta_len = (uint32_t)meta_len;
  memcpy(m->meta, meta, meta_len);
  publish(&m->posted, n);
  return 0;
}

uint32_t lunet_shm_posted(lunet_shm_t *s, int slot) {
  return atomic_load_explicit(&slot_of(s, slot)->posted.word, memory_order_acquire);
}

int lunet_shm_read(lunet_shm_t *s, int slot, uint16_t *type, uint64_t *seq, uint32_t *after, char *meta,
                   size_t *meta_len) {
  shm_slot_t *m = slot_of(s, slot);
  /* the other side may scribble while this reads: the length is read once
   * and checked, and the bytes are copied before anything decodes them */
  uint32_t len = m->meta_len;
  if (len > LUNET_SHM_META_MAX) return lunet_fail("shm: a mailbox slot says %u bytes of meta (at most %d)", len,
                                                  LUNET_SHM_META_MAX);
  *type = m->type, *seq = m->seq, *after = m->after, *meta_len = len;
  memcpy(meta, m->meta, len);
  return 0;
}

int lunet_shm_wait_posted(lunet_shm_t *s, int slot, uint32_t after, int timeout_ms) {
  return await_counter(&slot_of(s, slot)->posted, after, 1, timeout_ms);
}

lunet_shm_t *lunet_shm_retain(lunet_shm_t *s) {
  atomic_fetch_add(&s->refs, 1);
  return s;
}

void lunet_shm_release(lunet_shm_t *s) {
  if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
  munmap(s->base, s->total);
  close(s->fd);
  free(s);
}

void lunet_shm_view_release(void *data, void *hint) {
  (void)data;
  lunet_shm_release(hint);
}
