/* The ZAP handler (ZeroMQ's authentication protocol, RFC 27) that decides
 * which peers a CURVE server socket admits. One handler serves the whole
 * process (ZeroMQ asks whoever is bound at inproc://zeromq.zap.01): each
 * server registers a domain with its authorized public keys; a small thread
 * owns the REP socket and answers ZeroMQ's requests from that registry. The
 * thread starts with the first domain and is stopped and joined when the
 * last one is removed.
 *
 * Security rests on the handler being bound whenever a CURVE socket listens:
 * this libzmq (no draft API, so no ZMQ_ZAP_ENFORCE_DOMAIN) admits every
 * CURVE client when no handler answers. So: add the domain before binding,
 * remove it only after closing the socket. */
#ifndef LUNET_ZAP_H
#define LUNET_ZAP_H

#include <stddef.h>
#include <stdint.h>

#define LUNET_ZAP_DOMAIN_MAX 64

/* Registers domain (it must not be registered already) admitting:
 *  - CURVE peers whose public key is one of keys (n keys of 32 bytes, copied);
 *  - NULL-mechanism peers on an ipc:// endpoint whose user id (the kernel's
 *    SO_PEERCRED, which ZeroMQ passes as the request's address) is this
 *    process's, when local_same_user is set.
 * Everything else is refused (and counted). Starts the handler on first use.
 * 0, or -1 with a message (e.g. another ZAP handler owns the address). */
int lunet_zap_add(const char *domain, const uint8_t *keys /* (n, 32) */, size_t n, int local_same_user);
/* Unregisters domain (no-op if unknown); the last one stops and joins the thread. */
void lunet_zap_remove(const char *domain);
/* Peers refused so far in domain, and why the last one was ("" if none;
 * written into why, why_size bytes). */
uint64_t lunet_zap_denied(const char *domain, char *why, size_t why_size);

#endif
