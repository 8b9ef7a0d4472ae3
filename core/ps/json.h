/* A strict JSON parser (RFC 8259, UTF-8 only, depth <= 64, no duplicates
 * check): configuration travels between driver and workers as JSON data and
 * is never executed. Event callbacks build whatever the caller wants. */
#ifndef LUNET_JSON_H
#define LUNET_JSON_H

#include <stddef.h>

#define LUNET_JSON_MAX_DEPTH 64

typedef struct {
  /* each returns 0 to go on, -1 to stop (with lunet_fail set) */
  int (*null_value)(void *ud);
  int (*boolean)(void *ud, int v);
  int (*number)(void *ud, double v, int is_integer, long long i);
  int (*string)(void *ud, const char *s, size_t len); /* unescaped UTF-8, not NUL-terminated */
  int (*begin_object)(void *ud);
  int (*key)(void *ud, const char *s, size_t len);
  int (*end_object)(void *ud);
  int (*begin_array)(void *ud);
  int (*end_array)(void *ud);
} lunet_json_handlers_t;

/* Parses text (len bytes) calling h. scratch must hold len bytes (strings are
 * unescaped into it). Returns 0, or -1 with "json: offset N: what" set. */
int lunet_json_parse(const char *text, size_t len, const lunet_json_handlers_t *h, void *ud, char *scratch);

/* 1 if s (len bytes) is valid UTF-8 (no overlongs, no surrogates). */
int lunet_utf8_valid(const char *s, size_t len);

#endif
