/* The one door to BLAS: every matrix product and BLAS-1 call of the core goes
 * through here, so blas.c is the only file that includes <cblas.h>. All
 * matrices are row-major. */
#ifndef LUNET_BLAS_H
#define LUNET_BLAS_H

#include <stddef.h>

/* c (m, n) = alpha * op(a) (m, k) * op(b) (k, n) + beta * c.
 * trans_a/trans_b non-zero: a is stored (k, m) / b is stored (n, k).
 * lda/ldb/ldc are row strides in floats. Runs with denormals flushed to zero
 * (see lunet_ftz_enter); the caller's floating-point mode is restored. */
void lunet_blas_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                      const float *a, int lda, const float *b, int ldb, float beta,
                      float *c, int ldc);

/* y (n) += a * x (n) */
void lunet_blas_saxpy(float *y, float a, const float *x, size_t n);
/* y (n) *= a */
void lunet_blas_sscal(float *y, float a, size_t n);
/* x . y, accumulated by BLAS in float */
float lunet_blas_sdot(const float *x, const float *y, size_t n);

void lunet_blas_set_num_threads(int n);
/* Stops OpenBLAS's helper threads now. After a threaded call they spin
 * (sched_yield) for ~0.1 s before they sleep: on a machine whose cores the
 * workers fill, that takes a core from one worker. */
void lunet_blas_quiesce(void);
int lunet_blas_get_num_threads(void);
/* The most threads lunet_blas_set_num_threads honours (OpenBLAS's build
 * limit; the number of processors when the build does not say). */
int lunet_blas_max_threads(void);
/* OpenBLAS build description (corename, threading), for -v and benchmarks. */
const char *lunet_blas_config(void);

#endif
