/* C unit tests of core/ps/codec.h: half/bfloat16 conversions on known bit
 * patterns (round to nearest even, subnormals, inf, NaN), each codec's round
 * trip and error feedback (decoded + residual == input), top-k's choice and
 * ties, q8's error bound, and decoders refusing payloads that do not fit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#include "check.h"

#define N 1003 /* odd, not a multiple of the SIMD width or of q8's block */

static float lcg(unsigned *s) { /* uniform in [-1, 1) */
  *s = *s * 1664525u + 1013904223u;
  return (float)((*s >> 8) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

static void conversions(void) {
  CHECK(lunet_f32_to_f16(1.0f) == 0x3C00);
  CHECK(lunet_f32_to_f16(-2.0f) == 0xC000);
  CHECK(lunet_f32_to_f16(65504.0f) == 0x7BFF);
  CHECK(lunet_f32_to_f16(65520.0f) == 0x7C00); /* halfway to the next: rounds to even = inf */
  CHECK(lunet_f32_to_f16(65519.0f) == 0x7BFF);
  CHECK(lunet_f32_to_f16(INFINITY) == 0x7C00 && lunet_f32_to_f16(-INFINITY) == 0xFC00);
  CHECK(lunet_f32_to_f16(NAN) == 0x7E00);
  CHECK(lunet_f32_to_f16(0x1p-24f) == 0x0001);  /* smallest subnormal */
  CHECK(lunet_f32_to_f16(0x1p-25f) == 0x0000);  /* half of it: ties to even (0) */
  CHECK(lunet_f32_to_f16(0x1.8p-25f) == 0x0001);
  CHECK(lunet_f32_to_f16(1.0f + 0x1p-11f) == 0x3C00); /* tie: to even */
  CHECK(lunet_f32_to_f16(1.0f + 0x3p-11f) == 0x3C02); /* tie: to even (up) */
  CHECK(lunet_f16_to_f32(0x0001) == 0x1p-24f && lunet_f16_to_f32(0x8000) == 0.0f && signbit(lunet_f16_to_f32(0x8000)));
  CHECK(isinf(lunet_f16_to_f32(0x7C00)) && isnan(lunet_f16_to_f32(0x7E00)));
  CHECK(lunet_f32_to_bf16(1.0f) == 0x3F80);
  CHECK(lunet_f32_to_bf16(1.0f + 0x1p-8f) == 0x3F80); /* tie: to even */
  CHECK(lunet_f32_to_bf16(1.0f + 0x3p-8f) == 0x3F82);
  CHECK(lunet_f32_to_bf16(NAN) == 0x7FC0 && lunet_f32_to_bf16(INFINITY) == 0x7F80);
  CHECK(lunet_bf16_to_f32(0x3F80) == 1.0f);
  /* every half value converts back to itself */
  int ok = 1;
  for (unsigned h = 0; h < 0x10000; h++) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) continue; /* NaN payloads: numpy's rule, checked in the Lua spec */
    ok &= lunet_f32_to_f16(lunet_f16_to_f32((uint16_t)h)) == h;
  }
  CHECK(ok);
}

/* decode(encode(x + r)) + r' == x + r exactly for one step. */
static void round_trip(int kind, size_t k) {
  static float x[N], r[N], r0[N], d[N], v[N];
  static uint8_t out[16 * N];
  unsigned s = 7;
  for (size_t i = 0; i < N; i++) x[i] = lcg(&s) * 3.0f, r[i] = r0[i] = lcg(&s) * 1e-3f;
  lunet_codec_t *c = lunet_codec_new(kind, N, k);
  CHECK(c != NULL);
  size_t b = lunet_codec_encode(c, out, x, r);
  CHECK(b == lunet_codec_size(c) && b % 4 == 0);
  CHECK(lunet_codec_decode(d, kind, out, b, N) == 0);
  int ok = 1;
  for (size_t i = 0; i < N; i++) {
    v[i] = x[i] + r0[i];
    ok &= d[i] + r[i] == v[i] || fabsf(d[i] + r[i] - v[i]) <= 1e-7f * fabsf(v[i]);
  }
  CHECK(ok);
  if (kind == LUNET_CODEC_Q8) { /* nearest rounding: within half a step of the block's scale */
    ok = 1;
    for (size_t i = 0; i < N; i++) {
      size_t b0 = i / LUNET_CODEC_Q8_BLOCK * LUNET_CODEC_Q8_BLOCK, b1 = b0 + LUNET_CODEC_Q8_BLOCK < N ? b0 + LUNET_CODEC_Q8_BLOCK : N;
      float lo = INFINITY, hi = -INFINITY;
      for (size_t j = b0; j < b1; j++) lo = fminf(lo, v[j]), hi = fmaxf(hi, v[j]);
      ok &= fabsf(d[i] - v[i]) <= 0.5f * (hi - lo) / 255.0f * 1.001f + 1e-6f;
    }
    CHECK(ok);
  }
  if (kind == LUNET_CODEC_TOPK) { /* k nonzero, each at least as large as any left out */
    size_t nz = 0;
    float smallest_sent = INFINITY, largest_kept = 0;
    for (size_t i = 0; i < N; i++) {
      if (d[i] != 0) nz++, smallest_sent = fminf(smallest_sent, fabsf(d[i]));
      else largest_kept = fmaxf(largest_kept, fabsf(r[i]));
    }
    CHECK(nz == k && smallest_sent >= largest_kept);
  }
  lunet_codec_free(c);
}

/* Over many steps: sum of decoded + residual == sum of the inputs. */
static void feedback(int kind, size_t k) {
  static float x[N], r[N], d[N], sent[N], total[N];
  static uint8_t out[16 * N];
  memset(r, 0, sizeof r), memset(sent, 0, sizeof sent), memset(total, 0, sizeof total);
  unsigned s = 11;
  lunet_codec_t *c = lunet_codec_new(kind, N, k);
  for (int step = 0; step < 200; step++) {
    for (size_t i = 0; i < N; i++) x[i] = lcg(&s) * 1e-2f, total[i] += x[i];
    size_t b = lunet_codec_encode(c, out, x, r);
    CHECK(lunet_codec_decode(d, kind, out, b, N) == 0);
    for (size_t i = 0; i < N; i++) sent[i] += d[i];
  }
  double worst = 0;
  for (size_t i = 0; i < N; i++) worst = fmax(worst, fabs((double)sent[i] + r[i] - total[i]));
  CHECK(worst < 1e-5); /* 400 float additions of values below ~0.2: rounding only */
  lunet_codec_free(c);
}

static void refusals(void) {
  static float d[16];
  uint8_t p[64] = {0};
  CHECK(lunet_codec_decode(d, LUNET_CODEC_FP16, p, 4, 3) == -1);  /* 3 halves need 8 bytes */
  CHECK(lunet_codec_decode(d, LUNET_CODEC_FP16, p, 8, 3) == 0);
  CHECK(lunet_codec_decode(d, LUNET_CODEC_Q8, p, 8, 5) == -1);    /* 8 + 8 needed */
  CHECK(lunet_codec_decode(d, LUNET_CODEC_TOPK, p, 12, 5) == -1); /* not 8 per value */
  CHECK(lunet_codec_decode(d, LUNET_CODEC_TOPK, p, 56, 5) == -1); /* 7 values of 5 */
  CHECK(lunet_codec_decode(d, 9, p, 8, 5) == -1);
  uint32_t idx[2] = {3, 3}; /* not ascending */
  memcpy(p, idx, 8);
  CHECK(lunet_codec_decode(d, LUNET_CODEC_TOPK, p, 16, 5) == -1);
  idx[0] = 1, idx[1] = 5; /* out of range */
  memcpy(p, idx, 8);
  CHECK(lunet_codec_decode(d, LUNET_CODEC_TOPK, p, 16, 5) == -1);
  idx[1] = 4;
  memcpy(p, idx, 8);
  float vals[2] = {2.0f, -3.0f};
  memcpy(p + 8, vals, 8);
  CHECK(lunet_codec_decode(d, LUNET_CODEC_TOPK, p, 16, 5) == 0);
  CHECK(d[0] == 0 && d[1] == 2.0f && d[4] == -3.0f);
  CHECK(lunet_codec_new(LUNET_CODEC_TOPK, 5, 0) == NULL && lunet_codec_new(LUNET_CODEC_TOPK, 5, 6) == NULL);
  CHECK(lunet_codec_new(0, 5, 1) == NULL);
}

/* Ties at the threshold: the lower indices are sent. */
static void ties(void) {
  float x[6] = {1, -2, 2, 0.5f, -2, 2}, r[6] = {0}, d[6];
  uint8_t out[64];
  lunet_codec_t *c = lunet_codec_new(LUNET_CODEC_TOPK, 6, 2);
  lunet_codec_encode(c, out, x, r);
  CHECK(lunet_codec_decode(d, LUNET_CODEC_TOPK, out, 16, 6) == 0);
  CHECK(d[1] == -2 && d[2] == 2 && d[4] == 0 && d[5] == 0 && r[4] == -2 && r[5] == 2 && r[1] == 0);
  lunet_codec_free(c);
}

int main(void) {
  conversions();
  int kinds[] = {LUNET_CODEC_FP16, LUNET_CODEC_BF16, LUNET_CODEC_TOPK, LUNET_CODEC_Q8};
  for (int i = 0; i < 4; i++) {
    round_trip(kinds[i], 11);
    feedback(kinds[i], 11);
  }
  round_trip(LUNET_CODEC_TOPK, N);
  refusals();
  ties();
  return failures != 0;
}
