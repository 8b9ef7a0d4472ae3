/* OpenBLAS behind a narrow interface (see blas.h). Sizes beyond INT_MAX are
 * split into chunks because CBLAS takes int lengths. Matrix products run
 * with denormals flushed (lunet_ftz_enter, the caller's mode restored after):
 * that is where they cost; the BLAS-1 calls stay exact. */
#include "blas.h"

#include <cblas.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void lunet_blas_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                      const float *a, int lda, const float *b, int ldb, float beta,
                      float *c, int ldc) {
  if (m == 0 || n == 0) return;
  lunet_fpmode_t mode = lunet_ftz_enter();
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta,
              c, ldc);
  lunet_ftz_leave(mode);
}

#define CHUNK ((size_t)1 << 30)

void lunet_blas_saxpy(float *y, float a, const float *x, size_t n) {
  for (size_t i = 0; i < n; i += CHUNK) {
    size_t len = n - i < CHUNK ? n - i : CHUNK;
    cblas_saxpy((int)len, a, x + i, 1, y + i, 1);
  }
}

void lunet_blas_sscal(float *y, float a, size_t n) {
  for (size_t i = 0; i < n; i += CHUNK) {
    size_t len = n - i < CHUNK ? n - i : CHUNK;
    cblas_sscal((int)len, a, y + i, 1);
  }
}

float lunet_blas_sdot(const float *x, const float *y, size_t n) {
  float s = 0.0f;
  for (size_t i = 0; i < n; i += CHUNK) {
    size_t len = n - i < CHUNK ? n - i : CHUNK;
    s += cblas_sdot((int)len, x + i, 1, y + i, 1);
  }
  return s;
}

void lunet_blas_set_num_threads(int n) { openblas_set_num_threads(n); }

/* OpenBLAS's own (not in cblas.h; weak: another BLAS simply lacks it). It joins
 * the helper threads, which OpenBLAS starts again at its next threaded call. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

void lunet_blas_quiesce(void) {
  if (blas_thread_shutdown_) blas_thread_shutdown_();
}

int lunet_blas_max_threads(void) {
  /* OpenBLAS clamps to the MAX_THREADS it was built with, and says it only
   * in its configuration string ("... MAX_THREADS=64") */
  const char *cfg = openblas_get_config(), *at = cfg ? strstr(cfg, "MAX_THREADS=") : NULL;
  long max = at ? strtol(at + 12, NULL, 10) : 0;
  return max >= 1 && max <= INT_MAX ? (int)max : openblas_get_num_procs();
}
int lunet_blas_get_num_threads(void) { return openblas_get_num_threads(); }
const char *lunet_blas_config(void) { return openblas_get_config(); }
