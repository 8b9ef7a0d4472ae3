/* Worker processes: started directly (posix_spawn, never through a shell),
 * signalled, and waited for with a timeout so that no error path can hang. */
#ifndef LUNET_PROC_H
#define LUNET_PROC_H

#include <sys/types.h>

/* Starts argv[0] (looked up in PATH when it has no '/') with argv (NULL-
 * terminated) and the current environment plus env_add ("NAME=VALUE",
 * NULL-terminated, may be NULL; it replaces inherited variables of the same
 * name). The child starts with default signal actions and an empty signal
 * mask; of this process's close-on-exec fds it keeps keep_fd (-1: none).
 * Returns the pid, or -1 with a message naming argv[0]. */
pid_t lunet_proc_spawn(char *const argv[], char *const env_add[], int keep_fd);
/* Sends sig; 0, or -1 when the process does not exist. */
int lunet_proc_kill(pid_t pid, int sig);
/* Waits up to timeout seconds (< 0: forever) for the child pid (> 0). Returns
 * 1 when it has ended (*code = exit status, or -signal), 0 while it still
 * runs, -1 on error (not our child, pid <= 0). */
int lunet_proc_wait(pid_t pid, double timeout, int *code);
/* The calling process gets sig when its parent exits (Linux prctl); -1 if
 * the parent is already gone (our parent is init, or changed during the call). */
int lunet_proc_die_with_parent(int sig);

#endif
