/* Finite-difference gradient checks (parameters and inputs) of the
 * convolution variants: Conv2D with dilation_rate and groups,
 * DepthwiseConv2D, SeparableConv2D (with a pointwise regularizer: the second
 * kernel's penalty gradient) and Conv2DTranspose, each with 'same' and
 * 'valid' padding and strides; plus a no-allocation check of their training
 * step. Float32, small sizes, tolerances as test_nn_gradcheck.c. */
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
#define REC(k) {.key = k, .v = {.type = LUNET_CFG_RECORD}}
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
  if (lunet_net_loss_grad(net, &l, x, y, NULL, b) < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
  return l;
}

/* central differences against the analytic gradient on up to 80 sampled
 * parameters and 80 sampled input values */
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
  for (int pass = 0; pass < 2; pass++) {
    float *v = pass ? x : p, *ana = pass ? gx : g;
    int64_t n = pass ? nx : np, step = n > 80 ? n / 80 : 1;
    for (int64_t i = 0; i < n; i += step) {
      float keep = v[i];
      v[i] = keep + h; double lp = loss_at(net, x, y, b);
      v[i] = keep - h; double lm = loss_at(net, x, y, b);
      v[i] = keep;
      double num = (lp - lm) / (2 * h), err = fabs(num - ana[i]) / (2e-3 + 2e-2 * fabs(num));
      if (err > worst) worst = err;
      CHECK(err <= 1.0, "%s: %s %lld numeric %.6g analytic %.6g", what, pass ? "input" : "param", (long long)i, num,
            ana[i]);
    }
  }
  printf("ok %-58s worst error/tolerance %.3f\n", what, worst);
  free(g); free(gx);
}

static void fill(float *x, int64_t n, uint64_t seed) {
  lunet_rng_t r;
  lunet_rng_seed(&r, seed);
  lunet_rng_fill_uniform(&r, x, (size_t)n, -1.0f, 1.0f);
}

/* The layer under test on a (7, 6, 4) image, then Flatten and mse against
 * random targets; checked, then trained a few steps without allocating. */
static lunet_net_t *image_net(void) {
  int64_t in[3] = {7, 6, 4};
  return lunet_net_new(3, in);
}

static void finish_and_check(lunet_net_t *net, const char *what) {
  ADD(net, STR("kind", "Flatten"));
  lunet_net_finish(net, 5);
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  enum { B = 2 };
  int nd;
  int64_t out[LUNET_LAYER_MAX_DIMS];
  lunet_net_output_shape(net, &nd, out);
  int64_t nx = B * 7 * 6 * 4, ny = B * lunet_shape_numel(nd, out);
  float *x = malloc((size_t)nx * sizeof *x), *y = malloc((size_t)ny * sizeof *y);
  fill(x, nx, 21); fill(y, ny, 22);
  gradcheck(what, net, x, y, B);
  lunet_net_set_optimizer(net, lunet_optimizer_new(LUNET_OPT_ADAGRAD, net->nparams));
  double loss;
  lunet_net_train_step(net, &loss, x, y, NULL, B);
  uint64_t before = lunet_nn_alloc_count();
  for (int i = 0; i < 5; i++) lunet_net_train_step(net, &loss, x, y, NULL, B);
  CHECK(lunet_nn_alloc_count() == before, "%s: train steps allocated", what);
  free(x); free(y);
  lunet_net_free(net);
}

static void check_conv2d(void) {
  lunet_net_t *net = image_net();
  ADD(net, STR("kind", "Conv2D"), INT("filters", 3), PAIR("kernel_size", 3, 2), PAIR("dilation_rate", 2, 3),
      STR("activation", "tanh"), STR("bias_initializer", "random_normal"));
  finish_and_check(net, "Conv2D dilation (2, 3) valid");
  net = image_net();
  ADD(net, STR("kind", "Conv2D"), INT("filters", 2), INT("kernel_size", 3), INT("dilation_rate", 2),
      STR("padding", "same"), STR("activation", "swish"), STR("bias_initializer", "random_normal"));
  finish_and_check(net, "Conv2D dilation 2 same, swish");
  net = image_net();
  ADD(net, STR("kind", "Conv2D"), INT("filters", 6), PAIR("kernel_size", 2, 3), INT("groups", 2),
      STR("bias_initializer", "random_normal"));
  finish_and_check(net, "Conv2D groups 2 valid");
  net = image_net();
  ADD(net, STR("kind", "Conv2D"), INT("filters", 4), INT("kernel_size", 3), INT("groups", 4), PAIR("strides", 2, 3),
      STR("padding", "same"), STR("activation", "sigmoid"));
  finish_and_check(net, "Conv2D groups 4 same strides (2, 3)");
}

static void check_depthwise(void) {
  lunet_net_t *net = image_net();
  ADD(net, STR("kind", "DepthwiseConv2D"), INT("kernel_size", 3), INT("depth_multiplier", 2), INT("strides", 2),
      STR("padding", "same"), STR("activation", "tanh"), STR("bias_initializer", "random_normal"));
  finish_and_check(net, "DepthwiseConv2D x2 same strides 2");
  net = image_net();
  ADD(net, STR("kind", "DepthwiseConv2D"), PAIR("kernel_size", 2, 3), PAIR("dilation_rate", 3, 2));
  finish_and_check(net, "DepthwiseConv2D valid dilation (3, 2)");
}

static void check_separable(void) {
  lunet_net_t *net = image_net();
  ADD(net, STR("kind", "SeparableConv2D"), INT("filters", 3), INT("kernel_size", 3), INT("depth_multiplier", 2),
      PAIR("strides", 2, 1), STR("padding", "same"), STR("activation", "gelu"),
      STR("bias_initializer", "random_normal"), REC("pointwise_regularizer"), NUM("pointwise_regularizer.l2", 0.1),
      REC("depthwise_regularizer"), NUM("depthwise_regularizer.l1", 0.01));
  finish_and_check(net, "SeparableConv2D x2 same strides (2, 1), regularized");
  net = image_net();
  ADD(net, STR("kind", "SeparableConv2D"), INT("filters", 2), PAIR("kernel_size", 3, 2), INT("dilation_rate", 2));
  finish_and_check(net, "SeparableConv2D valid dilation 2");
}

static void check_transpose(void) {
  lunet_net_t *net = image_net();
  ADD(net, STR("kind", "Conv2DTranspose"), INT("filters", 3), PAIR("kernel_size", 3, 2), INT("strides", 2),
      STR("activation", "tanh"), STR("bias_initializer", "random_normal"));
  finish_and_check(net, "Conv2DTranspose valid strides 2");
  net = image_net();
  ADD(net, STR("kind", "Conv2DTranspose"), INT("filters", 2), INT("kernel_size", 3), PAIR("strides", 2, 3),
      STR("padding", "same"), PAIR("output_padding", 1, 2), STR("bias_initializer", "random_normal"));
  finish_and_check(net, "Conv2DTranspose same strides (2, 3) output_padding (1, 2)");
  net = image_net();
  ADD(net, STR("kind", "Conv2DTranspose"), INT("filters", 2), INT("kernel_size", 2), INT("dilation_rate", 2),
      STR("activation", "swish"), REC("kernel_regularizer"), NUM("kernel_regularizer.l2", 0.1));
  finish_and_check(net, "Conv2DTranspose valid dilation 2, swish, regularized");
  net = image_net();
  ADD(net, STR("kind", "Conv2DTranspose"), INT("filters", 2), INT("kernel_size", 3), INT("strides", 2),
      STR("padding", "valid"), INT("output_padding", 1));
  finish_and_check(net, "Conv2DTranspose valid strides 2 output_padding 1");
}

/* A config that must not build, and the words its message must have. */
#define REFUSE(needle, ...) do { const lunet_cfg_entry_t e_[] = {__VA_ARGS__}; \
  refuse(needle, e_, (int)(sizeof e_ / sizeof *e_)); } while (0)
static void refuse(const char *needle, const lunet_cfg_entry_t *entries, int n) {
  int64_t in[3] = {7, 6, 4};
  lunet_layer_config_t cfg = {n, entries};
  lunet_layer_t *l = lunet_layer_from_config(&cfg, 3, in);
  CHECK(!l && strstr(lunet_errmsg(), needle), "expected an error with '%s', got %s", needle,
        l ? "a layer" : lunet_errmsg());
  lunet_layer_free(l);
}

static void check_refused(void) {
  REFUSE("the input's 4 channels must be a multiple of groups (3)", STR("kind", "Conv2D"), INT("filters", 3),
         INT("kernel_size", 1), INT("groups", 3));
  REFUSE("filters (3) must be a multiple of groups (2)", STR("kind", "Conv2D"), INT("filters", 3),
         INT("kernel_size", 1), INT("groups", 2));
  REFUSE("smaller than the kernel (dilated) with padding 'valid'", STR("kind", "Conv2D"), INT("filters", 3),
         INT("kernel_size", 3), INT("dilation_rate", 4));
  REFUSE("DepthwiseConv2D(8x2): input (7, 6, 4) is smaller than the kernel", STR("kind", "DepthwiseConv2D"),
         PAIR("kernel_size", 8, 2));
  REFUSE("does not map back to the input", STR("kind", "Conv2DTranspose"), INT("filters", 1), INT("kernel_size", 4),
         INT("strides", 2), STR("padding", "same"), INT("output_padding", 0));
  REFUSE("output_padding must be an integer >= 0", STR("kind", "Conv2DTranspose"), INT("filters", 1),
         INT("kernel_size", 4), INT("output_padding", -1));
  printf("ok bad configs are refused with their messages\n");
}

int main(void) {
  check_refused();
  check_conv2d();
  check_depthwise();
  check_separable();
  check_transpose();
  if (failures) { printf("%d failures\n", failures); return 1; }
  printf("all convolution gradient checks passed\n");
  return 0;
}
