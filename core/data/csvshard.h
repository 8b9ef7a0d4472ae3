/* A CSV dataset as shards, for readers that stream (lunet.data.source): the
 * part files of a directory or glob, byte ranges of a large file cut at record
 * boundaries, and a cursor that reads one shard in chunks of rows with a
 * fixed schema, holding at most one read buffer of rows at a time. */
#ifndef LUNET_CSVSHARD_H
#define LUNET_CSVSHARD_H

#include <stdint.h>

#include "column.h"

/* The files pattern names, as absolute paths sorted by name (malloc'ed array
 * of malloc'ed strings, *n of them; lunet_csv_list_free frees them): a
 * regular file itself; a directory's part files (every regular file whose
 * name starts with neither '_' nor '.', and does not end in ".crc": Spark's
 * _SUCCESS and checksum files are skipped); else the matches of pattern as a
 * glob(3) that are regular files. 0, or -1 with "PATTERN: <why>" (an empty
 * directory and a glob matching nothing are errors). */
int lunet_csv_list(const char *pattern, char ***paths, int *n);
void lunet_csv_list_free(char **paths, int n);

/* *size in bytes and *gz (it starts with gzip's magic) of the regular file
 * path. 0, or -1 with "PATH: <why>". */
int lunet_csv_file_info(const char *path, int64_t *size, int *gz);

/* Cuts the plain file path into ranges of about shard_bytes at record
 * boundaries: just after a line break outside quoted fields (quote: the quote
 * character; a newline inside a quoted field is no boundary). *offsets and
 * *lines (malloc'ed, *n entries, the caller frees) are each range's first
 * byte and 1-based line, the first being 0 and 1. One pass over the file. 0,
 * or -1 with a message naming path. */
int lunet_csv_cut(const char *path, char quote, int64_t shard_bytes, int64_t **offsets, int64_t **lines, int *n);

typedef struct lunet_csv_cursor lunet_csv_cursor_t;

typedef struct {
  char delimiter, quote;
  int header;                  /* files start with a header line */
  int nfields;                 /* fields per record */
  const char *const *fields;   /* (nfields) the file's column names (header check) */
  const int *out;              /* (nfields) output column of each field, -1: not read */
  int nout;
  const lunet_coltype_t *types; /* (nout) integer, double or string */
  const char *const *na_texts;
  int n_na_texts;
  const double *na_numbers;
  int n_na_numbers;
  int skip_bad;                /* skip (and count) bad rows instead of failing */
} lunet_csv_cursor_options_t;

/* Opens the shard of path that starts at byte offset (on line `line`) and
 * spans length bytes (-1: to the end); gz: the file is gzip (then offset is
 * 0 and length -1). A shard at offset 0 of a file with a header starts with
 * the header line, which is skipped after checking it names o->fields. The
 * cursor copies what it keeps of o. NULL with "PATH: <why>". */
lunet_csv_cursor_t *lunet_csv_cursor_new(const char *path, int64_t offset, int64_t length, int64_t line, int gz,
                                         const lunet_csv_cursor_options_t *o);

/* The next at most max_rows rows: *rows of them, cols (o->nout) set to new
 * columns (one reference each, the caller's); *rows == 0 at the shard's end
 * (cols untouched). A bad row (a wrong field count, a value that is no
 * number of its column's type) fails with "PATH:LINE: expected 33 fields,
 * found 31", unless skip_bad. -1 with a message; the cursor then stays
 * failed. */
int lunet_csv_cursor_next(lunet_csv_cursor_t *c, int64_t max_rows, lunet_column_t **cols, int64_t *rows);
/* Rows skipped so far (skip_bad). */
int64_t lunet_csv_cursor_bad_rows(const lunet_csv_cursor_t *c);
void lunet_csv_cursor_free(lunet_csv_cursor_t *c);

#endif
