/* Seeded pseudo-random generator (xoshiro256**, seeded through splitmix64):
 * every random choice in lunet (initialisers, dropout, shuffles, splits) draws
 * from one of these so that a seed reproduces a run exactly. */
#ifndef LUNET_RNG_H
#define LUNET_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct lunet_rng {
  uint64_t s[4];
} lunet_rng_t;

void lunet_rng_seed(lunet_rng_t *r, uint64_t seed);
uint64_t lunet_rng_next(lunet_rng_t *r);
/* uniform double in [0, 1) with 53 random bits */
double lunet_rng_uniform(lunet_rng_t *r);
/* uniform integer in [0, n), unbiased; n > 0 */
uint64_t lunet_rng_below(lunet_rng_t *r, uint64_t n);
/* standard normal (Box-Muller, both values used in fill_normal) */
double lunet_rng_normal(lunet_rng_t *r);
/* y (n) = uniform in [lo, hi) */
void lunet_rng_fill_uniform(lunet_rng_t *r, float *y, size_t n, float lo, float hi);
/* y (n) = normal(mean, std) */
void lunet_rng_fill_normal(lunet_rng_t *r, float *y, size_t n, float mean, float std);
/* y (n) = normal(mean, std) redrawn beyond 2 std (Keras truncated_normal) */
void lunet_rng_fill_truncated_normal(lunet_rng_t *r, float *y, size_t n, float mean, float std);
/* out (LUNET_RNG_STATE_BYTES) = r's state as four big-endian words (portable:
 * its hex reads as the words printed with %016llx, the model files' form). */
#define LUNET_RNG_STATE_BYTES 32
void lunet_rng_state_get(const lunet_rng_t *r, uint8_t *out);
/* r's state from in (n bytes, as lunet_rng_state_get writes it); -1 with a
 * message, changing nothing, when n is wrong or the state all zero. */
int lunet_rng_state_set(lunet_rng_t *r, const uint8_t *in, size_t n);
/* out (n) = a uniformly random permutation of 0..n-1 (Fisher-Yates) */
void lunet_rng_permutation(lunet_rng_t *r, int64_t *out, size_t n);



/* The process-wide default generator (seed 0 until lunet_rng_default_seed):
 * used when the caller gives no seed. Not thread-safe; the driver and each
 * worker use it from their main thread only. */
lunet_rng_t *lunet_rng_default(void);
void lunet_rng_default_seed(uint64_t seed);
#endif
