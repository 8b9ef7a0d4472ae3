/* A layer's config as C sees it: the plain key -> value data of
 * model:config() (lua/lunet/nn checked it with lunet.check), filled by the
 * binding from the Lua table (core/bind/lnn_build.c) or written by C tests, so
 * core/ stays free of Lua. Each layer kind reads its own keys with the getters
 * below; they name the kind, the key and the value in their messages and
 * return -1 (lunet_fail) on a value of the wrong type or range. */
#ifndef LUNET_CONFIG_H
#define LUNET_CONFIG_H

#include <stdint.h>

#include "layer.h"

/* A list keeps at most this many items (its length is kept in full, so a
 * longer list is reported, never truncated). */
#define LUNET_CFG_MAX_ITEMS 4

/* A RECORD is a nested table with string keys (a regularizer {l1 =, l2 =}):
 * the config has no nested tables, so the binding flattens a record's fields
 * into entries of their own keyed "<record>.<field>" ("kernel_regularizer.l1"),
 * at any depth (a wrapper's "layer.kernel_regularizer.l1"); the record's own
 * entry only says it is there. */
typedef enum {
  LUNET_CFG_NIL, LUNET_CFG_NUMBER, LUNET_CFG_STRING, LUNET_CFG_BOOLEAN, LUNET_CFG_LIST, LUNET_CFG_OTHER,
  LUNET_CFG_RECORD
} lunet_cfg_type_t;

typedef struct lunet_cfg_value {
  lunet_cfg_type_t type;
  int is_int;   /* NUMBER: an integer (i), else a float (d), as Lua's subtypes */
  int64_t i;
  double d;
  const char *s; /* STRING: the text (borrowed); OTHER: the type's name */
  int b;         /* BOOLEAN */
} lunet_cfg_value_t;

typedef struct lunet_cfg_entry {
  const char *key; /* borrowed */
  lunet_cfg_value_t v;
  int n;           /* LIST: its length */
  lunet_cfg_value_t items[LUNET_CFG_MAX_ITEMS]; /* LIST: the first items */
} lunet_cfg_entry_t;

typedef struct lunet_layer_config {
  int n;
  const lunet_cfg_entry_t *entries; /* (n), borrowed; "kind" names the layer kind */
} lunet_layer_config_t;

/* The value at key, or NULL when it is absent or nil. */
const lunet_cfg_value_t *lunet_config_get(const lunet_layer_config_t *c, const char *key);
/* The kind the config names, for messages ("layer config" without one). */
const char *lunet_config_kind(const lunet_layer_config_t *c);
/* Writes v as Lua's tostring would ("4294967298", "2.0", "abc", "table")
 * into buf; returns buf. */
char *lunet_cfg_value_str(char *buf, size_t size, const lunet_cfg_value_t *v);
/* v's Lua type name ("number", "table", ...). */
const char *lunet_cfg_type_name(const lunet_cfg_value_t *v);
/* v as an int64 (an integer, or a float with an integral value in range). */
int lunet_cfg_value_int64(const lunet_cfg_value_t *v, int64_t *out);

/* Typed getters: *out = the value at key, or def when it is absent (for
 * sizes, def 0 means the key is required). */
int lunet_config_number(const lunet_layer_config_t *c, const char *key, double def, double *out);
int lunet_config_boolean(const lunet_layer_config_t *c, const char *key, int def, int *out);
int lunet_config_string(const lunet_layer_config_t *c, const char *key, const char *def,
                        const char **out);
/* Any int64 (a seed). */
int lunet_config_integer(const lunet_layer_config_t *c, const char *key, int64_t def, int64_t *out);
/* An integer in [1, INT_MAX] (a size a kernel counts in an int). */
int lunet_config_size(const lunet_layer_config_t *c, const char *key, int def, int *out);
/* A size n (-> n, n) or a list of two sizes; def for both when absent. */
int lunet_config_size_pair(const lunet_layer_config_t *c, const char *key, int def, int *a, int *b);
/* The list at key: its length in *n, its first items (at most
 * LUNET_CFG_MAX_ITEMS) in *items; "<kind>: <key> must be <what>" when it is
 * absent or not a list. */
int lunet_config_list(const lunet_layer_config_t *c, const char *key, const char *what, int *n,
                      const lunet_cfg_value_t **items);
/* The keys every layer family shares, parsed by the kinds that take them:
 * "activation" (default linear), an initializer, "padding" ('valid' -> 0,
 * 'same' -> 1, default valid). */
int lunet_config_activation(const lunet_layer_config_t *c, lunet_act_t *out);
int lunet_config_initializer(const lunet_layer_config_t *c, const char *key, const char *def,
                             lunet_init_t *out);
int lunet_config_padding(const lunet_layer_config_t *c, int *same);

/* A nested layer config (a wrapper's inner layer): out = the entries of c
 * under "<prefix>." with the prefix stripped (keys and values borrowed from
 * c); out->entries is malloc'd with one spare slot at the end (for an
 * override), the caller frees it. -1 on OOM. */
int lunet_config_sub(const lunet_layer_config_t *c, const char *prefix, lunet_layer_config_t *out);

#endif
