/* The layers' state beyond the parameters over a whole net (see net.h):
 * generator reseeding, and the state checkpoints and model files keep, each
 * layer's part through its ops (layer.h), none of them known here by kind. */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "net.h"

void lunet_net_reseed(lunet_net_t *net, uint64_t seed) {
  for (int i = 0; i < net->nlayers; i++)
    if (net->layers[i]->ops->reseed) net->layers[i]->ops->reseed(net->layers[i], seed + (uint64_t)i);
}

size_t lunet_net_state_size(const lunet_net_t *net) {
  size_t n = 0;
  for (int i = 0; i < net->nlayers; i++) n += lunet_layer_state_size(net->layers[i]);
  return n;
}

void lunet_net_get_state(const lunet_net_t *net, uint8_t *out) {
  for (int i = 0; i < net->nlayers; i++) {
    const lunet_layer_t *l = net->layers[i];
    size_t n = lunet_layer_state_size(l);
    if (n) l->ops->get_state(l, out);
    out += n;
  }
}

/* Sets layers [0, upto) from in; the first refusal stops it (-1, its index in *bad). */
static int set_states(lunet_net_t *net, const uint8_t *in, int upto, int *bad) {
  for (int i = 0; i < upto; i++) {
    lunet_layer_t *l = net->layers[i];
    size_t n = lunet_layer_state_size(l);
    if (n && l->ops->set_state(l, in, n) < 0) { *bad = i; return -1; }
    in += n;
  }
  return 0;
}

int lunet_net_set_state(lunet_net_t *net, const uint8_t *in, size_t n) {
  size_t want = lunet_net_state_size(net);
  if (n != want) return lunet_fail("Sequential: %zu bytes of layer state, the layers hold %zu", n, want);
  if (want == 0) return 0;
  /* all or nothing: a layer that refuses its part puts the earlier ones back */
  uint8_t *old = lunet_nn_alloc(want);
  if (!old) return -1;
  lunet_net_get_state(net, old);
  int bad = 0, rc = set_states(net, in, net->nlayers, &bad);
  if (rc < 0) {
    char why[LUNET_ERRMSG_MAX];
    snprintf(why, sizeof why, "%s", lunet_errmsg());
    int k = 1, ignored;
    for (int i = 0; i < bad; i++) k += lunet_layer_state_size(net->layers[i]) > 0;
    int restored = set_states(net, old, bad, &ignored); /* states get_state wrote: always valid */
    LUNET_ASSERT(restored == 0);
    lunet_fail("%s state %d is not a valid state (%s)", net->layers[bad]->ops->state_name, k, why);
  }
  free(old);
  return rc;
}
