/* Files the user names. Reading: lunet_file_open_read opens regular files
 * only (a FIFO would block the open forever, a device might never end).
 * Writing: atomic replacement, the one way lunet writes a file a user keeps
 * (model files, checkpoints, CSV, fitted feature models, charts): the bytes go
 * to a fresh temporary file beside the target, made by mkstemp (so no file of
 * the user's is ever opened, overwritten or removed), and replace the target
 * only when every write, the flush, the fsync and the close succeeded; then
 * the directory is synced so the new name survives a power loss. On any
 * failure the temporary file is removed and the old target is untouched. */
#ifndef LUNET_FILE_H
#define LUNET_FILE_H

#include <stdio.h>

/* An fd open for reading on the regular file path (O_CLOEXEC), or -1 with
 * *why set to a static text ("No such file or directory", "Is a directory",
 * "not a regular file (a pipe or a device cannot be read twice)"). */
int lunet_file_open_read(const char *path, const char **why);

typedef struct {
  FILE *f;          /* write here (stdio; errors are checked at commit) */
  char *tmp;        /* the temporary file's name, "PATH.tmpXXXXXX" */
  const char *path; /* the target, borrowed until commit/abort */
} lunet_atomic_t;

/* Creates the temporary file for path. 0, or -1 with "cannot create a file
 * next to 'PATH': <reason>" (nothing is left behind). */
int lunet_atomic_open(lunet_atomic_t *a, const char *path);

/* Flushes, fsyncs and closes the temporary file, renames it over path and
 * syncs the directory. 0, or -1 with "cannot write 'PATH': <reason>" (a write
 * error seen by stdio, e.g. "File too large", included) after removing the
 * temporary file. Frees a's resources either way. */
int lunet_atomic_commit(lunet_atomic_t *a);

/* Closes and removes the temporary file (after an error of the caller's). */
void lunet_atomic_abort(lunet_atomic_t *a);

/* Writes len bytes of text to path atomically (open, write, commit). */
int lunet_atomic_write(const char *path, const void *text, size_t len);

#endif
