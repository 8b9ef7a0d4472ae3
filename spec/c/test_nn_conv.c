/* Finite-difference gradient checks (parameters and inputs) of the
 * convolution variants: Conv2D with dilation_rate and groups,
 * DepthwiseConv2D, SeparableConv2D (with a pointwise regularizer: the second
 * kernel's penalty gradient) and Conv2DTranspose, each with 'same' and
 * 'valid' padding and strides; plus a no-allocation check of their training
 * step. Float32, small sizes, nn_check.h's tolerances, up to 80 sampled
 * parameters and 80 input values. */
#include "nn_check.h"

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
  gradcheck_n(what, net, x, y, B, 80);
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
