/* C unit tests of core/rng.h: a seed reproduces a stream exactly, different
 * seeds differ, uniform stays in range, normal has the right moments,
 * permutation is a permutation, below() is unbiased enough. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#include "check.h"

#define N 100000

static void moments(const float *y, size_t n, double *mean, double *std) { /* y (n) */
  double s = 0, s2 = 0;
  for (size_t i = 0; i < n; i++) { s += y[i]; s2 += (double)y[i] * y[i]; }
  *mean = s / (double)n;
  *std = sqrt(s2 / (double)n - *mean * *mean);
}

int main(void) {
  static float a[N], b[N]; /* (N) each */
  lunet_rng_t r1, r2;

  /* reproducible by seed, different across seeds (even adjacent ones) */
  lunet_rng_seed(&r1, 42);
  lunet_rng_seed(&r2, 42);
  int same = 1;
  for (int i = 0; i < 1000; i++) same &= lunet_rng_next(&r1) == lunet_rng_next(&r2);
  CHECK(same);
  lunet_rng_seed(&r1, 1);
  lunet_rng_seed(&r2, 2);
  int differ = 0;
  for (int i = 0; i < 100; i++) differ += lunet_rng_next(&r1) != lunet_rng_next(&r2);
  CHECK(differ >= 99);
  lunet_rng_seed(&r1, 0); /* seed 0 must not be the all-zero (stuck) state */
  uint64_t v0 = lunet_rng_next(&r1), v1 = lunet_rng_next(&r1);
  CHECK(v0 != 0 || v1 != 0);
  CHECK(v0 != v1);
  /* reseeding restarts the stream */
  lunet_rng_seed(&r1, 9);
  uint64_t first = lunet_rng_next(&r1);
  lunet_rng_next(&r1);
  lunet_rng_seed(&r1, 9);
  CHECK(lunet_rng_next(&r1) == first);

  /* fills are reproducible too */
  lunet_rng_seed(&r1, 123);
  lunet_rng_seed(&r2, 123);
  lunet_rng_fill_normal(&r1, a, 1001, 0.0f, 1.0f);
  lunet_rng_fill_normal(&r2, b, 1001, 0.0f, 1.0f);
  CHECK(memcmp(a, b, 1001 * sizeof *a) == 0);

  /* uniform doubles in [0, 1), mean 1/2 */
  lunet_rng_seed(&r1, 5);
  double s = 0, lo = 1, hi = 0;
  for (int i = 0; i < N; i++) {
    double u = lunet_rng_uniform(&r1);
    s += u;
    if (u < lo) lo = u;
    if (u > hi) hi = u;
  }
  CHECK(lo >= 0.0 && hi < 1.0);
  CHECK(lo < 0.001 && hi > 0.999);
  CHECK(fabs(s / N - 0.5) < 0.01);

  /* fill_uniform in [lo, hi), mean and std of U(-2, 3) */
  lunet_rng_fill_uniform(&r1, a, N, -2.0f, 3.0f);
  int in_range = 1;
  for (int i = 0; i < N; i++) in_range &= a[i] >= -2.0f && a[i] < 3.0f;
  CHECK(in_range);
  double mean, std;
  moments(a, N, &mean, &std);
  CHECK(fabs(mean - 0.5) < 0.03);
  CHECK(fabs(std - 5.0 / sqrt(12.0)) < 0.03);

  /* normal: N(0, 1) scalar draws and fill_normal(mean 3, std 2), odd n */
  double ns = 0, ns2 = 0;
  for (int i = 0; i < N; i++) {
    double z = lunet_rng_normal(&r1);
    ns += z;
    ns2 += z * z;
  }
  CHECK(fabs(ns / N) < 0.02);
  CHECK(fabs(sqrt(ns2 / N) - 1.0) < 0.02);
  lunet_rng_fill_normal(&r1, a, N - 1, 3.0f, 2.0f);
  moments(a, N - 1, &mean, &std);
  CHECK(fabs(mean - 3.0) < 0.04);
  CHECK(fabs(std - 2.0) < 0.04);
  int within1 = 0;
  for (int i = 0; i < N - 1; i++) within1 += fabsf(a[i] - 3.0f) < 2.0f;
  CHECK(fabs(within1 / (double)(N - 1) - 0.6827) < 0.01); /* the shape, not just the moments */
  int finite = 1;
  for (int i = 0; i < N - 1; i++) finite &= isfinite(a[i]);
  CHECK(finite);

  /* truncated normal: nothing beyond 2 std */
  lunet_rng_fill_truncated_normal(&r1, a, N, 1.0f, 0.5f);
  int inside = 1;
  for (int i = 0; i < N; i++) inside &= a[i] >= 0.0f && a[i] <= 2.0f;
  CHECK(inside);
  moments(a, N, &mean, &std);
  CHECK(fabs(mean - 1.0) < 0.02);
  CHECK(std < 0.5 && std > 0.4); /* truncation at 2 std shrinks std to ~0.88 * 0.5 */

  /* below(n): in range, every value hit, roughly equally */
  int counts[7] = {0};
  int ok = 1;
  for (int i = 0; i < 70000; i++) {
    uint64_t k = lunet_rng_below(&r1, 7);
    ok &= k < 7;
    if (k < 7) counts[k]++;
  }
  CHECK(ok);
  for (int k = 0; k < 7; k++) CHECK(counts[k] > 9500 && counts[k] < 10500);
  CHECK(lunet_rng_below(&r1, 1) == 0);
  uint64_t bigmax = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t k = lunet_rng_below(&r1, UINT64_MAX);
    if (k > bigmax) bigmax = k;
  }
  CHECK(bigmax > UINT64_MAX / 2);

  /* permutation: each of 0..n-1 exactly once, reproducible, not the identity */
  enum { P = 1000 };
  static int64_t p[P], q[P];
  lunet_rng_seed(&r1, 77);
  lunet_rng_permutation(&r1, p, P);
  static int seen[P];
  memset(seen, 0, sizeof seen);
  int perm = 1, fixed = 0;
  for (int i = 0; i < P; i++) {
    if (p[i] < 0 || p[i] >= P || seen[p[i]]) perm = 0;
    else seen[p[i]] = 1;
    fixed += p[i] == i;
  }
  CHECK(perm);
  CHECK(fixed < 10);
  lunet_rng_seed(&r2, 77);
  lunet_rng_permutation(&r2, q, P);
  CHECK(memcmp(p, q, sizeof p) == 0);
  lunet_rng_permutation(&r2, q, P);
  CHECK(memcmp(p, q, sizeof p) != 0);
  lunet_rng_permutation(&r2, q, 0); /* n = 0 and 1 are fine */
  lunet_rng_permutation(&r2, q, 1);
  CHECK(q[0] == 0);
  /* every position is uniform: element 0 lands in each of 4 slots ~1/4 of the time */
  int pos[4] = {0};
  for (int i = 0; i < 8000; i++) {
    int64_t small[4];
    lunet_rng_permutation(&r1, small, 4);
    for (int j = 0; j < 4; j++) if (small[j] == 0) pos[j]++;
  }
  for (int j = 0; j < 4; j++) CHECK(pos[j] > 1800 && pos[j] < 2200);

  /* the default generator: seeded 0 unless told, reseedable */
  lunet_rng_t ref;
  lunet_rng_seed(&ref, 0);
  CHECK(lunet_rng_next(lunet_rng_default()) == lunet_rng_next(&ref));
  lunet_rng_default_seed(31);
  lunet_rng_seed(&ref, 31);
  CHECK(lunet_rng_next(lunet_rng_default()) == lunet_rng_next(&ref));
  CHECK(lunet_rng_default() == lunet_rng_default());

  if (failures) fprintf(stderr, "test_rng: %d check(s) failed\n", failures);
  else printf("test_rng: all checks passed\n");
  return failures != 0;
}
