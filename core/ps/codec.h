/* Compressed payloads of the parameter exchange (the `compression` trainer
 * option): fp16 and bf16 (round to nearest even), top-k by magnitude and 8-bit
 * block quantization, each with error feedback (the encoder adds the residual
 * it did not send last time and keeps what it does not send now: Seide et al.
 * 2014, Lin et al. 2018). Payloads are raw bytes padded to a multiple of 4
 * (they travel as float32 frames); decoders check sizes and indices before
 * reading anything. No allocation after lunet_codec_new. */
#ifndef LUNET_CODEC_H
#define LUNET_CODEC_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  LUNET_CODEC_FP16 = 1, /* n IEEE half floats, little-endian u16 each */
  LUNET_CODEC_BF16 = 2, /* n bfloat16 (a float32's high 16 bits) */
  LUNET_CODEC_TOPK = 3, /* k u32 indices (strictly ascending, < n), then k float32 values */
  LUNET_CODEC_Q8 = 4    /* per block of 256: float32 min, float32 scale; then n u8 codes */
} lunet_codec_kind_t;

#define LUNET_CODEC_Q8_BLOCK 256

/* The kind named "fp16" | "bf16" | "topk" | "q8", or 0 (no message set). */
int lunet_codec_kind(const char *name);
/* The name of a kind ("?" for anything else). */
const char *lunet_codec_name(int kind);

/* Payload bytes (a multiple of 4) of n values; k: the top-k count (other
 * kinds ignore it). 0 for an unknown kind. */
size_t lunet_codec_bytes(int kind, size_t n, size_t k);

typedef struct lunet_codec lunet_codec_t;

/* An encoder of n values of one kind (k: top-k's count, 1 <= k <= n; else
 * ignored). Owns its scratch (top-k: n floats). NULL + message on bad input. */
lunet_codec_t *lunet_codec_new(int kind, size_t n, size_t k);
void lunet_codec_free(lunet_codec_t *c);
size_t lunet_codec_count(const lunet_codec_t *c); /* n */
size_t lunet_codec_size(const lunet_codec_t *c);  /* payload bytes */

/* out (lunet_codec_size bytes) = encode(v), v = src + residual; then
 * residual = v - decode(out): exactly what the decoder will produce, so the
 * sum of the decoded payloads plus the residual is the sum of the src (up to
 * the float rounding of those two additions). residual NULL: no feedback.
 * src and residual (n) each. fp16/bf16 saturate a value beyond the largest
 * finite one, inf included, to it (the excess stays in the residual; the
 * scalar conversions below give inf, as IEEE); NaN stays NaN. Top-k keeps the
 * k largest |v| (NaN counts as inf); among equal magnitudes at the threshold,
 * the lower indices. q8 rounds to nearest (deterministic; the
 * residual carries the rounding). Returns the bytes written. */
size_t lunet_codec_encode(lunet_codec_t *c, uint8_t *out, const float *src, float *residual);

/* out (n) = decode(payload of `bytes` bytes). -1 + message when bytes does
 * not fit kind and n (top-k: bytes = 8k, k <= n), a top-k index is >= n or
 * not above the previous one, or the kind is unknown; out is then unchanged
 * for size errors, and may be partly zeroed for index errors. */
int lunet_codec_decode(float *out, int kind, const uint8_t *payload, size_t bytes, size_t n);

/* Scalar conversions (the kernels' reference; exposed for the specs). */
uint16_t lunet_f32_to_f16(float f); /* round to nearest even; overflow -> inf (IEEE) */
float lunet_f16_to_f32(uint16_t h);
uint16_t lunet_f32_to_bf16(float f); /* round to nearest even; NaN stays NaN */
float lunet_bf16_to_f32(uint16_t h);

#endif
