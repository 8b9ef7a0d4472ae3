/* The nn C tests' one kit (every spec/c/test_nn_*.c): layers built from
 * configs as lunet.nn builds them, and the finite-difference gradient check
 * (central differences, h = 2e-3, tolerance 2e-3 + 2e-2 |numeric|). Float32
 * with small sizes: on a loss of order 1 that leaves ~1e-4 of rounding noise,
 * so tolerances are a few 1e-3. */
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
#define REC(k) {.key = k, .v = {.type = LUNET_CFG_RECORD}}
#define ITEM(x) {.type = LUNET_CFG_NUMBER, .is_int = 1, .i = x}
#define PAIR(k, a, b) {.key = k, .v = {.type = LUNET_CFG_LIST}, .n = 2, .items = {ITEM(a), ITEM(b)}}
#define QUAD(k, a, b, c, d) {.key = k, .v = {.type = LUNET_CFG_LIST}, .n = 4, .items = {ITEM(a), ITEM(b), ITEM(c), ITEM(d)}}
/* CFG(entries...) -> a lunet_layer_config_t of them */
#define CFG(...) ((lunet_layer_config_t){(int)(sizeof (lunet_cfg_entry_t[]){__VA_ARGS__} / sizeof(lunet_cfg_entry_t)), \
  (lunet_cfg_entry_t[]){__VA_ARGS__}})
/* ADD(net, entries...) appends a layer built from the entries to a
 * sequential net: 0, or the test stops with the builder's message (a case
 * whose net did not build checks nothing). */
#define ADD(net, ...) ({ const lunet_cfg_entry_t e_[] = {__VA_ARGS__}; \
  add(net, e_, (int)(sizeof e_ / sizeof *e_)); })

static inline int add(lunet_net_t *net, const lunet_cfg_entry_t *entries, int n) {
  int nd;
  int64_t shape[LUNET_LAYER_MAX_DIMS];
  lunet_net_output_shape(net, &nd, shape);
  lunet_layer_config_t cfg = {n, entries};
  lunet_layer_t *l = lunet_layer_from_config(&cfg, nd, shape);
  if (!l || lunet_net_add(net, l) < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
  return 0;
}

static inline lunet_net_t *net1(int64_t f) { int64_t s[1] = {f}; return lunet_net_new(1, s); }

static inline lunet_net_t *net_of(int ndim, int64_t a, int64_t b, int64_t c) {
  int64_t s[3] = {a, b, c};
  return lunet_net_new(ndim, s);
}

static inline void fill_range(float *x, int64_t n, uint64_t seed, float lo, float hi) {
  lunet_rng_t r;
  lunet_rng_seed(&r, seed);
  lunet_rng_fill_uniform(&r, x, (size_t)n, lo, hi);
}

static inline void fill(float *x, int64_t n, uint64_t seed) { fill_range(x, n, seed, -1.0f, 1.0f); }

/* Central differences of loss(ctx) on v[i] against the analytic ana[i], on
 * every value, or on every (n / most)-th when there are more than most
 * (most 0: all); "what: <name> i ..." on a miss. Returns the worst
 * error/tolerance, at least worst. */
static inline double fd_compare(const char *what, const char *name, float *v, const float *ana, int64_t n, int64_t most,
                         double (*loss)(void *), void *ctx, double worst) {
  const float h = 2e-3f;
  int64_t step = most > 0 && n > most ? n / most : 1;
  for (int64_t i = 0; i < n; i += step) {
    float keep = v[i];
    v[i] = keep + h; double lp = loss(ctx);
    v[i] = keep - h; double lm = loss(ctx);
    v[i] = keep;
    double num = (lp - lm) / (2 * h), err = fabs(num - ana[i]) / (2e-3 + 2e-2 * fabs(num));
    if (err > worst) worst = err;
    CHECK(err <= 1.0, "%s: %s %lld numeric %.6g analytic %.6g", what, name, (long long)i, num, ana[i]);
  }
  return worst;
}

static inline void fd_report(const char *what, double worst) {
  printf("ok %-58s worst error/tolerance %.3f\n", what, worst);
}

typedef struct { lunet_net_t *net; const float *x, *y; int b; } net_loss_t;

/* the net's loss on the batch, its generators reseeded (the same dropout
 * masks and noise every time) */
static inline double net_loss(void *ctx) {
  net_loss_t *c = ctx;
  double l;
  lunet_net_reseed(c->net, 7);
  if (lunet_net_loss_grad(c->net, &l, c->x, c->y, NULL, c->b) < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
  return l;
}

/* Checks the gradients of net's loss on (x, y), a batch of b, on its
 * parameters and on every value of its (packed) input, up to most sampled
 * of each (0: all). */
static inline void gradcheck_n(const char *what, lunet_net_t *net, float *x, const float *y, int b, int64_t most) {
  int64_t np = net->nparams, nx = b * net->in_total;
  float *g = malloc((size_t)(np + 1) * sizeof *g), *gx = malloc((size_t)nx * sizeof *gx);
  net_loss_t c = {net, x, y, b};
  lunet_net_set_need_input_grad(net, 1);
  net_loss(&c);
  memcpy(g, lunet_tensor_data(net->grads), (size_t)np * sizeof *g);
  for (int k = 0, off = 0; k < net->ninputs; k++) { /* the inputs' gradients, packed like x */
    int64_t m = lunet_shape_numel(net->in_ndims[k], net->in_shapes[k]);
    for (int r = 0; r < b; r++)
      memcpy(gx + r * net->in_total + off, lunet_net_input_grad_k(net, k) + r * m, (size_t)m * sizeof *gx);
    off += (int)m;
  }
  double worst = fd_compare(what, "param", lunet_tensor_data(net->params), g, np, most, net_loss, &c, 0.0);
  fd_report(what, fd_compare(what, "input", x, gx, nx, most, net_loss, &c, worst));
  free(g); free(gx);
}

/* ... on up to 60 sampled parameters and 60 input values */
static inline void gradcheck(const char *what, lunet_net_t *net, float *x, const float *y, int b) {
  gradcheck_n(what, net, x, y, b, 60);
}

/* Finishes net (seed 1), sets an mse loss against random targets and checks
 * its gradients on a random batch of b. */
static inline void gradcheck_mse(const char *what, lunet_net_t *net, int b) {
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
