/* The driver's doorbell: one eventfd, made before the local workers are
 * spawned and kept by each of them (the only fd they inherit on purpose).
 * A worker rings it after it posted a message into its segment's mailbox
 * (shm.h); the driver polls it beside its socket, so a commit through shared
 * memory wakes the driver's thread directly, with no socket message and no
 * ZeroMQ I/O thread on either side. A ring says only "look at your
 * segments": the driver checks every segment's counter, so a spurious or
 * forged ring costs one scan and nothing else. */
#ifndef LUNET_DOORBELL_H
#define LUNET_DOORBELL_H

/* A new doorbell (close-on-exec, non-blocking); -1 and lunet_errmsg on failure. */
int lunet_doorbell_new(void);
/* An inherited fd, if it is an eventfd: fd, else -1 and lunet_errmsg says what it is. */
int lunet_doorbell_adopt(int fd);
/* Rings it (never blocks; a counter near overflow already rings). */
void lunet_doorbell_ring(int fd);
/* Takes the rings so far: 1 it had rung, 0 not. */
int lunet_doorbell_clear(int fd);

#endif
