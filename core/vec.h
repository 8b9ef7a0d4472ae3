/* The flat vector kit: the primitives distributed optimizers are written in.
 * Every function works on contiguous float arrays of n elements and never
 * allocates; products go through BLAS. */
#ifndef LUNET_VEC_H
#define LUNET_VEC_H

#include <stddef.h>
#include <stdint.h>

/* y (n) = x (n) */
void lunet_vec_copy(float *y, const float *x, size_t n);
/* y (n) += a * x (n) */
void lunet_vec_axpy(float *y, float a, const float *x, size_t n);
/* y (n) *= a */
void lunet_vec_scale(float *y, float a, size_t n);
/* y (n) = v */
void lunet_vec_fill(float *y, float v, size_t n);
/* x (n) . y (n) */
float lunet_vec_dot(const float *x, const float *y, size_t n);
/* y (n) += t * (x (n) - y): moves y a fraction t of the way towards x */
void lunet_vec_lerp(float *y, const float *x, float t, size_t n);
/* y (n) += x (n) / ((y - stale (n))^2 / gamma + 1), element by element:
 * the per-parameter staleness scaling of ADAG (Hermans 2017): an entry of
 * the center y that moved far from the copy `stale` the committing worker
 * started from takes little of x. Each scale uses y before its own update;
 * gamma > 0. stale may alias y (then plain y += x). */
void lunet_vec_adaptive_axpy(float *y, const float *x, const float *stale, float gamma, size_t n);
/* The staleness-compensating rules (trainers dcasgd.lua, gap_aware.lua), one
 * pass each; the arrays must not overlap. dc_axpy: the delay compensation of
 * DC-ASGD-c (Zheng et al., ICML 2017) on a commit x = -eta g:
 *   y += x - c * x^2 * (y - backup), c = lambda / eta.
 * dc_adaptive_axpy: DC-ASGD-a, ms = m ms + (1 - m) x^2 (the mean square of
 * the commits), then y += x - lambda * x^2 / sqrt(ms) * (y - backup) (0 where
 * ms = 0). gap_axpy: Gap-Aware (Barkai et al., ICLR 2020), v = beta v +
 * (1 - beta) x^2, C = sqrt(v * correction) (correction = 1 / (1 - beta^t)
 * after t commits), y += x / max(1, |y - pulled| / C). Each uses y before
 * its own update. */
void lunet_vec_dc_axpy(float *restrict y, const float *restrict x, const float *restrict backup, float c, size_t n);
void lunet_vec_dc_adaptive_axpy(float *restrict y, const float *restrict x, const float *restrict backup,
                                float *restrict ms, float lambda, float m, size_t n);
void lunet_vec_gap_axpy(float *restrict y, const float *restrict x, const float *restrict pulled,
                        float *restrict v, float beta, float correction, size_t n);
/* Nesterov momentum around an optimizer's step (EAMSGD's worker), in two
 * passes per batch. momentum_ahead: before = x; x += delta u (the
 * look-ahead the step is taken at). momentum_step, after the step moved x
 * from the look-ahead: s = x - before - delta u, u = delta u + eta s,
 * x = before + u. The three arrays must not overlap. */
void lunet_vec_momentum_ahead(float *restrict x, const float *restrict u, float *restrict before, float delta,
                              size_t n);
void lunet_vec_momentum_step(float *restrict x, float *restrict u, const float *restrict before, float delta,
                             float eta, size_t n);
/* The delta exchange's passes (runtime/exchange.lua), one pass each instead
 * of two or three BLAS-1 calls. vec_delta: out = (w - pulled) * scale.
 * vec_fold: w = (w + c) - pulled, then pulled = c (a center folded into
 * weights trained on past the commit). The arrays must not overlap. */
void lunet_vec_delta(float *restrict out, const float *restrict w, const float *restrict pulled, float scale,
                     size_t n);
void lunet_vec_fold(float *restrict w, float *restrict pulled, const float *restrict c, size_t n);
/* y += x and out = y, in one pass (the server's add-delta rule writing the
 * reply a worker reads straight from its shared memory segment); y + x as
 * axpy with a = 1 rounds it. */
void lunet_vec_add_copy(float *restrict y, const float *restrict x, float *restrict out, size_t n);
/* vec_delta and then pulled = w (W_sent), in one pass; returns 1 if every
 * element of out is finite (vec_all_finite of out), else 0. */
int lunet_vec_delta_send(float *restrict out, const float *restrict w, float *restrict pulled, float scale,
                         size_t n);
/* sum of x (n), accumulated in double */
double lunet_vec_sum(const float *x, size_t n);
/* out (rows) = index of the largest element of each row of x (rows, cols),
 * 0-based, first index on ties */
void lunet_vec_argmax_rows(int64_t *out, const float *x, size_t rows, size_t cols);
/* Shuffles the rows of a (rows, a_cols) and b (rows, b_cols) in place with
 * one permutation drawn from rng (Fisher-Yates); tmp holds max(a_cols, b_cols)
 * floats. Either matrix may be NULL. */
struct lunet_rng;
void lunet_vec_shuffle_rows(float *a, size_t a_cols, float *b, size_t b_cols, size_t rows,
                            struct lunet_rng *rng, float *tmp);
/* A 64-bit fingerprint of the bits of x (n), continuing from h (start with
 * 0): equal arrays give equal values; any change, including a reordering,
 * almost surely changes it. Not cryptographic (FNV-1a over 32-bit words). */
uint64_t lunet_vec_hash(uint64_t h, const float *x, size_t n);
/* 1 if every element of x (n) is finite, else 0 */
int lunet_vec_all_finite(const float *x, size_t n);

#endif
