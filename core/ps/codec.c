/* Compressed payloads with error feedback (codec.h). The residual is always
 * computed from the value the decoder will produce (the same expression,
 * fmaf where a product is added, so no contraction differs between the two),
 * which is what makes "sent + residual = sum of the deltas" exact up to the
 * rounding of the additions. */
#include "codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#if defined(__F16C__)
#include <immintrin.h>
#endif

#define F16_MAX 65504.0f
#define BF16_MAX 3.38953139e38f /* 0x7F7F0000: the largest finite bfloat16 */

struct lunet_codec {
  int kind;
  size_t n, k, bytes;
  float *scratch; /* (n) top-k's magnitudes; NULL for the other kinds */
};

static const char *const NAMES[] = {NULL, "fp16", "bf16", "topk", "q8"};

int lunet_codec_kind(const char *name) {
  for (int k = 1; k <= 4; k++)
    if (name && strcmp(name, NAMES[k]) == 0) return k;
  return 0;
}

const char *lunet_codec_name(int kind) { return kind >= 1 && kind <= 4 ? NAMES[kind] : "?"; }

static size_t pad4(size_t b) { return (b + 3) / 4 * 4; }

size_t lunet_codec_bytes(int kind, size_t n, size_t k) {
  switch (kind) {
  case LUNET_CODEC_FP16:
  case LUNET_CODEC_BF16: return pad4(2 * n);
  case LUNET_CODEC_TOPK: return 8 * k;
  case LUNET_CODEC_Q8: return 8 * ((n + LUNET_CODEC_Q8_BLOCK - 1) / LUNET_CODEC_Q8_BLOCK) + pad4(n);
  default: return 0;
  }
}

/* ---------------------------------------------------------------- scalar conversions */

static uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float float_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* F. Giesen's float_to_half_fast3_rtne; NaN as numpy (the top payload bits kept). */
uint16_t lunet_f32_to_f16(float f) {
  uint32_t x = bits_of(f), sign = (x >> 16) & 0x8000, ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u) {
    uint16_t h = (uint16_t)(0x7C00u + ((ax & 0x7FFFFFu) >> 13));
    return (uint16_t)(sign | (h == 0x7C00u ? 0x7C01u : h));
  }
  if (ax >= 0x47800000u) return (uint16_t)(sign | 0x7C00u); /* >= 65536 (and inf) */
  if (ax < 0x38800000u) { /* below 2^-14: a subnormal half; the FPU rounds to even */
    float t = float_of(ax) + 0.5f;
    return (uint16_t)(sign | (bits_of(t) - 0x3F000000u));
  }
  uint32_t odd = (ax >> 13) & 1;
  ax += 0xC8000FFFu + odd; /* rebias the exponent (15 - 127) and round to nearest even */
  return (uint16_t)(sign | (ax >> 13));
}

float lunet_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1F, m = h & 0x3FF;
  if (e == 0x1F) return float_of(sign | 0x7F800000u | (m << 13));
  if (e == 0) return float_of(sign | bits_of((float)m * 0x1p-24f));
  return float_of(sign | ((e + 112) << 23) | (m << 13));
}

uint16_t lunet_f32_to_bf16(float f) {
  uint32_t x = bits_of(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((x >> 16) | 0x40); /* quiet NaN */
  x += 0x7FFFu + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

float lunet_bf16_to_f32(uint16_t h) { return float_of((uint32_t)h << 16); }

/* ---------------------------------------------------------------- encoder */

lunet_codec_t *lunet_codec_new(int kind, size_t n, size_t k) {
  if (kind < 1 || kind > 4) { lunet_fail("codec: unknown kind %d", kind); return NULL; }
  if (kind == LUNET_CODEC_TOPK && (k < 1 || k > n)) {
    lunet_fail("codec: top-k keeps %zu of %zu values (expected 1 to %zu)", k, n, n);
    return NULL;
  }
  lunet_codec_t *c = lunet_calloc(1, sizeof *c);
  if (!c) return NULL;
  c->kind = kind, c->n = n, c->k = kind == LUNET_CODEC_TOPK ? k : 0;
  c->bytes = lunet_codec_bytes(kind, n, c->k);
  if (kind == LUNET_CODEC_TOPK && !(c->scratch = lunet_malloc(n * sizeof(float)))) {
    free(c);
    return NULL;
  }
  return c;
}

void lunet_codec_free(lunet_codec_t *c) {
  if (!c) return;
  free(c->scratch);
  free(c);
}

size_t lunet_codec_count(const lunet_codec_t *c) { return c->n; }
size_t lunet_codec_size(const lunet_codec_t *c) { return c->bytes; }

/* v clamped to [-m, m]; NaN passes (fminf/fmaxf would drop it). */
static float clampf(float v, float m) { return v > m ? m : v < -m ? -m : v; }

/* out (n u16) = half(v), v = src + res; res = v - float(half) */
static void encode_f16(uint8_t *out, const float *src, float *res, size_t n) {
  size_t i = 0;
#if defined(__F16C__)
  const __m256 hi = _mm256_set1_ps(F16_MAX), lo = _mm256_set1_ps(-F16_MAX);
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(src + i);
    if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res + i));
    __m256 c = _mm256_max_ps(lo, _mm256_min_ps(hi, v)); /* NaN in v stays: minps/maxps return the 2nd operand */
    __m128i h = _mm256_cvtps_ph(c, _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128((__m128i *)(out + 2 * i), h);
    if (res) _mm256_storeu_ps(res + i, _mm256_sub_ps(v, _mm256_cvtph_ps(h)));
  }
#endif
  for (; i < n; i++) {
    float v = (res ? src[i] + res[i] : src[i]);
    uint16_t h = lunet_f32_to_f16(clampf(v, F16_MAX));
    memcpy(out + 2 * i, &h, 2);
    if (res) res[i] = v - lunet_f16_to_f32(h);
  }
}

static void encode_bf16(uint8_t *out, const float *src, float *res, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float v = (res ? src[i] + res[i] : src[i]);
    uint16_t h = lunet_f32_to_bf16(clampf(v, BF16_MAX));
    memcpy(out + 2 * i, &h, 2);
    if (res) res[i] = v - lunet_bf16_to_f32(h);
  }
}

/* The k-th largest of a (n, reordered), 1 <= k <= n: Wirth's selection, O(n)
 * on average. a holds no NaN (the caller maps it to inf). */
static float kth_largest(float *a, size_t n, size_t k) {
  ptrdiff_t l = 0, r = (ptrdiff_t)n - 1, t = (ptrdiff_t)k - 1;
  while (l < r) {
    float x = a[t];
    ptrdiff_t i = l, j = r;
    do {
      while (a[i] > x) i++;
      while (x > a[j]) j--;
      if (i <= j) {
        float s = a[i]; a[i] = a[j]; a[j] = s;
        i++, j--;
      }
    } while (i <= j);
    if (j < t) l = i;
    if (t < i) r = j;
  }
  return a[t];
}

static float magnitude(float v) { return isnan(v) ? INFINITY : fabsf(v); }

/* out = k u32 indices then k f32 values: the k largest |v| (ties at the
 * threshold: lower indices first); the residual keeps everything else. */
static void encode_topk(lunet_codec_t *c, uint8_t *out, const float *src, float *res) {
  size_t n = c->n, k = c->k;
  for (size_t i = 0; i < n; i++) c->scratch[i] = magnitude((res ? src[i] + res[i] : src[i]));
  float t = kth_largest(c->scratch, n, k);
  size_t above = 0;
  for (size_t i = 0; i < n; i++) above += magnitude((res ? src[i] + res[i] : src[i])) > t;
  size_t ties = k - above, j = 0;
  uint8_t *vals = out + 4 * k;
  for (size_t i = 0; i < n; i++) {
    float v = (res ? src[i] + res[i] : src[i]), m = magnitude(v);
    int take = m > t || (m == t && ties > 0);
    if (take && m == t && !(m > t)) ties--;
    if (take && j < k) {
      uint32_t idx = (uint32_t)i;
      memcpy(out + 4 * j, &idx, 4);
      memcpy(vals + 4 * j, &v, 4);
      j++;
      if (res) res[i] = 0.0f; /* v - v */
    } else if (res) {
      res[i] = v;
    }
  }
  LUNET_ASSERT(j == k);
}

static float q8_value(float min, float scale, uint8_t code) { return fmaf((float)code, scale, min); }

/* Per block: min, scale = (max - min) / 255, codes round((v - min) / scale). */
static void encode_q8(uint8_t *out, const float *src, float *res, size_t n) {
  size_t nb = (n + LUNET_CODEC_Q8_BLOCK - 1) / LUNET_CODEC_Q8_BLOCK;
  uint8_t *codes = out + 8 * nb;
  for (size_t b = 0; b < nb; b++) {
    size_t i0 = b * LUNET_CODEC_Q8_BLOCK, i1 = i0 + LUNET_CODEC_Q8_BLOCK < n ? i0 + LUNET_CODEC_Q8_BLOCK : n;
    float v[LUNET_CODEC_Q8_BLOCK], lo = INFINITY, hi = -INFINITY;
    for (size_t i = i0; i < i1; i++) {
      float x = v[i - i0] = (res ? src[i] + res[i] : src[i]);
      lo = x < lo ? x : lo;
      hi = x > hi ? x : hi;
    }
    float scale = (hi - lo) / 255.0f, inv = scale > 0 && isfinite(scale) ? 1.0f / scale : 0.0f;
    memcpy(out + 8 * b, &lo, 4);
    memcpy(out + 8 * b + 4, &scale, 4);
    for (size_t i = i0; i < i1; i++) {
      float q = (v[i - i0] - lo) * inv + 0.5f;
      uint8_t code = q >= 255.0f ? 255 : q >= 0.0f ? (uint8_t)q : 0; /* NaN -> 0: never a UB cast */
      codes[i] = code;
      if (res) res[i] = v[i - i0] - q8_value(lo, scale, code);
    }
  }
  for (size_t i = n; i < pad4(n); i++) codes[i] = 0;
}

size_t lunet_codec_encode(lunet_codec_t *c, uint8_t *out, const float *src, float *residual) {
  switch (c->kind) {
  case LUNET_CODEC_FP16: encode_f16(out, src, residual, c->n); break;
  case LUNET_CODEC_BF16: encode_bf16(out, src, residual, c->n); break;
  case LUNET_CODEC_TOPK: encode_topk(c, out, src, residual); break;
  case LUNET_CODEC_Q8: encode_q8(out, src, residual, c->n); break;
  default: LUNET_ASSERT(0);
  }
  if ((c->kind == LUNET_CODEC_FP16 || c->kind == LUNET_CODEC_BF16) && c->n % 2) memset(out + 2 * c->n, 0, 2);
  return c->bytes;
}

/* ---------------------------------------------------------------- decoders */

static void decode_f16(float *out, const uint8_t *p, size_t n) {
  size_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i))));
#endif
  for (; i < n; i++) {
    uint16_t h;
    memcpy(&h, p + 2 * i, 2);
    out[i] = lunet_f16_to_f32(h);
  }
}

int lunet_codec_decode(float *out, int kind, const uint8_t *p, size_t bytes, size_t n) {
  if (kind < 1 || kind > 4) return lunet_fail("codec: unknown encoding %d", kind);
  size_t k = 0;
  if (kind == LUNET_CODEC_TOPK) {
    if (bytes % 8 || bytes / 8 > n || (n > 0 && bytes == 0))
      return lunet_fail("codec: a topk payload of %zu bytes for %zu values (expected 8 bytes per kept value, "
                        "1 to %zu of them)", bytes, n, n);
    k = bytes / 8;
  } else if (bytes != lunet_codec_bytes(kind, n, 0)) {
    return lunet_fail("codec: a %s payload of %zu bytes for %zu values (expected %zu)", NAMES[kind], bytes, n,
                      lunet_codec_bytes(kind, n, 0));
  }
  switch (kind) {
  case LUNET_CODEC_FP16: decode_f16(out, p, n); break;
  case LUNET_CODEC_BF16:
    for (size_t i = 0; i < n; i++) {
      uint16_t h;
      memcpy(&h, p + 2 * i, 2);
      out[i] = lunet_bf16_to_f32(h);
    }
    break;
  case LUNET_CODEC_TOPK: {
    memset(out, 0, n * sizeof(float));
    for (size_t j = 0; j < k; j++) {
      uint32_t idx, prev = 0;
      memcpy(&idx, p + 4 * j, 4);
      if (j) memcpy(&prev, p + 4 * (j - 1), 4);
      if (idx >= n || (j && idx <= prev))
        return lunet_fail("codec: topk index %zu is %u (expected above %u and below %zu)", j + 1, idx,
                          j ? prev : 0, n);
      memcpy(out + idx, p + 4 * k + 4 * j, 4);
    }
    break;
  }
  case LUNET_CODEC_Q8: {
    size_t nb = (n + LUNET_CODEC_Q8_BLOCK - 1) / LUNET_CODEC_Q8_BLOCK;
    const uint8_t *codes = p + 8 * nb;
    for (size_t b = 0; b < nb; b++) {
      float lo, scale;
      memcpy(&lo, p + 8 * b, 4);
      memcpy(&scale, p + 8 * b + 4, 4);
      size_t i1 = (b + 1) * LUNET_CODEC_Q8_BLOCK < n ? (b + 1) * LUNET_CODEC_Q8_BLOCK : n;
      for (size_t i = b * LUNET_CODEC_Q8_BLOCK; i < i1; i++) out[i] = q8_value(lo, scale, codes[i]);
    }
    break;
  }
  }
  return 0;
}
