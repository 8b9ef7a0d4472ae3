/* CURVE keys and key files (see keys.h). zmq_curve_keypair and friends wrap
 * libsodium; Z85 is ZeroMQ's printable encoding (RFC 32). */
#define _GNU_SOURCE
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common.h"

int lunet_curve_available(void) { return zmq_has("curve") ? 1 : 0; }

static int no_curve(void) {
  return lunet_fail("this libzmq has no CURVE support (it was built without libsodium)");
}

int lunet_curve_keypair(char *public_z85, char *secret_z85) {
  if (!lunet_curve_available()) return no_curve();
  if (zmq_curve_keypair(public_z85, secret_z85) < 0)
    return lunet_fail("cannot make a CURVE key pair: %s", zmq_strerror(zmq_errno()));
  return 0;
}

int lunet_curve_decode(uint8_t *key, const char *z85, size_t len) {
  /* Z85's alphabet (RFC 32); zmq_z85_decode says only "invalid", this says where */
  static const char alphabet[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  if (len != LUNET_KEY_Z85_LEN)
    return lunet_fail("a CURVE key is %d Z85 characters, got %zu", LUNET_KEY_Z85_LEN, len);
  for (size_t i = 0; i < len; i++)
    if (!z85[i] || !strchr(alphabet, z85[i]))
      return lunet_fail("character %zu of the key is not Z85", i + 1);
  char text[LUNET_KEY_Z85_LEN + 1];
  memcpy(text, z85, len);
  text[len] = '\0';
  /* (a 5-character group above 2^32 - 1 is the one invalid spelling left) */
  if (!zmq_z85_decode(key, text)) return lunet_fail("the key is not valid Z85");
  return 0;
}

int lunet_curve_public(char *public_z85, const char *secret_z85) {
  if (!lunet_curve_available()) return no_curve();
  uint8_t key[32];
  if (lunet_curve_decode(key, secret_z85, strlen(secret_z85)) < 0) return -1;
  explicit_bzero(key, sizeof key);
  if (zmq_curve_public(public_z85, secret_z85) < 0)
    return lunet_fail("cannot derive the public key: %s", zmq_strerror(zmq_errno()));
  return 0;
}

static int write_all(int fd, const char *text, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    text += n;
    len -= (size_t)n;
  }
  return 0;
}

int lunet_keys_write_private(const char *path, const char *text, size_t len, int replace) {
  char tmp[4200];
  if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp)
    return lunet_fail("%s: path too long", path);
  const char *target = replace ? tmp : path;
  /* O_EXCL: never follow a link someone left at the path, never widen an
   * existing file's mode */
  int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST && !replace) return lunet_fail("%s already exists", path);
    return lunet_fail("cannot create %s: %s", target, strerror(err));
  }
  /* (the umask may only narrow 0600; fchmod makes it exact) */
  if (fchmod(fd, 0600) < 0 || write_all(fd, text, len) < 0 || fsync(fd) < 0) {
    int err = errno;
    close(fd);
    unlink(target);
    return lunet_fail("cannot write %s: %s", target, strerror(err));
  }
  if (close(fd) < 0) {
    int err = errno;
    unlink(target);
    return lunet_fail("cannot write %s: %s", target, strerror(err));
  }
  if (replace && rename(tmp, path) < 0) {
    int err = errno;
    unlink(tmp);
    return lunet_fail("cannot replace %s: %s", path, strerror(err));
  }
  return 0;
}
