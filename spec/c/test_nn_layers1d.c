/* The sequence, image and normalisation layers (Conv1D, 1-D and global
 * pooling, ZeroPadding2D, Cropping2D, UpSampling2D, LayerNormalization,
 * SpatialDropout, GaussianNoise): finite-difference gradient checks on
 * parameters and inputs, exact values against hand-computed numbers, and the
 * builders' refusals. */
#include "nn_check.h"

/* out (b * out_size) of net (finished with seed 1) on x, inference mode */
static const float *run(lunet_net_t *net, const float *x, int b) {
  const float *out = NULL;
  if (!net->finished && lunet_net_finish(net, 1) < 0) return NULL;
  if (lunet_net_forward(net, &out, x, b, 0) < 0) printf("error: %s\n", lunet_errmsg());
  return out;
}

static void expect(const char *what, const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++)
    CHECK(got && fabsf(got[i] - want[i]) <= 1e-5f * (1 + fabsf(want[i])), "%s: value %d is %g, expected %g", what, i,
          got ? got[i] : NAN, want[i]);
  printf("ok %s\n", what);
}

static void check_conv1d(void) {
  struct { const char *padding; int k, stride, dil, groups; const char *what; } cases[] = {
      {"valid", 3, 1, 1, 1, "Conv1D valid k3"},      {"same", 3, 2, 1, 1, "Conv1D same k3 strides 2"},
      {"causal", 2, 1, 3, 1, "Conv1D causal k2 dilation 3"}, {"same", 3, 1, 2, 2, "Conv1D same dilation 2 groups 2"},
      {"valid", 2, 3, 1, 2, "Conv1D valid strides 3 groups 2"}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    lunet_net_t *net = net_of(2, 9, 4, 0);
    ADD(net, STR("kind", "Conv1D"), INT("filters", 6), INT("kernel_size", cases[c].k),
        INT("strides", cases[c].stride), INT("dilation_rate", cases[c].dil), INT("groups", cases[c].groups),
        STR("padding", cases[c].padding), STR("activation", "tanh"), STR("bias_initializer", "random_normal"),
        REC("kernel_regularizer"), NUM("kernel_regularizer.l2", 0.01));
    gradcheck_mse(cases[c].what, net, 3);
    lunet_net_free(net);
  }
  /* causal: out[t] = 1 * x[t - d] + 10 * x[t] (kernel (2, 1, 1) = {1, 10}), zeros before the start */
  for (int d = 1; d <= 2; d++) {
    lunet_net_t *net = net_of(2, 4, 1, 0);
    ADD(net, STR("kind", "Conv1D"), INT("filters", 1), INT("kernel_size", 2), STR("padding", "causal"),
        INT("dilation_rate", d), BOOL("use_bias", 0));
    lunet_net_finish(net, 1);
    float *w = lunet_tensor_data(net->params);
    w[0] = 1; w[1] = 10;
    float x[4] = {1, 2, 3, 4}, want1[4] = {10, 21, 32, 43}, want2[4] = {10, 20, 31, 42};
    expect(d == 1 ? "Conv1D causal values" : "Conv1D causal dilation 2 values", run(net, x, 1),
           d == 1 ? want1 : want2, 4);
    lunet_net_free(net);
  }
  /* groups 2: channel 0 feeds filter 0 only, channel 1 filter 1; kernel (1, 1, 2) = {2, 3} */
  lunet_net_t *net = net_of(2, 2, 2, 0);
  ADD(net, STR("kind", "Conv1D"), INT("filters", 2), INT("kernel_size", 1), INT("groups", 2), BOOL("use_bias", 0));
  lunet_net_finish(net, 1);
  float *w = lunet_tensor_data(net->params);
  w[0] = 2; w[1] = 3;
  float x[4] = {1, 5, 2, 7}, want[4] = {2, 15, 4, 21};
  expect("Conv1D groups values", run(net, x, 1), want, 4);
  lunet_net_free(net);
}

static void check_pooling(void) {
  const char *kinds[] = {"MaxPooling1D", "AveragePooling1D"};
  for (int k = 0; k < 2; k++)
    for (int same = 0; same < 2; same++) {
      lunet_net_t *net = net_of(2, 7, 3, 0);
      ADD(net, STR("kind", kinds[k]), INT("pool_size", 3), INT("strides", 2), STR("padding", same ? "same" : "valid"));
      char what[64];
      snprintf(what, sizeof what, "%s %s", kinds[k], same ? "same" : "valid");
      gradcheck_mse(what, net, 3);
      lunet_net_free(net);
    }
  float x[5] = {1, 3, 2, 5, 4};
  struct { const char *kind, *padding; int n; float want[3]; } v[] = {
      {"MaxPooling1D", "valid", 2, {3, 5}}, {"MaxPooling1D", "same", 3, {3, 5, 4}},
      {"AveragePooling1D", "valid", 2, {2, 3.5f}}, {"AveragePooling1D", "same", 3, {2, 3.5f, 4}}};
  for (int i = 0; i < 4; i++) {
    lunet_net_t *net = net_of(2, 5, 1, 0);
    ADD(net, STR("kind", v[i].kind), INT("pool_size", 2), STR("padding", v[i].padding));
    char what[64];
    snprintf(what, sizeof what, "%s %s values", v[i].kind, v[i].padding);
    CHECK(net->layers[0]->out_shape[0] == v[i].n, "%s: %lld steps", what, (long long)net->layers[0]->out_shape[0]);
    expect(what, run(net, x, 1), v[i].want, v[i].n);
    lunet_net_free(net);
  }
  const char *global[] = {"GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D",
                          "GlobalMaxPooling2D"};
  for (int g = 0; g < 4; g++) {
    lunet_net_t *net = g < 2 ? net_of(2, 5, 3, 0) : net_of(3, 3, 4, 2);
    ADD(net, STR("kind", global[g]), BOOL("keepdims", g % 2));
    gradcheck_mse(global[g], net, 3);
    CHECK(net->layers[0]->out_ndim == (g % 2 ? (g < 2 ? 2 : 3) : 1), "%s: keepdims rank", global[g]);
    lunet_net_free(net);
  }
  float img[2 * 2 * 2] = {1, -1, 4, -2, 3, -3, 2, -4}, avg[2] = {2.5f, -2.5f}, mx[2] = {4, -1};
  for (int g = 2; g < 4; g++) {
    lunet_net_t *net = net_of(3, 2, 2, 2);
    ADD(net, STR("kind", global[g]));
    expect(g == 2 ? "GlobalAveragePooling2D values" : "GlobalMaxPooling2D values", run(net, img, 1),
           g == 2 ? avg : mx, 2);
    lunet_net_free(net);
  }
}

/* GlobalAveragePooling1D with a mask (as the net hands it from Embedding):
 * values over the unmasked steps and a finite-difference check of the input
 * gradient, on the layer itself */
static void check_masked_average(void) {
  int64_t in[2] = {3, 2};
  const lunet_cfg_entry_t e[] = {STR("kind", "GlobalAveragePooling1D")};
  lunet_layer_config_t cfg = {1, e};
  lunet_layer_t *l = lunet_layer_from_config(&cfg, 2, in);
  CHECK(l && l->mask_use && !l->mask_keep, "GlobalAveragePooling1D uses the mask and ends it");
  l->need_input_grad = 1;
  l->ops->plan(l, 2);
  float x[12] = {1, 2, 3, 4, 5, 6, 1, 1, 2, 2, 9, 9}, mask[6] = {1, 0, 1, 0, 0, 0}, out[4], dout[4] = {1, 2, 3, 4};
  float din[12], want[4] = {3, 4, 0, 0};
  l->mask_in = mask;
  l->ops->forward(l, out, x, 2, 1);
  expect("GlobalAveragePooling1D masked values (a fully masked sample gives 0)", out, want, 4);
  l->ops->backward(l, din, dout, x, out, 2);
  float want_din[12] = {0.5f, 1, 0, 0, 0.5f, 1, 0, 0, 0, 0, 0, 0};
  expect("GlobalAveragePooling1D masked input gradient", din, want_din, 12);
  lunet_layer_free(l);
  /* GlobalMaxPooling1D and Conv1D do not support masking (Keras 2): neither keeps nor uses it */
  const lunet_cfg_entry_t m[] = {STR("kind", "GlobalMaxPooling1D")};
  cfg = (lunet_layer_config_t){1, m};
  l = lunet_layer_from_config(&cfg, 2, in);
  CHECK(l && !l->mask_use && !l->mask_keep, "GlobalMaxPooling1D does not support masking");
  lunet_layer_free(l);
}

static void check_image_layers(void) {
  struct { const lunet_cfg_entry_t e[3]; int n; const char *what; } cases[] = {
      {{STR("kind", "ZeroPadding2D"), QUAD("padding", 1, 2, 0, 3)}, 2, "ZeroPadding2D ((1, 2), (0, 3))"},
      {{STR("kind", "Cropping2D"), QUAD("cropping", 1, 0, 2, 1)}, 2, "Cropping2D ((1, 0), (2, 1))"},
      {{STR("kind", "UpSampling2D"), PAIR("size", 2, 3)}, 2, "UpSampling2D nearest 2x3"},
      {{STR("kind", "UpSampling2D"), PAIR("size", 3, 2), STR("interpolation", "bilinear")}, 3, "UpSampling2D bilinear 3x2"}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    lunet_net_t *net = net_of(3, 4, 5, 2);
    lunet_layer_config_t cfg = {cases[c].n, cases[c].e};
    lunet_layer_t *l = lunet_layer_from_config(&cfg, 3, net->in_shape);
    CHECK(l && lunet_net_add(net, l) == 0, "%s: %s", cases[c].what, lunet_errmsg());
    gradcheck_mse(cases[c].what, net, 2);
    lunet_net_free(net);
  }
  float x[4] = {1, 2, 3, 4};
  lunet_net_t *net = net_of(3, 2, 2, 1);
  ADD(net, STR("kind", "ZeroPadding2D"), QUAD("padding", 1, 0, 0, 2));
  float pad[12] = {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0};
  expect("ZeroPadding2D values", run(net, x, 1), pad, 12);
  lunet_net_free(net);
  float x12[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, crop[4] = {6, 7, 10, 11};
  net = net_of(3, 3, 4, 1);
  ADD(net, STR("kind", "Cropping2D"), QUAD("cropping", 1, 0, 1, 1));
  expect("Cropping2D values", run(net, x12, 1), crop, 4);
  lunet_net_free(net);
  net = net_of(3, 2, 2, 1);
  ADD(net, STR("kind", "UpSampling2D"), INT("size", 2));
  float near[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  expect("UpSampling2D nearest values", run(net, x, 1), near, 16);
  lunet_net_free(net);
  /* half-pixel centres: output x reads (x + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (edge) */
  net = net_of(3, 1, 2, 1);
  ADD(net, STR("kind", "UpSampling2D"), PAIR("size", 1, 2), STR("interpolation", "bilinear"));
  float line[2] = {0, 4}, lin[4] = {0, 1, 3, 4};
  expect("UpSampling2D bilinear values", run(net, line, 1), lin, 4);
  lunet_net_free(net);
}

/* ZeroPadding1D, Cropping1D, UpSampling1D: the 2-D kernels on images of width 1 */
static void check_sequence_shapes(void) {
  struct { lunet_cfg_entry_t e[2]; const char *what; } cases[] = {
      {{STR("kind", "ZeroPadding1D"), PAIR("padding", 2, 1)}, "ZeroPadding1D (2, 1)"},
      {{STR("kind", "Cropping1D"), PAIR("cropping", 1, 2)}, "Cropping1D (1, 2)"},
      {{STR("kind", "UpSampling1D"), INT("size", 3)}, "UpSampling1D 3"}};
  for (int c = 0; c < 3; c++) {
    lunet_net_t *net = net_of(2, 5, 3, 0);
    lunet_layer_config_t cfg = {2, cases[c].e};
    lunet_layer_t *l = lunet_layer_from_config(&cfg, 2, net->in_shape);
    CHECK(l && lunet_net_add(net, l) == 0, "%s: %s", cases[c].what, lunet_errmsg());
    gradcheck_mse(cases[c].what, net, 2);
    lunet_net_free(net);
  }
  float x[3] = {1, 2, 3}, pad[6] = {0, 0, 1, 2, 3, 0}, crop[1] = {2}, up[6] = {1, 1, 2, 2, 3, 3};
  lunet_net_t *net = net_of(2, 3, 1, 0);
  ADD(net, STR("kind", "ZeroPadding1D"), PAIR("padding", 2, 1));
  expect("ZeroPadding1D values", run(net, x, 1), pad, 6);
  lunet_net_free(net);
  net = net_of(2, 3, 1, 0);
  ADD(net, STR("kind", "Cropping1D"), PAIR("cropping", 1, 1));
  expect("Cropping1D values", run(net, x, 1), crop, 1);
  lunet_net_free(net);
  net = net_of(2, 3, 1, 0);
  ADD(net, STR("kind", "UpSampling1D"), INT("size", 2));
  expect("UpSampling1D values", run(net, x, 1), up, 6);
  lunet_net_free(net);
}

static void check_norm_noise(void) {
  lunet_net_t *net = net_of(2, 3, 5, 0);
  ADD(net, STR("kind", "LayerNormalization"), STR("gamma_initializer", "random_normal"),
      STR("beta_initializer", "random_normal"));
  gradcheck_mse("LayerNormalization axis -1", net, 3);
  lunet_net_free(net);
  net = net_of(3, 2, 3, 4);
  ADD(net, STR("kind", "LayerNormalization"), PAIR("axis", -2, 3), BOOL("center", 0));
  gradcheck_mse("LayerNormalization axis {-2, 3}, no center", net, 2);
  CHECK(net->nparams == 12, "LayerNormalization over (3, 4): %lld parameters", (long long)net->nparams);
  lunet_net_free(net);
  net = net_of(1, 4, 0, 0);
  ADD(net, STR("kind", "LayerNormalization"), NUM("epsilon", 1e-3));
  float x[4] = {1, 2, 3, 4}, want[4];
  for (int i = 0; i < 4; i++) want[i] = (float)((x[i] - 2.5) / sqrt(1.25 + 1e-3));
  expect("LayerNormalization values", run(net, x, 1), want, 4);
  lunet_net_free(net);
  struct { const char *kind, *key; int ndim; const char *what; } noise[] = {
      {"SpatialDropout1D", "rate", 2, "SpatialDropout1D(0.4) (training)"},
      {"SpatialDropout2D", "rate", 3, "SpatialDropout2D(0.4) (training)"},
      {"GaussianNoise", "stddev", 3, "GaussianNoise(0.4) (training)"}};
  for (int i = 0; i < 3; i++) {
    net = noise[i].ndim == 2 ? net_of(2, 4, 6, 0) : net_of(3, 3, 2, 6);
    ADD(net, STR("kind", "Dense"), INT("units", 6), STR("activation", "tanh"));
    ADD(net, STR("kind", noise[i].kind), NUM(noise[i].key, 0.4));
    ADD(net, STR("kind", "Dense"), INT("units", 2));
    gradcheck_mse(noise[i].what, net, 3);
    /* inference: the identity */
    float in[36], tmp[36];
    fill(in, 36, 5);
    lunet_layer_t *l = net->layers[1];
    l->ops->forward(l, tmp, in, 1, 0);
    CHECK(memcmp(tmp, in, (size_t)l->in_size * sizeof *tmp) == 0, "%s is not the identity at inference", noise[i].kind);
    lunet_net_free(net);
  }
  /* SpatialDropout2D drops whole channels: each channel is all 0 or all x / (1 - rate) */
  net = net_of(3, 3, 3, 8);
  ADD(net, STR("kind", "SpatialDropout2D"), NUM("rate", 0.5), INT("seed", 3));
  lunet_net_finish(net, 1);
  float img[72], *out = NULL;
  for (int i = 0; i < 72; i++) img[i] = 1.0f;
  const float *o;
  lunet_net_forward(net, &o, img, 1, 1);
  out = (float *)o;
  int dropped = 0, whole = 1;
  for (int c = 0; c < 8; c++) {
    for (int p = 1; p < 9; p++) whole &= out[p * 8 + c] == out[c];
    dropped += out[c] == 0.0f;
    whole &= out[c] == 0.0f || out[c] == 2.0f;
  }
  CHECK(whole && dropped > 0 && dropped < 8, "SpatialDropout2D: whole channels (%d of 8 dropped)", dropped);
  printf("ok SpatialDropout2D drops whole channels (%d of 8)\n", dropped);
  lunet_net_free(net);
}

/* builder refusals: each names the layer and the mismatch */
static void check_refusals(void) {
  struct { int ndim; int64_t a, b, c; lunet_cfg_entry_t e[4]; int n; const char *want; } cases[] = {
      {3, 4, 4, 2, {STR("kind", "Conv1D"), INT("filters", 2), INT("kernel_size", 2)}, 3,
       "Conv1D(2, 2): input has per-sample shape (4, 4, 2), expects sequences (steps, channels)"},
      {2, 3, 2, 0, {STR("kind", "Conv1D"), INT("filters", 2), INT("kernel_size", 4)}, 3, "shorter than the kernel"},
      {2, 8, 3, 0, {STR("kind", "Conv1D"), INT("filters", 2), INT("kernel_size", 2), INT("groups", 2)}, 4,
       "groups = 2 must divide"},
      {2, 8, 2, 0, {STR("kind", "Conv1D"), INT("filters", 2), INT("kernel_size", 2), STR("padding", "full")}, 4,
       "padding must be 'valid', 'same' or 'causal'"},
      {2, 3, 2, 0, {STR("kind", "MaxPooling1D"), INT("pool_size", 4)}, 2, "MaxPooling1D(4): input (3, 2) is smaller"},
      {3, 3, 3, 1, {STR("kind", "Cropping2D"), QUAD("cropping", 2, 1, 0, 0)}, 2, "leaves nothing of input (3, 3, 1)"},
      {2, 3, 3, 0, {STR("kind", "ZeroPadding2D"), QUAD("padding", 1, 1, 1, 1)}, 2, "expects images"},
      {2, 3, 3, 0, {STR("kind", "GlobalMaxPooling2D")}, 1, "GlobalMaxPooling2D: input has per-sample shape (3, 3)"},
      {2, 3, 3, 0, {STR("kind", "LayerNormalization"), INT("axis", 1)}, 2, "the last ones"},
      {1, 3, 0, 0, {STR("kind", "SpatialDropout2D"), NUM("rate", 0.1)}, 2, "SpatialDropout2D(0.1): input"},
      {3, 2, 2, 1, {STR("kind", "UpSampling2D"), STR("interpolation", "cubic")}, 2, "'nearest' or 'bilinear'"},
      {2, 3, 2, 0, {STR("kind", "Cropping1D"), PAIR("cropping", 2, 1)}, 2,
       "Cropping1D((2, 1)): cropping 3 steps leaves nothing of input (3, 2)"},
      {2, 3, 2, 0, {STR("kind", "ZeroPadding1D"), QUAD("padding", 1, 1, 1, 1)}, 2, "must be a list {start, end}"},
      {3, 3, 2, 1, {STR("kind", "UpSampling1D")}, 1, "UpSampling1D(2): input has per-sample shape (3, 2, 1)"}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    int64_t s[3] = {cases[c].a, cases[c].b, cases[c].c};
    lunet_layer_config_t cfg = {cases[c].n, cases[c].e};
    lunet_layer_t *l = lunet_layer_from_config(&cfg, cases[c].ndim, s);
    CHECK(!l && strstr(lunet_errmsg(), cases[c].want), "refusal %zu: got '%s', expected '%s'", c,
          l ? "(built)" : lunet_errmsg(), cases[c].want);
    lunet_layer_free(l);
  }
  printf("ok %zu refusals name the layer and the mismatch\n", sizeof cases / sizeof *cases);
}

/* a training step of the new kinds allocates nothing once planned */
static void check_no_alloc(void) {
  lunet_net_t *net = net_of(2, 12, 4, 0);
  ADD(net, STR("kind", "Conv1D"), INT("filters", 6), INT("kernel_size", 3), STR("padding", "causal"), INT("groups", 2));
  ADD(net, STR("kind", "LayerNormalization"));
  ADD(net, STR("kind", "SpatialDropout1D"), NUM("rate", 0.2));
  ADD(net, STR("kind", "GaussianNoise"), NUM("stddev", 0.1));
  ADD(net, STR("kind", "MaxPooling1D"));
  ADD(net, STR("kind", "GlobalAveragePooling1D"));
  ADD(net, STR("kind", "Dense"), INT("units", 2));
  lunet_net_finish(net, 1);
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  lunet_net_set_optimizer(net, lunet_optimizer_new(LUNET_OPT_ADAGRAD, net->nparams));
  float x[8 * 48], y[8 * 2];
  fill(x, 8 * 48, 1); fill(y, 16, 2);
  double loss;
  lunet_net_train_step(net, &loss, x, y, NULL, 8);
  uint64_t before = lunet_nn_alloc_count();
  for (int i = 0; i < 10; i++) lunet_net_train_step(net, &loss, x, y, NULL, 8);
  CHECK(lunet_nn_alloc_count() == before, "train steps allocated");
  printf("ok no allocation in 10 training steps of Conv1D ... GlobalAveragePooling1D\n");
  lunet_net_free(net);
}

int main(void) {
  check_conv1d();
  check_pooling();
  check_masked_average();
  check_image_layers();
  check_sequence_shapes();
  check_norm_noise();
  check_refusals();
  check_no_alloc();
  if (failures) { printf("%d failures\n", failures); return 1; }
  printf("all layer checks passed\n");
  return 0;
}
