/* Finite-difference gradient checks of every layer and loss of the C runner
 * (parameters and inputs), plus a no-allocation check of the training step.
 * Float32 with small sizes: central differences with h = 1e-2 on a loss of
 * order 1 leave ~1e-4 of rounding noise, so tolerances are a few 1e-3. */
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

/* Layers are built as lunet.nn builds them: from a config, through the registry. */
#define INT(k, x) {.key = k, .v = {.type = LUNET_CFG_NUMBER, .is_int = 1, .i = x}}
#define STR(k, x) {.key = k, .v = {.type = LUNET_CFG_STRING, .s = x}}
#define SIZE2(x) {.type = LUNET_CFG_NUMBER, .is_int = 1, .i = x}
#define PAIR(k, a, b) {.key = k, .v = {.type = LUNET_CFG_LIST}, .n = 2, .items = {SIZE2(a), SIZE2(b)}}
#define ADD(net, ...) do { const lunet_cfg_entry_t e_[] = {__VA_ARGS__}; \
  add(net, e_, (int)(sizeof e_ / sizeof *e_)); } while (0)

static void add(lunet_net_t *net, const lunet_cfg_entry_t *entries, int n) {
  int nd;
  int64_t shape[LUNET_LAYER_MAX_DIMS];
  lunet_net_output_shape(net, &nd, shape);
  lunet_layer_config_t cfg = {n, entries};
  lunet_layer_t *l = lunet_layer_from_config(&cfg, nd, shape);
  if (!l || lunet_net_add(net, l) < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
}

static double loss_at(lunet_net_t *net, const float *x, const float *y, int b) {
  double l;
  lunet_net_reseed(net, 7);
  if (lunet_net_loss_grad(net, &l, x, y, NULL, b) < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
  return l;
}

/* compares analytic gradients with central differences on every parameter
 * (up to 60 sampled) and every input element (up to 60 sampled) */
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
  printf("ok %-40s worst error/tolerance %.3f\n", what, worst);
  free(g); free(gx);
}

static void fill(float *x, int64_t n, uint64_t seed) {
  lunet_rng_t r;
  lunet_rng_seed(&r, seed);
  lunet_rng_fill_uniform(&r, x, (size_t)n, -1.0f, 1.0f);
}

static void onehot(float *y, int b, int n, int sparse) {
  for (int i = 0; i < b; i++) {
    if (sparse) { y[i] = (float)(i % n); continue; }
    for (int j = 0; j < n; j++) y[i * n + j] = j == i % n ? 1.0f : 0.0f;
  }
}

static lunet_net_t *net1(int64_t f) { int64_t s[1] = {f}; return lunet_net_new(1, s); }

static void check_dense_acts_losses(void) {
  const char *acts[] = {"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "leaky_relu", "softplus"};
  for (int a = 0; a < 8; a++) {
    lunet_net_t *net = net1(5);
    ADD(net, STR("kind", "Dense"), INT("units", 4), STR("activation", acts[a]),
        STR("bias_initializer", "random_normal"));
    lunet_net_finish(net, 1);
    lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
    float x[3 * 5], y[3 * 5];
    fill(x, 15, 2); fill(y, 12, 3);
    char what[64];
    snprintf(what, sizeof what, "Dense(4, %s) + mse", acts[a]);
    gradcheck(what, net, x, y, 3);
    /* the separate Activation layer too */
    lunet_net_free(net);
    net = net1(5);
    ADD(net, STR("kind", "Activation"), STR("activation", acts[a]));
    lunet_net_finish(net, 1);
    lunet_net_set_loss(net, LUNET_LOSS_MEAN_ABSOLUTE_ERROR);
    fill(y, 15, 4);
    snprintf(what, sizeof what, "Activation(%s) + mae", acts[a]);
    gradcheck(what, net, x, y, 3);
    lunet_net_free(net);
  }
  struct { lunet_loss_t loss; const char *act, *what; } cases[] = {
      {LUNET_LOSS_CATEGORICAL_CROSSENTROPY, "softmax", "categorical_crossentropy (fused)"},
      {LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, "softmax", "sparse_categorical_ce (fused)"},
      {LUNET_LOSS_CATEGORICAL_CROSSENTROPY, "sigmoid", "categorical_crossentropy (sigmoid)"},
      {LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, "sigmoid", "sparse_categorical_ce (sigmoid)"},
      {LUNET_LOSS_BINARY_CROSSENTROPY, "sigmoid", "binary_crossentropy (fused)"},
      {LUNET_LOSS_BINARY_CROSSENTROPY, "softmax", "binary_crossentropy (softmax)"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    lunet_net_t *net = net1(5);
    ADD(net, STR("kind", "Dense"), INT("units", 3), STR("activation", cases[c].act));
    lunet_net_finish(net, 5);
    lunet_net_set_loss(net, cases[c].loss);
    float x[4 * 5], y[4 * 3];
    fill(x, 20, 6);
    onehot(y, 4, 3, cases[c].loss == LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    gradcheck(cases[c].what, net, x, y, 4);
    lunet_net_free(net);
  }
}

static void check_mlp_dropout_bn(void) {
  lunet_net_t *net = net1(6);
  ADD(net, STR("kind", "Dense"), INT("units", 8), STR("activation", "tanh"));
  ADD(net, STR("kind", "BatchNormalization"));
  ADD(net, STR("kind", "Dropout"), {.key = "rate", .v = {.type = LUNET_CFG_NUMBER, .d = 0.25}});
  ADD(net, STR("kind", "Dense"), INT("units", 3), STR("activation", "softmax"), STR("kernel_initializer", "he_normal"));
  lunet_net_finish(net, 9);
  lunet_net_set_loss(net, LUNET_LOSS_CATEGORICAL_CROSSENTROPY);
  float x[5 * 6], y[5 * 3];
  fill(x, 30, 10);
  onehot(y, 5, 3, 0);
  gradcheck("Dense, BatchNormalization, Dropout, Dense", net, x, y, 5);
  lunet_net_free(net);
}

static void check_cnn(int is_max, int same, const char *what) {
  int64_t in[3] = {6, 5, 2};
  lunet_net_t *net = lunet_net_new(3, in);
  const char *padding = same ? "same" : "valid";
  ADD(net, STR("kind", "Conv2D"), INT("filters", 3), PAIR("kernel_size", 3, 2), STR("padding", padding),
      STR("activation", "tanh"), STR("bias_initializer", "random_normal"));
  ADD(net, STR("kind", "BatchNormalization"));
  ADD(net, STR("kind", is_max ? "MaxPooling2D" : "AveragePooling2D"), INT("pool_size", 2), STR("padding", padding));
  ADD(net, STR("kind", "Conv2D"), INT("filters", 2), INT("kernel_size", 2), PAIR("strides", 2, 1),
      STR("padding", padding), STR("bias_initializer", "random_normal"));
  ADD(net, STR("kind", "Flatten"));
  ADD(net, STR("kind", "Dense"), INT("units", 3), STR("activation", "softmax"));
  CHECK(net->nlayers == 6, "%s: built %d layers (%s)", what, net->nlayers, lunet_errmsg());
  lunet_net_finish(net, 11);
  lunet_net_set_loss(net, LUNET_LOSS_CATEGORICAL_CROSSENTROPY);
  float x[3 * 60], y[3 * 3];
  fill(x, 180, 12);
  onehot(y, 3, 3, 0);
  gradcheck(what, net, x, y, 3);
  lunet_net_free(net);
}

static void check_no_alloc(void) {
  lunet_net_t *net = net1(30);
  ADD(net, STR("kind", "Dense"), INT("units", 64), STR("activation", "relu"));
  ADD(net, STR("kind", "Dropout"), {.key = "rate", .v = {.type = LUNET_CFG_NUMBER, .d = 0.2}});
  ADD(net, STR("kind", "Dense"), INT("units", 2), STR("activation", "softmax"));
  lunet_net_finish(net, 1);
  lunet_net_set_loss(net, LUNET_LOSS_CATEGORICAL_CROSSENTROPY);
  lunet_net_set_optimizer(net, lunet_optimizer_new(LUNET_OPT_ADAGRAD, net->nparams));
  float x[16 * 30], y[16 * 2];
  fill(x, 16 * 30, 1);
  onehot(y, 16, 2, 0);
  double loss, first = 0;
  lunet_net_train_step(net, &loss, x, y, NULL, 16);
  uint64_t before = lunet_nn_alloc_count();
  for (int i = 0; i < 50; i++) { lunet_net_train_step(net, &loss, x, y, NULL, 16); if (!i) first = loss; }
  CHECK(lunet_nn_alloc_count() == before, "train steps allocated %llu times",
        (unsigned long long)(lunet_nn_alloc_count() - before));
  CHECK(loss < first, "loss did not go down: %g -> %g", first, loss);
  lunet_net_train_step(net, &loss, x, y, NULL, 8); /* a smaller batch reuses the buffers */
  CHECK(lunet_nn_alloc_count() == before, "a smaller batch allocated");
  float w[16];
  for (int i = 0; i < 16; i++) w[i] = 0.25f * (float)(i % 5);
  for (int i = 0; i < 20; i++) lunet_net_train_step(net, &loss, x, y, w, 16);
  CHECK(lunet_nn_alloc_count() == before, "weighted train steps allocated");
  printf("ok no allocation in 50 training steps (loss %.4f -> %.4f), nor in 20 weighted ones\n", first, loss);
  lunet_net_free(net);
}

/* A sample of weight 0 contributes nothing, not even a NaN target: the loss
 * and gradients equal those of the batch without it. */
static void check_zero_weight(void) {
  lunet_net_t *net = net1(3);
  ADD(net, STR("kind", "Dense"), INT("units", 2), STR("activation", "sigmoid"));
  lunet_net_finish(net, 3);
  lunet_net_set_loss(net, LUNET_LOSS_BINARY_CROSSENTROPY);
  float x[3 * 3], y[3 * 2] = {1, 0, 0, 1, NAN, NAN}, w[3] = {2, 1, 0}, g[8];
  fill(x, 9, 4);
  double l3, l2;
  lunet_net_loss_grad(net, &l3, x, y, w, 3);
  memcpy(g, lunet_tensor_data(net->grads), sizeof g);
  float w2[2] = {2.0f * 2 / 3, 1.0f * 2 / 3}; /* the same sum w_i l_i / 3 over 2 samples */
  lunet_net_loss_grad(net, &l2, x, y, w2, 2);
  CHECK(isfinite(l3) && fabs(l3 - l2) < 1e-6, "zero weight: loss %g, without the sample %g", l3, l2);
  for (int i = 0; i < 8; i++)
    CHECK(fabsf(g[i] - lunet_tensor_data(net->grads)[i]) < 1e-6f, "zero weight: gradient %d is %g, expected %g",
          i, g[i], lunet_tensor_data(net->grads)[i]);
  printf("ok a zero-weight sample (NaN targets) adds no loss and no gradient\n");
  lunet_net_free(net);
}

int main(void) {
  check_dense_acts_losses();
  check_mlp_dropout_bn();
  check_cnn(1, 0, "Conv2D valid, BN, MaxPooling2D, Conv2D, Flatten");
  check_cnn(0, 1, "Conv2D same, BN, AveragePooling2D, Conv2D same");
  check_cnn(0, 0, "Conv2D valid, BN, AveragePooling2D, Conv2D");
  check_cnn(1, 1, "Conv2D same, BN, MaxPooling2D, Conv2D same");
  check_no_alloc();
  check_zero_weight();
  if (failures) { printf("%d failures\n", failures); return 1; }
  printf("all gradient checks passed\n");
  return 0;
}
