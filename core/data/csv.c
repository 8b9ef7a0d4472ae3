/* Streaming CSV reader on libcsv + zlib (see csvio.h). Fields go straight from
 * libcsv's callback into typed column buffers. Schema inference is one pass:
 * a column starts as integer, widens to double in place (integers are exact
 * doubles), and only when a numeric column meets a non-number does the reader
 * rewind and start again with that column read as strings — rare, and usually
 * decided on the first row, so the common case parses the file once. Empty
 * fields and na_values are NaN in numeric columns and never make a column
 * strings. Its parts: csv_input.c (the bytes), csv_names.c (the column
 * names), csv_fields.c (the field and line rules it shares with the shard
 * cursor). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <csv.h>

#include "common.h"
#include "csvio.h"
#include "csvparts.h"


enum { RUN = 0, FAILED = 1, RESTART = 2, DONE = 3 };

typedef struct {
  lunet_coltype_t type;
  int fixed;          /* type given by the schema option */
  int as_string;      /* inference saw a non-number: read as strings */
  int seen;           /* a non-NA value was seen (inference) */
  int out;            /* output position or -1 when not read */
  double *f;          /* (cap) numeric values */
  int32_t *codes;     /* (cap) string codes */
  lunet_strdict_t *dict;
} colstate;

typedef struct {
  const char *path;
  const lunet_csv_options_t *o;
  int state;
  int ncols;            /* fields per record, -1 before the first record */
  colstate *cs;
  char **first;         /* fields of the first record */
  size_t *first_len;
  int nfirst, capfirst;
  char **names;         /* (ncols) column names */
  int skip;             /* skip the header record after a restart */
  int field;            /* position in the current record */
  int bad;              /* the current record is bad (skip_bad) */
  lunet_csv_lines_t lines;
  lunet_csv_na_t na;
  int64_t rows, cap;
} reader;

static void fail_field(reader *r, const colstate *c, const char *text, const char *type) {
  if (r->o->skip_bad) { r->bad = 1; return; }
  lunet_fail("%s:%lld: column '%s': cannot parse '%.60s' as %s", r->path, (long long)r->lines.line,
             r->names[c - r->cs], text, type);
  r->state = FAILED;
}

static void store_field(reader *r, colstate *c, const char *s, size_t len) {
  if (c->type == LUNET_COL_STRING) {
    int32_t code = lunet_strdict_intern(c->dict, s, len);
    if (code < 0) { r->state = FAILED; return; }
    /* only string fields are scanned for newlines: a number never holds one */
    if (len && memchr(s, '\n', len)) r->lines.extra += lunet_csv_count_newlines(s, len);
    c->codes[r->rows] = code;
    return;
  }
  /* a missing number is never a reason to read the column as strings */
  double v;
  int is_int, kind = lunet_csv_number_field(&r->na, s, len, &v, &is_int);
  if (kind == LUNET_FIELD_NA) { c->f[r->rows] = NAN; return; }
  if (kind == LUNET_FIELD_NOT_NUMBER) {
    if (!c->fixed) { c->as_string = 1; r->state = RESTART; return; }
    fail_field(r, c, s, lunet_coltype_name(c->type));
    return;
  }
  c->seen = 1;
  if (c->type == LUNET_COL_INTEGER && !is_int) {
    if (c->fixed) { fail_field(r, c, s, "integer"); return; }
    c->type = LUNET_COL_DOUBLE;
  }
  c->f[r->rows] = v;
}

static int grow(reader *r) {
  int64_t cap = r->cap ? r->cap * 2 : LUNET_CSV_FIRST_ROWS;
  for (int j = 0; j < r->ncols; j++) {
    colstate *c = &r->cs[j];
    if (c->out < 0) continue;
    if (c->type == LUNET_COL_STRING) {
      int32_t *p = realloc(c->codes, (size_t)cap * sizeof *p);
      if (!p) return lunet_fail("out of memory reading %s", r->path);
      c->codes = p;
    } else {
      double *p = realloc(c->f, (size_t)cap * sizeof *p);
      if (!p) return lunet_fail("out of memory reading %s", r->path);
      c->f = p;
    }
  }
  r->cap = cap;
  return 0;
}

static void on_field(void *s, size_t len, void *data) {
  reader *r = data;
  if (r->state != RUN) return;
  r->lines.nf++;
  if (r->skip) { /* the header again, after a restart */
    if (s && len) r->lines.extra += lunet_csv_count_newlines(s, len);
    return;
  }
  if (r->ncols < 0) { /* first record: keep the texts (names or first row) */
    if (r->nfirst == r->capfirst) {
      int cap = r->capfirst ? r->capfirst * 2 : 64;
      char **f = realloc(r->first, (size_t)cap * sizeof *f);
      if (f) r->first = f;
      size_t *fl = realloc(r->first_len, (size_t)cap * sizeof *fl);
      if (fl) r->first_len = fl;
      if (!f || !fl) { lunet_fail("out of memory"); r->state = FAILED; return; }
      r->capfirst = cap;
    }
    char *copy = lunet_malloc(len + 1);
    if (!copy) { r->state = FAILED; return; }
    memcpy(copy, s ? s : "", len);
    copy[len] = '\0';
    r->lines.extra += lunet_csv_count_newlines(copy, len);
    r->first_len[r->nfirst] = len;
    r->first[r->nfirst++] = copy;
    return;
  }
  int j = r->field++;
  if (j >= r->ncols || r->cs[j].out < 0) { /* not read, but its lines count */
    if (s && len && memchr(s, '\n', len)) r->lines.extra += lunet_csv_count_newlines(s, len);
    return;
  }
  store_field(r, &r->cs[j], s ? s : "", len);
}

static int find_name(reader *r, const char *name) {
  for (int j = 0; j < r->ncols; j++)
    if (strcmp(r->names[j], name) == 0) return j;
  return -1;
}

static int unknown_column(reader *r, const char *what, const char *name) {
  char avail[400] = "";
  size_t n = 0;
  for (int j = 0; j < r->ncols && n < sizeof avail - 8; j++)
    n += (size_t)snprintf(avail + n, sizeof avail - n, "%s%s", j ? ", " : "", r->names[j]);
  if (n >= sizeof avail - 8) strcpy(avail + sizeof avail - 8, ", ...");
  return lunet_fail("%s: %s names unknown column '%s' (available: %s)", r->path, what, name, avail);
}

/* After the first record: names, selection, types, buffers. */
static int setup(reader *r) {
  const lunet_csv_options_t *o = r->o;
  r->ncols = r->nfirst;
  r->cs = lunet_calloc((size_t)r->ncols, sizeof *r->cs);
  if (!r->cs) return -1;
  r->names = lunet_calloc((size_t)r->ncols, sizeof *r->names);
  if (!r->names) return -1;
  if (lunet_csv_names(r->path, r->first, r->ncols, r->o->header, r->names) < 0) return -1;
  for (int j = 0; j < r->ncols; j++) r->cs[j].out = o->columns ? -1 : j;
  for (int k = 0; k < o->n_columns; k++) {
    int j = find_name(r, o->columns[k]);
    if (j < 0) return unknown_column(r, "columns option", o->columns[k]);
    r->cs[j].out = k;
  }
  for (int j = 0; j < r->ncols; j++) r->cs[j].type = o->infer ? LUNET_COL_INTEGER : LUNET_COL_STRING;
  for (int k = 0; k < o->n_schema; k++) {
    int j = find_name(r, o->schema_names[k]);
    if (j < 0) return unknown_column(r, "schema", o->schema_names[k]);
    if (o->schema_types[k] != LUNET_COL_INTEGER && o->schema_types[k] != LUNET_COL_DOUBLE &&
        o->schema_types[k] != LUNET_COL_STRING)
      return lunet_fail("%s: schema type of '%s' must be integer, double or string, got %s", r->path,
                        o->schema_names[k], lunet_coltype_name(o->schema_types[k]));
    r->cs[j].type = o->schema_types[k];
    r->cs[j].fixed = 1;
  }
  return 0;
}

/* (Re)starts the column buffers; as_string flags survive a restart. */
static int reset_columns(reader *r) {
  r->rows = 0;
  r->cap = 0;
  r->field = 0;
  for (int j = 0; j < r->ncols; j++) {
    colstate *c = &r->cs[j];
    if (c->as_string) c->type = LUNET_COL_STRING;
    else if (!c->fixed && r->o->infer) c->type = LUNET_COL_INTEGER;
    c->seen = 0;
    lunet_strdict_free(c->dict); /* a restart interns from scratch */
    c->dict = NULL;
    if (c->type == LUNET_COL_STRING && c->out >= 0 && !(c->dict = lunet_strdict_new())) return -1;
  }
  return grow(r);
}

/* Called at each record end and (CSV_REPALL_NL) at each newline outside a
 * record: blank lines and the LF of CRLF arrive as records without fields. */
static void on_record(int term, void *data) {
  reader *r = data;
  if (r->state != RUN) return;
  int64_t start = lunet_csv_lines_record(&r->lines, term);
  if (start == 0) return;
  if (r->skip) { r->skip = 0; return; }
  if (r->ncols < 0) {
    if (setup(r) < 0 || reset_columns(r) < 0) { r->state = FAILED; return; }
    /* limit 0 (internal: lunet_csv_header) wants the names only */
    if (r->o->limit == 0) { r->state = DONE; return; }
    if (r->o->header) return;
    /* no header: the first record is data */
    for (int j = 0; j < r->ncols && r->state == RUN; j++) {
      r->field++;
      if (r->cs[j].out >= 0) store_field(r, &r->cs[j], r->first[j], r->first_len[j]);
    }
    r->lines.extra = 0; /* counted when the texts were kept */
    if (r->state != RUN) return;
  }
  if ((r->field != r->ncols || r->bad) && r->o->skip_bad) { r->field = r->bad = 0; return; }
  if (r->field != r->ncols) {
    lunet_fail("%s:%lld: expected %d field%s, found %d", r->path, (long long)start, r->ncols,
               r->ncols == 1 ? "" : "s", r->field);
    r->state = FAILED;
    return;
  }
  r->field = 0;
  if (++r->rows == r->o->limit) { r->state = DONE; return; }
  if (r->rows == r->cap && grow(r) < 0) r->state = FAILED;
}

static void reader_free(reader *r) {
  for (int i = 0; i < r->nfirst; i++) free(r->first[i]);
  free(r->first);
  free(r->first_len);
  for (int j = 0; j < r->ncols; j++) {
    if (r->names) free(r->names[j]);
    free(r->cs[j].f);
    free(r->cs[j].codes);
    lunet_strdict_free(r->cs[j].dict);
  }
  free(r->names);
  free(r->cs);
}

/* One pass over the file; r->state is RUN/DONE when it went through. */
static int parse_pass(reader *r, gzFile gz, char *buf) {
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL) != 0)
    return lunet_fail("out of memory");
  csv_set_delim(&p, (unsigned char)r->o->delimiter);
  csv_set_quote(&p, (unsigned char)r->o->quote);
  int rc = 0;
  int first = 1;
  while (r->state == RUN) {
    int n;
    if (lunet_csv_read_chunk(gz, r->path, buf, &n) < 0) { rc = -1; break; }
    if (n == 0) {
      if (csv_fini(&p, on_field, on_record, r) != 0 && r->state == RUN)
        rc = lunet_fail("%s:%lld: unterminated quoted field", r->path, (long long)r->lines.line);
      break;
    }
    /* a UTF-8 byte-order mark (Excel writes one) is not part of the first
     * field; a regular file's first read holds all of it */
    size_t skip = first && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    first = 0;
    if (csv_parse(&p, buf + skip, (size_t)n - skip, on_field, on_record, r) != (size_t)n - skip &&
        r->state == RUN) {
      int e = csv_error(&p);
      rc = e == CSV_EPARSE ? lunet_fail("%s:%lld: malformed quoted field (text after a closing quote)",
                                        r->path, (long long)r->lines.line)
                           : lunet_fail("%s: %s", r->path, csv_strerror(e));
      break;
    }
  }
  csv_free(&p);
  if (r->state == FAILED) rc = -1;
  return rc;
}

static lunet_table_t *build_table(reader *r) {
  int nout = 0;
  for (int j = 0; j < r->ncols; j++) nout += r->cs[j].out >= 0;
  lunet_table_t *t = lunet_calloc(1, sizeof *t);
  if (!t) return NULL;
  t->ncols = nout;
  t->rows = r->rows;
  t->names = lunet_calloc((size_t)nout, sizeof *t->names);
  t->cols = lunet_calloc((size_t)nout, sizeof *t->cols);
  if (!t->names || !t->cols) { lunet_table_free(t); return NULL; }
  for (int j = 0; j < r->ncols; j++) {
    colstate *c = &r->cs[j];
    if (c->out < 0) continue;
    t->names[c->out] = r->names[j];
    r->names[j] = NULL;
    if (c->type == LUNET_COL_STRING) {
      t->cols[c->out] = lunet_column_new_str(c->codes, r->rows, c->dict);
      c->dict = NULL;
      c->codes = NULL;
    } else {
      /* only NA seen: nothing says integer */
      lunet_coltype_t type = !c->fixed && !c->seen ? LUNET_COL_DOUBLE : c->type;
      t->cols[c->out] = lunet_column_new_f64(type, c->f, r->rows);
      c->f = NULL;
    }
    if (!t->cols[c->out]) { lunet_table_free(t); return NULL; }
  }
  return t;
}

lunet_table_t *lunet_csv_read(const char *path, const lunet_csv_options_t *opts) {
  gzFile gz = lunet_csv_open(path);
  if (!gz) return NULL;
  char *buf = lunet_malloc(LUNET_CSV_CHUNK);
  if (!buf) { gzclose(gz); return NULL; }
  reader r = {.path = path, .o = opts, .ncols = -1, .lines = {.line = 1},
              .na = {opts->na_values, opts->n_na, opts->na_numbers, opts->n_na_numbers}};
  lunet_table_t *t = NULL;
  int rc;
  for (;;) {
    rc = parse_pass(&r, gz, buf);
    if (rc < 0 || r.state != RESTART) break;
    /* a column turned out to hold strings: read again with it as strings */
    r.state = RUN;
    r.skip = opts->header;
    r.lines = (lunet_csv_lines_t){.line = 1};
    if (gzrewind(gz) != 0 || reset_columns(&r) < 0) { rc = lunet_fail("%s: cannot rewind", path); break; }
  }
  if (rc == 0) {
    if (r.ncols < 0) rc = lunet_fail("%s: empty file (no header and no rows)", path);
    else if (r.rows == 0 && opts->limit != 0) rc = lunet_fail("%s: header only, no data rows", path);
    else t = build_table(&r);
  }
  gzclose(gz);
  free(buf);
  reader_free(&r);
  return t;
}

void lunet_table_free(lunet_table_t *t) {
  if (!t) return;
  for (int i = 0; i < t->ncols; i++) {
    if (t->names) free(t->names[i]);
    if (t->cols) lunet_column_free(t->cols[i]);
  }
  free(t->names);
  free(t->cols);
  free(t);
}
