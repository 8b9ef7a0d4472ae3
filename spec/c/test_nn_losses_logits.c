/* The cross-entropies' from_logits and label_smoothing (Keras' parameters):
 * values and gradients against PyTorch 1.13 (BCEWithLogits, log_softmax,
 * smoothing applied by hand, float64), finite differences on the kernels
 * and through a net (the fused activation + loss path included), logits far
 * beyond exp's range, and the parameters' checks. */
#include "nn_check.h" /* (net.h brings loss.h) */

static lunet_loss_params_t params(int from_logits, float ls) {
  lunet_loss_params_t p = lunet_loss_params_default();
  p.from_logits = from_logits;
  p.label_smoothing = ls;
  return p;
}

/* z (2, 3) against t, sample weights (1, 0.5): the batch the PyTorch numbers
 * below were computed on */
static const float Z[6] = {2.0f, -1.0f, 0.5f, -30.0f, 40.0f, 0.0f}, T[6] = {0, 1, 0, 1, 0, 0},
                   LABELS[2] = {1, 0}, P[6] = {0.2f, 0.7f, 0.1f, 0.6f, 0.3f, 0.1f}, W[2] = {1.0f, 0.5f};

static void against_torch(const char *what, lunet_loss_t kind, lunet_loss_params_t p, const float *y, const float *t,
                          double want, const double *gwant) {
  float g[6];
  double l;
  lunet_loss_batch_t a = {.grad = g, .y = y, .t = t, .w = W, .batch = 2, .per = 1, .k = 3, .params = p};
  CHECK(lunet_loss_eval(kind, &l, &a) == 0, "%s: %s", what, lunet_errmsg());
  CHECK(fabs(l - want) <= 1e-5 * fabs(want), "%s: loss %.10g, PyTorch %.10g", what, l, want);
  for (int i = 0; i < 6; i++)
    CHECK(fabs(g[i] - gwant[i]) <= 1e-6 + 1e-5 * fabs(gwant[i]), "%s: grad %d %.8g, PyTorch %.8g", what, i, g[i], gwant[i]);
  printf("ok %s against PyTorch\n", what);
}

static void values(void) {
  against_torch("categorical from_logits, label_smoothing 0.1", LUNET_LOSS_CATEGORICAL_CROSSENTROPY, params(1, 0.1f),
                Z, T, 18.21232231, (double[]){0.37613185, -0.44711038, 0.070978529, -0.23333333, 0.24166667, -0.0083333333});
  against_torch("categorical from_logits", LUNET_LOSS_CATEGORICAL_CROSSENTROPY, params(1, 0.0f), Z, T, 19.12065565,
                (double[]){0.39279852, -0.48044371, 0.087645196, -0.25, 0.25, 0.0});
  against_torch("binary from_logits, label_smoothing 0.2", LUNET_LOSS_BINARY_CROSSENTROPY, params(1, 0.2f), Z, T,
                5.985140046, (double[]){0.13013285, -0.10517643, 0.087076555, -0.075, 0.075, 0.033333333});
  against_torch("binary from_logits", LUNET_LOSS_BINARY_CROSSENTROPY, params(1, 0.0f), Z, T, 6.626806712,
                (double[]){0.14679951, -0.1218431, 0.10374322, -0.083333333, 0.083333333, 0.041666667});
  against_torch("sparse from_logits", LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, params(1, 0.0f), Z, LABELS,
                19.12065565, (double[]){0.39279852, -0.48044371, 0.087645196, -0.25, 0.25, 0.0});
  against_torch("binary on probabilities, label_smoothing 0.2", LUNET_LOSS_BINARY_CROSSENTROPY, params(0, 0.2f), P, T,
                0.2978651016, (double[]){0.10416667, -0.15873016, 0, -0.10416667, 0.079365079, 0});
  against_torch("categorical on probabilities, label_smoothing 0.1", LUNET_LOSS_CATEGORICAL_CROSSENTROPY,
                params(0, 0.1f), P, T, 0.380062652,
                (double[]){-0.083333333, -0.66666667, -0.16666667, -0.38888889, -0.027777778, -0.083333333});
}

typedef struct { lunet_loss_t kind; lunet_loss_batch_t a; } kernel_t;

static double kernel_loss(void *ctx) {
  kernel_t *c = ctx;
  double l;
  if (lunet_loss_eval(c->kind, &l, &c->a) < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
  return l;
}

/* finite differences of the kernel on y, (4, 5) rows in (lo, hi) */
static void kernel_fd(const char *what, lunet_loss_t kind, lunet_loss_params_t p, float lo, float hi) {
  enum { B = 4, K = 5 };
  float y[B * K], t[B * K], g[B * K], ana[B * K], w[B] = {1.0f, 0.25f, 2.0f, 0.0f};
  fill_range(y, B * K, 11, lo, hi);
  fill_range(t, B * K, 12, 0.0f, 1.0f);
  if (kind == LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY)
    for (int b = 0; b < B; b++) t[b] = (float)((b * 3) % K);
  kernel_t c = {kind, {.grad = g, .y = y, .t = t, .w = w, .batch = B, .per = 1, .k = K, .params = p}};
  kernel_loss(&c);
  memcpy(ana, g, sizeof ana);
  fd_report(what, fd_compare(what, "y", y, ana, B * K, 0, kernel_loss, &c, 0.0));
}

static void kernels(void) {
  kernel_fd("kernel: categorical from_logits", LUNET_LOSS_CATEGORICAL_CROSSENTROPY, params(1, 0.0f), -3.0f, 3.0f);
  kernel_fd("kernel: categorical from_logits, ls 0.1", LUNET_LOSS_CATEGORICAL_CROSSENTROPY, params(1, 0.1f), -3.0f, 3.0f);
  kernel_fd("kernel: categorical, ls 0.3", LUNET_LOSS_CATEGORICAL_CROSSENTROPY, params(0, 0.3f), 0.05f, 0.95f);
  kernel_fd("kernel: sparse categorical from_logits", LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, params(1, 0.0f),
            -3.0f, 3.0f);
  kernel_fd("kernel: binary from_logits", LUNET_LOSS_BINARY_CROSSENTROPY, params(1, 0.0f), -4.0f, 4.0f);
  kernel_fd("kernel: binary from_logits, ls 0.2", LUNET_LOSS_BINARY_CROSSENTROPY, params(1, 0.2f), -4.0f, 4.0f);
  kernel_fd("kernel: binary, ls 0.2", LUNET_LOSS_BINARY_CROSSENTROPY, params(0, 0.2f), 0.05f, 0.95f);
}

/* Dense(5 -> k, act) + the loss through the whole net: parameters and inputs */
static void net_fd(const char *what, const char *act, int k, lunet_loss_t kind, lunet_loss_params_t p) {
  enum { B = 4 };
  lunet_net_t *net = net1(5);
  ADD(net, STR("kind", "Dense"), INT("units", k), STR("activation", act), STR("bias_initializer", "random_normal"));
  CHECK(lunet_net_finish(net, 1) == 0, "%s: finish: %s", what, lunet_errmsg());
  CHECK(lunet_net_set_output_loss(net, 0, kind, p, 1.0f) == 0, "%s: %s", what, lunet_errmsg());
  /* the fused shortcut only where the output is the loss' own activation and the loss takes probabilities */
  int fusable = strcmp(act, "linear") != 0 && !p.from_logits;
  CHECK(net->layers[0]->act_fused_loss == fusable, "%s: act_fused_loss %d", what, net->layers[0]->act_fused_loss);
  float x[B * 5], y[B * 4];
  fill(x, B * 5, 21);
  fill_range(y, B * k, 22, 0.0f, 1.0f);
  if (kind == LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY)
    for (int b = 0; b < B; b++) y[b] = (float)(b % k);
  else if (kind == LUNET_LOSS_CATEGORICAL_CROSSENTROPY) /* rows summing to 1, as the fused gradient assumes */
    for (int b = 0; b < B; b++)
      for (int j = 0; j < k; j++) y[b * k + j] = j == b % k ? 1.0f : 0.0f;
  gradcheck_n(what, net, x, y, B, 0);
  lunet_net_free(net);
}

static void nets(void) {
  net_fd("net: Dense(3) + categorical from_logits, ls 0.1", "linear", 3, LUNET_LOSS_CATEGORICAL_CROSSENTROPY,
         params(1, 0.1f));
  net_fd("net: Dense(3, softmax) + categorical, ls 0.1 (fused)", "softmax", 3, LUNET_LOSS_CATEGORICAL_CROSSENTROPY,
         params(0, 0.1f));
  net_fd("net: Dense(3) + sparse categorical from_logits", "linear", 3, LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
         params(1, 0.0f));
  net_fd("net: Dense(2) + binary from_logits, ls 0.2", "linear", 2, LUNET_LOSS_BINARY_CROSSENTROPY, params(1, 0.2f));
  net_fd("net: Dense(2, sigmoid) + binary, ls 0.2 (fused)", "sigmoid", 2, LUNET_LOSS_BINARY_CROSSENTROPY,
         params(0, 0.2f));
  /* from_logits on a sigmoid output: never fused (the loss sees the sigmoid's values as logits) */
  net_fd("net: Dense(2, sigmoid) + binary from_logits (not fused)", "sigmoid", 2, LUNET_LOSS_BINARY_CROSSENTROPY,
         params(1, 0.0f));
}

/* logits far beyond exp's float range: finite losses, gradients the limits */
static void extremes(void) {
  float z[4] = {1000.0f, -1000.0f, 88.0f, -1000.0f}, t[4] = {0, 1, 1, 0}, g[4];
  double l;
  lunet_loss_batch_t a = {.grad = g, .y = z, .t = t, .batch = 1, .per = 1, .k = 4, .params = params(1, 0.0f)};
  CHECK(lunet_loss_eval(LUNET_LOSS_BINARY_CROSSENTROPY, &l, &a) == 0 && fabs(l - 500.0) < 1e-3,
        "binary from_logits at +-1000: loss %g, expected 500", l);
  CHECK(fabs(g[0] - 0.25f) < 1e-6 && fabs(g[1] + 0.25f) < 1e-6 && fabs(g[2]) < 1e-6 && g[3] == 0.0f,
        "binary from_logits at +-1000: grad %g %g %g %g", g[0], g[1], g[2], g[3]);
  CHECK(lunet_loss_eval(LUNET_LOSS_CATEGORICAL_CROSSENTROPY, &l, &a) == 0 && fabs(l - 2912.0) < 1e-3,
        "categorical from_logits at +-1000: loss %g, expected 2000 + 912", l);
  /* (sum t) softmax - t with softmax = (1, 0, 0, 0) */
  CHECK(g[0] == 2.0f && g[1] == -1.0f && g[2] == -1.0f && g[3] == 0.0f,
        "categorical from_logits at +-1000: grad %g %g %g %g", g[0], g[1], g[2], g[3]);
  printf("ok logits at +-1000 give finite losses and gradients\n");
}

static void param_checks(void) {
  lunet_loss_params_t p = lunet_loss_params_default();
  CHECK(p.from_logits == 0 && p.label_smoothing == 0.0f, "defaults");
  CHECK(lunet_loss_params_set(&p, LUNET_LOSS_BINARY_CROSSENTROPY, "from_logits", 1, "t") == 0 && p.from_logits,
        "from_logits");
  CHECK(lunet_loss_params_set(&p, LUNET_LOSS_CATEGORICAL_CROSSENTROPY, "label_smoothing", 0.25, "t") == 0 &&
        p.label_smoothing == 0.25f, "label_smoothing");
  CHECK(lunet_loss_params_set(&p, LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, "label_smoothing", 0.1, "t") < 0 &&
        strstr(lunet_errmsg(), "'sparse_categorical_crossentropy' has no parameter 'label_smoothing' (expected "
               "from_logits)"), "sparse: %s", lunet_errmsg());
  CHECK(lunet_loss_params_set(&p, LUNET_LOSS_BINARY_CROSSENTROPY, "label_smoothing", 1.5, "t") < 0 &&
        strstr(lunet_errmsg(), "binary_crossentropy: label_smoothing must be a number in [0, 1], got 1.5"),
        "range: %s", lunet_errmsg());
  CHECK(lunet_loss_params_set(&p, LUNET_LOSS_BINARY_CROSSENTROPY, "label_smoothing", NAN, "t") < 0, "nan");
  CHECK(lunet_loss_params_set(&p, LUNET_LOSS_BINARY_CROSSENTROPY, "from_logits", 0.5, "t") < 0 &&
        strstr(lunet_errmsg(), "from_logits must be true or false"), "flag: %s", lunet_errmsg());
  CHECK(lunet_loss_params_set(&p, LUNET_LOSS_MEAN_SQUARED_ERROR, "from_logits", 1, "t") < 0 &&
        strstr(lunet_errmsg(), "(it takes none)"), "mse: %s", lunet_errmsg());
  printf("ok parameter checks\n");
}

int main(void) {
  values();
  kernels();
  nets();
  extremes();
  param_checks();
  if (failures) printf("%d failures\n", failures);
  return failures != 0;
}
