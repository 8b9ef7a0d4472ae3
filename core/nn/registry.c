/* The registered layer kinds (see registry.h): a list, searched by name. */
#include "registry.h"

#include <string.h>

#include "common.h"

/* One line per kind; each lunet_layer_kind_t is defined in its core/layers/ file. */
#define LAYER_KINDS(X)              \
  X(lunet_dense_kind)               \
  X(lunet_activation_kind)          \
  X(lunet_dropout_kind)             \
  X(lunet_conv2d_kind)              \
  X(lunet_max_pooling2d_kind)       \
  X(lunet_average_pooling2d_kind)   \
  X(lunet_flatten_kind)             \
  X(lunet_reshape_kind)             \
  X(lunet_batchnorm_kind)           \
  X(lunet_conv1d_kind)              \
  X(lunet_max_pooling1d_kind)       \
  X(lunet_average_pooling1d_kind)   \
  X(lunet_global_average_pooling1d_kind) \
  X(lunet_global_max_pooling1d_kind)     \
  X(lunet_global_average_pooling2d_kind) \
  X(lunet_global_max_pooling2d_kind)     \
  X(lunet_zero_padding2d_kind)      \
  X(lunet_cropping2d_kind)          \
  X(lunet_upsampling2d_kind)        \
  X(lunet_layer_normalization_kind) \
  X(lunet_spatial_dropout1d_kind)   \
  X(lunet_spatial_dropout2d_kind)   \
  X(lunet_gaussian_noise_kind)      \
  X(lunet_zero_padding1d_kind)      \
  X(lunet_cropping1d_kind)          \
  X(lunet_upsampling1d_kind)         \
  X(lunet_depthwise_conv2d_kind)    \
  X(lunet_separable_conv2d_kind)    \
  X(lunet_conv2d_transpose_kind)    \
  X(lunet_output_part_kind) \
  X(lunet_embedding_kind)           \
  X(lunet_simple_rnn_kind)          \
  X(lunet_lstm_kind)                \
  X(lunet_gru_kind)                 \
  X(lunet_bidirectional_kind)       \
  X(lunet_time_distributed_kind)    \
  X(lunet_output_part_kind)         \
  X(lunet_permute_kind)             \
  X(lunet_repeat_vector_kind)       \
  X(lunet_relu_kind)                \
  X(lunet_leaky_relu_kind)          \
  X(lunet_prelu_kind)               \
  X(lunet_elu_kind)                 \
  X(lunet_softmax_kind)             \
  X(lunet_thresholded_relu_kind)    \
  X(lunet_masking_kind)             \
  X(lunet_gaussian_dropout_kind)    \
  X(lunet_alpha_dropout_kind)       \
  X(lunet_activity_regularization_kind)

/* The kinds with several inputs (lunet_layer_kind_n_t), one line each. */
#define LAYER_KINDS_N(X)            \
  X(lunet_add_kind)                 \
  X(lunet_subtract_kind)            \
  X(lunet_multiply_kind)            \
  X(lunet_average_kind)             \
  X(lunet_maximum_kind)             \
  X(lunet_concatenate_kind)         \
  X(lunet_minimum_kind)

#define DECLARE(kind) extern const lunet_layer_kind_t kind;
LAYER_KINDS(DECLARE)
#define ADDRESS(kind) &kind,
static const lunet_layer_kind_t *const kinds[] = {LAYER_KINDS(ADDRESS)};
#define DECLARE_N(kind) extern const lunet_layer_kind_n_t kind;
LAYER_KINDS_N(DECLARE_N)
static const lunet_layer_kind_n_t *const kinds_n[] = {LAYER_KINDS_N(ADDRESS)};

const lunet_layer_kind_t *lunet_layer_kind_find(const char *name) {
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
  return NULL;
}

lunet_layer_t *lunet_layer_from_config_n(const lunet_layer_config_t *cfg, int nin, const int *ndims,
                                         const int64_t *const *shapes) {
  const char *name;
  if (lunet_config_string(cfg, "kind", NULL, &name) < 0) return NULL;
  if (!name) { lunet_fail("layer config has no 'kind'"); return NULL; }
  for (size_t i = 0; i < sizeof kinds_n / sizeof *kinds_n; i++)
    if (strcmp(kinds_n[i]->name, name) == 0) return kinds_n[i]->from_config_n(cfg, nin, ndims, shapes);
  const lunet_layer_kind_t *kind = lunet_layer_kind_find(name);
  if (!kind) { lunet_fail("unknown layer kind '%s'", name); return NULL; }
  if (nin != 1) { lunet_fail("%s: takes one input, got %d", name, nin); return NULL; }
  return kind->from_config(cfg, ndims[0], shapes[0]);
}

lunet_layer_t *lunet_layer_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  return lunet_layer_from_config_n(cfg, 1, &in_ndim, &in_shape);
}
