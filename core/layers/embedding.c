/* Embedding: ids (B, T) stored as floats -> rows of the table E (input_dim,
 * output_dim), out (B, T, output_dim), as Keras (E is its get_weights()[0]).
 * Ids are checked before forward (check_input), so a bad id is an error
 * naming the sample, never a read out of the table. The gradient goes to the
 * rows used only (scatter-add); ids have none (din is zeros). With mask_zero
 * the layer makes the mask (1 where the id is not 0) its successors read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tensor.h"
#include "regularize.h"
#include "registry.h"

typedef struct {
  lunet_layer_t base;
  int64_t input_dim, output_dim;
  int mask_zero;
  lunet_init_t init;
} embedding_t;

static void embedding_init(lunet_layer_t *l, lunet_rng_t *rng) {
  embedding_t *e = (embedding_t *)l;
  lunet_init_fill(e->init, rng, l->params, e->input_dim * e->output_dim, e->input_dim, e->output_dim);
}

static int embedding_plan(lunet_layer_t *l, int max_batch) {
  if (!l->makes_mask) return 0;
  free(l->mask_out);
  l->mask_out = lunet_nn_alloc((size_t)(max_batch * l->in_size) * sizeof(float));
  return l->mask_out ? 0 : -1;
}

static int embedding_check_input(const lunet_layer_t *l, const float *in, int batch) {
  const embedding_t *e = (const embedding_t *)l;
  int64_t T = l->in_size;
  for (int64_t i = 0; i < batch * T; i++) {
    float id = in[i];
    if (!(id >= 0.0f && id < (float)e->input_dim) || id != (float)(int64_t)id)
      return lunet_fail("%s: sample %lld has id %g at step %lld, expected an integer in [0, %lld)", l->name,
                        (long long)(i / T) + 1, (double)id, (long long)(i % T) + 1, (long long)e->input_dim);
  }
  return 0;
}

/* out (B*T, D) = E[id] */
static void embedding_forward(lunet_layer_t *l, float *out, const float *in, int batch, int training) {
  embedding_t *e = (embedding_t *)l;
  int64_t n = batch * l->in_size, d = e->output_dim;
  for (int64_t i = 0; i < n; i++) {
    int64_t id = (int64_t)in[i];
    memcpy(out + i * d, l->params + id * d, (size_t)d * sizeof *out);
    if (l->makes_mask) l->mask_out[i] = id != 0 ? 1.0f : 0.0f;
  }
}

/* dE[id] += dout row; din (the ids) = 0 */
static void embedding_backward(lunet_layer_t *l, float *din, float *dout, const float *in, const float *out,
                               int batch) {
  embedding_t *e = (embedding_t *)l;
  int64_t n = batch * l->in_size, d = e->output_dim;
  if (!l->grads_preset) memset(l->grads, 0, (size_t)l->nparams * sizeof *l->grads);
  for (int64_t i = 0; i < n; i++) {
    float *g = l->grads + (int64_t)in[i] * d;
    const float *dr = dout + i * d;
    for (int64_t j = 0; j < d; j++) g[j] += dr[j];
  }
  if (din) memset(din, 0, (size_t)n * sizeof *din);
}

static void embedding_free(lunet_layer_t *l) { free(l->mask_out); l->mask_out = NULL; }

static const lunet_layer_ops_t embedding_ops = {
    .kind = "Embedding", .init = embedding_init, .plan = embedding_plan, .forward = embedding_forward,
    .backward = embedding_backward, .free = embedding_free, .check_input = embedding_check_input};

/* Keras names the table's options embeddings_*: read them as regularize.h's kernel_* */
static int rename_weight_options(const lunet_layer_config_t *cfg, lunet_cfg_entry_t *out) {
  static const char *const from[] = {"embeddings_regularizer", "embeddings_constraint"};
  static const char *const to[] = {"kernel_regularizer", "kernel_constraint"};
  static char keys[64][48]; /* never more than a record's few fields; built once per key, read only after */
  int nk = 0;
  for (int i = 0; i < cfg->n; i++) {
    out[i] = cfg->entries[i];
    if (strncmp(out[i].key, "kernel_", 7) == 0) return -1;
    for (int k = 0; k < 2; k++) {
      size_t len = strlen(from[k]);
      const char *key = cfg->entries[i].key;
      if (strncmp(key, from[k], len) != 0 || (key[len] != '\0' && key[len] != '.')) continue;
      if (nk == 64 || strlen(key) >= 40) return -1;
      snprintf(keys[nk], sizeof keys[nk], "%s%s", to[k], key + len);
      out[i].key = keys[nk++];
    }
  }
  return 0;
}

/* config: input_dim, output_dim, embeddings_initializer ('uniform'), mask_zero, embeddings_regularizer,
 * activity_regularizer, embeddings_constraint */
static lunet_layer_t *embedding_from_config(const lunet_layer_config_t *cfg, int in_ndim, const int64_t *in_shape) {
  int input_dim, output_dim, mask_zero;
  lunet_init_t init;
  if (lunet_config_size(cfg, "input_dim", 0, &input_dim) < 0 ||
      lunet_config_size(cfg, "output_dim", 0, &output_dim) < 0 ||
      lunet_config_initializer(cfg, "embeddings_initializer", "uniform", &init) < 0 ||
      lunet_config_boolean(cfg, "mask_zero", 0, &mask_zero) < 0)
    return NULL;
  if (mask_zero && input_dim < 2) {
    lunet_fail("Embedding(%d, %d): mask_zero = true needs input_dim >= 2 (id 0 is the padding)", input_dim,
               output_dim);
    return NULL;
  }
  if (in_ndim != 1) {
    char s[LUNET_SHAPE_STR_MAX];
    lunet_fail("Embedding(%d, %d): expects ids of shape (batch, steps), input has shape (batch, %s", input_dim,
               output_dim, lunet_shape_str(s, sizeof s, in_ndim, in_shape) + 1);
    return NULL;
  }
  lunet_cfg_entry_t *entries = malloc((size_t)(cfg->n ? cfg->n : 1) * sizeof *entries);
  if (!entries) { lunet_fail("out of memory"); return NULL; }
  lunet_layer_config_t renamed = {cfg->n, entries};
  embedding_t *e = NULL;
  if (rename_weight_options(cfg, entries) < 0) {
    lunet_fail("Embedding(%d, %d): give embeddings_regularizer / embeddings_constraint", input_dim, output_dim);
    goto done;
  }
  if (!(e = lunet_nn_alloc(sizeof *e))) goto done;
  lunet_layer_t *l = &e->base;
  lunet_layer_setup(l, &embedding_ops, in_ndim, in_shape);
  snprintf(l->name, sizeof l->name, "Embedding(%d, %d)", input_dim, output_dim);
  e->input_dim = input_dim;
  e->output_dim = output_dim;
  e->init = init;
  l->makes_mask = mask_zero;
  l->out_ndim = 2;
  l->out_shape[0] = in_shape[0];
  l->out_shape[1] = output_dim;
  l->out_size = lunet_shape_numel(2, l->out_shape);
  l->nparams = l->ntrainable = (int64_t)input_dim * output_dim;
  l->kernel = (lunet_weight_t){.off = 0, .n = l->nparams, .ndim = 2, .shape = {input_dim, output_dim}};
  if (lunet_reg_config(l, &renamed) < 0) { lunet_layer_free(l); e = NULL; }
done:
  free(entries);
  return e ? &e->base : NULL;
}

const lunet_layer_kind_t lunet_embedding_kind = {"Embedding", embedding_from_config};
