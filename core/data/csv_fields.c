/* The CSV field and line rules that the whole-file reader (csv.c) and the
 * shard cursor (csv_cursor.c) share, so both read a file the same way:
 * what a missing number is, and which physical line a record starts on. */
#include <math.h>
#include <string.h>

#include "csvio.h"
#include "csvparts.h"

int lunet_csv_number_field(const lunet_csv_na_t *na, const char *s, size_t len, double *v, int *is_int) {
  *is_int = 0;
  /* an empty field is a missing number (Spark reads it as null) */
  if (len == 0) { *v = NAN; return LUNET_FIELD_NA; }
  for (int i = 0; i < na->n_texts; i++)
    if (strlen(na->texts[i]) == len && memcmp(na->texts[i], s, len) == 0) { *v = NAN; return LUNET_FIELD_NA; }
  if (!lunet_parse_number(s, len, v, is_int)) return LUNET_FIELD_NOT_NUMBER;
  /* "-999.0" and "-999" alike match -999 */
  for (int i = 0; i < na->n_numbers; i++)
    if (na->numbers[i] == *v) { *v = NAN; *is_int = 0; return LUNET_FIELD_NA; }
  return LUNET_FIELD_NUMBER;
}

int64_t lunet_csv_count_newlines(const char *s, size_t len) {
  int64_t n = 0;
  for (const char *p = s; (p = memchr(p, '\n', len - (size_t)(p - s))) != NULL; p++) n++;
  return n;
}

int64_t lunet_csv_lines_record(lunet_csv_lines_t *l, int term) {
  int nf = l->nf, lf_of_crlf = term == '\n' && l->after_cr && nf == 0;
  l->after_cr = term == '\r';
  l->nf = 0;
  if (lf_of_crlf) return 0;
  if (nf == 0) { l->line++; return 0; } /* a blank line */
  int64_t start = l->line;
  l->line += 1 + l->extra;
  l->extra = 0;
  return start;
}
