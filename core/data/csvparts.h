/* The CSV reader's parts, shared by the whole-file reader (core/data/csv.c)
 * and the shard cursor (csv_cursor.c); nothing else should use them: the byte
 * source (csv_input.c), the column names (csv_names.c), and the field and
 * line rules (csv_fields.c). */
#ifndef LUNET_CSVPARTS_H
#define LUNET_CSVPARTS_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* Bytes per read and rows of the first column buffers. The fuzz build
 * (LUNET_FUZZ) makes both small, so that its small inputs reach what large
 * files do: records, quoted fields and CRLFs straddling reads, buffers growing. */
#ifndef LUNET_CSV_CHUNK
#define LUNET_CSV_CHUNK (256 * 1024)
#endif
#ifndef LUNET_CSV_FIRST_ROWS
#define LUNET_CSV_FIRST_ROWS 4096
#endif

/* path (a regular file, plain or gzip) opened for LUNET_CSV_CHUNK reads; NULL
 * with "PATH: <reason>". */
gzFile lunet_csv_open(const char *path);

/* Reads the next chunk (up to LUNET_CSV_CHUNK bytes) into buf, *n bytes; 0,
 * or -1 with a message on a read error or a truncated or corrupt .gz. */
int lunet_csv_read_chunk(gzFile gz, const char *path, char *buf, int *n);

/* names (n) = the column names of a file with n fields per record, from the
 * header texts raw (n) when header is set (malloc'ed, the caller frees them):
 * Spark's names. 0, or -1 with a message naming path when two would clash. */
int lunet_csv_names(const char *path, char *const *raw, int n, int header, char **names);

/* Missing-value markers: texts matched exactly, numbers matched by value. */
typedef struct {
  const char *const *texts;
  int n_texts;
  const double *numbers;
  int n_numbers;
} lunet_csv_na_t;

enum { LUNET_FIELD_NA = 0, LUNET_FIELD_NUMBER = 1, LUNET_FIELD_NOT_NUMBER = 2 };

/* A field of a numeric column: LUNET_FIELD_NA (*v = NaN: empty, or listed by
 * na), LUNET_FIELD_NUMBER (*v, *is_int as lunet_parse_number), or
 * LUNET_FIELD_NOT_NUMBER. s[len] must be '\0'. */
int lunet_csv_number_field(const lunet_csv_na_t *na, const char *s, size_t len, double *v, int *is_int);

/* Newlines ('\n') in s[0..len): a quoted field's, so that error lines stay
 * physical lines. */
int64_t lunet_csv_count_newlines(const char *s, size_t len);

/* Physical line bookkeeping over libcsv's callbacks (CSV_REPALL_NL: blank
 * lines and the LF of CRLF arrive as records without fields). nf counts the
 * fields of the current record (the field callback increments it), extra
 * the newlines inside its quoted fields. */
typedef struct {
  int64_t line;   /* 1-based line where the current record starts */
  int64_t extra;
  int nf;
  int after_cr;   /* the last record ended with CR: a following LF ends nothing */
} lunet_csv_lines_t;

/* At a record callback with terminator term: the record's first line, or 0
 * when it is no record (a blank line, the LF of a CRLF). */
int64_t lunet_csv_lines_record(lunet_csv_lines_t *l, int term);

#endif
