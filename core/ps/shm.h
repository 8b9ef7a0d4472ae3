/* Shared memory between the driver and a local worker: one memfd segment per
 * worker, created by the worker (nothing has a name in /dev/shm: the kernel
 * frees it when the last fd and mapping go, SIGKILL of either side included)
 * and mapped by the driver through /proc/<pid>/fd/<fd> after checks.
 *
 * Layout: a header page, then the commit area (worker -> driver) and the
 * params area (driver -> worker), each `area` bytes (page aligned). The
 * header's consumed counter says how many commits the driver has finished
 * reading (stored with release, futex-woken); a worker waits on it before it
 * writes its commit area again.
 *
 * The header page also holds two mailbox slots, one message each: slot 0
 * carries a worker's commit (its wire type, seq and JSON meta; the payload
 * is in the commit area) and slot 1 the driver's params. Posting stores the
 * slot's counter last (release) and futex-wakes it; the reader sees a new
 * message when the counter moved. With the driver's doorbell (an eventfd
 * its local workers inherit) a worker's commit needs no socket message at
 * all. A segment is refcounted: views made over it
 * (lunet_tensor_wrap) keep it mapped until the last one is released. */
#ifndef LUNET_SHM_H
#define LUNET_SHM_H

#include <stddef.h>
#include <stdint.h>

#define LUNET_SHM_META_MAX 1024 /* meta bytes a mailbox slot holds */

typedef struct lunet_shm lunet_shm_t;

/* Worker: a new sealed memfd segment with two areas of at least area_bytes
 * each; NULL and lunet_errmsg on failure. */
lunet_shm_t *lunet_shm_create(size_t area_bytes);
/* Driver: maps the segment a worker made (its pid and fd number), only if it
 * is a memfd named lunet, sealed against resizing, of exactly the size two
 * areas of area_bytes make, with a header that agrees; else NULL and
 * lunet_errmsg says why. */
lunet_shm_t *lunet_shm_attach(int pid, int fd, size_t area_bytes);

int lunet_shm_fd(const lunet_shm_t *s);
size_t lunet_shm_area_bytes(const lunet_shm_t *s);
/* area 0: commit, 1: params. */
void *lunet_shm_area(lunet_shm_t *s, int area);

/* The driver has read commit number n (release store, futex wake). */
void lunet_shm_set_consumed(lunet_shm_t *s, uint32_t n);
/* Waits up to timeout_ms for consumed >= n (wrapping compare): 1 reached, 0 not yet. */
int lunet_shm_wait_consumed(lunet_shm_t *s, uint32_t n, int timeout_ms);
uint32_t lunet_shm_consumed(lunet_shm_t *s);

/* Writes a message into mailbox slot (0: worker's, 1: driver's) and makes
 * its counter n; after: the socket messages the poster sent before it (the
 * reader keeps the two streams in order). -1 if meta_len exceeds
 * LUNET_SHM_META_MAX. */
int lunet_shm_post(lunet_shm_t *s, int slot, uint16_t type, uint64_t seq, uint32_t after, const char *meta,
                   size_t meta_len, uint32_t n);
/* The slot's counter (acquire). */
uint32_t lunet_shm_posted(lunet_shm_t *s, int slot);
/* Copies the slot's message out (meta: LUNET_SHM_META_MAX bytes); -1 if its
 * length is out of range (a peer that scribbled). */
int lunet_shm_read(lunet_shm_t *s, int slot, uint16_t *type, uint64_t *seq, uint32_t *after, char *meta,
                   size_t *meta_len);
/* Waits up to timeout_ms for the slot's counter to differ from after: 1 it does, 0 not yet. */
int lunet_shm_wait_posted(lunet_shm_t *s, int slot, uint32_t after, int timeout_ms);

lunet_shm_t *lunet_shm_retain(lunet_shm_t *s);
/* Drops one reference: the last unmaps and closes the fd. */
void lunet_shm_release(lunet_shm_t *s);
/* lunet_tensor_wrap's release callback for views over a segment (hint: the segment). */
void lunet_shm_view_release(void *data, void *hint);

#endif
