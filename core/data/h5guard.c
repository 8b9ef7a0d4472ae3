/* lunet_h5guard_run (h5guard.h): every HDF5 file is first opened in a child
 * process, so that a file libhdf5 crashes on (or loops on) is an error for
 * the caller, not the end of the driver or of a worker. The child does the
 * caller's work (for lunet_h5file_open, below: open the file, check its
 * datasets and vet them, lunet_h5file_vet), then writes one byte to a pipe
 * (after an ordinary error too: the caller then meets the same error in
 * process). No byte means the child died; a child still busy at the
 * deadline is killed. A child costs some 10-30 ms, so a file already vetted
 * by this process (same device, inode, size, change time and key: the data
 * reader's dataset list) is not vetted again: a worker reading many shards
 * of one file pays once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "file.h"
#include "h5file.h"
#include "h5guard.h"

#define PREFLIGHT_MS 60000
#define VETTED_MAX 256

/* Files whose child finished, by identity (one thread per process uses
 * lunet's data path: the Lua runtime). */
typedef struct { dev_t dev; ino_t ino; off_t size; struct timespec ctime; uint64_t sets; } vetted_t;
static vetted_t vetted[VETTED_MAX];
static int vetted_n, vetted_next;

/* FNV-1a over the dataset names (n == 0: the root's). */
static uint64_t sets_hash(const char *const *datasets, int n) {
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < n; i++) {
    for (const char *c = datasets[i]; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull; /* a separator no name contains */
  }
  return h;
}

static int find_vetted(const vetted_t *v) {
  for (int i = 0; i < vetted_n; i++) {
    const vetted_t *e = &vetted[i];
    if (e->dev == v->dev && e->ino == v->ino && e->size == v->size && e->ctime.tv_sec == v->ctime.tv_sec &&
        e->ctime.tv_nsec == v->ctime.tv_nsec && e->sets == v->sets)
      return 1;
  }
  return 0;
}

void lunet_h5guard_forget(void) { vetted_n = vetted_next = 0; }
void lunet_h5file_forget_vetted(void) { lunet_h5guard_forget(); }

static void add_vetted(const vetted_t *v) {
  vetted[vetted_next] = *v;
  vetted_next = (vetted_next + 1) % VETTED_MAX;
  if (vetted_n < VETTED_MAX) vetted_n++;
}

static void child(int out, lunet_h5guard_fn vet, void *arg) {
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core); /* a crash here is reported by the parent: no core dump, */
  int null = open("/dev/null", O_WRONLY);
  if (null >= 0) dup2(null, 2); /* and no sanitizer report on stderr, */
  /* nor a crash handler of the parent's (a sanitizer's, libFuzzer's): the
   * child just dies and the parent says so */
  static const int deadly[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGALRM};
  for (size_t i = 0; i < sizeof deadly / sizeof deadly[0]; i++) signal(deadly[i], SIG_DFL);
  vet(arg);
  char ok = '1';
  ssize_t w = write(out, &ok, 1);
  (void)w;
  _exit(0);
}

/* 0 when the child finished (whatever it found), -1 with a message naming
 * name when it died or hung. */
static int preflight(const char *name, lunet_h5guard_fn vet, void *arg) {
  int fds[2];
  if (pipe(fds) != 0) return lunet_fail("%s: cannot check the file: pipe: %s", name, strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    return lunet_fail("%s: cannot check the file: fork: %s", name, strerror(e));
  }
  if (pid == 0) {
    close(fds[0]);
    child(fds[1], vet, arg);
  }
  close(fds[1]);
  struct pollfd p = {.fd = fds[0], .events = POLLIN};
  char got = 0;
  double deadline = lunet_now() + PREFLIGHT_MS / 1000.0;
  int r = 0, timed_out = 0;
  for (;;) {
    int left = (int)((deadline - lunet_now()) * 1000);
    if (left <= 0) { timed_out = 1; break; }
    r = poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    break;
  }
  if (r > 0 && read(fds[0], &got, 1) != 1) got = 0; /* EOF: the child died */
  close(fds[0]);
  if (timed_out || r <= 0) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (timed_out) return lunet_fail("%s: libhdf5 was still reading the file's metadata after %d s (a damaged file?)", name, PREFLIGHT_MS / 1000);
  if (got != '1') {
    /* (under ASan a crash is an exit status: the sanitizer reports it and exits) */
    if (WIFSIGNALED(status))
      return lunet_fail("%s: libhdf5 crashed reading the file (signal %d): a damaged file", name, WTERMSIG(status));
    return lunet_fail("%s: libhdf5 crashed reading the file (exit status %d): a damaged file", name,
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  return 0;
}

int lunet_h5guard_run(const char *name, const char *path, uint64_t key, lunet_h5guard_fn vet, void *arg) {
  vetted_t v = {0};
  if (path) {
    const char *why;
    int fd = lunet_file_open_read(path, &why); /* a clear reason for a missing file or a directory, at once */
    if (fd < 0) return lunet_fail("cannot open '%s': %s", path, why);
    struct stat st;
    if (fstat(fd, &st) == 0) v = (vetted_t){st.st_dev, st.st_ino, st.st_size, st.st_ctim, key};
    close(fd);
    if (v.ino && find_vetted(&v)) return 0;
  }
  if (preflight(name, vet, arg) < 0) return -1;
  if (v.ino) add_vetted(&v);
  return 0;
}

/* The data reader's vetting: open with the datasets, then lunet_h5file_vet. */
typedef struct { const char *path; const char *const *datasets; int n; const char *where; } h5file_job;
static void vet_h5file(void *arg) {
  const h5file_job *j = arg;
  lunet_h5file_t *f = lunet_h5file_open_in_process(j->path, j->datasets, j->n, j->where);
  if (f) lunet_h5file_vet(f);
  lunet_h5file_free(f);
}

lunet_h5file_t *lunet_h5file_open(const char *path, const char *const *datasets, int n, const char *where) {
  h5file_job j = {path, datasets, n, where};
  if (lunet_h5guard_run(path, path, sets_hash(datasets, n), vet_h5file, &j) < 0) return NULL;
  return lunet_h5file_open_in_process(path, datasets, n, where);
}
