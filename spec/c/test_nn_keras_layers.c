/* The Keras layers of issue 21 (Permute, RepeatVector, ReLU, LeakyReLU,
 * PReLU, ELU, Softmax, ThresholdedReLU, Masking, Minimum, GaussianDropout,
 * AlphaDropout, ActivityRegularization): values against hand-computed
 * numbers, finite-difference gradient checks on parameters and inputs,
 * refusals, and a training step that allocates nothing. */
#include "nn_check.h"

static void expect(const char *what, const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++)
    CHECK(fabsf(got[i] - want[i]) <= 1e-5f * (1 + fabsf(want[i])), "%s: value %d is %g, expected %g", what, i, got[i],
          want[i]);
  printf("ok %s\n", what);
}

/* the layer of entries on samples of shape (ndim, shape), forward on x (batch b) in inference mode */
static lunet_layer_t *one(const lunet_cfg_entry_t *e, int n, int ndim, const int64_t *shape) {
  lunet_layer_config_t cfg = {n, e};
  lunet_layer_t *l = lunet_layer_from_config(&cfg, ndim, shape);
  if (!l) { printf("error: %s\n", lunet_errmsg()); exit(1); }
  l->need_input_grad = 1;
  if (l->ops->plan && l->ops->plan(l, 4) < 0) exit(1);
  return l;
}
#define ONE(ndim, shape, ...) ({ const lunet_cfg_entry_t e_[] = {__VA_ARGS__}; one(e_, (int)(sizeof e_ / sizeof *e_), ndim, shape); })

static void check_values(void) {
  int64_t s6[1] = {6};
  float x[6] = {-2, -0.5f, 0, 0.3f, 1, 7}, y[6];
  struct { lunet_layer_t *l; float want[6]; const char *what; } cases[] = {
      {ONE(1, s6, STR("kind", "ReLU")), {0, 0, 0, 0.3f, 1, 7}, "ReLU()"},
      {ONE(1, s6, STR("kind", "ReLU"), NUM("max_value", 6)), {0, 0, 0, 0.3f, 1, 6}, "ReLU(max_value 6)"},
      /* x <= t: s (x - t); t < x < max: x; x >= max: max */
      {ONE(1, s6, STR("kind", "ReLU"), NUM("max_value", 5), NUM("negative_slope", 0.1), NUM("threshold", 0.5)),
       {-0.25f, -0.1f, -0.05f, -0.02f, 1, 5}, "ReLU(5, slope 0.1, threshold 0.5)"},
      {ONE(1, s6, STR("kind", "LeakyReLU")), {-0.6f, -0.15f, 0, 0.3f, 1, 7}, "LeakyReLU() (alpha 0.3)"},
      {ONE(1, s6, STR("kind", "LeakyReLU"), NUM("alpha", 0.01)), {-0.02f, -0.005f, 0, 0.3f, 1, 7}, "LeakyReLU(0.01)"},
      {ONE(1, s6, STR("kind", "ELU"), NUM("alpha", 2)),
       {2 * (expf(-2) - 1), 2 * (expf(-0.5f) - 1), 0, 0.3f, 1, 7}, "ELU(2)"},
      {ONE(1, s6, STR("kind", "ThresholdedReLU")), {0, 0, 0, 0, 0, 7}, "ThresholdedReLU() (theta 1: 1 gives 0)"},
      {ONE(1, s6, STR("kind", "ThresholdedReLU"), NUM("theta", 0.2)), {0, 0, 0, 0.3f, 1, 7}, "ThresholdedReLU(0.2)"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    cases[c].l->ops->forward(cases[c].l, y, x, 1, 0);
    expect(cases[c].what, y, cases[c].want, 6);
    lunet_layer_free(cases[c].l);
  }
  /* Softmax over axis 1 of (2, 3) samples: along the columns */
  int64_t s23[2] = {2, 3};
  lunet_layer_t *l = ONE(2, s23, STR("kind", "Softmax"), INT("axis", 1));
  float v[6] = {0, 1, 2, 0, 3, 2}, w[6];
  l->ops->forward(l, w, v, 1, 0);
  float e1 = 1 / (1 + expf(-2)), e2 = 1 / (1 + expf(2));
  float want_sm[6] = {0.5f, e2, 0.5f, 0.5f, e1, 0.5f}; /* columns (0,0), (1,3), (2,2) */
  expect("Softmax(axis 1) of (2, 3) samples", w, want_sm, 6);
  lunet_layer_free(l);
  /* PReLU with shared_axes 1 on (2, 3): alpha (1, 3) */
  l = ONE(2, s23, STR("kind", "PReLU"), INT("shared_axes", 1));
  CHECK(l->nparams == 3 && l->kernel.ndim == 2 && l->kernel.shape[0] == 1 && l->kernel.shape[1] == 3,
        "PReLU alpha shape (1, 3), %lld params", (long long)l->nparams);
  float alpha[3] = {0.1f, 0.2f, 0.3f}, g[3];
  l->params = alpha; l->grads = g;
  float px[6] = {-1, -1, 2, 3, -2, -4}, py[6], want_p[6] = {-0.1f, -0.2f, 2, 3, -0.4f, -1.2f};
  l->ops->forward(l, py, px, 1, 0);
  expect("PReLU(shared_axes 1) values", py, want_p, 6);
  float dy[6] = {1, 1, 1, 1, 1, 1}, dx[6], want_g[3] = {-1, -3, -4}, want_dx[6] = {0.1f, 0.2f, 1, 1, 0.2f, 0.3f};
  l->ops->backward(l, dx, dy, px, py, 1);
  expect("PReLU alpha gradient (summed along the shared axis)", g, want_g, 3);
  expect("PReLU input gradient", dx, want_dx, 6);
  lunet_layer_free(l);
  /* Permute (2, 1) and (3, 1, 2), RepeatVector 3 */
  l = ONE(2, s23, STR("kind", "Permute"), PAIR("dims", 2, 1));
  float t[6], want_t[6] = {0, 0, 1, 3, 2, 2};
  l->ops->forward(l, t, v, 1, 0);
  CHECK(l->out_shape[0] == 3 && l->out_shape[1] == 2, "Permute(2, 1) shape");
  expect("Permute(2, 1) transposes", t, want_t, 6);
  lunet_layer_free(l);
  int64_t s234[3] = {2, 3, 4};
  const lunet_cfg_entry_t pe[] = {STR("kind", "Permute"), {.key = "dims", .v = {.type = LUNET_CFG_LIST}, .n = 3,
                                  .items = {ITEM(3), ITEM(1), ITEM(2)}}};
  l = one(pe, 2, 3, s234);
  float big[24], out[24];
  for (int i = 0; i < 24; i++) big[i] = (float)i;
  l->ops->forward(l, out, big, 1, 0);
  CHECK(l->out_shape[0] == 4 && l->out_shape[1] == 2 && l->out_shape[2] == 3, "Permute(3, 1, 2) shape");
  /* out[c][a][b] = in[a][b][c] = 12 a + 4 b + c */
  int bad = 0;
  for (int c = 0; c < 4; c++) for (int a = 0; a < 2; a++) for (int b = 0; b < 3; b++) bad += out[c * 6 + a * 3 + b] != 12 * a + 4 * b + c;
  CHECK(bad == 0, "Permute(3, 1, 2): %d values misplaced", bad);
  printf("ok Permute(3, 1, 2) of (2, 3, 4)\n");
  lunet_layer_free(l);
  int64_t s2[1] = {2};
  l = ONE(1, s2, STR("kind", "RepeatVector"), INT("n", 3));
  float rx[2] = {5, 6}, ry[6], want_r[6] = {5, 6, 5, 6, 5, 6}, rdy[6] = {1, 2, 3, 4, 5, 6}, rdx[2], want_rdx[2] = {9, 12};
  l->ops->forward(l, ry, rx, 1, 0);
  expect("RepeatVector(3)", ry, want_r, 6);
  l->ops->backward(l, rdx, rdy, rx, ry, 1);
  expect("RepeatVector(3) gradient sums the copies", rdx, want_rdx, 2);
  lunet_layer_free(l);
}

static void check_masking(void) {
  int64_t s32[2] = {3, 2};
  lunet_layer_t *l = ONE(2, s32, STR("kind", "Masking"), NUM("mask_value", -1));
  CHECK(l->makes_mask, "Masking makes a mask");
  float x[12] = {1, -1, -1, -1, 0, 2, -1, -1, -1, -1, NAN, -1}, y[12], dy[12], dx[12];
  l->ops->forward(l, y, x, 2, 1);
  float want_mask[6] = {1, 0, 1, 0, 0, 1};
  expect("Masking(-1) mask (a step of NaN counts)", l->mask_out, want_mask, 6);
  float want[12] = {1, -1, 0, 0, 0, 2, 0, 0, 0, 0, 0, -1};
  CHECK(isnan(y[10]), "a NaN passes");
  y[10] = 0;
  expect("Masking(-1) zeroes the masked steps", y, want, 12);
  for (int i = 0; i < 12; i++) dy[i] = 1;
  l->ops->backward(l, dx, dy, x, y, 2);
  float want_dx[12] = {1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1};
  expect("Masking gradient", dx, want_dx, 12);
  lunet_layer_free(l);
}

static void check_noise(void) {
  int64_t s[1] = {4000};
  static float x[4000], y[4000];
  for (int i = 0; i < 4000; i++) x[i] = 1.0f;
  lunet_layer_t *l = ONE(1, s, STR("kind", "GaussianDropout"), NUM("rate", 0.2), INT("seed", 3));
  l->ops->forward(l, y, x, 1, 0);
  CHECK(memcmp(x, y, sizeof x) == 0, "GaussianDropout is the identity at inference");
  l->ops->forward(l, y, x, 1, 1);
  double m = 0, v = 0;
  for (int i = 0; i < 4000; i++) m += y[i];
  m /= 4000;
  for (int i = 0; i < 4000; i++) v += (y[i] - m) * (y[i] - m);
  v /= 4000;
  CHECK(fabs(m - 1) < 0.03 && fabs(v - 0.25) < 0.03, "GaussianDropout(0.2) noise mean %g (1) variance %g (0.25)", m, v);
  printf("ok GaussianDropout(0.2): noise N(1, 0.5): mean %.3f variance %.3f\n", m, v);
  lunet_layer_free(l);
  /* AlphaDropout keeps a standard normal input's mean 0 and variance 1 */
  l = ONE(1, s, STR("kind", "AlphaDropout"), NUM("rate", 0.3), INT("seed", 4));
  fill_range(x, 4000, 5, 0, 1);
  lunet_rng_t r;
  lunet_rng_seed(&r, 6);
  for (int i = 0; i < 4000; i++) x[i] = (float)lunet_rng_normal(&r);
  l->ops->forward(l, y, x, 1, 1);
  double ap = -1.6732632423543772 * 1.0507009873554805, a = pow(0.7 * (1 + 0.3 * ap * ap), -0.5), b = -a * ap * 0.3;
  int dropped = 0, other = 0;
  m = v = 0;
  for (int i = 0; i < 4000; i++) {
    if (fabs(y[i] - (a * ap + b)) < 1e-5) dropped++;
    else other += fabs(y[i] - (a * x[i] + b)) > 1e-5;
    m += y[i];
  }
  m /= 4000;
  for (int i = 0; i < 4000; i++) v += (y[i] - m) * (y[i] - m);
  v /= 4000;
  CHECK(other == 0 && abs(dropped - 1200) < 100, "AlphaDropout(0.3): %d dropped (about 1200), %d off the map", dropped, other);
  CHECK(fabs(m) < 0.06 && fabs(v - 1) < 0.08, "AlphaDropout keeps mean 0 (%g) and variance 1 (%g)", m, v);
  printf("ok AlphaDropout(0.3): %d of 4000 dropped, mean %.3f variance %.3f\n", dropped, m, v);
  lunet_layer_free(l);
}

static void check_gradients(void) {
  struct { const lunet_cfg_entry_t e[5]; int n; const char *what; } acts[] = {
      {{STR("kind", "ReLU"), NUM("max_value", 0.6), NUM("negative_slope", 0.2), NUM("threshold", 0.1)}, 4, "ReLU(0.6, 0.2, 0.1)"},
      {{STR("kind", "LeakyReLU"), NUM("alpha", 0.1)}, 2, "LeakyReLU(0.1)"},
      {{STR("kind", "PReLU"), STR("alpha_initializer", "random_uniform"), REC("alpha_regularizer"),
        NUM("alpha_regularizer.l2", 0.1)}, 4, "PReLU (random alpha, l2)"},
      {{STR("kind", "ELU"), NUM("alpha", 0.7)}, 2, "ELU(0.7)"},
      {{STR("kind", "ThresholdedReLU"), NUM("theta", 0.05)}, 2, "ThresholdedReLU(0.05)"},
      {{STR("kind", "Softmax"), INT("axis", 1)}, 2, "Softmax(axis 1)"},
      {{STR("kind", "Softmax")}, 1, "Softmax(axis -1)"},
      {{STR("kind", "Permute"), PAIR("dims", 2, 1)}, 2, "Permute(2, 1)"},
      {{STR("kind", "GaussianDropout"), NUM("rate", 0.3)}, 2, "GaussianDropout(0.3)"},
      {{STR("kind", "AlphaDropout"), NUM("rate", 0.3)}, 2, "AlphaDropout(0.3)"},
      {{STR("kind", "ActivityRegularization"), NUM("l1", 0.05), NUM("l2", 0.1)}, 3, "ActivityRegularization(0.05, 0.1)"},
      {{STR("kind", "Masking"), NUM("mask_value", 0.25)}, 2, "Masking(0.25)"},
  };
  for (size_t c = 0; c < sizeof acts / sizeof *acts; c++) {
    lunet_net_t *net = net_of(2, 3, 4, 0);
    ADD(net, STR("kind", "Dense"), INT("units", 4), STR("bias_initializer", "random_normal"));
    lunet_layer_config_t cfg = {acts[c].n, acts[c].e};
    int nd;
    int64_t shape[3];
    lunet_net_output_shape(net, &nd, shape);
    lunet_layer_t *l = lunet_layer_from_config(&cfg, nd, shape);
    CHECK(l && lunet_net_add(net, l) == 0, "%s: %s", acts[c].what, lunet_errmsg());
    if (!l) continue;
    if (l->makes_mask) ADD(net, STR("kind", "SimpleRNN"), INT("units", 3), BOOL("return_sequences", 1));
    ADD(net, STR("kind", "Dense"), INT("units", 2), STR("activation", "tanh"));
    char what[96];
    snprintf(what, sizeof what, "Dense, %s, Dense", acts[c].what);
    gradcheck_mse(what, net, 3);
    lunet_net_free(net);
  }
  /* a step of Masking's exact value: the mask is used (the masked step's input gradient is 0) */
  lunet_net_t *net = net_of(2, 3, 2, 0);
  ADD(net, STR("kind", "Masking"));
  ADD(net, STR("kind", "LSTM"), INT("units", 3));
  gradcheck_mse("Masking, LSTM", net, 2);
  lunet_net_free(net);
  /* RepeatVector in a seq2seq shape */
  net = net1(3);
  ADD(net, STR("kind", "Dense"), INT("units", 4), STR("activation", "tanh"));
  ADD(net, STR("kind", "RepeatVector"), INT("n", 3));
  ADD(net, STR("kind", "SimpleRNN"), INT("units", 2), BOOL("return_sequences", 1));
  gradcheck_mse("Dense, RepeatVector(3), SimpleRNN", net, 3);
  lunet_net_free(net);
  /* Minimum of three inputs */
  net = net1(4);
  int64_t s4[1] = {4};
  int in2 = lunet_net_add_input(net, 1, s4), in3 = lunet_net_add_input(net, 1, s4);
  const int64_t *shapes[3] = {s4, s4, s4};
  int nds[3] = {1, 1, 1}, ins[3] = {0, in2, in3};
  const lunet_cfg_entry_t me[] = {STR("kind", "Minimum")};
  lunet_layer_config_t mcfg = {1, me};
  lunet_layer_t *ml = lunet_layer_from_config_n(&mcfg, 3, nds, shapes);
  int a = ml ? lunet_net_add_node(net, ml, 3, ins, -1) : -1;
  int d = a < 0 ? -1 : lunet_net_add_node(net, ({ int nd1 = 1; lunet_layer_config_t dc = {2, (lunet_cfg_entry_t[]){
      STR("kind", "Dense"), INT("units", 2)}}; lunet_layer_from_config(&dc, nd1, s4); }), 1, &a, -1);
  CHECK(d >= 0, "Minimum net: %s", lunet_errmsg());
  CHECK(lunet_net_finish(net, 1) == 0, "%s", lunet_errmsg());
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  float x[3 * 12], y[3 * 2];
  fill(x, 36, 9); fill(y, 6, 8);
  if (d >= 0) gradcheck_n("Minimum of 3 inputs, Dense", net, x, y, 3, 0);
  const float *out;
  lunet_net_forward(net, &out, x, 1, 0);
  float want[4];
  for (int i = 0; i < 4; i++) want[i] = fminf(fminf(x[i], x[4 + i]), x[8 + i]);
  expect("Minimum values", net->cur_a[a], want, 4);
  lunet_net_free(net);
}

static void refused(const char *what, const char *needle, int ndim, const int64_t *shape, const lunet_cfg_entry_t *e, int n) {
  lunet_layer_config_t cfg = {n, e};
  lunet_layer_t *l = lunet_layer_from_config(&cfg, ndim, shape);
  CHECK(!l && strstr(lunet_errmsg(), needle), "%s: expected an error with '%s', got %s", what, needle,
        l ? "a layer" : lunet_errmsg());
  if (!l) printf("ok %s: %s\n", what, lunet_errmsg());
  lunet_layer_free(l);
}
#define REFUSED(what, needle, ndim, shape, ...) do { const lunet_cfg_entry_t e_[] = {__VA_ARGS__}; \
  refused(what, needle, ndim, shape, e_, (int)(sizeof e_ / sizeof *e_)); } while (0)

static void check_refusals(void) {
  int64_t s3[1] = {3}, s23[2] = {2, 3};
  REFUSED("Permute of the wrong rank", "dims has 2 axes, but the input's samples have shape (3)", 1, s3,
          STR("kind", "Permute"), PAIR("dims", 2, 1));
  REFUSED("Permute not a permutation", "dims[2] = 1: dims must be a permutation of 1 to 2", 2, s23,
          STR("kind", "Permute"), PAIR("dims", 1, 1));
  REFUSED("RepeatVector n 0", "RepeatVector: n must be an integer from 1", 1, s3, STR("kind", "RepeatVector"), INT("n", 0));
  REFUSED("RepeatVector of sequences", "RepeatVector(2): input has per-sample shape (2, 3), expects vectors", 2, s23,
          STR("kind", "RepeatVector"), INT("n", 2));
  REFUSED("Softmax axis 3 of rank 2", "Softmax: axis 3 is not an axis of the input", 2, s23, STR("kind", "Softmax"), INT("axis", 3));
  REFUSED("Softmax axis 0", "Softmax: axis 0 is not an axis", 2, s23, STR("kind", "Softmax"), INT("axis", 0));
  REFUSED("ReLU negative max_value", "ReLU: max_value must be a finite number >= 0", 1, s3, STR("kind", "ReLU"), NUM("max_value", -1));
  REFUSED("ThresholdedReLU negative theta", "ThresholdedReLU: theta must be a finite number >= 0", 1, s3,
          STR("kind", "ThresholdedReLU"), NUM("theta", -0.5));
  REFUSED("PReLU shared axis 3 of rank 2", "PReLU: shared_axes 3 is not an axis", 2, s23, STR("kind", "PReLU"), INT("shared_axes", 3));
  REFUSED("Masking of vectors", "Masking(0): input has per-sample shape (3), expects sequences", 1, s3, STR("kind", "Masking"));
  REFUSED("GaussianDropout rate 1", "GaussianDropout(1): rate must be in [0, 1)", 1, s3, STR("kind", "GaussianDropout"), NUM("rate", 1));
  REFUSED("AlphaDropout without rate", "AlphaDropout: rate must be given", 1, s3, STR("kind", "AlphaDropout"));
  REFUSED("ActivityRegularization l1 < 0", "ActivityRegularization: l1 and l2 must be finite numbers >= 0", 1, s3,
          STR("kind", "ActivityRegularization"), NUM("l1", -1));
  /* no masking through Permute or RepeatVector (as Keras) */
  lunet_net_t *net = net_of(2, 3, 2, 0);
  ADD(net, STR("kind", "Masking"));
  lunet_layer_config_t cfg = {2, (lunet_cfg_entry_t[]){STR("kind", "Permute"), PAIR("dims", 2, 1)}};
  lunet_layer_t *l = lunet_layer_from_config(&cfg, 2, net->in_shape);
  CHECK(lunet_net_add(net, l) < 0 && strstr(lunet_errmsg(), "does not support masking"), "Permute after Masking: %s",
        lunet_errmsg());
  printf("ok Permute after Masking: %s\n", lunet_errmsg());
  lunet_net_free(net);
}

static void check_no_alloc(void) {
  lunet_net_t *net = net_of(2, 5, 4, 0);
  ADD(net, STR("kind", "Masking"));
  ADD(net, STR("kind", "GaussianDropout"), NUM("rate", 0.2));
  ADD(net, STR("kind", "AlphaDropout"), NUM("rate", 0.1));
  ADD(net, STR("kind", "PReLU"), INT("shared_axes", 1));
  ADD(net, STR("kind", "LSTM"), INT("units", 3));
  ADD(net, STR("kind", "RepeatVector"), INT("n", 2));
  ADD(net, STR("kind", "Permute"), PAIR("dims", 2, 1));
  ADD(net, STR("kind", "Softmax"), INT("axis", 1));
  ADD(net, STR("kind", "ActivityRegularization"), NUM("l2", 0.01));
  ADD(net, STR("kind", "ReLU"), NUM("max_value", 6));
  lunet_net_finish(net, 1);
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  lunet_net_set_optimizer(net, lunet_optimizer_new(LUNET_OPT_ADAM, net->nparams));
  float x[8 * 20], y[8 * 6];
  fill(x, 160, 1); fill(y, 48, 2);
  double loss;
  lunet_net_train_step(net, &loss, x, y, NULL, 8);
  uint64_t before = lunet_nn_alloc_count();
  for (int i = 0; i < 10; i++) lunet_net_train_step(net, &loss, x, y, NULL, 8);
  CHECK(lunet_nn_alloc_count() == before, "train steps allocated");
  printf("ok no allocation in 10 training steps of Masking ... ReLU\n");
  lunet_net_free(net);
}

int main(void) {
  check_values();
  check_masking();
  check_noise();
  check_gradients();
  check_refusals();
  check_no_alloc();
  if (failures) { printf("%d failures\n", failures); return 1; }
  printf("all Keras layer checks passed\n");
  return 0;
}
