/* C unit tests of core/tensor.h, continued: broadcasting arithmetic, matmul
 * against a naive triple loop, reductions. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "rng.h"
#include "tensor.h"

#include "tensor_check.h"

static void test_binops(void) {
  lunet_tensor_t *a = arange2(2, 3);
  int64_t s3[1] = {3}, s21[2] = {2, 1};
  lunet_tensor_t *row = lunet_tensor_new(1, s3);
  lunet_tensor_t *col = lunet_tensor_new(2, s21);
  for (int i = 0; i < 3; i++) lunet_tensor_data(row)[i] = (float)(10 * (i + 1));
  lunet_tensor_data(col)[0] = 100.0f;
  lunet_tensor_data(col)[1] = 200.0f;

  int nd;
  int64_t bs[LUNET_MAX_DIMS];
  CHECK(lunet_tensor_broadcast_shape(a, row, &nd, bs) == 0 && nd == 2 && bs[0] == 2 && bs[1] == 3);
  CHECK(lunet_tensor_broadcast_shape(col, row, &nd, bs) == 0 && nd == 2 && bs[0] == 2 && bs[1] == 3);

  lunet_tensor_t *out = new2(2, 3);
  CHECK(lunet_tensor_binop(out, a, LUNET_OP_ADD, row) == 0);
  CHECK(at2(out, 0, 0) == 10.0f && at2(out, 1, 2) == 35.0f);
  CHECK(lunet_tensor_binop(out, a, LUNET_OP_SUB, col) == 0);
  CHECK(at2(out, 0, 2) == -98.0f && at2(out, 1, 0) == -197.0f);
  CHECK(lunet_tensor_binop(out, col, LUNET_OP_MUL, row) == 0); /* (2,1) x (3) -> (2,3) outer */
  CHECK(at2(out, 1, 2) == 6000.0f && at2(out, 0, 1) == 2000.0f);
  CHECK(lunet_tensor_binop(out, a, LUNET_OP_DIV, row) == 0);
  CHECK_NEAR(at2(out, 1, 1), 4.0 / 20.0, 1e-7);
  /* same shape, contiguous fast path, out aliasing a */
  CHECK(lunet_tensor_binop(a, a, LUNET_OP_ADD, a) == 0);
  CHECK(at2(a, 1, 2) == 10.0f);
  /* strided operands */
  lunet_tensor_t *x = arange2(3, 2);
  lunet_tensor_t *xt = lunet_tensor_transpose(x, 0, 1); /* (2, 3) */
  CHECK(lunet_tensor_binop(out, a, LUNET_OP_SUB, xt) == 0);
  CHECK(at2(out, 0, 1) == 2.0f - 2.0f && at2(out, 1, 2) == 10.0f - 5.0f);

  /* mismatch names both shapes */
  lunet_tensor_t *b45 = new2(4, 5);
  CHECK(lunet_tensor_broadcast_shape(a, b45, &nd, bs) == -1);
  CHECK_MSG("(2, 3)");
  CHECK_MSG("(4, 5)");
  CHECK(lunet_tensor_binop(out, a, LUNET_OP_ADD, b45) == -1);
  CHECK_MSG("(4, 5)");
  /* output of the wrong shape */
  lunet_tensor_t *o1 = lunet_tensor_new(1, s3);
  CHECK(lunet_tensor_binop(o1, a, LUNET_OP_ADD, row) == -1);
  CHECK_MSG("(2, 3)");

  /* scalars and maps */
  CHECK(lunet_tensor_binop_scalar(out, xt, LUNET_OP_MUL, 2.0f) == 0);
  CHECK(at2(out, 1, 0) == 2.0f && at2(out, 0, 2) == 8.0f);
  CHECK(lunet_tensor_binop_scalar(out, out, LUNET_OP_SUB, 1.0f) == 0);
  CHECK(at2(out, 0, 2) == 7.0f);
  float vals[6] = {-2.0f, -0.5f, 0.0f, 0.5f, 1.0f, 4.0f};
  memcpy(lunet_tensor_data(a), vals, sizeof vals);
  struct { lunet_map_t f; double (*ref)(double); } maps[] = {
      {LUNET_MAP_EXP, exp}, {LUNET_MAP_TANH, tanh}, {LUNET_MAP_ABS, fabs}};
  for (size_t m = 0; m < sizeof maps / sizeof *maps; m++) {
    CHECK(lunet_tensor_map(out, a, maps[m].f) == 0);
    for (int i = 0; i < 6; i++) CHECK_NEAR(lunet_tensor_data(out)[i], maps[m].ref(vals[i]), 1e-5);
  }
  CHECK(lunet_tensor_map(out, a, LUNET_MAP_RELU) == 0);
  CHECK(lunet_tensor_data(out)[0] == 0.0f && lunet_tensor_data(out)[5] == 4.0f);
  CHECK(lunet_tensor_map(out, a, LUNET_MAP_SIGMOID) == 0);
  CHECK_NEAR(lunet_tensor_data(out)[2], 0.5, 1e-7);
  CHECK_NEAR(lunet_tensor_data(out)[0], 1.0 / (1.0 + exp(2.0)), 1e-6);
  CHECK(lunet_tensor_map(out, a, LUNET_MAP_SQUARE) == 0);
  CHECK(lunet_tensor_data(out)[0] == 4.0f);
  CHECK(lunet_tensor_map(out, a, LUNET_MAP_NEG) == 0);
  CHECK(lunet_tensor_data(out)[5] == -4.0f);
  CHECK(lunet_tensor_map(out, a, LUNET_MAP_SQRT) == 0);
  CHECK(lunet_tensor_data(out)[5] == 2.0f && isnan(lunet_tensor_data(out)[0]));
  CHECK(lunet_tensor_map(out, a, LUNET_MAP_LOG) == 0);
  CHECK(isinf(lunet_tensor_data(out)[2]) && lunet_tensor_data(out)[4] == 0.0f);

  lunet_tensor_t *all[] = {a, row, col, out, x, xt, b45, o1};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) lunet_tensor_free(all[i]);
}

/* c (m, n) = a (m, k) b (k, n), naive, in double, through lunet_tensor_at */
static void naive_matmul(double *c, const lunet_tensor_t *a, const lunet_tensor_t *b) {
  int64_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = 0;
      for (int64_t p = 0; p < k; p++) s += (double)at2(a, i, p) * at2(b, p, j);
      c[i * n + j] = s;
    }
}

static int matmul_matches(const lunet_tensor_t *a, const lunet_tensor_t *b) {
  int64_t m = a->shape[0], n = b->shape[1];
  lunet_tensor_t *out = new2(m, n);
  double ref[64 * 64];
  if (lunet_tensor_matmul(out, a, b) != 0) { lunet_tensor_free(out); return 0; }
  naive_matmul(ref, a, b);
  int ok = 1;
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++)
      if (fabs(at2(out, i, j) - ref[i * n + j]) > 1e-4 * (1 + fabs(ref[i * n + j]))) ok = 0;
  lunet_tensor_free(out);
  return ok;
}

static lunet_tensor_t *random2(lunet_rng_t *r, int64_t rows, int64_t cols) {
  lunet_tensor_t *t = new2(rows, cols);
  lunet_rng_fill_uniform(r, lunet_tensor_data(t), (size_t)(rows * cols), -1.0f, 1.0f);
  return t;
}

static void test_matmul(void) {
  lunet_rng_t r;
  lunet_rng_seed(&r, 7);
  lunet_tensor_t *a = random2(&r, 5, 7), *b = random2(&r, 7, 3);
  CHECK(matmul_matches(a, b));

  /* transposed views on either side (sgemm trans flags) */
  lunet_tensor_t *a_store = random2(&r, 7, 5), *b_store = random2(&r, 3, 7);
  lunet_tensor_t *at = lunet_tensor_transpose(a_store, 0, 1); /* (5, 7) */
  lunet_tensor_t *bt = lunet_tensor_transpose(b_store, 0, 1); /* (7, 3) */
  CHECK(matmul_matches(at, b));
  CHECK(matmul_matches(a, bt));
  CHECK(matmul_matches(at, bt));

  /* narrowed views with a row stride > columns, and a non-BLAS-able stride */
  lunet_tensor_t *wide = random2(&r, 9, 12);
  lunet_tensor_t *wa = lunet_tensor_narrow(wide, 1, 3, 7);  /* (9, 7), ld 12 */
  lunet_tensor_t *wa2 = lunet_tensor_narrow(wa, 0, 2, 5);   /* (5, 7) */
  CHECK(matmul_matches(wa2, b));
  lunet_tensor_t *wat = lunet_tensor_transpose(wa, 0, 1);   /* (7, 9) transposed, ld 12 */
  lunet_tensor_t *sq = random2(&r, 9, 4);
  CHECK(matmul_matches(wat, sq));
  int64_t s4[4] = {2, 3, 4, 5};
  lunet_tensor_t *t4 = lunet_tensor_new(4, s4);
  lunet_rng_fill_uniform(&r, lunet_tensor_data(t4), 120, -1.0f, 1.0f);
  lunet_tensor_t *t4t = lunet_tensor_transpose(t4, 0, 3); /* (5, 3, 4, 2) */
  /* a 4-D strided copy visits every element */
  lunet_tensor_t *t4c = lunet_tensor_clone(t4t);
  int ok4 = t4c != NULL;
  for (int64_t i = 0; ok4 && i < 5; i++)
    for (int64_t j = 0; j < 3; j++)
      for (int64_t k = 0; k < 4; k++)
        for (int64_t l = 0; l < 2; l++) {
          int64_t src[4] = {l, j, k, i}, dst[4] = {i, j, k, l};
          ok4 &= *lunet_tensor_at(t4, src) == *lunet_tensor_at(t4c, dst);
        }
  CHECK(ok4);
  lunet_tensor_free(t4c);
  /* a 2-D view whose both strides are > 1: a column block of a transposed tensor */
  lunet_tensor_t *m2 = random2(&r, 6, 10);
  lunet_tensor_t *m2t = lunet_tensor_transpose(m2, 0, 1);      /* (10, 6) stride (1, 10) */
  lunet_tensor_t *odd = lunet_tensor_narrow(m2t, 0, 1, 7);      /* (7, 6) */
  lunet_tensor_t *b76 = random2(&r, 6, 5);
  CHECK(matmul_matches(odd, b76));

  /* 1x1, vector-like and k = 0 */
  lunet_tensor_t *r1 = random2(&r, 1, 7), *c1 = random2(&r, 7, 1);
  CHECK(matmul_matches(r1, c1));
  CHECK(matmul_matches(c1, r1));
  lunet_tensor_t *e0 = new2(3, 0), *e1 = new2(0, 4), *o34 = new2(3, 4);
  lunet_tensor_fill(o34, 9.0f);
  CHECK(lunet_tensor_matmul(o34, e0, e1) == 0);
  CHECK(at2(o34, 2, 3) == 0.0f);

  /* errors name both shapes */
  lunet_tensor_t *o = new2(5, 3);
  CHECK(lunet_tensor_matmul(o, a, a) == -1);
  CHECK_MSG("(5, 7)");
  CHECK_MSG("matmul");
  CHECK(lunet_tensor_matmul(o, a, t4) == -1);
  CHECK_MSG("(2, 3, 4, 5)");
  CHECK(lunet_tensor_matmul(o, t4t, b) == -1);
  CHECK_MSG("(5, 3, 4, 2)");
  lunet_tensor_t *o_bad = new2(3, 5);
  CHECK(lunet_tensor_matmul(o_bad, a, b) == -1);
  CHECK_MSG("(3, 5)");

  lunet_tensor_t *all[] = {a, b, a_store, b_store, at, bt, wide, wa, wa2, wat, sq, t4, t4t,
                           m2, m2t, odd, b76, r1, c1, e0, e1, o34, o, o_bad};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) lunet_tensor_free(all[i]);
}

static void test_reductions(void) {
  float vals[6] = {3, -1, 4, 1, 5, -9}; /* (2, 3) */
  lunet_tensor_t *t = new2(2, 3);
  memcpy(lunet_tensor_data(t), vals, sizeof vals);
  double v;
  CHECK(lunet_tensor_reduce_all(t, LUNET_RED_SUM, &v) == 0 && v == 3.0);
  CHECK(lunet_tensor_reduce_all(t, LUNET_RED_MEAN, &v) == 0 && v == 0.5);
  CHECK(lunet_tensor_reduce_all(t, LUNET_RED_MAX, &v) == 0 && v == 5.0);
  CHECK(lunet_tensor_reduce_all(t, LUNET_RED_MIN, &v) == 0 && v == -9.0);
  CHECK(lunet_tensor_reduce_all(t, LUNET_RED_ARGMAX, &v) == 0 && v == 4.0);
  CHECK(lunet_tensor_reduce_all(t, LUNET_RED_ARGMIN, &v) == 0 && v == 5.0);

  lunet_tensor_t *s0 = lunet_tensor_reduce_dim(t, LUNET_RED_SUM, 0);
  CHECK(s0 && s0->ndim == 1 && s0->shape[0] == 3);
  CHECK(lunet_tensor_data(s0)[0] == 4.0f && lunet_tensor_data(s0)[2] == -5.0f);
  lunet_tensor_t *m1 = lunet_tensor_reduce_dim(t, LUNET_RED_MEAN, 1);
  CHECK(m1 && m1->ndim == 1 && m1->shape[0] == 2);
  CHECK(lunet_tensor_data(m1)[0] == 2.0f && lunet_tensor_data(m1)[1] == -1.0f);
  lunet_tensor_t *mx = lunet_tensor_reduce_dim(t, LUNET_RED_MAX, 0);
  CHECK(lunet_tensor_data(mx)[0] == 3.0f && lunet_tensor_data(mx)[1] == 5.0f && lunet_tensor_data(mx)[2] == 4.0f);
  lunet_tensor_t *mn = lunet_tensor_reduce_dim(t, LUNET_RED_MIN, 1);
  CHECK(lunet_tensor_data(mn)[0] == -1.0f && lunet_tensor_data(mn)[1] == -9.0f);
  lunet_tensor_t *am = lunet_tensor_reduce_dim(t, LUNET_RED_ARGMAX, 1);
  CHECK(lunet_tensor_data(am)[0] == 2.0f && lunet_tensor_data(am)[1] == 1.0f);
  lunet_tensor_t *an = lunet_tensor_reduce_dim(t, LUNET_RED_ARGMIN, 0);
  CHECK(lunet_tensor_data(an)[0] == 1.0f && lunet_tensor_data(an)[1] == 0.0f && lunet_tensor_data(an)[2] == 1.0f);

  /* strided input (transpose) and a 3-D middle dimension */
  lunet_tensor_t *tt = lunet_tensor_transpose(t, 0, 1); /* (3, 2) */
  lunet_tensor_t *tts = lunet_tensor_reduce_dim(tt, LUNET_RED_SUM, 1);
  CHECK(tts && tts->shape[0] == 3 && lunet_tensor_data(tts)[1] == 4.0f);
  CHECK(lunet_tensor_reduce_all(tt, LUNET_RED_ARGMAX, &v) == 0 && v == 3.0); /* flat index in (3, 2) */
  int64_t s3[3] = {2, 3, 4};
  lunet_tensor_t *c = lunet_tensor_new(3, s3);
  for (int i = 0; i < 24; i++) lunet_tensor_data(c)[i] = (float)i;
  lunet_tensor_t *c1 = lunet_tensor_reduce_dim(c, LUNET_RED_SUM, 1); /* (2, 4) */
  CHECK(c1 && c1->ndim == 2 && c1->shape[0] == 2 && c1->shape[1] == 4);
  CHECK(at2(c1, 0, 0) == 0 + 4 + 8 && at2(c1, 1, 3) == 15 + 19 + 23);
  lunet_tensor_t *ca = lunet_tensor_reduce_dim(c, LUNET_RED_ARGMAX, 2); /* (2, 3) all 3 */
  CHECK(ca && at2(ca, 1, 2) == 3.0f);

  /* 1-D reduces to a 0-d tensor */
  int64_t s5[1] = {5};
  lunet_tensor_t *one = lunet_tensor_new(1, s5);
  lunet_tensor_t *r0 = lunet_tensor_reduce_dim(one, LUNET_RED_SUM, 0);
  CHECK(r0 && r0->ndim == 0 && lunet_tensor_numel(r0) == 1);

  /* NaN is never hidden; ties give the first index */
  float tie[3] = {2, 7, 7};
  memcpy(lunet_tensor_data(one), tie, sizeof tie);
  lunet_tensor_data(one)[3] = 0; lunet_tensor_data(one)[4] = 0;
  CHECK(lunet_tensor_reduce_all(one, LUNET_RED_ARGMAX, &v) == 0 && v == 1.0);
  lunet_tensor_data(one)[3] = NAN;
  CHECK(lunet_tensor_reduce_all(one, LUNET_RED_MAX, &v) == 0 && isnan(v));

  /* errors */
  CHECK(lunet_tensor_reduce_dim(t, LUNET_RED_SUM, 2) == NULL);
  CHECK_MSG("sum");
  CHECK_MSG("(2, 3)");
  CHECK(lunet_tensor_reduce_dim(t, LUNET_RED_MAX, -1) == NULL);
  int64_t s0e[1] = {0};
  lunet_tensor_t *e = lunet_tensor_new(1, s0e);
  CHECK(lunet_tensor_reduce_all(e, LUNET_RED_SUM, &v) == 0 && v == 0.0);
  CHECK(lunet_tensor_reduce_all(e, LUNET_RED_MAX, &v) == -1);
  CHECK_MSG("empty");

  lunet_tensor_t *all[] = {t, s0, m1, mx, mn, am, an, tt, tts, c, c1, ca, one, r0, e};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) lunet_tensor_free(all[i]);
}


int main(void) {
  test_binops();
  test_matmul();
  test_reductions();
  if (failures) fprintf(stderr, "test_tensor_math: %d check(s) failed\n", failures);
  else printf("test_tensor_math: all checks passed\n");
  return failures != 0;
}
