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
#define SHM_VERSION 1u
#define SHM_PAGE 4096u
#define SHM_NAME "lunet"
#define SHM_SEALS (F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

typedef struct {
  uint64_t magic;
  uint32_t version;
  uint32_t pad;
  uint64_t area_bytes;
  _Atomic uint32_t consumed; /* futex word: commits the driver has read */
} shm_header_t;

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
  void *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    lunet_fail("shm: mmap of %zu bytes: %s", total, strerror(errno));
    close(fd);
    return NULL;
  }
  shm_header_t *h = base;
  h->magic = SHM_MAGIC, h->version = SHM_VERSION, h->area_bytes = area;
  atomic_store_explicit(&h->consumed, 0, memory_order_release);
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
  void *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
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

static _Atomic uint32_t *consumed_word(lunet_shm_t *s) { return &((shm_header_t *)s->base)->consumed; }

void lunet_shm_set_consumed(lunet_shm_t *s, uint32_t n) {
  atomic_store_explicit(consumed_word(s), n, memory_order_release);
  syscall(SYS_futex, consumed_word(s), FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

uint32_t lunet_shm_consumed(lunet_shm_t *s) { return atomic_load_explicit(consumed_word(s), memory_order_acquire); }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int lunet_shm_wait_consumed(lunet_shm_t *s, uint32_t n, int timeout_ms) {
  double deadline = now_s() + (timeout_ms < 0 ? 0 : timeout_ms) * 1e-3;
  for (;;) {
    uint32_t v = atomic_load_explicit(consumed_word(s), memory_order_acquire);
    if ((int32_t)(v - n) >= 0) return 1;
    double left = deadline - now_s();
    if (left <= 0) return 0;
    struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
    /* sleeps until the driver's wake, a timeout or a signal (then looks again) */
    syscall(SYS_futex, consumed_word(s), FUTEX_WAIT, v, &ts, NULL, 0);
  }
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
