/* Flat vector primitives (see vec.h). BLAS-1 where BLAS has the operation,
 * plain loops the compiler vectorises for the rest. */
#include "vec.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "blas.h"
#include "rng.h"

void lunet_vec_copy(float *y, const float *x, size_t n) {
  if (y != x && n) memmove(y, x, n * sizeof *y);
}

void lunet_vec_axpy(float *y, float a, const float *x, size_t n) { lunet_blas_saxpy(y, a, x, n); }

void lunet_vec_scale(float *y, float a, size_t n) { lunet_blas_sscal(y, a, n); }

void lunet_vec_fill(float *y, float v, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = v;
}

float lunet_vec_dot(const float *x, const float *y, size_t n) { return lunet_blas_sdot(x, y, n); }

void lunet_vec_lerp(float *y, const float *x, float t, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] += t * (x[i] - y[i]);
}

void lunet_vec_adaptive_axpy(float *y, const float *x, const float *stale, float gamma, size_t n) {
  /* d^2 / gamma rather than d^2 * (1 / gamma): a tiny gamma whose inverse
   * overflows would give inf * 0 = NaN for an entry that did not move; a
   * distance whose square overflows scales its entry to 0, as the formula
   * says in the limit */
  for (size_t i = 0; i < n; i++) {
    float d = y[i] - stale[i];
    y[i] += x[i] / (d * d / gamma + 1.0f);
  }
}

void lunet_vec_delta(float *restrict out, const float *restrict w, const float *restrict pulled, float scale,
                     size_t n) {
  /* (the same roundings as copy, axpy -1 and scale: w - pulled, then one product) */
  if (scale == 1.0f) {
    for (size_t i = 0; i < n; i++) out[i] = w[i] - pulled[i];
  } else {
    for (size_t i = 0; i < n; i++) out[i] = (w[i] - pulled[i]) * scale;
  }
}

int lunet_vec_delta_send(float *restrict out, const float *restrict w, float *restrict pulled, float scale,
                         size_t n) {
  /* vec_delta's roundings, W_sent = w and all_finite's test of out, in one
   * pass: the exchange's commit written straight into the segment's commit
   * area reads w and pulled once. Aligned, with scale 1 (DOWNPOUR's case),
   * out and pulled go with streaming stores: the other process reads out,
   * and pulled is read again only a window later, so neither should push
   * the training's data out of this core's caches. */
  uint32_t bad = 0;
  size_t i = 0;
#if defined(__SSE2__)
  if (scale == 1.0f && ((uintptr_t)out & 15) == 0 && ((uintptr_t)pulled & 15) == 0) {
    __m128i expo = _mm_set1_epi32(0x7f800000), acc = _mm_setzero_si128();
    for (; i + 4 <= n; i += 4) {
      __m128 wv = _mm_loadu_ps(w + i), d = _mm_sub_ps(wv, _mm_loadu_ps(pulled + i));
      acc = _mm_or_si128(acc, _mm_cmpeq_epi32(_mm_and_si128(_mm_castps_si128(d), expo), expo));
      _mm_stream_ps(out + i, d);
      _mm_stream_ps(pulled + i, wv);
    }
    _mm_sfence();
    bad = _mm_movemask_epi8(acc) != 0;
  }
#endif
  /* (the rest, or all: (w - pulled) * 1 is w - pulled exactly) */
  for (; i < n; i++) {
    float d = (w[i] - pulled[i]) * scale;
    uint32_t bits;
    memcpy(&bits, &d, sizeof bits);
    bad |= (bits & 0x7f800000u) == 0x7f800000u;
    out[i] = d;
    pulled[i] = w[i];
  }
  return bad == 0;
}

void lunet_vec_add_copy(float *restrict y, const float *restrict x, float *restrict out, size_t n) {
  /* (y + x rounds as saxpy's y + 1 * x does: the product by 1 is exact) */
  size_t i = 0;
#if defined(__SSE2__)
  if (((uintptr_t)out & 15) == 0) {
    for (; i + 4 <= n; i += 4) {
      __m128 v = _mm_add_ps(_mm_loadu_ps(y + i), _mm_loadu_ps(x + i));
      _mm_storeu_ps(y + i, v);
      _mm_stream_ps(out + i, v);
    }
    _mm_sfence();
  }
#endif
  for (; i < n; i++) {
    float v = y[i] + x[i];
    y[i] = v;
    out[i] = v;
  }
}

void lunet_vec_fold(float *restrict w, float *restrict pulled, const float *restrict c, size_t n) {
  /* (pulled with streaming stores when aligned: read again a window later) */
  size_t i = 0;
#if defined(__SSE2__)
  if (((uintptr_t)pulled & 15) == 0) {
    for (; i + 4 <= n; i += 4) {
      __m128 cv = _mm_loadu_ps(c + i);
      _mm_storeu_ps(w + i, _mm_sub_ps(_mm_add_ps(_mm_loadu_ps(w + i), cv), _mm_loadu_ps(pulled + i)));
      _mm_stream_ps(pulled + i, cv);
    }
    _mm_sfence();
  }
#endif
  for (; i < n; i++) {
    w[i] = (w[i] + c[i]) - pulled[i];
    pulled[i] = c[i];
  }
}

/* (x, u, before: disjoint, the binding checks: restrict lets the loops vectorise plainly) */
void lunet_vec_momentum_ahead(float *restrict x, const float *restrict u, float *restrict before, float delta,
                              size_t n) {
  for (size_t i = 0; i < n; i++) {
    before[i] = x[i];
    x[i] += delta * u[i];
  }
}

void lunet_vec_momentum_step(float *restrict x, float *restrict u, const float *restrict before, float delta,
                             float eta, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float du = delta * u[i];
    float s = x[i] - before[i] - du;
    u[i] = du + eta * s;
    x[i] = before[i] + u[i];
  }
}

double lunet_vec_sum(const float *x, size_t n) {
  /* four partial sums keep the loop vectorisable in double */
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3];
  }
  for (; i < n; i++) s0 += x[i];
  return (s0 + s1) + (s2 + s3);
}

uint64_t lunet_vec_hash(uint64_t h, const float *x, size_t n) {
  if (h == 0) h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    uint32_t w;
    memcpy(&w, x + i, 4);
    h = (h ^ w) * 0x100000001b3ULL;
  }
  return h;
}

void lunet_vec_argmax_rows(int64_t *out, const float *x, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    size_t best = 0;
    for (size_t c = 1; c < cols; c++)
      if (row[c] > row[best]) best = c;
    out[r] = (int64_t)best;
  }
}

int lunet_vec_all_finite(const float *x, size_t n) {
  /* inf and NaN are the floats whose exponent bits are all ones; an integer
   * OR-reduction over that test vectorizes (a float sum would not, without
   * reassociation), so the check costs about one copy of x */
  uint32_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, x + i, sizeof bits);
    bad |= (bits & 0x7f800000u) == 0x7f800000u;
  }
  return bad == 0;
}

static void swap_rows(float *m, size_t cols, size_t i, size_t j, float *tmp) {
  memcpy(tmp, m + i * cols, cols * sizeof *m);
  memcpy(m + i * cols, m + j * cols, cols * sizeof *m);
  memcpy(m + j * cols, tmp, cols * sizeof *m);
}

void lunet_vec_shuffle_rows(float *a, size_t a_cols, float *b, size_t b_cols, size_t rows,
                            struct lunet_rng *rng, float *tmp) {
  for (size_t i = rows; i > 1; i--) {
    size_t j = (size_t)lunet_rng_below(rng, i);
    if (j == i - 1) continue;
    if (a) swap_rows(a, a_cols, i - 1, j, tmp);
    if (b) swap_rows(b, b_cols, i - 1, j, tmp);
  }
}

void lunet_vec_dc_axpy(float *restrict y, const float *restrict x, const float *restrict backup, float c, size_t n) {
  /* an entry the center has not moved on (d = 0) takes x as it is, also
   * when x * x overflows (inf * 0 would be NaN) */
  for (size_t i = 0; i < n; i++) {
    float d = y[i] - backup[i];
    float comp = d != 0.0f ? c * x[i] * x[i] * d : 0.0f;
    y[i] += x[i] - comp;
  }
}

void lunet_vec_dc_adaptive_axpy(float *restrict y, const float *restrict x, const float *restrict backup,
                                float *restrict ms, float lambda, float m, size_t n) {
  /* ms holds the mean square of the commits (the gradient's times eta^2): in
   * lambda * eta * g^2 / sqrt(MeanSquare(g)) the eta's cancel, so the rule
   * needs no learning rate. ms = 0 only where x * x = 0 (the term is 0). */
  for (size_t i = 0; i < n; i++) {
    float x2 = x[i] * x[i];
    float s = m * ms[i] + (1.0f - m) * x2;
    ms[i] = s;
    float d = y[i] - backup[i];
    float comp = (s > 0.0f && d != 0.0f) ? lambda * x2 / sqrtf(s) * d : 0.0f;
    y[i] += x[i] - comp;
  }
}

void lunet_vec_gap_axpy(float *restrict y, const float *restrict x, const float *restrict pulled,
                        float *restrict v, float beta, float correction, size_t n) {
  /* C = the root mean square of the commits (bias-corrected, as Adam's);
   * x / max(1, gap / C) written as x * (C / gap) where gap > C: gap > 0
   * there, and a C of 0 (nothing committed yet to this entry) gives 0 */
  for (size_t i = 0; i < n; i++) {
    float s = beta * v[i] + (1.0f - beta) * x[i] * x[i];
    v[i] = s;
    float c = sqrtf(s * correction);
    float gap = fabsf(y[i] - pulled[i]);
    y[i] += gap > c ? x[i] * (c / gap) : x[i];
  }
}
