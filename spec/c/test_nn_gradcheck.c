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

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
  printf(__VA_ARGS__); printf("\n"); } } while (0)

static double loss_at(lunet_net_t *net, const float *x, const float *y, int b) {
  double l;
  lunet_net_reseed_dropout(net, 7);
  if (lunet_net_loss_grad(net, &l, x, y, b) < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
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
    lunet_act_t act;
    lunet_act_parse(&act, acts[a], "test");
    int64_t s[1] = {5};
    lunet_net_add(net, lunet_dense_new(1, s, 4, act, 1, LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_RANDOM_NORMAL));
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
    lunet_net_add(net, lunet_activation_new(1, s, act));
    lunet_net_finish(net, 1);
    lunet_net_set_loss(net, LUNET_LOSS_MEAN_ABSOLUTE_ERROR);
    fill(y, 15, 4);
    snprintf(what, sizeof what, "Activation(%s) + mae", acts[a]);
    gradcheck(what, net, x, y, 3);
    lunet_net_free(net);
  }
  struct { lunet_loss_t loss; lunet_act_t act; const char *what; } cases[] = {
      {LUNET_LOSS_CATEGORICAL_CROSSENTROPY, LUNET_ACT_SOFTMAX, "categorical_crossentropy (fused)"},
      {LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, LUNET_ACT_SOFTMAX, "sparse_categorical_ce (fused)"},
      {LUNET_LOSS_CATEGORICAL_CROSSENTROPY, LUNET_ACT_SIGMOID, "categorical_crossentropy (sigmoid)"},
      {LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, LUNET_ACT_SIGMOID, "sparse_categorical_ce (sigmoid)"},
      {LUNET_LOSS_BINARY_CROSSENTROPY, LUNET_ACT_SIGMOID, "binary_crossentropy (fused)"},
      {LUNET_LOSS_BINARY_CROSSENTROPY, LUNET_ACT_SOFTMAX, "binary_crossentropy (softmax)"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    lunet_net_t *net = net1(5);
    int64_t s[1] = {5};
    lunet_net_add(net, lunet_dense_new(1, s, 3, cases[c].act, 1, LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_ZEROS));
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
  int64_t s[1] = {6}, h[1] = {8};
  lunet_net_add(net, lunet_dense_new(1, s, 8, LUNET_ACT_TANH, 1, LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_ZEROS));
  lunet_net_add(net, lunet_batchnorm_new(1, h, 0.99f, 1e-3f, 1, 1));
  lunet_net_add(net, lunet_dropout_new(1, h, 0.25f, 3));
  lunet_net_add(net, lunet_dense_new(1, h, 3, LUNET_ACT_SOFTMAX, 1, LUNET_INIT_HE_NORMAL, LUNET_INIT_ZEROS));
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
  int nd; int64_t sh[3];
  lunet_net_add(net, lunet_conv2d_new(3, in, 3, 3, 2, 1, 1, same, LUNET_ACT_TANH, 1,
                                      LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_RANDOM_NORMAL));
  lunet_net_output_shape(net, &nd, sh);
  lunet_net_add(net, lunet_batchnorm_new(nd, sh, 0.99f, 1e-3f, 1, 1));
  lunet_net_add(net, lunet_pool2d_new(nd, sh, is_max, 2, 2, 2, 2, same));
  lunet_net_output_shape(net, &nd, sh);
  lunet_net_add(net, lunet_conv2d_new(nd, sh, 2, 2, 2, 2, 1, same, LUNET_ACT_LINEAR, 1,
                                      LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_RANDOM_NORMAL));
  lunet_net_output_shape(net, &nd, sh);
  int64_t flat[1] = {-1};
  lunet_net_add(net, lunet_reshape_new(nd, sh, 1, flat, "Flatten"));
  lunet_net_output_shape(net, &nd, sh);
  lunet_net_add(net, lunet_dense_new(nd, sh, 3, LUNET_ACT_SOFTMAX, 1, LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_ZEROS));
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
  int64_t s[1] = {30}, h[1] = {64};
  lunet_net_add(net, lunet_dense_new(1, s, 64, LUNET_ACT_RELU, 1, LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_ZEROS));
  lunet_net_add(net, lunet_dropout_new(1, h, 0.2f, 1));
  lunet_net_add(net, lunet_dense_new(1, h, 2, LUNET_ACT_SOFTMAX, 1, LUNET_INIT_GLOROT_UNIFORM, LUNET_INIT_ZEROS));
  lunet_net_finish(net, 1);
  lunet_net_set_loss(net, LUNET_LOSS_CATEGORICAL_CROSSENTROPY);
  lunet_net_set_optimizer(net, lunet_optimizer_new(LUNET_OPT_ADAGRAD, net->nparams));
  float x[16 * 30], y[16 * 2];
  fill(x, 16 * 30, 1);
  onehot(y, 16, 2, 0);
  double loss, first = 0;
  lunet_net_train_step(net, &loss, x, y, 16);
  uint64_t before = lunet_nn_alloc_count();
  for (int i = 0; i < 50; i++) { lunet_net_train_step(net, &loss, x, y, 16); if (!i) first = loss; }
  CHECK(lunet_nn_alloc_count() == before, "train steps allocated %llu times",
        (unsigned long long)(lunet_nn_alloc_count() - before));
  CHECK(loss < first, "loss did not go down: %g -> %g", first, loss);
  lunet_net_train_step(net, &loss, x, y, 8); /* a smaller batch reuses the buffers */
  CHECK(lunet_nn_alloc_count() == before, "a smaller batch allocated");
  printf("ok no allocation in 50 training steps (loss %.4f -> %.4f)\n", first, loss);
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
  if (failures) { printf("%d failures\n", failures); return 1; }
  printf("all gradient checks passed\n");
  return 0;
}
