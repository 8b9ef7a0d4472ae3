/* The graph runner (net.h): models with several inputs and outputs, merge
 * layers, activations read by several nodes, shared layers. Every case is a
 * finite-difference gradient check over the parameters and the packed input;
 * then the training step of a graph allocates nothing. */
#include "nn_check.h"

/* NODE(net, owner, {inputs}, entries...) -> the node's activation */
#define NODE(net, owner, ins, ...) ({ const lunet_cfg_entry_t e_[] = {__VA_ARGS__}; const int in_[] = ins; \
  node(net, e_, (int)(sizeof e_ / sizeof *e_), (int)(sizeof in_ / sizeof *in_), in_, owner); })
#define IN(...) {__VA_ARGS__}

static int node(lunet_net_t *net, const lunet_cfg_entry_t *entries, int n, int nin, const int *in, int owner) {
  int nd[8];
  int64_t s[8][LUNET_LAYER_MAX_DIMS];
  const int64_t *p[8];
  for (int j = 0; j < nin; j++) { lunet_net_act_shape(net, in[j], &nd[j], s[j]); p[j] = s[j]; }
  lunet_layer_config_t cfg = {n, entries};
  lunet_layer_t *l = lunet_layer_from_config_n(&cfg, nin, nd, p);
  int a = l ? lunet_net_add_node(net, l, nin, in, owner) : -1;
  if (a < 0) { printf("error: %s\n", lunet_errmsg()); exit(1); }
  return a;
}

/* analytic vs central differences on every parameter and every value of the packed input */
static void graph_check(const char *what, lunet_net_t *net, int b) {
  int64_t nx = b * net->in_total, ny = b * net->tgt_total;
  float *x = malloc((size_t)nx * sizeof *x), *y = malloc((size_t)ny * sizeof *y);
  fill(x, nx, 3);
  fill(y, ny, 4);
  for (int64_t i = 0; i < ny; i++) y[i] = 0.5f + 0.4f * y[i]; /* in (0, 1): any loss takes them */
  gradcheck_n(what, net, x, y, b, 0);
  free(x); free(y);
}

/* two inputs, two branches read by two merges, two outputs with their losses and weights */
static void check_two_in_two_out(void) {
  lunet_net_t *net = net1(3);
  int64_t s4[1] = {4};
  int b_in = lunet_net_add_input(net, 1, s4);
  int a = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 5), STR("activation", "tanh"));
  int c = NODE(net, -1, IN(b_in), STR("kind", "Dense"), INT("units", 5), STR("activation", "sigmoid"));
  int sum = NODE(net, -1, IN(a, c), STR("kind", "Add"));
  int cat = NODE(net, -1, IN(a, c, a), STR("kind", "Concatenate"));
  int o1 = NODE(net, -1, IN(cat), STR("kind", "Dense"), INT("units", 2));
  int o2 = NODE(net, -1, IN(sum), STR("kind", "Dense"), INT("units", 3), STR("activation", "sigmoid"));
  int outs[2] = {o1, o2};
  CHECK(lunet_net_set_outputs(net, 2, outs) == 0, "%s", lunet_errmsg());
  CHECK(lunet_net_finish(net, 1) == 0, "%s", lunet_errmsg());
  lunet_net_set_output_loss(net, 0, LUNET_LOSS_MEAN_SQUARED_ERROR, lunet_loss_params_default(), 1.0f);
  lunet_net_set_output_loss(net, 1, LUNET_LOSS_BINARY_CROSSENTROPY, lunet_loss_params_default(), 0.5f); /* (fused with the sigmoid) */
  CHECK(net->in_total == 7 && net->tgt_total == 5 && net->out_total == 5, "packed sizes %lld %lld %lld",
        (long long)net->in_total, (long long)net->tgt_total, (long long)net->out_total);
  graph_check("two inputs, Add + Concatenate, two outputs", net, 3);
  /* the net's loss is the weighted sum of the outputs' */
  float x[2 * 7], y[2 * 5];
  fill(x, 14, 5);
  for (int i = 0; i < 10; i++) y[i] = 0.2f;
  double loss;
  lunet_net_test(net, &loss, x, y, NULL, 2);
  CHECK(fabs(loss - (net->outputs[0].last_loss + 0.5 * net->outputs[1].last_loss)) < 1e-9, "weighted sum %g", loss);
  lunet_net_free(net);
}

static void check_merges(void) {
  const char *kinds[] = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate"};
  for (int k = 0; k < 6; k++) {
    lunet_net_t *net = net1(6);
    int a = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 4), STR("bias_initializer", "random_normal"));
    int b = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 4), STR("activation", "tanh"));
    int m = k == 1 ? NODE(net, -1, IN(a, b), STR("kind", kinds[k]))
                   : NODE(net, -1, IN(a, b, 0 + a), STR("kind", kinds[k])); /* (a read twice: gradients summed) */
    NODE(net, -1, IN(m), STR("kind", "Dense"), INT("units", 2));
    lunet_net_finish(net, 2);
    lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
    char what[64];
    snprintf(what, sizeof what, "%s of Dense branches", kinds[k]);
    graph_check(what, net, 3);
    lunet_net_free(net);
  }
  int64_t s[2] = {2, 3}; /* Concatenate over the first per-sample axis */
  lunet_net_t *net = lunet_net_new(2, s);
  int a = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 4));
  int b = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 4), STR("activation", "tanh"));
  int m = NODE(net, -1, IN(a, b), STR("kind", "Concatenate"), INT("axis", 1));
  int64_t shape[3];
  int nd;
  lunet_net_act_shape(net, m, &nd, shape);
  CHECK(nd == 2 && shape[0] == 4 && shape[1] == 4, "Concatenate axis 1 shape");
  lunet_net_finish(net, 2);
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  graph_check("Concatenate(axis = 1) of (2, 4) and (2, 4)", net, 2);
  lunet_net_free(net);
}

/* one Dense called on two inputs: its parameters count once, its gradient is
 * the sum of both calls' (checked numerically), and both calls see one update */
static void check_shared(void) {
  lunet_net_t *net = net1(3);
  int64_t s3[1] = {3};
  int in2 = lunet_net_add_input(net, 1, s3);
  int a = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 4), STR("activation", "tanh"));
  int b = NODE(net, 0, IN(in2), STR("kind", "Dense"), INT("units", 4), STR("activation", "tanh"));
  int m = NODE(net, -1, IN(a, b), STR("kind", "Multiply"));
  NODE(net, -1, IN(m), STR("kind", "Dense"), INT("units", 1));
  lunet_net_finish(net, 3);
  CHECK(net->nparams == 16 + 5, "shared Dense counted twice: %lld parameters", (long long)net->nparams);
  CHECK(net->layers[1]->params == net->layers[0]->params, "the second call has its own weights");
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  graph_check("a Dense shared by two inputs", net, 3);
  lunet_net_free(net);
}

/* views (Reshape, Flatten) pass values and gradients through: here an
 * activation read by a view and by a merge, and a view as an output */
static void check_views(void) {
  lunet_net_t *net = net1(6);
  int d = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 4), STR("activation", "tanh"));
  const lunet_cfg_entry_t re[] = {STR("kind", "Reshape"),
                                  {.key = "target_shape", .v = {.type = LUNET_CFG_LIST}, .n = 2,
                                   .items = {{.type = LUNET_CFG_NUMBER, .is_int = 1, .i = 2},
                                             {.type = LUNET_CFG_NUMBER, .is_int = 1, .i = 2}}}};
  int in_d[1] = {d};
  int r = node(net, re, 2, 1, in_d, -1);
  int f = NODE(net, -1, IN(r), STR("kind", "Flatten"));
  int m = NODE(net, -1, IN(d, f), STR("kind", "Multiply"));
  int o1 = NODE(net, -1, IN(m), STR("kind", "Dense"), INT("units", 2));
  int o2 = NODE(net, -1, IN(0), STR("kind", "Flatten")); /* an input passed through, as an output */
  (void)o2;
  int outs[2] = {o1, f};
  lunet_net_set_outputs(net, 2, outs);
  CHECK(lunet_net_finish(net, 1) < 0 && strstr(lunet_errmsg(), "Flatten reaches no output"), "%s", lunet_errmsg());
  lunet_net_free(net);
  net = net1(6);
  d = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 4), STR("activation", "tanh"));
  in_d[0] = d;
  r = node(net, re, 2, 1, in_d, -1);
  f = NODE(net, -1, IN(r), STR("kind", "Flatten"));
  m = NODE(net, -1, IN(d, f), STR("kind", "Multiply"));
  o1 = NODE(net, -1, IN(m), STR("kind", "Dense"), INT("units", 2));
  outs[0] = o1;
  outs[1] = f;
  lunet_net_set_outputs(net, 2, outs);
  CHECK(lunet_net_finish(net, 1) == 0, "%s", lunet_errmsg());
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  graph_check("views read beside a merge, a view as an output", net, 3);
  lunet_net_free(net);
}

static void check_no_alloc(void) {
  lunet_net_t *net = net1(8);
  int64_t s5[1] = {5};
  int in2 = lunet_net_add_input(net, 1, s5);
  int a = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 16), STR("activation", "relu"));
  int b = NODE(net, -1, IN(in2), STR("kind", "Dense"), INT("units", 16), STR("activation", "relu"));
  int c = NODE(net, 1, IN(in2), STR("kind", "Dense"), INT("units", 16), STR("activation", "relu"));
  int m = NODE(net, -1, IN(a, b, c), STR("kind", "Concatenate"));
  int o1 = NODE(net, -1, IN(m), STR("kind", "Dense"), INT("units", 2), STR("activation", "softmax"));
  int o2 = NODE(net, -1, IN(a), STR("kind", "Dense"), INT("units", 1));
  int outs[2] = {o1, o2};
  lunet_net_set_outputs(net, 2, outs);
  lunet_net_finish(net, 1);
  lunet_net_set_output_loss(net, 0, LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, lunet_loss_params_default(), 1.0f);
  lunet_net_set_output_loss(net, 1, LUNET_LOSS_MEAN_SQUARED_ERROR, lunet_loss_params_default(), 0.3f);
  lunet_net_set_optimizer(net, lunet_optimizer_new(LUNET_OPT_ADAM, net->nparams));
  float x[16 * 13], y[16 * 2];
  fill(x, 16 * 13, 1);
  for (int i = 0; i < 16; i++) { y[2 * i] = (float)(i % 2); y[2 * i + 1] = x[13 * i]; }
  double loss, first = 0;
  lunet_net_train_step(net, &loss, x, y, NULL, 16);
  uint64_t before = lunet_nn_alloc_count();
  for (int i = 0; i < 100; i++) { lunet_net_train_step(net, &loss, x, y, NULL, 16); if (!i) first = loss; }
  CHECK(lunet_nn_alloc_count() == before, "graph train steps allocated %llu times",
        (unsigned long long)(lunet_nn_alloc_count() - before));
  CHECK(loss < first, "loss did not go down: %g -> %g", first, loss);
  const float *out;
  lunet_net_forward(net, &out, x, 8, 0);
  CHECK(lunet_nn_alloc_count() == before, "a smaller forward allocated");
  printf("ok no allocation in 100 graph training steps (loss %.4f -> %.4f)\n", first, loss);
  lunet_net_free(net);
}

static void check_refusals(void) {
  lunet_net_t *net = net1(3);
  int a = NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 4));
  NODE(net, -1, IN(0), STR("kind", "Dense"), INT("units", 5));
  int outs[1] = {a};
  lunet_net_set_outputs(net, 1, outs);
  CHECK(lunet_net_finish(net, 1) < 0 && strstr(lunet_errmsg(), "reaches no output"),
        "a dangling node: %s", lunet_errmsg());
  lunet_net_free(net);
  net = net1(3);
  int64_t s4[1] = {4};
  lunet_net_add_input(net, 1, s4);
  const lunet_cfg_entry_t e[] = {STR("kind", "Add")};
  lunet_layer_config_t cfg = {1, e};
  int nd[2] = {1, 1};
  int64_t sa[1] = {3}, sb[1] = {4};
  const int64_t *p[2] = {sa, sb};
  CHECK(!lunet_layer_from_config_n(&cfg, 2, nd, p) && strstr(lunet_errmsg(), "Add: input 2 has shape (batch, 4), input 1 has (batch, 3)"),
        "mismatched Add: %s", lunet_errmsg());
  CHECK(!lunet_layer_from_config_n(&cfg, 1, nd, p) && strstr(lunet_errmsg(), "at least 2 inputs"), "one input: %s", lunet_errmsg());
  const lunet_cfg_entry_t d[] = {STR("kind", "Dense"), INT("units", 2)};
  lunet_layer_config_t dcfg = {2, d};
  CHECK(!lunet_layer_from_config_n(&dcfg, 2, nd, p) && strstr(lunet_errmsg(), "Dense: takes one input, got 2"), "%s", lunet_errmsg());
  lunet_net_free(net);
  printf("ok refusals: a dangling node, mismatched merge shapes, wrong input counts\n");
}

int main(void) {
  check_two_in_two_out();
  check_merges();
  check_shared();
  check_views();
  check_no_alloc();
  check_refusals();
  if (failures) printf("%d failures\n", failures);
  return failures ? 1 : 0;
}
