/* Finite-difference checks of the recurrent and embedding layers
 * (core/layers/rnn.c, rnn_cells.c, embedding.c, bidirectional.c,
 * wrappers.c): each layer alone, loss = sum(out * r) for a fixed random r,
 * with a hand-made mask (B, T); Embedding and a masked Embedding -> LSTM net
 * through the runner, and the no-allocation check of an LSTM training step. */
#include "nn_check.h"

typedef struct { lunet_layer_t *l; float *out, *r; const float *x; int b; } probe_t;

static double loss_of(void *ctx) {
  probe_t *p = ctx;
  if (p->l->ops->reseed) p->l->ops->reseed(p->l, 5); /* the same dropout masks every time */
  p->l->ops->forward(p->l, p->out, p->x, p->b, 1);
  double s = 0;
  for (int64_t i = 0; i < p->b * p->l->out_size; i++) s += (double)p->out[i] * p->r[i];
  return s;
}

/* checks dL/dparams and dL/din of l on a batch of b, mask (b, steps) or NULL */
static void check_layer(const char *what, const lunet_layer_config_t *cfg, int nd, const int64_t *shape, int b,
                        const float *mask) {
  lunet_layer_t *l = lunet_layer_from_config(cfg, nd, shape);
  if (!l) { printf("error: %s\n", lunet_errmsg()); failures++; return; }
  int64_t np = l->nparams, nx = b * l->in_size, no = b * l->out_size;
  float *p = calloc((size_t)np + 1, 4), *g = calloc((size_t)np + 1, 4), *x = malloc((size_t)nx * 4);
  float *dx = malloc((size_t)nx * 4), *out = malloc((size_t)no * 4), *r = malloc((size_t)no * 4), *d = malloc((size_t)no * 4);
  l->params = p; l->grads = g;
  lunet_rng_t rng;
  lunet_rng_seed(&rng, 3);
  l->ops->init(l, &rng);
  for (int64_t i = 0; i < np; i++) p[i] += 0.1f * (float)((i * 7919) % 13 - 6) / 6.0f; /* biases off zero */
  l->need_input_grad = 1;
  l->mask_in = mask;
  if (l->ops->plan(l, b) < 0) { printf("error: plan\n"); failures++; return; }
  fill(x, nx, 11);
  fill(r, no, 12);
  probe_t pr = {l, out, r, x, b};
  loss_of(&pr);
  memcpy(d, r, (size_t)no * 4);
  l->ops->backward(l, dx, d, x, out, b);
  double worst = fd_compare(what, "param", p, g, np, 80, loss_of, &pr, 0.0);
  fd_report(what, fd_compare(what, "input", x, dx, nx, 80, loss_of, &pr, worst));
  lunet_layer_free(l);
  free(p); free(g); free(x); free(dx); free(out); free(r); free(d);
}

static void check_recurrent(void) {
  int64_t shape[2] = {5, 3};
  float mask[3 * 5] = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1}; /* sample 2 padded at the end, 3 anywhere */
  const char *kinds[] = {"SimpleRNN", "LSTM", "GRU"};
  char what[96];
  for (int k = 0; k < 3; k++)
    for (int seq = 0; seq < 2; seq++)
      for (int back = 0; back < 2; back++)
        for (int m = 0; m < 2; m++)
          for (int ra = 0; ra < (k == 2 ? 2 : 1); ra++) {
            snprintf(what, sizeof what, "%s seq=%d backwards=%d mask=%d%s", kinds[k], seq, back, m,
                     k == 2 ? (ra ? " reset_after" : " reset_before") : "");
            lunet_layer_config_t c = CFG(STR("kind", kinds[k]), INT("units", 4), BOOL("return_sequences", seq),
                                         BOOL("go_backwards", back), BOOL("reset_after", ra));
            check_layer(what, &c, 2, shape, 3, m ? mask : NULL);
          }
  /* return_state, dropouts (fixed masks: the generator is reseeded before each forward), other activations */
  lunet_layer_config_t c1 = CFG(STR("kind", "LSTM"), INT("units", 3), BOOL("return_state", 1), BOOL("return_sequences", 1));
  check_layer("LSTM return_state", &c1, 2, shape, 3, mask);
  lunet_layer_config_t c2 = CFG(STR("kind", "GRU"), INT("units", 3), BOOL("return_state", 1));
  check_layer("GRU return_state", &c2, 2, shape, 3, NULL);
  for (int k = 0; k < 3; k++)
    for (int ra = 0; ra < (k == 2 ? 2 : 1); ra++) {
      snprintf(what, sizeof what, "%s dropout 0.3 recurrent_dropout 0.2 reset_after=%d", kinds[k], ra);
      lunet_layer_config_t c = CFG(STR("kind", kinds[k]), INT("units", 4), NUM("dropout", 0.3),
                                   NUM("recurrent_dropout", 0.2), BOOL("return_sequences", 1), BOOL("reset_after", ra));
      check_layer(what, &c, 2, shape, 3, mask);
      snprintf(what, sizeof what, "%s dropout 0.3 only reset_after=%d", kinds[k], ra);
      lunet_layer_config_t d = CFG(STR("kind", kinds[k]), INT("units", 4), NUM("dropout", 0.3), BOOL("reset_after", ra));
      check_layer(what, &d, 2, shape, 3, NULL);
    }
  lunet_layer_config_t c3 = CFG(STR("kind", "LSTM"), INT("units", 4), STR("activation", "gelu"),
                                STR("recurrent_activation", "hard_sigmoid"), BOOL("use_bias", 0));
  check_layer("LSTM gelu / hard_sigmoid, no bias", &c3, 2, shape, 2, NULL);
  lunet_layer_config_t c4 = CFG(STR("kind", "SimpleRNN"), INT("units", 4), STR("activation", "swish"));
  check_layer("SimpleRNN swish", &c4, 2, shape, 2, NULL);
}

static void check_wrappers(void) {
  int64_t shape[2] = {4, 3};
  float mask[2 * 4] = {1, 1, 1, 0, 1, 0, 1, 1};
  const char *modes[] = {"concat", "sum", "mul", "ave"};
  char what[96];
  for (int m = 0; m < 4; m++)
    for (int seq = 0; seq < 2; seq++) {
      snprintf(what, sizeof what, "Bidirectional(LSTM) %s seq=%d", modes[m], seq);
      lunet_layer_config_t c = CFG(STR("kind", "Bidirectional"), STR("merge_mode", modes[m]),
                                   {.key = "layer", .v = {.type = LUNET_CFG_RECORD}}, STR("layer.kind", "LSTM"),
                                   INT("layer.units", 3), BOOL("layer.return_sequences", seq));
      check_layer(what, &c, 2, shape, 2, mask);
    }
  for (int seq = 0; seq < 2; seq++) {
    snprintf(what, sizeof what, "Bidirectional(GRU) merge_mode none seq=%d", seq);
    lunet_layer_config_t c = CFG(STR("kind", "Bidirectional"), BOOL("merge_mode", 0),
                                 {.key = "layer", .v = {.type = LUNET_CFG_RECORD}}, STR("layer.kind", "GRU"),
                                 INT("layer.units", 3), BOOL("layer.return_sequences", seq));
    check_layer(what, &c, 2, shape, 2, mask);
  }
  lunet_layer_config_t g = CFG(STR("kind", "Bidirectional"), {.key = "layer", .v = {.type = LUNET_CFG_RECORD}},
                               STR("layer.kind", "GRU"), INT("layer.units", 3),
                               {.key = "backward_layer", .v = {.type = LUNET_CFG_RECORD}}, STR("backward_layer.kind", "SimpleRNN"),
                               INT("backward_layer.units", 2), BOOL("backward_layer.go_backwards", 1));
  check_layer("Bidirectional(GRU, backward_layer = SimpleRNN)", &g, 2, shape, 2, NULL);
  lunet_layer_config_t t = CFG(STR("kind", "TimeDistributed"), {.key = "layer", .v = {.type = LUNET_CFG_RECORD}},
                               STR("layer.kind", "Dense"), INT("layer.units", 2), STR("layer.activation", "tanh"));
  check_layer("TimeDistributed(Dense tanh)", &t, 2, shape, 2, NULL);
  int64_t s3[3] = {2, 4, 3};
  lunet_layer_config_t tr = CFG(STR("kind", "TimeDistributed"), {.key = "layer", .v = {.type = LUNET_CFG_RECORD}},
                                STR("layer.kind", "GRU"), INT("layer.units", 2));
  check_layer("TimeDistributed(GRU)", &tr, 3, s3, 2, NULL);
}

/* Embedding(mask_zero) -> LSTM -> Dense through the runner: parameter check
 * (the ids have no gradient) and the mask reaching the LSTM */
static void check_embedding_net(void) {
  int64_t in[1] = {6};
  lunet_net_t *net = lunet_net_new(1, in);
  lunet_layer_config_t e = CFG(STR("kind", "Embedding"), INT("input_dim", 7), INT("output_dim", 3), BOOL("mask_zero", 1),
                               STR("embeddings_initializer", "random_normal"));
  lunet_layer_config_t l = CFG(STR("kind", "LSTM"), INT("units", 4));
  lunet_layer_config_t d = CFG(STR("kind", "Dense"), INT("units", 2));
  int nd;
  int64_t s[3];
  const lunet_layer_config_t *cfgs[] = {&e, &l, &d};
  for (int i = 0; i < 3; i++) {
    lunet_net_output_shape(net, &nd, s);
    lunet_layer_t *x = lunet_layer_from_config(cfgs[i], nd, s);
    if (!x || lunet_net_add(net, x) < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
  }
  lunet_net_finish(net, 3);
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  float x[3 * 6] = {1, 2, 3, 0, 0, 0, 4, 5, 6, 1, 2, 0, 6, 6, 1, 2, 3, 4}, y[3 * 2] = {0.5f, -0.5f, 1, 0, 0, 1};
  net_loss_t c = {net, x, y, 3};
  net_loss(&c);
  int64_t np = net->nparams;
  float *g = malloc((size_t)np * 4), *p = lunet_tensor_data(net->params);
  memcpy(g, lunet_tensor_data(net->grads), (size_t)np * 4);
  double worst = fd_compare("Embedding net", "param", p, g, np, 0, net_loss, &c, 0.0);
  /* the padding id's row: its steps are masked, so it gets no gradient */
  for (int j = 0; j < 3; j++) CHECK(g[j] == 0.0f, "the padding id's row has a gradient %g", g[j]);
  fd_report("Embedding(mask_zero) -> LSTM -> Dense parameters", worst);
  /* padding steps change nothing: the padding id's embedding row does not reach the output */
  const float *o1;
  lunet_net_forward(net, &o1, x, 3, 0);
  float first[6];
  memcpy(first, o1, sizeof first);
  for (int j = 0; j < 3; j++) p[j] += 1.0f;
  lunet_net_forward(net, &o1, x, 3, 0);
  CHECK(memcmp(o1, first, sizeof first) == 0, "the padding's embedding changed the output");
  for (int j = 0; j < 3; j++) p[j] -= 1.0f;
  float bad[6] = {1, 2, 7, 0, 0, 0};
  CHECK(lunet_net_forward(net, &o1, bad, 1, 0) < 0 && strstr(lunet_errmsg(), "sample 1 has id 7 at step 3"),
        "bad id: %s", lunet_errmsg());
  /* no allocation in LSTM training steps */
  lunet_net_set_optimizer(net, lunet_optimizer_new(LUNET_OPT_ADAM, net->nparams));
  double loss;
  lunet_net_train_step(net, &loss, x, y, NULL, 3);
  uint64_t before = lunet_nn_alloc_count();
  for (int i = 0; i < 20; i++) lunet_net_train_step(net, &loss, x, y, NULL, 3);
  CHECK(lunet_nn_alloc_count() == before, "LSTM train steps allocated");
  printf("ok no allocation in 20 Embedding -> LSTM training steps (loss %.4f)\n", loss);
  free(g);
  lunet_net_free(net);
}

int main(void) {
  check_recurrent();
  check_wrappers();
  check_embedding_net();
  if (failures) printf("%d failures\n", failures);
  return failures ? 1 : 0;
}
