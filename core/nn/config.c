/* The getters of a layer's config view (see config.h). Messages have the
 * forms lua/lunet/check.lua gives the same mistakes, so a config that
 * bypasses the Lua constructors reads the same errors. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* The entry at key, or NULL when it is absent or nil. */
static const lunet_cfg_entry_t *entry(const lunet_layer_config_t *c, const char *key) {
  for (int i = 0; i < c->n; i++)
    if (strcmp(c->entries[i].key, key) == 0) return c->entries[i].v.type == LUNET_CFG_NIL ? NULL : &c->entries[i];
  return NULL;
}

const lunet_cfg_value_t *lunet_config_get(const lunet_layer_config_t *c, const char *key) {
  const lunet_cfg_entry_t *e = entry(c, key);
  return e ? &e->v : NULL;
}

const char *lunet_config_kind(const lunet_layer_config_t *c) {
  const lunet_cfg_value_t *k = lunet_config_get(c, "kind");
  return k && k->type == LUNET_CFG_STRING ? k->s : "layer config";
}

const char *lunet_cfg_type_name(const lunet_cfg_value_t *v) {
  switch (v->type) {
  case LUNET_CFG_NIL: return "nil";
  case LUNET_CFG_NUMBER: return "number";
  case LUNET_CFG_STRING: return "string";
  case LUNET_CFG_BOOLEAN: return "boolean";
  case LUNET_CFG_LIST: case LUNET_CFG_RECORD: return "table";
  default: return v->s ? v->s : "userdata";
  }
}

char *lunet_cfg_value_str(char *buf, size_t size, const lunet_cfg_value_t *v) {
  if (v->type == LUNET_CFG_NUMBER && v->is_int) snprintf(buf, size, "%lld", (long long)v->i);
  else if (v->type == LUNET_CFG_NUMBER) {
    /* Lua's "%.14g", with ".0" on a float that looks like an integer */
    snprintf(buf, size, "%.14g", v->d);
    if (buf[strspn(buf, "-0123456789")] == '\0') snprintf(buf + strlen(buf), size - strlen(buf), ".0");
  } else if (v->type == LUNET_CFG_STRING) snprintf(buf, size, "%s", v->s);
  else if (v->type == LUNET_CFG_BOOLEAN) snprintf(buf, size, "%s", v->b ? "true" : "false");
  else snprintf(buf, size, "%s", lunet_cfg_type_name(v));
  return buf;
}

int lunet_cfg_value_int64(const lunet_cfg_value_t *v, int64_t *out) {
  if (v->type != LUNET_CFG_NUMBER) return -1;
  if (v->is_int) { *out = v->i; return 0; }
  if (!(v->d >= -9223372036854775808.0 && v->d < 9223372036854775808.0) || v->d != floor(v->d)) return -1;
  *out = (int64_t)v->d;
  return 0;
}

static int wrong_type(const lunet_layer_config_t *c, const char *key, const char *want,
                      const lunet_cfg_value_t *v) {
  return lunet_fail("%s: option '%s' must be %s, got %s", lunet_config_kind(c), key, want, lunet_cfg_type_name(v));
}

int lunet_config_number(const lunet_layer_config_t *c, const char *key, double def, double *out) {
  const lunet_cfg_value_t *v = lunet_config_get(c, key);
  if (v && v->type != LUNET_CFG_NUMBER) return wrong_type(c, key, "a number", v);
  *out = !v ? def : v->is_int ? (double)v->i : v->d;
  return 0;
}

int lunet_config_boolean(const lunet_layer_config_t *c, const char *key, int def, int *out) {
  const lunet_cfg_value_t *v = lunet_config_get(c, key);
  if (v && v->type != LUNET_CFG_BOOLEAN) return wrong_type(c, key, "a boolean", v);
  *out = v ? v->b : def;
  return 0;
}

int lunet_config_string(const lunet_layer_config_t *c, const char *key, const char *def, const char **out) {
  const lunet_cfg_value_t *v = lunet_config_get(c, key);
  if (v && v->type != LUNET_CFG_STRING) return wrong_type(c, key, "a string", v);
  *out = v ? v->s : def;
  return 0;
}

int lunet_config_integer(const lunet_layer_config_t *c, const char *key, int64_t def, int64_t *out) {
  const lunet_cfg_value_t *v = lunet_config_get(c, key);
  if (!v) { *out = def; return 0; }
  if (lunet_cfg_value_int64(v, out) == 0) return 0;
  char text[64];
  return lunet_fail("%s: %s must be an integer, got %s", lunet_config_kind(c), key,
                    lunet_cfg_value_str(text, sizeof text, v));
}

/* v in [1, INT_MAX] into *out; what names it ("units", "strides[2]"). */
static int size_of(const lunet_layer_config_t *c, const char *what, const lunet_cfg_value_t *v, int *out) {
  int64_t i;
  if (lunet_cfg_value_int64(v, &i) < 0 || i < 1 || i > INT_MAX) {
    char text[64];
    return lunet_fail("%s: %s must be an integer from 1 to %d, got %s", lunet_config_kind(c), what, INT_MAX,
                      lunet_cfg_value_str(text, sizeof text, v));
  }
  *out = (int)i;
  return 0;
}

static const lunet_cfg_value_t nil = {LUNET_CFG_NIL, 0, 0, 0.0, NULL, 0};

int lunet_config_size(const lunet_layer_config_t *c, const char *key, int def, int *out) {
  const lunet_cfg_value_t *v = lunet_config_get(c, key);
  if (!v && def) { *out = def; return 0; }
  return size_of(c, key, v ? v : &nil, out);
}

int lunet_config_size_pair(const lunet_layer_config_t *c, const char *key, int def, int *a, int *b) {
  const lunet_cfg_entry_t *e = entry(c, key);
  if (!e && def) { *a = *b = def; return 0; }
  if (!e) return lunet_fail("%s: %s must be a size or a pair of sizes, got nil", lunet_config_kind(c), key);
  if (e->v.type == LUNET_CFG_NUMBER) {
    if (size_of(c, key, &e->v, a) < 0) return -1;
    *b = *a;
    return 0;
  }
  if (e->v.type != LUNET_CFG_LIST)
    return lunet_fail("%s: %s must be a size or a pair of sizes, got %s", lunet_config_kind(c), key,
                      lunet_cfg_type_name(&e->v));
  if (e->n != 2)
    return lunet_fail("%s: %s must be a size or a pair of sizes, got a list of %d", lunet_config_kind(c), key,
                      e->n);
  char what[2][80];
  snprintf(what[0], sizeof what[0], "%s[1]", key);
  snprintf(what[1], sizeof what[1], "%s[2]", key);
  return size_of(c, what[0], &e->items[0], a) < 0 || size_of(c, what[1], &e->items[1], b) < 0 ? -1 : 0;
}

int lunet_config_list(const lunet_layer_config_t *c, const char *key, const char *what, int *n,
                      const lunet_cfg_value_t **items) {
  const lunet_cfg_entry_t *e = entry(c, key);
  if (!e || e->v.type != LUNET_CFG_LIST) return lunet_fail("%s: %s must be %s", lunet_config_kind(c), key, what);
  *n = e->n;
  *items = e->items;
  return 0;
}

int lunet_config_activation(const lunet_layer_config_t *c, lunet_act_t *out) {
  const char *name;
  if (lunet_config_string(c, "activation", "linear", &name) < 0) return -1;
  return lunet_act_parse(out, name, lunet_config_kind(c));
}

int lunet_config_initializer(const lunet_layer_config_t *c, const char *key, const char *def, lunet_init_t *out) {
  const char *name;
  if (lunet_config_string(c, key, def, &name) < 0) return -1;
  return lunet_init_parse(out, name, lunet_config_kind(c));
}

int lunet_config_padding(const lunet_layer_config_t *c, int *same) {
  const char *p;
  if (lunet_config_string(c, "padding", "valid", &p) < 0) return -1;
  if (strcmp(p, "valid") == 0) { *same = 0; return 0; }
  if (strcmp(p, "same") == 0) { *same = 1; return 0; }
  return lunet_fail("%s: padding must be 'valid' or 'same', got '%s'", lunet_config_kind(c), p);
}

int lunet_config_sub(const lunet_layer_config_t *c, const char *prefix, lunet_layer_config_t *out) {
  size_t len = strlen(prefix);
  lunet_cfg_entry_t *e = malloc((size_t)(c->n + 1) * sizeof *e);
  if (!e) return lunet_fail("out of memory");
  int n = 0;
  for (int i = 0; i < c->n; i++)
    if (strncmp(c->entries[i].key, prefix, len) == 0 && c->entries[i].key[len] == '.') {
      e[n] = c->entries[i];
      e[n++].key += len + 1;
    }
  *out = (lunet_layer_config_t){n, e};
  return 0;
}
