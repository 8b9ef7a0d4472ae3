/* CSV reading and writing for lunet.data (libcsv + zlib).
 * The reader streams the file through gzread (plain and .gz alike) in 256 kB
 * chunks into libcsv and parses every field straight into column storage, so
 * the file is never held in memory as a whole. */
#ifndef LUNET_CSVIO_H
#define LUNET_CSVIO_H

#include <stdint.h>
#include <stdio.h>

#include "column.h"

typedef struct {
  char delimiter, quote;
  int header;                 /* first record holds the column names */
  int infer;                  /* infer integer/double/string from the data */
  int64_t limit;              /* < 0: all rows */
  const char *const *na_values; /* texts mapped to NaN in numeric columns */
  int n_na;
  const double *na_numbers;   /* values mapped to NaN in numeric columns */
  int n_na_numbers;
  const char *const *columns;   /* read only these (NULL: all) */
  int n_columns;
  const char *const *schema_names; /* explicit types for these columns */
  const lunet_coltype_t *schema_types;
  int n_schema;
  int skip_bad;               /* skip records of the wrong field count (a plan's sample) */
} lunet_csv_options_t;

/* The result of a read: ncols named columns of `rows` rows. */
typedef struct {
  int ncols;
  int64_t rows;
  char **names;               /* (ncols) */
  lunet_column_t **cols;      /* (ncols), one reference each */
} lunet_table_t;

/* Reads path. On error returns NULL with lunet_errmsg() like
 * "FILE:LINE: expected 35 fields, found 31" (the caller prefixes "read_csv: "). */
lunet_table_t *lunet_csv_read(const char *path, const lunet_csv_options_t *opts);
void lunet_table_free(lunet_table_t *t);

/* Parses path with libcsv and no-op callbacks (the benchmark's floor); returns
 * the number of fields or -1. */
int64_t lunet_csv_bare_parse(const char *path);

/* Writes the columns as CSV with a header row to path, atomically (a fresh
 * temporary file beside it, then rename: core/file.h). Every name must be
 * non-NULL and every column have the same rows; vector columns are not
 * writable (assemble them away first). */
int lunet_csv_write(const char *path, int ncols, const char *const *names,
                    lunet_column_t *const *cols, char delimiter, int header);

/* Writes a Spark-style directory dir of nparts part files
 * "part-00000-<random id>.csv[.gz]", part p holding rows first[p] ..
 * first[p] + count[p] - 1 with a header line each (header set) and gzip'ed
 * when gzip is set; atomically: everything goes into a fresh hidden directory
 * beside dir, each file fsync'ed, then "_SUCCESS" (Spark's marker), then the
 * directory is renamed to dir. An existing dir is an error unless overwrite
 * (Spark's SaveMode.Overwrite: the old dir is renamed away, then removed
 * with everything in it). 0, or -1 with a message (nothing is left behind). */
int lunet_csv_write_dir(const char *dir, int ncols, const char *const *names, lunet_column_t *const *cols,
                        int nparts, const int64_t *first, const int64_t *count, char delimiter, int header, int gzip,
                        int overwrite);

/* The columns are writable: named, of equal rows, not vectors. 0 or -1. */
int lunet_csv_check_columns(int ncols, const char *const *names, lunet_column_t *const *cols);
/* Rows first .. first + count - 1 as CSV to f, a header line first when
 * header is set (errors show in f's error flag). */
void lunet_csv_write_rows(FILE *f, int ncols, const char *const *names, lunet_column_t *const *cols, int64_t first,
                          int64_t count, char delimiter, int header);

/* Parses a complete number (no surrounding text). Returns 1 and sets *out when
 * s[0..len) is a decimal number (or NaN/Inf spelled out), *is_int when it is
 * written as an integer (no dot, no exponent) of magnitude at most 2^53, which
 * a double holds exactly; 0 otherwise. s[len] must be '\0'. */
int lunet_parse_number(const char *s, size_t len, double *out, int *is_int);

#endif
