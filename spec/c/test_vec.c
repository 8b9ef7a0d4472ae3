/* C unit tests of core/vec.h, the flat vector kit distributed optimizers are
 * written in: each primitive against a plain loop, odd lengths (tails of the
 * vectorised loops) and n = 0. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vec.h"

#include "check.h"

#define N 1003 /* not a multiple of any SIMD width */

static void ramp(float *x, size_t n, float a, float b) { /* x (n) = a * i + b */
  for (size_t i = 0; i < n; i++) x[i] = a * (float)i + b;
}

int main(void) {
  static float x[N], y[N], z[N]; /* (N) each */

  /* copy, including overlapping (memmove) and n = 0 */
  ramp(x, N, 1.0f, 0.0f);
  lunet_vec_copy(y, x, N);
  CHECK(memcmp(x, y, sizeof x) == 0);
  lunet_vec_copy(y + 1, y, 10);
  CHECK(y[1] == 0.0f && y[10] == 9.0f && y[11] == 11.0f);
  y[0] = 42.0f;
  lunet_vec_copy(y, x, 0);
  CHECK(y[0] == 42.0f);

  /* axpy: y += a x */
  ramp(x, N, 1.0f, 0.0f);
  ramp(y, N, 0.0f, 1.0f);
  lunet_vec_axpy(y, 0.5f, x, N);
  int ok = 1;
  for (size_t i = 0; i < N; i++) ok &= y[i] == 1.0f + 0.5f * (float)i;
  CHECK(ok);
  lunet_vec_axpy(y, -1.0f, y, N); /* y - y = 0 */
  ok = 1;
  for (size_t i = 0; i < N; i++) ok &= y[i] == 0.0f;
  CHECK(ok);
  lunet_vec_axpy(y, 3.0f, x, 0); /* n = 0 is a no-op */
  CHECK(y[5] == 0.0f);

  /* scale */
  ramp(y, N, 2.0f, -3.0f);
  lunet_vec_scale(y, -0.25f, N);
  ok = 1;
  for (size_t i = 0; i < N; i++) ok &= y[i] == -0.25f * (2.0f * (float)i - 3.0f);
  CHECK(ok);
  lunet_vec_scale(y, 0.0f, N);
  CHECK(y[N - 1] == 0.0f);

  /* fill */
  lunet_vec_fill(y, 1.5f, N);
  ok = 1;
  for (size_t i = 0; i < N; i++) ok &= y[i] == 1.5f;
  CHECK(ok);
  y[3] = 9.0f;
  lunet_vec_fill(y, 0.0f, 3);
  CHECK(y[2] == 0.0f && y[3] == 9.0f);

  /* dot against a double loop */
  ramp(x, N, 0.001f, -0.5f);
  ramp(y, N, -0.002f, 1.0f);
  double ref = 0;
  for (size_t i = 0; i < N; i++) ref += (double)x[i] * y[i];
  CHECK_NEAR(lunet_vec_dot(x, y, N), ref, 1e-3 * (1 + fabs(ref)));
  CHECK(lunet_vec_dot(x, y, 0) == 0.0f);
  float a3[3] = {1, 2, 3}, b3[3] = {4, -5, 6};
  CHECK(lunet_vec_dot(a3, b3, 3) == 12.0f);

  /* lerp: y += t (x - y); t = 1 lands on x, t = 0 stays */
  ramp(x, N, 1.0f, 0.0f);
  lunet_vec_fill(y, 10.0f, N);
  memcpy(z, y, sizeof y);
  lunet_vec_lerp(y, x, 0.25f, N);
  ok = 1;
  for (size_t i = 0; i < N; i++) ok &= fabsf(y[i] - (10.0f + 0.25f * ((float)i - 10.0f))) <= 1e-3f;
  CHECK(ok);
  lunet_vec_lerp(z, x, 0.0f, N);
  CHECK(z[7] == 10.0f);
  lunet_vec_lerp(z, x, 1.0f, N);
  CHECK(z[7] == 7.0f && z[N - 1] == (float)(N - 1));

  /* adaptive_axpy: y += x / ((y - stale)^2 / gamma + 1), by hand with
   * gamma = 0.01: an entry that did not move takes all of x, one 0.1 away
   * half of it, one 1 away 1/101 of it */
  float ya[4] = {1, 1, 1, 0.5f}, xa[4] = {2, 2, 2, -1}, sa[4] = {1, 0, 0.9f, 0.5f}; /* (4) each */
  lunet_vec_adaptive_axpy(ya, xa, sa, 0.01f, 4);
  CHECK(ya[0] == 3.0f && ya[3] == -0.5f);
  CHECK_NEAR(ya[1], 1.0 + 2.0 / 101.0, 1e-6);
  CHECK_NEAR(ya[2], 2.0, 1e-6);
  /* against a double loop over odd lengths; each scale uses y before its update */
  ramp(y, N, 0.01f, -3.0f);
  ramp(z, N, 0.02f, -3.5f);
  ramp(x, N, -0.003f, 1.0f);
  static float before[N]; /* (N) */
  memcpy(before, y, sizeof y);
  lunet_vec_adaptive_axpy(y, x, z, 1e-2f, N);
  ok = 1;
  for (size_t i = 0; i < N; i++) {
    double d = (double)before[i] - z[i];
    double want = before[i] + x[i] / (d * d / 1e-2 + 1.0);
    ok &= fabs(y[i] - want) <= 1e-5 * (1 + fabs(want));
  }
  CHECK(ok);
  /* stale = y: plain y += x; n = 0 is a no-op */
  memcpy(before, y, sizeof y);
  lunet_vec_adaptive_axpy(y, x, y, 1e-4f, N);
  ok = 1;
  for (size_t i = 0; i < N; i++) ok &= y[i] == before[i] + x[i];
  CHECK(ok);
  lunet_vec_adaptive_axpy(y, x, z, 1e-4f, 0);
  CHECK(y[5] == before[5] + x[5]);
  /* a distance whose square overflows nullifies its entry; a gamma as small
   * as float goes does not turn an unmoved entry into NaN */
  float yb[2] = {1e20f, 1}, xb[2] = {5, 5}, sb[2] = {-1e20f, 1}; /* (2) each */
  lunet_vec_adaptive_axpy(yb, xb, sb, 1e-45f, 2);
  CHECK(yb[0] == 1e20f && yb[1] == 6.0f);

  /* the staleness rules against double loops over odd lengths; each uses y
   * before its own update. dc_axpy: y += x - c x^2 (y - backup) */
  static float w0[N], bak[N], ms[N], msd[N]; /* (N) each */
  ramp(y, N, 0.01f, -3.0f);
  ramp(bak, N, 0.012f, -3.1f);
  ramp(x, N, -0.003f, 1.0f);
  memcpy(w0, y, sizeof y);
  lunet_vec_dc_axpy(y, x, bak, 0.7f, N);
  ok = 1;
  for (size_t i = 0; i < N; i++) {
    double want = (double)w0[i] + x[i] - 0.7 * (double)x[i] * x[i] * ((double)w0[i] - bak[i]);
    ok &= fabs(y[i] - want) <= 1e-5 * (1 + fabs(want));
  }
  CHECK(ok);
  /* dc_adaptive_axpy, twice: ms = m ms + (1 - m) x^2, y += x - lambda x^2 / sqrt(ms) (y - backup) */
  memcpy(y, w0, sizeof y);
  lunet_vec_fill(ms, 0, N);
  for (size_t i = 0; i < N; i++) msd[i] = 0;
  static double wd[N]; /* (N) */
  for (size_t i = 0; i < N; i++) wd[i] = w0[i];
  ok = 1;
  for (int step = 0; step < 2; step++) {
    lunet_vec_dc_adaptive_axpy(y, x, bak, ms, 2.0f, 0.9f, N);
    for (size_t i = 0; i < N; i++) {
      double x2 = (double)x[i] * x[i];
      msd[i] = 0.9f * msd[i] + 0.1 * x2;
      double comp = msd[i] > 0 ? 2.0 * x2 / sqrt(msd[i]) * (wd[i] - bak[i]) : 0.0;
      wd[i] += x[i] - comp;
    }
  }
  for (size_t i = 0; i < N; i++) ok &= fabs(y[i] - wd[i]) <= 1e-5 * (1 + fabs(wd[i])) && fabs(ms[i] - msd[i]) <= 1e-6;
  CHECK(ok);
  /* x = 0 where the mean square is 0: no 0/0 */
  float yc[2] = {1, 2}, xc[2] = {0, 1}, bc[2] = {0, 0}, mc[2] = {0, 0}; /* (2) each */
  lunet_vec_dc_adaptive_axpy(yc, xc, bc, mc, 2.0f, 0.5f, 2);
  CHECK(yc[0] == 1.0f && lunet_vec_all_finite(yc, 2));
  /* gap_axpy: v = beta v + (1 - beta) x^2, C = sqrt(v corr), y += x / max(1, |y - pulled| / C) */
  memcpy(y, w0, sizeof y);
  lunet_vec_fill(ms, 0, N);
  lunet_vec_gap_axpy(y, x, bak, ms, 0.5f, 2.0f, N);
  ok = 1;
  for (size_t i = 0; i < N; i++) {
    double c = fabs((double)x[i]); /* v = x^2 / 2, corrected by 2 */
    double gap = fabs((double)w0[i] - bak[i]);
    double want = w0[i] + x[i] / (gap > c ? gap / c : 1.0);
    ok &= fabs(y[i] - want) <= 1e-5 * (1 + fabs(want));
  }
  CHECK(ok);
  /* n = 0: no-ops */
  memcpy(w0, y, sizeof y);
  lunet_vec_dc_axpy(y, x, bak, 1.0f, 0);
  lunet_vec_dc_adaptive_axpy(y, x, bak, ms, 1.0f, 0.5f, 0);
  lunet_vec_gap_axpy(y, x, bak, ms, 0.5f, 1.0f, 0);
  CHECK(memcmp(w0, y, sizeof y) == 0);

  /* sum in double: large n of a value not exact in float */
  lunet_vec_fill(y, 0.1f, N);
  CHECK_NEAR(lunet_vec_sum(y, N), N * (double)0.1f, 1e-9);
  ramp(x, N, 1.0f, 0.0f);
  CHECK(lunet_vec_sum(x, N) == (double)(N - 1) * N / 2);
  CHECK(lunet_vec_sum(x, 0) == 0.0);
  CHECK(lunet_vec_sum(x + 1, 3) == 6.0);
  /* 1e8 + many 1s: a float accumulator would lose them */
  static float big[4096];
  lunet_vec_fill(big, 1.0f, 4096);
  big[0] = 1e8f;
  CHECK(lunet_vec_sum(big, 4096) == 1e8 + 4095);

  /* argmax per row: first index on ties, negative rows, one column */
  float m[4 * 3] = {1, 3, 2, /**/ -5, -1, -1, /**/ 7, 7, 7, /**/ 0, 0, 9}; /* (4, 3) */
  int64_t idx[4] = {-1, -1, -1, -1};
  lunet_vec_argmax_rows(idx, m, 4, 3);
  CHECK(idx[0] == 1 && idx[1] == 1 && idx[2] == 0 && idx[3] == 2);
  int64_t one[4];
  lunet_vec_argmax_rows(one, m, 4, 1); /* rows of one element: (4, 1) over the first 4 floats */
  CHECK(one[0] == 0 && one[3] == 0);

  /* all_finite */
  ramp(x, N, 1.0f, 0.0f);
  CHECK(lunet_vec_all_finite(x, N) == 1);
  x[N - 1] = INFINITY;
  CHECK(lunet_vec_all_finite(x, N) == 0);
  x[N - 1] = NAN;
  CHECK(lunet_vec_all_finite(x, N) == 0);
  x[N - 1] = -INFINITY;
  CHECK(lunet_vec_all_finite(x, N) == 0);
  CHECK(lunet_vec_all_finite(x, N - 1) == 1);
  CHECK(lunet_vec_all_finite(x, 0) == 1);
  x[0] = 3e38f; /* large but finite; x - x is still 0 */
  CHECK(lunet_vec_all_finite(x, 10) == 1);

  if (failures) fprintf(stderr, "test_vec: %d check(s) failed\n", failures);
  else printf("test_vec: all checks passed\n");
  return failures != 0;
}
