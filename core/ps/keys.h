/* ZeroMQ CURVE keys (Curve25519, as Z85 text: 40 characters for 32 bytes)
 * and the files that hold them: `lunet keygen` writes a secret key to a file
 * only its owner can read, the driver and workers read them back. */
#ifndef LUNET_KEYS_H
#define LUNET_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define LUNET_KEY_Z85_LEN 40 /* characters, without the NUL */

/* 1 if this libzmq was built with CURVE (libsodium), else 0. */
int lunet_curve_available(void);
/* A new key pair into public_z85 and secret_z85 (41 bytes each, NUL-terminated).
 * 0, or -1 with a message (no CURVE in this libzmq). */
int lunet_curve_keypair(char *public_z85, char *secret_z85);
/* The public key of secret_z85 into public_z85 (41 bytes). 0, or -1 with a
 * message when secret_z85 is not a key. */
int lunet_curve_public(char *public_z85, const char *secret_z85);
/* Decodes a 40-character Z85 key into 32 bytes: 0, or -1 with a message
 * saying what is wrong with the text (length, character). */
int lunet_curve_decode(uint8_t *key /* (32) */, const char *z85, size_t len);

/* Writes text to path readable and writable by its owner only (0600), never
 * wider at any moment: a new file is created with that mode (O_EXCL: an
 * existing path is an error unless replace); with replace the text goes to a
 * temporary file next to path that is fsynced and renamed over it. 0 or -1
 * with a message naming path. */
int lunet_keys_write_private(const char *path, const char *text, size_t len, int replace);

#endif
