/* A TCP relay that holds every byte for a fixed delay in each direction:
 * the cross-host benchmark's stand-in for `tc netem delay` on kernels built
 * without netem (scripts/bench_crosshost.lua). It listens on one address,
 * and for each connection it accepts it connects to the target; what one
 * side sends reaches the other no sooner than delay microseconds after the
 * relay read it (a queue of timestamped chunks per direction, a timerfd for
 * the next one due), in order, with back-pressure (a direction holding more
 * than 64 MiB stops reading). A side that closes is closed on the other
 * side once its queue is out. On SIGTERM/SIGINT, or when its parent dies,
 * it prints one line on stdout: connections, bytes each way and the
 * shortest hold it applied, and exits.
 * usage: delay_relay LISTEN_IP:PORT TARGET_IP:PORT DELAY_US [READY_FILE]
 *   (READY_FILE is created once it listens) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define MAX_HELD (64u << 20)
#define MAX_PAIRS 64

typedef struct chunk {
  struct chunk *next;
  int64_t due_ns;
  size_t len, off;
  unsigned char data[CHUNK];
} chunk_t;

typedef struct {
  int from, to; /* fds */
  chunk_t *head, *tail;
  size_t held;
  int eof;    /* from closed: shut to's write side once the queue is out */
  int reading;
} dir_t;

typedef struct {
  int used;
  dir_t d[2]; /* 0: client -> target, 1: target -> client */
} pair_t;

static pair_t pairs[MAX_PAIRS];
static int64_t delay_ns, min_hold_ns = INT64_MAX;
static volatile sig_atomic_t stopping;
static int ep, tfd;
static unsigned long accepted;
static uint64_t total[2]; /* bytes relayed each way, every connection */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "delay_relay: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int parse_addr(const char *s, struct sockaddr_in *a) {
  char host[64];
  const char *colon = strrchr(s, ':');
  if (!colon || (size_t)(colon - s) >= sizeof host) return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)atoi(colon + 1));
  return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

/* epoll data: pair index * 2 + side (side 0: the client's fd, 1: the target's) */
static void watch(int fd, uint32_t events, uint64_t tag, int op) {
  struct epoll_event ev = {.events = events, .data.u64 = tag};
  if (epoll_ctl(ep, op, fd, &ev) < 0 && op != EPOLL_CTL_DEL) die("epoll_ctl");
}

static uint32_t wanted(pair_t *p, int side) {
  /* side's fd reads for direction `side` and writes for the other one */
  uint32_t e = 0;
  if (p->d[side].reading) e |= EPOLLIN;
  if (p->d[1 - side].head && p->d[1 - side].head->due_ns <= now_ns()) e |= EPOLLOUT;
  return e;
}

static void rearm(int i) {
  pair_t *p = &pairs[i];
  for (int side = 0; side < 2; side++) {
    int fd = p->d[side].from;
    if (fd >= 0) watch(fd, wanted(p, side), (uint64_t)(i * 2 + side) + 1, EPOLL_CTL_MOD);
  }
}

static void close_pair(int i) {
  pair_t *p = &pairs[i];
  for (int k = 0; k < 2; k++) {
    for (chunk_t *c = p->d[k].head, *n; c; c = n) n = c->next, free(c);
    if (p->d[k].from >= 0) close(p->d[k].from);
  }
  memset(p, 0, sizeof *p);
}

/* Writes what is due in direction k; returns -1 when the pair is broken. */
static int flush(pair_t *p, int k) {
  dir_t *d = &p->d[k];
  int64_t now = now_ns();
  while (d->head && d->head->due_ns <= now) {
    chunk_t *c = d->head;
    ssize_t n = send(d->to, c->data + c->off, c->len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    if (c->off == 0 && now - (c->due_ns - delay_ns) < min_hold_ns) min_hold_ns = now - (c->due_ns - delay_ns);
    c->off += (size_t)n;
    if (c->off < c->len) return 0;
    d->head = c->next;
    if (!d->head) d->tail = NULL;
    d->held -= c->len;
    free(c);
    if (!d->reading && !d->eof && d->held < MAX_HELD / 2) d->reading = 1;
  }
  if (!d->head && d->eof) shutdown(d->to, SHUT_WR);
  return 0;
}

/* Reads what direction k's source has; returns -1 when the pair is broken. */
static int take(pair_t *p, int k) {
  dir_t *d = &p->d[k];
  while (d->reading) {
    chunk_t *c = malloc(sizeof *c);
    if (!c) return -1;
    ssize_t n = recv(d->from, c->data, CHUNK, MSG_DONTWAIT);
    if (n <= 0) {
      free(c);
      if (n == 0) {
        d->eof = 1, d->reading = 0;
        if (!d->head) shutdown(d->to, SHUT_WR);
        return p->d[1 - k].eof && !p->d[1 - k].head && !d->head ? -1 : 0;
      }
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
    c->next = NULL, c->len = (size_t)n, c->off = 0, c->due_ns = now_ns() + delay_ns;
    if (d->tail) d->tail->next = c;
    else d->head = c;
    d->tail = c;
    d->held += (size_t)n, total[k] += (uint64_t)n;
    if (d->held >= MAX_HELD) d->reading = 0;
  }
  return 0;
}

/* The timer: the earliest chunk due in any direction (none: disarmed). */
static void arm_timer(void) {
  int64_t next = INT64_MAX;
  for (int i = 0; i < MAX_PAIRS; i++)
    for (int k = 0; k < 2; k++)
      if (pairs[i].used && pairs[i].d[k].head && pairs[i].d[k].head->due_ns < next) next = pairs[i].d[k].head->due_ns;
  struct itimerspec it = {0};
  if (next != INT64_MAX) {
    it.it_value.tv_sec = next / 1000000000, it.it_value.tv_nsec = next % 1000000000;
    if (it.it_value.tv_sec == 0 && it.it_value.tv_nsec == 0) it.it_value.tv_nsec = 1;
  }
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL);
}

static void on_stop(int sig) { (void)sig, stopping = 1; }

int main(int argc, char **argv) {
  struct sockaddr_in listen_at, target;
  if (argc < 4 || parse_addr(argv[1], &listen_at) < 0 || parse_addr(argv[2], &target) < 0 || atol(argv[3]) < 0) {
    fprintf(stderr, "usage: delay_relay LISTEN_IP:PORT TARGET_IP:PORT DELAY_US [READY_FILE]\n");
    return 2;
  }
  delay_ns = atol(argv[3]) * 1000L;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  struct sigaction sa = {.sa_handler = on_stop};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
  if (ls < 0) die("socket");
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(ls, (struct sockaddr *)&listen_at, sizeof listen_at) < 0 || listen(ls, 16) < 0) die(argv[1]);
  ep = epoll_create1(EPOLL_CLOEXEC);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (ep < 0 || tfd < 0) die("epoll/timerfd");
  watch(ls, EPOLLIN, 0, EPOLL_CTL_ADD);
  watch(tfd, EPOLLIN, UINT64_MAX, EPOLL_CTL_ADD);
  if (argc > 4) {
    FILE *f = fopen(argv[4], "w");
    if (f) fclose(f);
  }
  struct epoll_event evs[64];
  while (!stopping) {
    int n = epoll_wait(ep, evs, 64, 1000);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int e = 0; e < n; e++) {
      uint64_t tag = evs[e].data.u64;
      if (tag == UINT64_MAX) {
        uint64_t x;
        while (read(tfd, &x, sizeof x) > 0) {}
        continue;
      }
      if (tag == 0) {
        int c;
        while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          int i = 0;
          while (i < MAX_PAIRS && pairs[i].used) i++;
          int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          if (i == MAX_PAIRS || t < 0 || connect(t, (struct sockaddr *)&target, sizeof target) < 0) {
            close(c);
            if (t >= 0) close(t);
            continue;
          }
          fcntl(t, F_SETFL, fcntl(t, F_GETFL) | O_NONBLOCK);
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          pair_t *p = &pairs[i];
          p->used = 1, accepted++;
          p->d[0] = (dir_t){.from = c, .to = t, .reading = 1};
          p->d[1] = (dir_t){.from = t, .to = c, .reading = 1};
          watch(c, EPOLLIN, (uint64_t)(i * 2) + 1, EPOLL_CTL_ADD);
          watch(t, EPOLLIN, (uint64_t)(i * 2 + 1) + 1, EPOLL_CTL_ADD);
        }
        continue;
      }
      int i = (int)((tag - 1) / 2), side = (int)((tag - 1) % 2);
      if (!pairs[i].used) continue;
      if ((evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && take(&pairs[i], side) < 0) {
        close_pair(i);
        continue;
      }
    }
    /* whatever is due now goes out, in every direction */
    for (int i = 0; i < MAX_PAIRS; i++) {
      if (!pairs[i].used) continue;
      int broken = flush(&pairs[i], 0) < 0 || flush(&pairs[i], 1) < 0;
      pair_t *p = &pairs[i];
      if (broken || (p->d[0].eof && p->d[1].eof && !p->d[0].head && !p->d[1].head)) close_pair(i);
      else rearm(i);
    }
    arm_timer();
  }
  printf("delay_relay: connections=%lu bytes_to_target=%llu bytes_from_target=%llu delay_us=%ld min_hold_us=%.1f\n",
         accepted, (unsigned long long)total[0], (unsigned long long)total[1], (long)(delay_ns / 1000),
         min_hold_ns == INT64_MAX ? 0.0 : (double)min_hold_ns / 1000.0);
  return 0;
}
