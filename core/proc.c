/* Process control for the local launcher (see proc.h). */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

pid_t lunet_proc_spawn(char *const argv[], char *const env_add[], int keep_fd) {
  size_t n_env = 0, n_add = 0;
  while (environ[n_env]) n_env++;
  while (env_add && env_add[n_add]) n_add++;
  char **env = lunet_malloc((n_env + n_add + 1) * sizeof *env);
  if (!env) return -1;
  size_t k = 0;
  /* added variables replace inherited ones of the same name */
  for (size_t i = 0; i < n_env; i++) {
    const char *eq = strchr(environ[i], '=');
    size_t name_len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
    int overridden = 0;
    for (size_t j = 0; j < n_add; j++)
      if (strncmp(env_add[j], environ[i], name_len) == 0 && env_add[j][name_len] == '=') overridden = 1;
    if (!overridden) env[k++] = environ[i];
  }
  for (size_t j = 0; j < n_add; j++) env[k++] = env_add[j];
  env[k] = NULL;
  /* The child starts with every signal at its default action and none
   * blocked: an ignored SIGTERM/SIGHUP inherited from our own parent (a
   * shell's `&`, nohup) would otherwise make kill(pid, "TERM") a no-op. */
  posix_spawnattr_t attr;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  int rc = posix_spawnattr_init(&attr);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);
  if (rc == 0) rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  /* keep_fd: the one close-on-exec fd the child keeps, at the same number
   * (dup2 onto itself clears FD_CLOEXEC in the child only) */
  posix_spawn_file_actions_t actions;
  int have_actions = 0;
  if (rc == 0 && keep_fd >= 0) {
    rc = posix_spawn_file_actions_init(&actions);
    have_actions = rc == 0;
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, keep_fd, keep_fd);
  }
  pid_t pid;
  if (rc == 0) rc = posix_spawnp(&pid, argv[0], have_actions ? &actions : NULL, &attr, argv, env);
  if (have_actions) posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  free(env);
  if (rc != 0) return lunet_fail("cannot start %s: %s", argv[0], strerror(rc));
  return pid;
}

int lunet_proc_kill(pid_t pid, int sig) {
  if (pid <= 0) return lunet_fail("invalid pid %d", (int)pid);
  if (kill(pid, sig) < 0) return lunet_fail("cannot signal process %d: %s", (int)pid, strerror(errno));
  return 0;
}

int lunet_proc_wait(pid_t pid, double timeout, int *code) {
  /* waitpid(0 or -1) would reap some other child */
  if (pid <= 0) return lunet_fail("invalid pid %d", (int)pid);
  double deadline = lunet_now() + timeout;
  for (;;) {
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      *code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
      return 1;
    }
    if (r < 0 && errno != EINTR) return lunet_fail("cannot wait for process %d: %s", (int)pid, strerror(errno));
    if (timeout >= 0 && lunet_now() >= deadline) return 0;
    struct timespec ts = {0, 2000000}; /* 2 ms */
    nanosleep(&ts, NULL);
  }
}

int lunet_proc_die_with_parent(int sig) {
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, sig) < 0) return lunet_fail("prctl: %s", strerror(errno));
  /* a parent that died before prctl took effect never sends sig: we were
   * re-parented (to init or a subreaper) in between, or already before */
  if (parent == 1 || getppid() != parent) return lunet_fail("the parent process is already gone");
  return 0;
}
