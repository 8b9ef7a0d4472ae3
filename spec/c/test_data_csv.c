/* C tests of the data area: number parsing, the CSV reader (types, options,
 * errors) and column gather/slice/concat. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "column.h"
#include "common.h"
#include "csvio.h"

static int failures = 0;
#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      failures++;                                                            \
    }                                                                        \
  } while (0)

static char path[256];

static const char *write_tmp(const char *text) {
  snprintf(path, sizeof path, "/tmp/lunet_test_data_csv_%d.csv", (int)getpid());
  FILE *f = fopen(path, "wb");
  fputs(text, f);
  fclose(f);
  return path;
}

static lunet_csv_options_t defaults(void) {
  lunet_csv_options_t o = {.delimiter = ',', .quote = '"', .header = 1, .infer = 1, .limit = -1};
  return o;
}

static void test_numbers(void) {
  double v;
  int is_int;
  CHECK(lunet_parse_number("138.47", 6, &v, &is_int) && v == 138.47 && !is_int);
  CHECK(lunet_parse_number("-999.0", 6, &v, &is_int) && v == -999.0 && !is_int);
  CHECK(lunet_parse_number("100000", 6, &v, &is_int) && v == 100000 && is_int);
  CHECK(lunet_parse_number("1e-3", 4, &v, &is_int) && v == 1e-3 && !is_int);
  CHECK(lunet_parse_number("0.00265847", 10, &v, &is_int) && v == 0.00265847);
  CHECK(lunet_parse_number("1.23456789012345678", 19, &v, &is_int) && v == strtod("1.23456789012345678", NULL));
  CHECK(lunet_parse_number("NaN", 3, &v, &is_int) && isnan(v));
  CHECK(lunet_parse_number("-inf", 4, &v, &is_int) && isinf(v) && v < 0);
  CHECK(!lunet_parse_number("", 0, &v, &is_int));
  CHECK(!lunet_parse_number("abc", 3, &v, &is_int));
  CHECK(!lunet_parse_number("1.2.3", 5, &v, &is_int));
  CHECK(!lunet_parse_number("0x10", 4, &v, &is_int));
  CHECK(!lunet_parse_number("1e", 2, &v, &is_int));
  CHECK(!lunet_parse_number(".", 1, &v, &is_int));
  /* integers up to 2^53 (16 digits and more) are integers; beyond, doubles */
  CHECK(lunet_parse_number("1000000000000000", 16, &v, &is_int) && v == 1e15 && is_int);
  CHECK(lunet_parse_number("-9007199254740992", 17, &v, &is_int) && v == -9007199254740992.0 && is_int);
  CHECK(lunet_parse_number("9007199254740993", 16, &v, &is_int) && !is_int);
  CHECK(lunet_parse_number("12345678901234567890", 20, &v, &is_int) && !is_int);
}

static void test_infer(void) {
  lunet_csv_options_t o = defaults();
  lunet_table_t *t = lunet_csv_read(write_tmp("id,x,label\n1,2.5,s\n2,3,b\n3,-1e2,s\n"), &o);
  CHECK(t != NULL);
  if (!t) { fprintf(stderr, "%s\n", lunet_errmsg()); return; }
  CHECK(t->ncols == 3 && t->rows == 3);
  CHECK(strcmp(t->names[1], "x") == 0);
  CHECK(t->cols[0]->type == LUNET_COL_INTEGER);
  CHECK(t->cols[1]->type == LUNET_COL_DOUBLE);
  CHECK(t->cols[2]->type == LUNET_COL_STRING);
  CHECK(lunet_column_f64(t->cols[1])[2] == -100.0);
  CHECK(t->cols[2]->dict->count == 2);
  CHECK(lunet_column_codes(t->cols[2])[2] == 0);

  /* gather, slice, concat */
  int64_t idx[2] = {2, 0};
  lunet_column_t *g = lunet_column_gather(t->cols[1], idx, 2);
  CHECK(g && g->rows == 2 && lunet_column_f64(g)[0] == -100.0 && lunet_column_f64(g)[1] == 2.5);
  lunet_column_t *s = lunet_column_slice(t->cols[2], 1, 2);
  CHECK(s && s->rows == 2 && lunet_column_codes(s)[0] == 1);
  lunet_column_t *c = lunet_column_concat(t->cols[0], g);
  CHECK(c && c->rows == 5 && c->type == LUNET_COL_DOUBLE && lunet_column_f64(c)[3] == -100.0);
  lunet_tensor_t *ft = lunet_column_to_tensor(g);
  CHECK(ft && ft->ndim == 1 && lunet_tensor_data(ft)[1] == 2.5f);
  lunet_tensor_free(ft);
  lunet_column_free(g);
  lunet_column_free(s);
  lunet_column_free(c);
  lunet_table_free(t);
}

static void test_late_string_restart(void) {
  lunet_csv_options_t o = defaults();
  lunet_table_t *t = lunet_csv_read(write_tmp("a,b\n1,2\n2,x\n3,4\n"), &o);
  CHECK(t && t->cols[0]->type == LUNET_COL_INTEGER && t->cols[1]->type == LUNET_COL_STRING);
  if (t) {
    size_t len;
    CHECK(t->rows == 3 && t->cols[1]->dict->count == 3);
    CHECK(strcmp(lunet_strdict_get(t->cols[1]->dict, lunet_column_codes(t->cols[1])[1], &len), "x") == 0);
  }
  lunet_table_free(t);
  /* no header: names _c0.., first record is data, restart keeps it */
  o.header = 0;
  t = lunet_csv_read(write_tmp("1,2\n2,x\n"), &o);
  CHECK(t && t->rows == 2 && strcmp(t->names[1], "_c1") == 0 && t->cols[1]->type == LUNET_COL_STRING);
  lunet_table_free(t);
}

static void test_options(void) {
  lunet_csv_options_t o = defaults();
  const char *na[] = {"-999.0"};
  const char *cols[] = {"c", "a"};
  o.na_values = na;
  o.n_na = 1;
  o.columns = cols;
  o.n_columns = 2;
  o.limit = 2;
  o.delimiter = ';';
  lunet_table_t *t = lunet_csv_read(write_tmp("a;b;c\n1;x;-999.0\n2;y;\"3.5\"\n3;z;4\n"), &o);
  CHECK(t && t->ncols == 2 && t->rows == 2);
  if (t) {
    CHECK(strcmp(t->names[0], "c") == 0 && strcmp(t->names[1], "a") == 0);
    CHECK(isnan(lunet_column_f64(t->cols[0])[0]) && lunet_column_f64(t->cols[0])[1] == 3.5);
  }
  lunet_table_free(t);
}

/* Empty fields and na_numbers are NaN in a numeric column, which keeps its
 * inferred type; a number matches every spelling of its value. */
static void test_missing(void) {
  lunet_csv_options_t o = defaults();
  const double na[] = {-999};
  o.na_numbers = na;
  o.n_na_numbers = 1;
  lunet_table_t *t = lunet_csv_read(write_tmp("a,b,c\n1,-999,\n,-999.0,\n3,2.5,\n"), &o);
  CHECK(t && t->rows == 3);
  if (t) {
    const double *a = lunet_column_f64(t->cols[0]), *b = lunet_column_f64(t->cols[1]);
    CHECK(t->cols[0]->type == LUNET_COL_INTEGER && a[0] == 1 && isnan(a[1]) && a[2] == 3);
    CHECK(t->cols[1]->type == LUNET_COL_DOUBLE && isnan(b[0]) && isnan(b[1]) && b[2] == 2.5);
    CHECK(t->cols[2]->type == LUNET_COL_DOUBLE && isnan(lunet_column_f64(t->cols[2])[2]));
  }
  lunet_table_free(t);
}

static void expect_error(const char *text, const lunet_csv_options_t *o, const char *needle) {
  lunet_table_t *t = lunet_csv_read(write_tmp(text), o);
  CHECK(t == NULL);
  if (!strstr(lunet_errmsg(), needle)) {
    fprintf(stderr, "error '%s' lacks '%s'\n", lunet_errmsg(), needle);
    failures++;
  }
  lunet_table_free(t);
}

static void test_errors(void) {
  lunet_csv_options_t o = defaults();
  expect_error("a,b,c\n1,2,3\n1,2\n", &o, ".csv:3: expected 3 fields, found 2");
  expect_error("a,b\n1,2\n1,2,3\n", &o, ".csv:3: expected 2 fields, found 3");
  expect_error("a\n1\n2,3\n", &o, ".csv:3: expected 1 field, found 2");
  expect_error("", &o, "empty file");
  expect_error("a,b\n", &o, "header only");
  expect_error("a,b\n1,\"2\n3,4\n", &o, ".csv:2: unterminated quoted field");
  lunet_coltype_t types[] = {LUNET_COL_DOUBLE};
  const char *names[] = {"b"};
  o.schema_names = names;
  o.schema_types = types;
  o.n_schema = 1;
  expect_error("a,b\n1,2\n2,x7\n", &o, ".csv:3: column 'b': cannot parse 'x7' as double");
  names[0] = "nope";
  expect_error("a,b\n1,2\n", &o, "unknown column 'nope' (available: a, b)");
  lunet_csv_options_t b = defaults();
  /* physical lines: blank lines, CRLF, newlines inside quotes */
  expect_error("a,b\n1,2\n\n3,4\n5\n", &b, ".csv:5: expected 2 fields, found 1");
  expect_error("a,b\r\n1,2\r\n3\r\n", &b, ".csv:3: expected 2 fields, found 1");
  expect_error("a,b\n1,\"x\ny\"\n2,z\n3\n", &b, ".csv:5: expected 2 fields, found 1");
  expect_error("a,b\n1,2\n2,x\n\n3,4,5\n", &b, ".csv:5: expected 2 fields, found 3"); /* after a restart */
  lunet_csv_options_t d = defaults();
  CHECK(lunet_csv_read("/nonexistent/x.csv", &d) == NULL && strstr(lunet_errmsg(), "No such file"));
}

int main(void) {
  test_numbers();
  test_infer();
  test_late_string_restart();
  test_options();
  test_missing();
  test_errors();
  unlink(path);
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  else printf("test_data_csv: all passed\n");
  return failures != 0;
}
