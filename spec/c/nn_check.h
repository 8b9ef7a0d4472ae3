/* The nn C tests' kit (test_nn_layers1d.c, ...): layers built from configs as
 * lunet.nn builds them, and the finite-difference gradient check of
 * test_nn_gradcheck.c (central differences, h = 2e-3, tolerance
 * 2e-3 + 2e-2 |numeric|, up to 60 sampled parameters and inputs). */
#ifndef LUNET_SPEC_NN_CHECK_H
#define LUNET_SPEC_NN_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "net.h"
#include "registry.h"

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
  printf(__VA_ARGS__); printf("\n"); } } while (0)

#define INT(k, x) {.key = k, .v = {.type = LUNET_CFG_NUMBER, .is_int = 1, .i = x}}
#define NUM(k, x) {.key = k, .v = {.type = LUNET_CFG_NUMBER, .d = x}}
#define STR(k, x) {.key = k, .v = {.type = LUNET_CFG_STRING, .s = x}}
#define BOOL(k, x) {.key = k, .v = {.type = LUNET_CFG_BOOLEAN, .b = x}}
#define ITEM(x) {.type = LUNET_CFG_NUMBER, .is_int = 1, .i = x}
#define PAIR(k, a, b) {.key = k, .v = {.type = LUNET_CFG_LIST}, .n = 2, .items = {ITEM(a), ITEM(b)}}
#define QUAD(k, a, b, c, d) {.key = k, .v = {.type = LUNET_CFG_LIST}, .n = 4, .items = {ITEM(a), ITEM(b), ITEM(c), ITEM(d)}}
/* ADD(net, entries...): 0, or -1 with the builder's message in lunet_errmsg() */
#define ADD(net, ...) ({ const lunet_cfg_entry_t e_[] = {__VA_ARGS__}; \
  add(net, e_, (int)(sizeof e_ / sizeof *e_)); })

static int add(lunet_net_t *net, const lunet_cfg_entry_t *entries, int n) {
  int nd;
  int64_t shape[LUNET_LAYER_MAX_DIMS];
  lunet_net_output_shape(net, &nd, shape);
  lunet_layer_config_t cfg = {n, entries};
  lunet_layer_t *l = lunet_layer_from_config(&cfg, nd, shape);
  return l ? lunet_net_add(net, l) : -1;
}

static lunet_net_t *net_of(int ndim, int64_t a, int64_t b, int64_t c) {
  int64_t s[3] = {a, b, c};
  return lunet_net_new(ndim, s);
}

static void fill(float *x, int64_t n, uint64_t seed) {
  lunet_rng_t r;
  lunet_rng_seed(&r, seed);
  lunet_rng_fill_uniform(&r, x, (size_t)n, -1.0f, 1.0f);
}

static double loss_at(lunet_net_t *net, const float *x, const float *y, int b) {
  double l;
  lunet_net_reseed(net, 7);
  if (lunet_net_loss_grad(net, &l, x, y, NULL, b) < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
  return l;
}

static void gradcheck(const char *what, lunet_net_t *net, float *x, const float *y, int b) {
  int64_t np = net->nparams, nx = b * lunet_shape_numel(net->in_ndim, net->in_shape);
  float *g = malloc((size_t)(np + 1) * sizeof *g), *gx = malloc((size_t)nx * sizeof *gx);
  lunet_net_set_need_input_grad(net, 1);
  loss_at(net, x, y, b);
  memcpy(g, lunet_tensor_data(net->grads), (size_t)np * sizeof *g);
  memcpy(gx, lunet_net_input_grad(net), (size_t)nx * sizeof *gx);
  float *p = lunet_tensor_data(net->params);
  const float h = 2e-3f;
  double worst = 0.0;
  int64_t step = np > 60 ? np / 60 : 1;
  for (int64_t i = 0; i < np; i += step) {
    float keep = p[i];
    p[i] = keep + h; double lp = loss_at(net, x, y, b);
    p[i] = keep - h; double lm = loss_at(net, x, y, b);
    p[i] = keep;
    double num = (lp - lm) / (2 * h), err = fabs(num - g[i]) / (2e-3 + 2e-2 * fabs(num));
    if (err > worst) worst = err;
    CHECK(err <= 1.0, "%s: param %lld numeric %.6g analytic %.6g", what, (long long)i, num, g[i]);
  }
  step = nx > 60 ? nx / 60 : 1;
  for (int64_t i = 0; i < nx; i += step) {
    float keep = x[i];
    x[i] = keep + h; double lp = loss_at(net, x, y, b);
    x[i] = keep - h; double lm = loss_at(net, x, y, b);
    x[i] = keep;
    double num = (lp - lm) / (2 * h), err = fabs(num - gx[i]) / (2e-3 + 2e-2 * fabs(num));
    if (err > worst) worst = err;
    CHECK(err <= 1.0, "%s: input %lld numeric %.6g analytic %.6g", what, (long long)i, num, gx[i]);
  }
  printf("ok %-52s worst error/tolerance %.3f\n", what, worst);
  free(g); free(gx);
}

/* Finishes net (seed 1), sets an mse loss against random targets and checks
 * its gradients on a random batch of b. */
static void gradcheck_mse(const char *what, lunet_net_t *net, int b) {
  CHECK(lunet_net_finish(net, 1) == 0, "%s: finish: %s", what, lunet_errmsg());
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  int nd;
  int64_t shape[LUNET_LAYER_MAX_DIMS];
  lunet_net_output_shape(net, &nd, shape);
  int64_t nx = b * lunet_shape_numel(net->in_ndim, net->in_shape), ny = b * lunet_shape_numel(nd, shape);
  float *x = malloc((size_t)nx * sizeof *x), *y = malloc((size_t)ny * sizeof *y);
  fill(x, nx, 2); fill(y, ny, 3);
  gradcheck(what, net, x, y, b);
  free(x); free(y);
}

#endif
