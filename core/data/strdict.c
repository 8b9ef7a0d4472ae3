/* Interned strings for string columns: each distinct value is stored once in an
 * arena and rows hold int32 codes, so a 250k-row label column costs 1 MB and
 * StringIndexer counts codes instead of hashing strings. Open addressing with
 * FNV-1a hashes; the table doubles at half load. */
#include <stdlib.h>
#include <string.h>

#include "column.h"
#include "common.h"

static uint32_t hash_bytes(const char *s, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

lunet_strdict_t *lunet_strdict_new(void) {
  lunet_strdict_t *d = lunet_calloc(1, sizeof *d);
  if (!d) return NULL;
  atomic_init(&d->refs, 1);
  d->nslots = 64;
  d->slots = lunet_calloc(d->nslots, sizeof *d->slots);
  if (!d->slots) { free(d); return NULL; }
  return d;
}

lunet_strdict_t *lunet_strdict_retain(lunet_strdict_t *d) {
  atomic_fetch_add(&d->refs, 1);
  return d;
}

void lunet_strdict_free(lunet_strdict_t *d) {
  if (!d || atomic_fetch_sub(&d->refs, 1) != 1) return;
  free(d->off);
  free(d->len);
  free(d->hash);
  free(d->arena);
  free(d->slots);
  free(d);
}

static int32_t probe(const lunet_strdict_t *d, const char *s, size_t len, uint32_t h, uint32_t *slot) {
  uint32_t mask = d->nslots - 1;
  for (uint32_t i = h & mask;; i = (i + 1) & mask) {
    int32_t e = d->slots[i];
    if (e == 0) { *slot = i; return -1; }
    int32_t code = e - 1;
    if (d->hash[code] == h && d->len[code] == len && memcmp(d->arena + d->off[code], s, len) == 0)
      return code;
  }
}

int32_t lunet_strdict_find(const lunet_strdict_t *d, const char *s, size_t len) {
  uint32_t slot;
  return probe(d, s, len, hash_bytes(s, len), &slot);
}

static int grow_slots(lunet_strdict_t *d) {
  uint32_t n = d->nslots * 2;
  int32_t *slots = lunet_calloc(n, sizeof *slots);
  if (!slots) return -1;
  for (int32_t c = 0; c < d->count; c++) {
    uint32_t i = d->hash[c] & (n - 1);
    while (slots[i]) i = (i + 1) & (n - 1);
    slots[i] = c + 1;
  }
  free(d->slots);
  d->slots = slots;
  d->nslots = n;
  return 0;
}

static int grow_entries(lunet_strdict_t *d) {
  int32_t cap = d->cap ? d->cap * 2 : 16;
  size_t *off = realloc(d->off, (size_t)cap * sizeof *off);
  if (off) d->off = off;
  uint32_t *len = realloc(d->len, (size_t)cap * sizeof *len);
  if (len) d->len = len;
  uint32_t *hash = realloc(d->hash, (size_t)cap * sizeof *hash);
  if (hash) d->hash = hash;
  if (!off || !len || !hash) return lunet_fail("out of memory interning strings");
  d->cap = cap;
  return 0;
}

int32_t lunet_strdict_intern(lunet_strdict_t *d, const char *s, size_t len) {
  uint32_t h = hash_bytes(s, len), slot = 0;
  int32_t code = probe(d, s, len, h, &slot);
  if (code >= 0) return code;
  if (len > UINT32_MAX || d->count == INT32_MAX - 1)
    return lunet_fail("too many or too long strings in one column");
  if (d->count == d->cap && grow_entries(d) < 0) return -1;
  if (d->arena_len + len + 1 > d->arena_cap) {
    size_t cap = d->arena_cap ? d->arena_cap : 256;
    while (cap < d->arena_len + len + 1) cap *= 2;
    char *a = realloc(d->arena, cap);
    if (!a) return lunet_fail("out of memory interning strings");
    d->arena = a;
    d->arena_cap = cap;
  }
  code = d->count++;
  memcpy(d->arena + d->arena_len, s, len);
  d->arena[d->arena_len + len] = '\0'; /* values can be handed to C string APIs */
  d->off[code] = d->arena_len;
  d->len[code] = (uint32_t)len;
  d->hash[code] = h;
  d->arena_len += len + 1;
  d->slots[slot] = code + 1;
  if ((uint32_t)d->count * 2 > d->nslots && grow_slots(d) < 0) return -1;
  return code;
}
