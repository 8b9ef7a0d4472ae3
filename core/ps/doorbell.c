/* The driver's doorbell (doorbell.h): an eventfd. */
#define _GNU_SOURCE
#include "doorbell.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common.h"

int lunet_doorbell_new(void) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return lunet_fail("doorbell: eventfd: %s", strerror(errno));
  return fd;
}

int lunet_doorbell_adopt(int fd) {
  char path[64], target[PATH_MAX];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t len = fd < 0 ? -1 : readlink(path, target, sizeof target - 1);
  if (len < 0) return lunet_fail("doorbell: fd %d: %s", fd, fd < 0 ? "negative" : strerror(errno));
  target[len] = '\0';
  if (strcmp(target, "anon_inode:[eventfd]") != 0) return lunet_fail("doorbell: fd %d is %s, not an eventfd", fd, target);
  /* close-on-exec again: the worker's own children (none today) must not ring it */
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return fd;
}

void lunet_doorbell_ring(int fd) {
  uint64_t one = 1;
  /* EAGAIN: the counter is near overflow, so it reads as rung anyway */
  while (write(fd, &one, sizeof one) < 0 && errno == EINTR) {}
}

int lunet_doorbell_clear(int fd) {
  uint64_t n = 0;
  ssize_t got;
  while ((got = read(fd, &n, sizeof n)) < 0 && errno == EINTR) {}
  return got == (ssize_t)sizeof n && n > 0;
}
