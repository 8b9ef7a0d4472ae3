/* libFuzzer target for the exchange's payload decoders (core/ps/codec.c):
 * what the driver runs on every compressed commit and a worker on every
 * compressed params message. Input: byte 0 picks the encoding (1-4, and
 * other values: refused), bytes 1-2 the element count n (little-endian u16),
 * the rest the payload, in an allocation of its own so a read past its end
 * is caught. An accepted payload is also re-encoded: no crash either way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  int kind = data[0] % 6; /* 0 and 5: unknown kinds */
  size_t n = (size_t)data[1] | (size_t)data[2] << 8;
  size_t bytes = size - 3;
  uint8_t *payload = malloc(bytes ? bytes : 1);
  float *out = malloc((n ? n : 1) * sizeof(float));
  if (!payload || !out) abort();
  memcpy(payload, data + 3, bytes);
  if (lunet_codec_decode(out, kind, payload, bytes, n) == 0) {
    if (kind < 1 || kind > 4) abort(); /* an unknown kind must be refused */
    size_t k = kind == LUNET_CODEC_TOPK ? bytes / 8 : 0;
    if (kind == LUNET_CODEC_TOPK && (k > n || (n > 0 && k < 1))) abort();
    lunet_codec_t *c = n > 0 ? lunet_codec_new(kind, n, k) : NULL; /* (an encoder of 0 values: nothing to do) */
    if (c) {
      uint8_t *again = malloc(lunet_codec_size(c) + 1);
      float *res = calloc(n ? n : 1, sizeof(float));
      if (!again || !res) abort();
      if (lunet_codec_encode(c, again, out, res) != lunet_codec_size(c)) abort();
      free(again);
      free(res);
      lunet_codec_free(c);
    }
  }
  free(payload);
  free(out);
  return 0;
}
