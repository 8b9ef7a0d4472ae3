/* libFuzzer target for the wire decoder (core/ps/wire.c): the checks the
 * server and the workers run on every received multipart message, fed from
 * memory through lunet_wire_decode (the socket path runs the same reader).
 * Input: byte 0 picks the socket side (bit 0: ROUTER, a peer part first) and
 * the payload bound (bit 1: 64 bytes, else 1 GiB); then up to 12 parts, each
 * a little-endian u16 length and that many bytes (cut at the input's end). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "wire.h"

#define MAX_PARTS 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int with_peer = data[0] & 1;
  uint64_t max_payload = data[0] & 2 ? 64 : 1ull << 30;
  const uint8_t *parts[MAX_PARTS];
  size_t sizes[MAX_PARTS];
  int n = 0;
  size_t pos = 1;
  while (n < MAX_PARTS && pos + 2 <= size) {
    size_t len = (size_t)data[pos] | (size_t)data[pos + 1] << 8;
    pos += 2;
    if (len > size - pos) len = size - pos;
    /* each part in its own allocation, so a read past its end is caught */
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) abort();
    memcpy(copy, data + pos, len);
    parts[n] = copy;
    sizes[n++] = len;
    pos += len;
  }
  lunet_wire_msg_t m;
  if (lunet_wire_decode(&m, parts, sizes, n, with_peer, max_payload) == 0) {
    /* an accepted message is exactly what the header says it is */
    uint64_t bytes = 0;
    for (int i = 0; i < m.nframes; i++) bytes += (uint64_t)lunet_tensor_numel(m.frames[i]) * 4;
    if (m.nframes != (int)m.h.nframes || bytes != m.h.payload_bytes || bytes > max_payload) abort();
    if (!m.meta || m.meta[m.meta_len] != '\0') abort();
    if (strcmp(lunet_msg_type_name(m.h.type), "unknown") == 0) abort();
    /* and re-encoding its header gives back the bytes received */
    uint8_t again[LUNET_WIRE_HEADER_SIZE];
    lunet_wire_encode_header(again, &m.h);
    if (memcmp(again, parts[with_peer], LUNET_WIRE_HEADER_SIZE) != 0) abort();
    lunet_wire_msg_free(&m);
  } else if (m.meta || m.nframes || !lunet_errmsg()[0]) {
    abort(); /* a rejected message holds nothing and says why */
  }
  for (int i = 0; i < n; i++) free((void *)parts[i]);
  return 0;
}
