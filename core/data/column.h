/* Immutable, refcounted DataFrame columns: the C storage under lunet.data.
 * A column is never modified after it is built, so frames share columns freely
 * (select/drop/with_column copy nothing) and row selections build new columns
 * with a C gather. Kinds:
 *   integer, double  float64 values (integer: integral values, NaN for NA)
 *   float            float32 tensor (rows)
 *   vector           float32 tensor (rows, d1[, d2[, d3]])
 *   string           int32 codes into an interned, refcounted dictionary
 * Ownership: every function returning a pointer hands one reference to the
 * caller (release with the matching _free); arguments are borrowed. */
#ifndef LUNET_COLUMN_H
#define LUNET_COLUMN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

typedef enum {
  LUNET_COL_INTEGER,
  LUNET_COL_DOUBLE,
  LUNET_COL_FLOAT,
  LUNET_COL_STRING,
  LUNET_COL_VECTOR
} lunet_coltype_t;

/* "integer", "double", "float", "string", "vector" */
const char *lunet_coltype_name(lunet_coltype_t t);
/* The type named s (also "long"/"int" -> integer); -1 when unknown. */
int lunet_coltype_parse(const char *s);

/* ---- interned strings ---- */

typedef struct lunet_strdict {
  atomic_int refs;
  int32_t count, cap;   /* entries */
  size_t *off;          /* (count) offsets into arena */
  uint32_t *len;        /* (count) */
  uint32_t *hash;       /* (count) */
  char *arena;
  size_t arena_len, arena_cap;
  int32_t *slots;       /* open addressing: code + 1, 0 = empty */
  uint32_t nslots;      /* power of two */
} lunet_strdict_t;

lunet_strdict_t *lunet_strdict_new(void);
lunet_strdict_t *lunet_strdict_retain(lunet_strdict_t *d);
void lunet_strdict_free(lunet_strdict_t *d);
/* The code of s (added when new); -1 on out of memory. Only the builder of a
 * dictionary calls this, before the dictionary is shared. */
int32_t lunet_strdict_intern(lunet_strdict_t *d, const char *s, size_t len);
/* The code of s or -1 when absent. */
int32_t lunet_strdict_find(const lunet_strdict_t *d, const char *s, size_t len);
static inline const char *lunet_strdict_get(const lunet_strdict_t *d, int32_t code, size_t *len) {
  *len = d->len[code];
  return d->arena ? d->arena + d->off[code] : ""; /* only empty strings interned: no arena yet */
}

/* ---- columns ---- */

/* A refcounted block of float64 values or int32 codes, shared by slices. */
typedef struct lunet_colbuf {
  void *data;
  atomic_int refs;
} lunet_colbuf_t;

typedef struct lunet_column {
  lunet_coltype_t type;
  int64_t rows;
  atomic_int refs;
  lunet_colbuf_t *buf;     /* integer/double: double (rows); string: int32_t (rows) */
  size_t offset;           /* in elements, into buf->data */
  lunet_strdict_t *dict;   /* string */
  lunet_tensor_t *tensor;  /* float (rows) / vector (rows, ...) */
} lunet_column_t;

/* Takes ownership of values (malloc'ed, (rows) doubles). */
lunet_column_t *lunet_column_new_f64(lunet_coltype_t type, double *values, int64_t rows);
/* Takes ownership of codes (malloc'ed, (rows)) and of one reference to dict. */
lunet_column_t *lunet_column_new_str(int32_t *codes, int64_t rows, lunet_strdict_t *dict);
/* Retains t (no copy). A 1-D tensor is a float column, 2- to 4-D a vector
 * column; t must be contiguous. */
lunet_column_t *lunet_column_new_tensor(lunet_tensor_t *t);
lunet_column_t *lunet_column_retain(lunet_column_t *c);
void lunet_column_free(lunet_column_t *c);

static inline const double *lunet_column_f64(const lunet_column_t *c) {
  return (const double *)c->buf->data + c->offset;
}
static inline const int32_t *lunet_column_codes(const lunet_column_t *c) {
  return (const int32_t *)c->buf->data + c->offset;
}
/* Elements per row (1 for scalar columns). */
int64_t lunet_column_width(const lunet_column_t *c);

/* New column with rows idx[0..n-1] (0-based, each < c->rows). */
lunet_column_t *lunet_column_gather(const lunet_column_t *c, const int64_t *idx, int64_t n);
/* Rows first..first+count-1, sharing c's buffers. */
lunet_column_t *lunet_column_slice(const lunet_column_t *c, int64_t first, int64_t count);
/* a's rows then b's; integer+double -> double; vectors need equal row shapes. */
lunet_column_t *lunet_column_concat(const lunet_column_t *a, const lunet_column_t *b);
/* float32 view of a numeric/vector column: (rows) or (rows, ...). float and
 * vector columns return their own tensor (shared, retained); integer/double
 * columns a converted copy. Fails on strings. */
lunet_tensor_t *lunet_column_to_tensor(const lunet_column_t *c);
/* out (rows) = value of row i as a double (NaN never fails); c scalar numeric. */
double lunet_column_number(const lunet_column_t *c, int64_t row);

#endif
