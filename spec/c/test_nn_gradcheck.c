/* Finite-difference gradient checks of every layer and loss of the C runner
 * (parameters and inputs), plus a no-allocation check of the training step.
 * The finite-difference kit and its tolerances are nn_check.h's. */
#include "nn_check.h"

static void onehot(float *y, int b, int n, int sparse) {
  for (int i = 0; i < b; i++) {
    if (sparse) { y[i] = (float)(i % n); continue; }
    for (int j = 0; j < n; j++) y[i * n + j] = j == i % n ? 1.0f : 0.0f;
  }
}

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
