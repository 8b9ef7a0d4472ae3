/* xoshiro256** (Blackman & Vigna), seeded through splitmix64 so that nearby
 * seeds give unrelated streams. */
#include "rng.h"

#include <math.h>
#include <string.h>

#include "common.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void lunet_rng_seed(lunet_rng_t *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t lunet_rng_next(lunet_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double lunet_rng_uniform(lunet_rng_t *r) { return (double)(lunet_rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t lunet_rng_below(lunet_rng_t *r, uint64_t n) {
  /* rejection on the top range keeps every value equally likely */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = lunet_rng_next(r); while (x >= limit);
  return x % n;
}

static void normal_pair(lunet_rng_t *r, double *a, double *b) {
  double u1 = lunet_rng_uniform(r), u2 = lunet_rng_uniform(r);
  double rad = sqrt(-2.0 * log(1.0 - u1)); /* 1 - u1 is in (0, 1]: log is finite */
  *a = rad * cos(2.0 * M_PI * u2);
  *b = rad * sin(2.0 * M_PI * u2);
}

double lunet_rng_normal(lunet_rng_t *r) {
  double a, b;
  normal_pair(r, &a, &b);
  return a;
}

void lunet_rng_fill_uniform(lunet_rng_t *r, float *y, size_t n, float lo, float hi) {
  double span = (double)hi - (double)lo;
  for (size_t i = 0; i < n; i++) y[i] = (float)(lo + span * lunet_rng_uniform(r));
}

void lunet_rng_fill_normal(lunet_rng_t *r, float *y, size_t n, float mean, float std) {
  size_t i = 0;
  for (; i + 2 <= n; i += 2) {
    double a, b;
    normal_pair(r, &a, &b);
    y[i] = (float)(mean + std * a);
    y[i + 1] = (float)(mean + std * b);
  }
  if (i < n) y[i] = (float)(mean + std * lunet_rng_normal(r));
}

void lunet_rng_fill_truncated_normal(lunet_rng_t *r, float *y, size_t n, float mean, float std) {
  for (size_t i = 0; i < n; i++) {
    double z;
    do z = lunet_rng_normal(r); while (z < -2.0 || z > 2.0);
    y[i] = (float)(mean + std * z);
  }
}

void lunet_rng_permutation(lunet_rng_t *r, int64_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (int64_t)i;
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)lunet_rng_below(r, i);
    int64_t t = out[i - 1]; out[i - 1] = out[j]; out[j] = t;
  }
}

static lunet_rng_t default_rng;
static int default_seeded;

lunet_rng_t *lunet_rng_default(void) {
  if (!default_seeded) lunet_rng_default_seed(0);
  return &default_rng;
}

void lunet_rng_default_seed(uint64_t seed) {
  lunet_rng_seed(&default_rng, seed);
  default_seeded = 1;
}

void lunet_rng_state_get(const lunet_rng_t *r, uint8_t *out) {
  for (int w = 0; w < 4; w++)
    for (int b = 0; b < 8; b++) out[8 * w + b] = (uint8_t)(r->s[w] >> (56 - 8 * b));
}

int lunet_rng_state_set(lunet_rng_t *r, const uint8_t *in, size_t n) {
  uint64_t s[4] = {0, 0, 0, 0}, any = 0;
  if (n != LUNET_RNG_STATE_BYTES) return lunet_fail("%zu bytes, expected %d", n, LUNET_RNG_STATE_BYTES);
  for (int w = 0; w < 4; w++) {
    for (int b = 0; b < 8; b++) s[w] = s[w] << 8 | in[8 * w + b];
    any |= s[w];
  }
  if (!any) return lunet_fail("all zero, the one state xoshiro256** never leaves");
  memcpy(r->s, s, sizeof s);
  return 0;
}
