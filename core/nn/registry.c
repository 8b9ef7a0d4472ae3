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
  X(lunet_upsampling1d_kind) \
  X(lunet_embedding_kind)           \
  X(lunet_simple_rnn_kind)          \
  X(lunet_lstm_kind)                \
  X(lunet_gru_kind)                 \
  X(lunet_bidirectional_kind)       \
  X(lunet_time_distributed_kind) \
  X(lunet_depthwise_conv2d_kind)    \
  X(lunet_separable_conv2d_kind)    \
  X(lunet_conv2d_transpose_kind)

#define DECLARE(kind) extern const lunet_layer_kind_t kind;
LAYER_KINDS(DECLARE)
#define ADDRESS(kind) &kind,
static const lunet_layer_kind_t *const kinds[] = {LAYER_KINDS(ADDRESS)};

const lunet_layer_kind_t *lunet_layer_kind_find(const char *name) {
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
  return NULL;
}

lunet_layer_t *lunet_layer_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  const char *name;
  if (lunet_config_string(cfg, "kind", NULL, &name) < 0) return NULL;
  if (!name) { lunet_fail("layer config has no 'kind'"); return NULL; }
  const lunet_layer_kind_t *kind = lunet_layer_kind_find(name);
  if (!kind) { lunet_fail("unknown layer kind '%s'", name); return NULL; }
  return kind->from_config(cfg, in_ndim, in_shape);
}
