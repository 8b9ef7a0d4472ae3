/* The shard cursor of csvshard.h: one shard (a whole file, plain or gzip, or
 * a byte range of a plain file) parsed by libcsv in LUNET_CSV_CHUNK reads,
 * with the parser's state kept between calls, into typed row buffers that
 * next() hands out max_rows at a time. The buffers hold at most max_rows
 * plus one read's rows; string columns intern into a per-buffer dictionary
 * and every chunk gets its own, so memory stays bounded however long the
 * shard. Fields follow the whole-file reader's rules (csv_fields.c). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "common.h"
#include "csvio.h"
#include "csvparts.h"
#include "csvshard.h"
#include "file.h"

enum { RUN = 0, FAILED = 1 };

struct lunet_csv_cursor {
  char *path;
  int fd;                 /* plain shards */
  gzFile gz;              /* gzip shards */
  int64_t remaining;      /* plain: bytes left in the range, -1: to the end */
  int at_start;           /* offset 0: a byte-order mark may come first */
  int in_header;          /* the header record is being read */
  struct csv_parser p;
  int parser_ready;
  char *buf;
  int state, eof;
  char *error;            /* the failure's message, repeated by later calls */
  /* schema (copies) */
  int nfields, nout, skip_bad;
  char **fields;          /* (nfields) */
  int *out;               /* (nfields) */
  lunet_coltype_t *types; /* (nout) */
  char **na_texts;
  double *na_numbers;
  lunet_csv_na_t na;
  /* the record being read */
  lunet_csv_lines_t lines;
  int field;
  int bad;                /* it holds a value its column cannot take (skip mode) */
  char **hdr;             /* header texts */
  int nhdr;
  /* rows read, [head, rows) not handed out yet */
  int64_t head, rows, cap;
  double **f;             /* (nout) numeric columns' values (cap) */
  int32_t **codes;        /* (nout) string columns' codes (cap) */
  lunet_strdict_t **dict; /* (nout) */
  int64_t bad_rows;
};

static void fail_now(lunet_csv_cursor_t *c) {
  c->state = FAILED;
  if (!c->error) c->error = strdup(lunet_errmsg());
}

static char *copy_string(const char *s) {
  char *d = lunet_malloc(strlen(s) + 1);
  if (d) strcpy(d, s);
  return d;
}

static int grow(lunet_csv_cursor_t *c) {
  int64_t cap = c->cap ? c->cap * 2 : LUNET_CSV_FIRST_ROWS;
  for (int k = 0; k < c->nout; k++) {
    if (c->types[k] == LUNET_COL_STRING) {
      int32_t *p = realloc(c->codes[k], (size_t)cap * sizeof *p);
      if (!p) return lunet_fail("out of memory reading %s", c->path);
      c->codes[k] = p;
    } else {
      double *p = realloc(c->f[k], (size_t)cap * sizeof *p);
      if (!p) return lunet_fail("out of memory reading %s", c->path);
      c->f[k] = p;
    }
  }
  c->cap = cap;
  return 0;
}

/* A value its column cannot take: an error, or (skip mode) a bad row. */
static void bad_value(lunet_csv_cursor_t *c, int k, const char *s, const char *type) {
  if (c->skip_bad) { c->bad = 1; return; }
  int j = 0;
  while (c->out[j] != k) j++;
  lunet_fail("%s:%lld: column '%s': cannot parse '%.60s' as %s", c->path, (long long)c->lines.line,
             c->fields[j], s, type);
  fail_now(c);
}

static void store(lunet_csv_cursor_t *c, int k, const char *s, size_t len) {
  if (c->types[k] == LUNET_COL_STRING) {
    int32_t code = lunet_strdict_intern(c->dict[k], s, len);
    if (code < 0) { fail_now(c); return; }
    c->codes[k][c->rows] = code;
    return;
  }
  double v;
  int is_int, kind = lunet_csv_number_field(&c->na, s, len, &v, &is_int);
  if (kind == LUNET_FIELD_NOT_NUMBER) { bad_value(c, k, s, lunet_coltype_name(c->types[k])); return; }
  if (kind == LUNET_FIELD_NUMBER && c->types[k] == LUNET_COL_INTEGER && !is_int) {
    bad_value(c, k, s, "integer");
    return;
  }
  c->f[k][c->rows] = v;
}

static void on_field(void *s, size_t len, void *data) {
  lunet_csv_cursor_t *c = data;
  if (c->state != RUN) return;
  const char *text = s ? s : "";
  c->lines.nf++;
  if (len && memchr(text, '\n', len)) c->lines.extra += lunet_csv_count_newlines(text, len);
  if (c->in_header) {
    char **h = realloc(c->hdr, (size_t)(c->nhdr + 1) * sizeof *h);
    if (!h) { lunet_fail("out of memory"); fail_now(c); return; }
    c->hdr = h;
    if (!(h[c->nhdr] = copy_string(text))) { fail_now(c); return; }
    c->nhdr++;
    return;
  }
  int j = c->field++;
  if (j >= c->nfields || c->out[j] < 0 || c->bad) return;
  store(c, c->out[j], text, len);
}

/* The header names (Spark's, as the plan made them) must be the source's. */
static int check_header(lunet_csv_cursor_t *c) {
  if (c->nhdr != c->nfields)
    return lunet_fail("%s: the header has %d columns, the source has %d", c->path, c->nhdr, c->nfields);
  char **names = lunet_calloc((size_t)c->nhdr + 1, sizeof *names);
  if (!names) return -1;
  int rc = lunet_csv_names(c->path, c->hdr, c->nhdr, 1, names);
  for (int j = 0; rc == 0 && j < c->nfields; j++)
    if (strcmp(names[j], c->fields[j]) != 0)
      rc = lunet_fail("%s: column %d of the header is '%s', the source has '%s'", c->path, j + 1, names[j],
                      c->fields[j]);
  for (int j = 0; j < c->nhdr; j++) free(names[j]);
  free(names);
  return rc;
}

static void on_record(int term, void *data) {
  lunet_csv_cursor_t *c = data;
  if (c->state != RUN) return;
  int64_t start = lunet_csv_lines_record(&c->lines, term);
  if (start == 0) return;
  if (c->in_header) {
    c->in_header = 0;
    if (check_header(c) < 0) fail_now(c);
    return;
  }
  int nf = c->field, bad = c->bad;
  c->field = 0;
  c->bad = 0;
  if (nf != c->nfields) {
    if (!c->skip_bad) {
      lunet_fail("%s:%lld: expected %d field%s, found %d", c->path, (long long)start, c->nfields,
                 c->nfields == 1 ? "" : "s", nf);
      fail_now(c);
      return;
    }
    bad = 1;
  }
  if (bad) { c->bad_rows++; return; }
  if (++c->rows == c->cap && grow(c) < 0) fail_now(c);
}

/* Moves the rows not handed out yet to the front; string columns get a fresh
 * dictionary holding only theirs, so dictionaries do not grow with the shard. */
static int compact(lunet_csv_cursor_t *c) {
  int64_t keep = c->rows - c->head;
  for (int k = 0; k < c->nout; k++) {
    if (c->types[k] != LUNET_COL_STRING) {
      memmove(c->f[k], c->f[k] + c->head, (size_t)keep * sizeof(double));
      continue;
    }
    lunet_strdict_t *d = lunet_strdict_new();
    if (!d) return -1;
    for (int64_t i = 0; i < keep; i++) {
      size_t len;
      const char *s = lunet_strdict_get(c->dict[k], c->codes[k][c->head + i], &len);
      int32_t code = lunet_strdict_intern(d, s, len);
      if (code < 0) { lunet_strdict_free(d); return -1; }
      c->codes[k][i] = code;
    }
    lunet_strdict_free(c->dict[k]);
    c->dict[k] = d;
  }
  c->rows = keep;
  c->head = 0;
  return 0;
}

/* Reads and parses the next piece of the shard. */
static int feed(lunet_csv_cursor_t *c) {
  int n;
  if (c->gz) {
    if (lunet_csv_read_chunk(c->gz, c->path, c->buf, &n) < 0) return -1;
  } else {
    size_t want = c->remaining < 0 || c->remaining > LUNET_CSV_CHUNK ? LUNET_CSV_CHUNK : (size_t)c->remaining;
    ssize_t got;
    do got = want ? read(c->fd, c->buf, want) : 0;
    while (got < 0 && errno == EINTR);
    if (got < 0) return lunet_fail("%s: %s", c->path, strerror(errno));
    n = (int)got;
    if (c->remaining > 0) c->remaining -= got;
  }
  if (n == 0) {
    c->eof = 1;
    if (csv_fini(&c->p, on_field, on_record, c) != 0 && c->state == RUN)
      return lunet_fail("%s:%lld: unterminated quoted field", c->path, (long long)c->lines.line);
    return 0;
  }
  size_t skip = c->at_start && n >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  c->at_start = 0;
  if (csv_parse(&c->p, c->buf + skip, (size_t)n - skip, on_field, on_record, c) != (size_t)n - skip &&
      c->state == RUN) {
    int e = csv_error(&c->p);
    return e == CSV_EPARSE ? lunet_fail("%s:%lld: malformed quoted field (text after a closing quote)", c->path,
                                        (long long)c->lines.line)
                           : lunet_fail("%s: %s", c->path, csv_strerror(e));
  }
  return 0;
}

int lunet_csv_cursor_next(lunet_csv_cursor_t *c, int64_t max_rows, lunet_column_t **cols, int64_t *rows) {
  *rows = 0;
  if (c->state == FAILED) return lunet_fail("%s", c->error ? c->error : "the shard's reader failed");
  if (max_rows < 1) return lunet_fail("%s: max_rows must be at least 1", c->path);
  while (c->rows - c->head < max_rows && !c->eof && c->state == RUN) {
    if (c->head > 0 && compact(c) < 0) { fail_now(c); return -1; }
    if (feed(c) < 0) fail_now(c);
  }
  if (c->state == FAILED) return -1;
  int64_t n = c->rows - c->head < max_rows ? c->rows - c->head : max_rows;
  if (n == 0) return 0;
  for (int k = 0; k < c->nout; k++) cols[k] = NULL;
  for (int k = 0; k < c->nout; k++) {
    if (c->types[k] == LUNET_COL_STRING) {
      int32_t *codes = lunet_malloc((size_t)n * sizeof *codes);
      lunet_strdict_t *d = lunet_strdict_new();
      for (int64_t i = 0; codes && d && i < n; i++) {
        size_t len;
        const char *s = lunet_strdict_get(c->dict[k], c->codes[k][c->head + i], &len);
        if ((codes[i] = lunet_strdict_intern(d, s, len)) < 0) { free(codes); codes = NULL; }
      }
      cols[k] = codes && d ? lunet_column_new_str(codes, n, d) : NULL;
      if (!cols[k]) { free(codes); lunet_strdict_free(d); }
    } else {
      double *v = lunet_malloc((size_t)n * sizeof *v);
      if (v) memcpy(v, c->f[k] + c->head, (size_t)n * sizeof *v);
      cols[k] = v ? lunet_column_new_f64(c->types[k], v, n) : NULL;
      if (!cols[k]) free(v);
    }
    if (!cols[k]) {
      for (int i = 0; i < k; i++) lunet_column_free(cols[i]);
      return lunet_fail("out of memory reading %s", c->path);
    }
  }
  c->head += n;
  *rows = n;
  return 0;
}

int64_t lunet_csv_cursor_bad_rows(const lunet_csv_cursor_t *c) { return c->bad_rows; }

void lunet_csv_cursor_free(lunet_csv_cursor_t *c) {
  if (!c) return;
  if (c->parser_ready) csv_free(&c->p);
  if (c->gz) gzclose(c->gz);
  else if (c->fd >= 0) close(c->fd);
  for (int j = 0; c->fields && j < c->nfields; j++) free(c->fields[j]);
  for (int i = 0; c->na_texts && i < c->na.n_texts; i++) free(c->na_texts[i]);
  for (int i = 0; i < c->nhdr; i++) free(c->hdr[i]);
  for (int k = 0; k < c->nout; k++) {
    if (c->f) free(c->f[k]);
    if (c->codes) free(c->codes[k]);
    if (c->dict) lunet_strdict_free(c->dict[k]);
  }
  free(c->hdr);
  free(c->f);
  free(c->codes);
  free(c->dict);
  free(c->fields);
  free(c->out);
  free(c->types);
  free(c->na_texts);
  free(c->na_numbers);
  free(c->buf);
  free(c->error);
  free(c->path);
  free(c);
}

/* Copies the options; 0 or -1. */
static int copy_options(lunet_csv_cursor_t *c, const lunet_csv_cursor_options_t *o) {
  c->nfields = o->nfields;
  c->nout = o->nout;
  c->skip_bad = o->skip_bad;
  c->fields = lunet_calloc((size_t)o->nfields + 1, sizeof *c->fields);
  c->out = lunet_calloc((size_t)o->nfields + 1, sizeof *c->out);
  c->types = lunet_calloc((size_t)o->nout + 1, sizeof *c->types);
  c->f = lunet_calloc((size_t)o->nout + 1, sizeof *c->f);
  c->codes = lunet_calloc((size_t)o->nout + 1, sizeof *c->codes);
  c->dict = lunet_calloc((size_t)o->nout + 1, sizeof *c->dict);
  c->na_texts = lunet_calloc((size_t)o->n_na_texts + 1, sizeof *c->na_texts);
  c->na_numbers = lunet_calloc((size_t)o->n_na_numbers + 1, sizeof *c->na_numbers);
  if (!c->fields || !c->out || !c->types || !c->f || !c->codes || !c->dict || !c->na_texts || !c->na_numbers)
    return -1;
  for (int j = 0; j < o->nfields; j++) {
    if (!(c->fields[j] = copy_string(o->fields[j]))) return -1;
    c->out[j] = o->out[j];
  }
  for (int k = 0; k < o->nout; k++) {
    c->types[k] = o->types[k];
    if (c->types[k] == LUNET_COL_STRING && !(c->dict[k] = lunet_strdict_new())) return -1;
  }
  for (int i = 0; i < o->n_na_texts; i++) {
    if (!(c->na_texts[i] = copy_string(o->na_texts[i]))) return -1;
    c->na.n_texts = i + 1;
  }
  c->na.texts = (const char *const *)c->na_texts;
  if (o->n_na_numbers) memcpy(c->na_numbers, o->na_numbers, (size_t)o->n_na_numbers * sizeof(double));
  c->na.numbers = c->na_numbers;
  c->na.n_numbers = o->n_na_numbers;
  return grow(c);
}

/* Every field maps to an output column or -1, each output column is read
 * once and has a type the cursor stores: a broken invariant of the caller
 * would otherwise write out of bounds. */
static int check_options(const char *path, const lunet_csv_cursor_options_t *o) {
  if (o->nfields < 1 || o->nout < 0 || o->nout > o->nfields)
    return lunet_fail("%s: %d output columns of %d fields", path, o->nout, o->nfields);
  int seen = 0;
  for (int j = 0; j < o->nfields; j++) {
    if (o->out[j] < -1 || o->out[j] >= o->nout) return lunet_fail("%s: field %d maps to no column", path, j + 1);
    seen += o->out[j] >= 0;
    for (int i = 0; i < j && o->out[j] >= 0; i++)
      if (o->out[i] == o->out[j]) return lunet_fail("%s: fields %d and %d map to one column", path, i + 1, j + 1);
  }
  if (seen != o->nout) return lunet_fail("%s: %d fields read into %d columns", path, seen, o->nout);
  for (int k = 0; k < o->nout; k++)
    if (o->types[k] != LUNET_COL_INTEGER && o->types[k] != LUNET_COL_DOUBLE && o->types[k] != LUNET_COL_STRING)
      return lunet_fail("%s: column type %s cannot be read from CSV", path, lunet_coltype_name(o->types[k]));
  if (o->delimiter == o->quote || o->delimiter == '\n' || o->delimiter == '\r' || o->quote == '\n' ||
      o->quote == '\r')
    return lunet_fail("%s: bad delimiter or quote", path);
  return 0;
}

lunet_csv_cursor_t *lunet_csv_cursor_new(const char *path, int64_t offset, int64_t length, int64_t line, int gz,
                                         const lunet_csv_cursor_options_t *o) {
  if (check_options(path, o) < 0) return NULL;
  if (offset < 0 || length < -1 || line < 1 || (gz && (offset != 0 || length != -1))) {
    lunet_fail("%s: bad shard (offset %lld, length %lld, line %lld%s)", path, (long long)offset,
               (long long)length, (long long)line, gz ? ", gzip" : "");
    return NULL;
  }
  lunet_csv_cursor_t *c = lunet_calloc(1, sizeof *c);
  if (!c) return NULL;
  c->fd = -1;
  c->path = copy_string(path);
  c->buf = lunet_malloc(LUNET_CSV_CHUNK);
  if (!c->path || !c->buf || copy_options(c, o) < 0) { lunet_csv_cursor_free(c); return NULL; }
  c->lines.line = line;
  c->remaining = length;
  c->at_start = offset == 0;
  c->in_header = offset == 0 && o->header;
  if (gz) {
    if (!(c->gz = lunet_csv_open(path))) { lunet_csv_cursor_free(c); return NULL; }
  } else {
    const char *why;
    if ((c->fd = lunet_file_open_read(path, &why)) < 0) {
      lunet_fail("%s: %s", path, why);
      lunet_csv_cursor_free(c);
      return NULL;
    }
    if (offset > 0 && lseek(c->fd, (off_t)offset, SEEK_SET) < 0) {
      lunet_fail("%s: cannot seek to byte %lld: %s", path, (long long)offset, strerror(errno));
      lunet_csv_cursor_free(c);
      return NULL;
    }
  }
  if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
    lunet_fail("out of memory");
    lunet_csv_cursor_free(c);
    return NULL;
  }
  c->parser_ready = 1;
  csv_set_delim(&c->p, (unsigned char)o->delimiter);
  csv_set_quote(&c->p, (unsigned char)o->quote);
  return c;
}
