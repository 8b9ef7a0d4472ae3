/* The vetting child of every HDF5 open (h5guard.c): libhdf5 1.10.8 trusts a
 * file's metadata, and a damaged or hostile file can crash it or make it
 * loop, so lunet first does in a forked child what the caller will do, and
 * the caller only goes on when the child finished. Used by h5file.c (data
 * files) and h5tree.c (Keras model files). */
#ifndef LUNET_H5GUARD_H
#define LUNET_H5GUARD_H

#include <stdint.h>

/* The work the child does: open, walk, read; its result does not matter
 * (an ordinary error is met again, as an error, by the caller in process). */
typedef void (*lunet_h5guard_fn)(void *arg);

/* Runs vet(arg) in a child process. 0 when the child finished; -1 with
 * "<name>: libhdf5 crashed reading the file (signal 11): a damaged file" when
 * it died, or "... still reading ... after 60 s" when it was killed at the
 * deadline. path (may be NULL: a file held in memory) names a file whose
 * identity (device, inode, size, change time) and key are remembered after a
 * finished child, so that opening it again with the same key costs no child;
 * key tells apart different work on one file. A missing path is an error
 * ("cannot open 'PATH': No such file or directory"). */
int lunet_h5guard_run(const char *name, const char *path, uint64_t key, lunet_h5guard_fn vet, void *arg);

/* Forgets which files this process vetted (for the fuzz targets, which
 * rewrite one file in place faster than its change time ticks). */
void lunet_h5guard_forget(void);

#endif
