/* The layer registry: every layer kind the C runner builds, by its Keras name,
 * with the function that builds it from its config (config.h). A new kind is
 * its file in core/layers/ (its ops, its config parser and its
 * lunet_layer_kind_t) plus one line in registry.c's list; its Lua class lives
 * in lua/lunet/nn. */
#ifndef LUNET_REGISTRY_H
#define LUNET_REGISTRY_H

#include <stdint.h>

#include "config.h"
#include "layer.h"

typedef struct lunet_layer_kind {
  const char *name; /* "Dense": the config's "kind", as in Keras */
  /* The layer cfg describes for per-sample input (in_ndim, in_shape); NULL
   * with a message (without the layer's index: the caller adds it). */
  lunet_layer_t *(*from_config)(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape);
} lunet_layer_kind_t;

/* A kind with several inputs (merge layers), registered in registry.c's
 * second list: the layer for nin inputs of per-sample shapes (ndims[j],
 * shapes[j]). */
typedef struct lunet_layer_kind_n {
  const char *name;
  lunet_layer_t *(*from_config_n)(const lunet_layer_config_t *cfg, int nin, const int *ndims,
                                  const int64_t *const *shapes);
} lunet_layer_kind_n_t;

/* The kind registered under name, or NULL. */
const lunet_layer_kind_t *lunet_layer_kind_find(const char *name);
/* The layer cfg describes (its kind is cfg's "kind"); NULL with "layer config
 * has no 'kind'", "unknown layer kind 'X'" or the kind's own message. */
lunet_layer_t *lunet_layer_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape);
/* The same for a layer called on nin inputs: a single-input kind refuses
 * nin != 1 ("Dense: takes one input, got 2"). */
lunet_layer_t *lunet_layer_from_config_n(const lunet_layer_config_t *cfg, int nin, const int *ndims,
                                         const int64_t *const *shapes);

#endif
