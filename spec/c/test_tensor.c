/* C unit tests of core/tensor.h: life cycle and refcounts, wrapped storage,
 * shape strings, views, strided copies and fills (arithmetic, matmul and
 * reductions: test_tensor_math.c). Each CHECK prints file:line on failure;
 * main returns non-zero if any failed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "rng.h"
#include "tensor.h"

#include "tensor_check.h"

static void test_life_cycle(void) {
  int64_t s[3] = {2, 3, 4};
  lunet_tensor_t *t = lunet_tensor_new(3, s);
  CHECK(t != NULL);
  CHECK(t->ndim == 3);
  CHECK(lunet_tensor_numel(t) == 24);
  CHECK(lunet_tensor_is_contiguous(t));
  CHECK(t->stride[0] == 12 && t->stride[1] == 4 && t->stride[2] == 1);
  float *d = lunet_tensor_data(t); /* (2, 3, 4) */
  int zero = 1;
  for (int i = 0; i < 24; i++) zero &= d[i] == 0.0f;
  CHECK(zero);
  CHECK(((uintptr_t)d & 63) == 0); /* 64-byte aligned */

  /* retain / free */
  CHECK(lunet_tensor_retain(t) == t);
  CHECK(atomic_load(&t->refs) == 2);
  lunet_tensor_free(t);
  CHECK(atomic_load(&t->refs) == 1);

  /* a view keeps the storage alive after the base is freed */
  lunet_tensor_t *v = lunet_tensor_narrow(t, 1, 1, 2);
  CHECK(v != NULL);
  CHECK(atomic_load(&t->storage->refs) == 2);
  d[1 * 4] = 7.0f; /* t[0][1][0] */
  lunet_tensor_free(t);
  CHECK(atomic_load(&v->storage->refs) == 1);
  int64_t i0[3] = {0, 0, 0};
  CHECK(*lunet_tensor_at(v, i0) == 7.0f); /* ASan flags a use after free here */
  lunet_tensor_free(v);
  lunet_tensor_free(NULL); /* no-op */

  /* 0-d scalar and empty tensors */
  lunet_tensor_t *sc = lunet_tensor_new(0, NULL);
  CHECK(sc && sc->ndim == 0 && lunet_tensor_numel(sc) == 1);
  lunet_tensor_free(sc);
  int64_t e[2] = {0, 5};
  lunet_tensor_t *em = lunet_tensor_new(2, e);
  CHECK(em && lunet_tensor_numel(em) == 0);
  CHECK(lunet_tensor_is_contiguous(em)); /* fresh empty tensors are contiguous */
  int64_t e2[2] = {5, 0};
  lunet_tensor_t *em2 = lunet_tensor_new(2, e2);
  CHECK(em2 && lunet_tensor_is_contiguous(em2));
  lunet_tensor_free(em2);
  lunet_tensor_free(em);

  /* bad shapes */
  int64_t neg[2] = {2, -1};
  CHECK(lunet_tensor_new(2, neg) == NULL);
  CHECK_MSG("negative");
  int64_t five[5] = {1, 1, 1, 1, 1};
  CHECK(lunet_tensor_new(5, five) == NULL);
  CHECK_MSG("at most 4");
  int64_t huge[2] = {INT64_C(1) << 40, INT64_C(1) << 40};
  CHECK(lunet_tensor_new(2, huge) == NULL);
  CHECK_MSG("too large");

  /* uninit has the same shape */
  lunet_tensor_t *u = lunet_tensor_new_uninit(3, s);
  CHECK(u && lunet_tensor_numel(u) == 24 && lunet_tensor_is_contiguous(u));
  lunet_tensor_free(u);
}

static int released;
static void count_release(void *data, void *hint) {
  (void)data;
  released += *(int *)hint;
}

static void test_wrap(void) {
  float buf[6] = {1, 2, 3, 4, 5, 6}; /* (2, 3) */
  int inc = 1;
  int64_t s[2] = {2, 3};
  released = 0;
  lunet_tensor_t *t = lunet_tensor_wrap(buf, 2, s, count_release, &inc);
  CHECK(t && lunet_tensor_data(t) == buf);
  CHECK(at2(t, 1, 2) == 6.0f);
  lunet_tensor_t *v = lunet_tensor_transpose(t, 0, 1);
  lunet_tensor_free(t);
  CHECK(released == 0); /* the view still holds the storage */
  CHECK(at2(v, 2, 1) == 6.0f);
  lunet_tensor_free(v);
  CHECK(released == 1);
  /* release NULL: memory that outlives the tensor is never freed */
  lunet_tensor_t *w = lunet_tensor_wrap(buf, 2, s, NULL, NULL);
  CHECK(w != NULL);
  lunet_tensor_free(w);
  CHECK(buf[0] == 1.0f);
}

static void test_shape_str(void) {
  char b[LUNET_SHAPE_STR_MAX];
  int64_t s[4] = {2, 3, 40, 5};
  CHECK(strcmp(lunet_shape_str(b, sizeof b, 2, s), "(2, 3)") == 0);
  CHECK(strcmp(lunet_shape_str(b, sizeof b, 4, s), "(2, 3, 40, 5)") == 0);
  CHECK(strcmp(lunet_shape_str(b, sizeof b, 0, s), "()") == 0);
  char small[5];
  lunet_shape_str(small, sizeof small, 4, s);
  CHECK(strlen(small) == 4); /* truncated but terminated */
}

static void test_views(void) {
  lunet_tensor_t *t = arange2(4, 6);

  /* view with an inferred size */
  int64_t vs[3] = {2, -1, 3};
  lunet_tensor_t *v = lunet_tensor_view(t, 3, vs);
  CHECK(v && v->shape[0] == 2 && v->shape[1] == 4 && v->shape[2] == 3);
  CHECK(lunet_tensor_data(v) == lunet_tensor_data(t));
  int64_t idx[3] = {1, 3, 2};
  CHECK(*lunet_tensor_at(v, idx) == 23.0f);
  lunet_tensor_free(v);

  int64_t bad[2] = {5, 5};
  CHECK(lunet_tensor_view(t, 2, bad) == NULL);
  CHECK_MSG("(5, 5)");
  CHECK_MSG("(4, 6)");
  int64_t bad_infer[2] = {-1, 5};
  CHECK(lunet_tensor_view(t, 2, bad_infer) == NULL);
  CHECK_MSG("-1");
  int64_t two_infer[2] = {-1, -1};
  CHECK(lunet_tensor_view(t, 2, two_infer) == NULL);
  CHECK_MSG("only one");
  int64_t negv[2] = {-2, -12};
  CHECK(lunet_tensor_view(t, 2, negv) == NULL);
  CHECK_MSG("negative");

  /* narrow: rows 1..2, then columns 2..4 */
  lunet_tensor_t *n = lunet_tensor_narrow(t, 0, 1, 2);
  CHECK(n && n->shape[0] == 2 && n->shape[1] == 6);
  CHECK(lunet_tensor_is_contiguous(n));
  CHECK(at2(n, 0, 0) == 6.0f);
  lunet_tensor_t *nc = lunet_tensor_narrow(n, 1, 2, 3);
  CHECK(nc && !lunet_tensor_is_contiguous(nc));
  CHECK(at2(nc, 0, 0) == 8.0f && at2(nc, 1, 2) == 16.0f);
  /* a view of a non-contiguous tensor is refused */
  int64_t flat[1] = {6};
  CHECK(lunet_tensor_view(nc, 1, flat) == NULL);
  CHECK_MSG("contiguous");
  /* writes through a view land in the base */
  int64_t w[2] = {1, 1};
  *lunet_tensor_at(nc, w) = -1.0f;
  CHECK(at2(t, 2, 3) == -1.0f);
  *lunet_tensor_at(nc, w) = 15.0f;

  CHECK(lunet_tensor_narrow(t, 2, 0, 1) == NULL);
  CHECK_MSG("dimension 3");
  CHECK(lunet_tensor_narrow(t, 0, 3, 2) == NULL);
  CHECK_MSG("out of range");
  CHECK(lunet_tensor_narrow(t, 0, -1, 1) == NULL);
  CHECK(lunet_tensor_narrow(t, 0, 0, -1) == NULL);
  lunet_tensor_t *empty = lunet_tensor_narrow(t, 0, 4, 0);
  CHECK(empty && lunet_tensor_numel(empty) == 0);
  lunet_tensor_free(empty);

  /* transpose and contiguous */
  lunet_tensor_t *tt = lunet_tensor_transpose(t, 0, 1);
  CHECK(tt && tt->shape[0] == 6 && tt->shape[1] == 4);
  CHECK(!lunet_tensor_is_contiguous(tt));
  CHECK(at2(tt, 5, 3) == 23.0f && at2(tt, 1, 2) == 13.0f);
  lunet_tensor_t *c = lunet_tensor_contiguous(tt);
  CHECK(c && c != tt && lunet_tensor_is_contiguous(c));
  CHECK(lunet_tensor_data(c)[1] == 6.0f); /* c[0][1] = t[1][0] */
  CHECK(lunet_tensor_data(c)[4 * 5 + 3] == 23.0f);
  lunet_tensor_t *same = lunet_tensor_contiguous(t);
  CHECK(same == t);
  lunet_tensor_free(same);
  CHECK(lunet_tensor_transpose(t, 0, 2) == NULL);
  CHECK_MSG("out of range");

  lunet_tensor_free(c);
  lunet_tensor_free(tt);
  lunet_tensor_free(nc);
  lunet_tensor_free(n);
  lunet_tensor_free(t);
}

static void test_copy_fill(void) {
  lunet_tensor_t *a = arange2(3, 4);
  lunet_tensor_t *at = lunet_tensor_transpose(a, 0, 1); /* (4, 3) strided */
  lunet_tensor_t *b = new2(4, 3);
  CHECK(lunet_tensor_copy(b, at) == 0);
  int ok = 1;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++) ok &= at2(b, i, j) == at2(a, j, i);
  CHECK(ok);

  /* strided destination: copy into a column block of a wider tensor */
  lunet_tensor_t *big = new2(3, 8);
  lunet_tensor_t *block = lunet_tensor_narrow(big, 1, 2, 4);
  CHECK(lunet_tensor_copy(block, a) == 0);
  CHECK(at2(big, 0, 1) == 0.0f && at2(big, 0, 2) == 0.0f && at2(big, 0, 5) == 3.0f);
  CHECK(at2(big, 2, 5) == 11.0f && at2(big, 2, 6) == 0.0f);

  /* strided to strided (transposed source into a block) */
  lunet_tensor_t *bt = lunet_tensor_transpose(b, 0, 1); /* (3, 4) = a */
  lunet_tensor_fill(block, 0.0f);
  CHECK(at2(big, 1, 3) == 0.0f);
  CHECK(lunet_tensor_copy(block, bt) == 0);
  ok = 1;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++) ok &= at2(block, i, j) == at2(a, i, j);
  CHECK(ok);

  /* contiguous tensors of equal numel and different shape copy flat */
  int64_t s12[1] = {12};
  lunet_tensor_t *f = lunet_tensor_new(1, s12);
  CHECK(lunet_tensor_copy(f, a) == 0);
  CHECK(lunet_tensor_data(f)[11] == 11.0f);
  /* numel mismatch names both shapes */
  lunet_tensor_t *small = new2(2, 2);
  CHECK(lunet_tensor_copy(small, a) == -1);
  CHECK_MSG("(3, 4)");
  CHECK_MSG("(2, 2)");
  /* different shapes, one strided: refused */
  lunet_tensor_t *c62 = new2(6, 2);
  CHECK(lunet_tensor_copy(c62, at) == -1);
  CHECK_MSG("(4, 3)");

  /* clone is deep */
  lunet_tensor_t *cl = lunet_tensor_clone(at);
  CHECK(cl && lunet_tensor_is_contiguous(cl) && lunet_tensor_same_shape(cl, at));
  lunet_tensor_data(a)[0] = 100.0f;
  CHECK(at2(cl, 0, 0) == 0.0f);

  /* fill a strided view leaves the rest alone */
  lunet_tensor_fill(block, 2.5f);
  CHECK(at2(big, 1, 2) == 2.5f && at2(big, 1, 1) == 0.0f && at2(big, 1, 6) == 0.0f);

  lunet_tensor_t *all[] = {a, at, b, big, block, bt, f, small, c62, cl};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) lunet_tensor_free(all[i]);
}


int main(void) {
  test_life_cycle();
  test_wrap();
  test_shape_str();
  test_views();
  test_copy_fill();
  if (failures) fprintf(stderr, "test_tensor: %d check(s) failed\n", failures);
  else printf("test_tensor: all checks passed\n");
  return failures != 0;
}
