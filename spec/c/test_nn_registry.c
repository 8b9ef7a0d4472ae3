/* The layer registry and the config view (core/nn/registry.h, config.h), and
 * the per-layer state interface over a net (net.h: reseed, state_size,
 * get_state, set_state), without Lua. */
#include "nn_check.h"

/* The layer the entries describe for input (4), or NULL. */
static lunet_layer_t *build(const lunet_cfg_entry_t *e, int n) {
  int64_t in[1] = {4};
  lunet_layer_config_t cfg = {n, e};
  return lunet_layer_from_config(&cfg, 1, in);
}
/* Builds nothing and fails with a message containing want. */
#define REFUSES(want, ...) do { const lunet_cfg_entry_t e_[] = {__VA_ARGS__}; \
  lunet_layer_t *l_ = build(e_, (int)(sizeof e_ / sizeof *e_)); \
  CHECK(!l_ && strstr(lunet_errmsg(), want), "expected '%s', got '%s'", want, l_ ? "a layer" : lunet_errmsg()); \
  lunet_layer_free(l_); } while (0)

static void check_registry(void) {
  CHECK(lunet_layer_kind_find("Dense") && !lunet_layer_kind_find("dense"), "kinds are found by their exact name");
  REFUSES("layer config has no 'kind'", INT("units", 3));
  REFUSES("unknown layer kind 'Nope'", STR("kind", "Nope"));
  REFUSES("layer config: option 'kind' must be a string, got number", INT("kind", 1));
  REFUSES("Dense: units must be an integer from 1 to 2147483647, got 4294967298", STR("kind", "Dense"),
          INT("units", 4294967298));
  REFUSES("Dense: units must be an integer from 1 to 2147483647, got nil", STR("kind", "Dense"));
  REFUSES("Dense: units must be an integer from 1 to 2147483647, got 2.5", STR("kind", "Dense"), NUM("units", 2.5));
  REFUSES("Dense: option 'activation' must be a string, got number", STR("kind", "Dense"), INT("units", 2),
          INT("activation", 1));
  REFUSES("Dropout(1.5): rate must be in [0, 1)", STR("kind", "Dropout"), NUM("rate", 1.5));
  const lunet_cfg_entry_t dense[] = {STR("kind", "Dense"), NUM("units", 3.0)}; /* an integral float is a size */
  lunet_layer_t *l = build(dense, 2);
  CHECK(l && l->out_size == 3 && strcmp(l->name, "Dense(3)") == 0, "Dense from units = 3.0");
  lunet_layer_free(l);
  const lunet_cfg_entry_t act[] = {STR("kind", "Activation"), STR("activation", "relu"), STR("name", "Lua's key")};
  l = build(act, 3);
  CHECK(l && strcmp(l->ops->kind, "Activation") == 0, "Activation built");
  lunet_layer_free(l);
  printf("ok registry: kinds by name, configs checked with named messages\n");
}

static lunet_net_t *dropout_net(void) {
  int64_t in[1] = {4};
  lunet_net_t *net = lunet_net_new(1, in);
  const lunet_cfg_entry_t dense[] = {STR("kind", "Dense"), INT("units", 8)};
  const lunet_cfg_entry_t drop[] = {STR("kind", "Dropout"), NUM("rate", 0.5)};
  const lunet_cfg_entry_t seeded[] = {STR("kind", "Dropout"), NUM("rate", 0.5), INT("seed", 42)};
  const lunet_cfg_entry_t out[] = {STR("kind", "Dense"), INT("units", 2)};
  lunet_layer_config_t cfgs[] = {{2, dense}, {2, drop}, {3, seeded}, {2, out}};
  for (int i = 0; i < 4; i++) {
    int nd;
    int64_t shape[LUNET_LAYER_MAX_DIMS];
    lunet_net_output_shape(net, &nd, shape);
    lunet_net_add(net, lunet_layer_from_config(&cfgs[i], nd, shape));
  }
  lunet_net_finish(net, 7);
  lunet_net_set_loss(net, LUNET_LOSS_MEAN_SQUARED_ERROR);
  return net;
}

static double loss_of(lunet_net_t *net) {
  float x[3 * 4], y[3 * 2];
  for (int i = 0; i < 12; i++) x[i] = (float)i / 12.0f;
  for (int i = 0; i < 6; i++) y[i] = (float)(i % 2);
  double loss;
  CHECK(lunet_net_loss_grad(net, &loss, x, y, NULL, 3) == 0, "loss_grad: %s", lunet_errmsg());
  return loss;
}

static void check_state(void) {
  lunet_net_t *net = dropout_net();
  CHECK(lunet_net_state_size(net) == 64, "two Dropout generators hold 64 bytes, got %zu", lunet_net_state_size(net));
  uint8_t s0[64], s1[64], zero[64] = {0};
  lunet_net_get_state(net, s0);
  /* the explicit seed of layer 3 is kept over the model seed: its state is
   * what a generator seeded with 42 holds, written big-endian */
  lunet_rng_t r;
  lunet_rng_seed(&r, 42);
  CHECK(s0[32 + 7] == (uint8_t)r.s[0] && s0[32] == (uint8_t)(r.s[0] >> 56), "the seeded Dropout kept seed 42");
  double first = loss_of(net);
  lunet_net_get_state(net, s1);
  CHECK(memcmp(s0, s1, 64) != 0, "a training pass draws masks: the state moves on");
  CHECK(lunet_net_set_state(net, s0, 64) == 0, "set_state: %s", lunet_errmsg());
  CHECK(loss_of(net) == first, "the restored state repeats the masks");
  /* all or nothing: the second generator refuses all-zero, the first is put back */
  memcpy(zero, s1, 32);
  lunet_net_set_state(net, s0, 64);
  CHECK(lunet_net_set_state(net, zero, 64) < 0 && strstr(lunet_errmsg(), "Dropout generator state 2 is not a valid state"),
        "all-zero refused: %s", lunet_errmsg());
  lunet_net_get_state(net, s1);
  CHECK(memcmp(s0, s1, 64) == 0, "a refused state changes nothing");
  CHECK(lunet_net_set_state(net, s0, 32) < 0 && strstr(lunet_errmsg(), "32 bytes of layer state, the layers hold 64"),
        "wrong size: %s", lunet_errmsg());
  /* reseed reaches every generator, the explicitly seeded one too */
  lunet_net_reseed(net, 9);
  lunet_net_get_state(net, s1);
  lunet_rng_seed(&r, 9 + 2);
  CHECK(s1[32 + 7] == (uint8_t)r.s[0], "reseed: layer 3 from seed + 2");
  lunet_net_free(net);
  printf("ok layer state: size, get, set (all or nothing), reseed\n");
}

int main(void) {
  check_registry();
  check_state();
  if (failures) { printf("%d failures\n", failures); return 1; }
  printf("all registry and state checks passed\n");
  return 0;
}
