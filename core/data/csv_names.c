/* Column names of a CSV file, as Spark makes them (CSVUtils.makeSafeHeader,
 * case-sensitive): without a header "_c<i>"; with one, an empty field is
 * "_c<i>" and every field of a name that appears more than once gets its
 * 0-based position appended ("a,a" -> a0, a1). Spark keeps a clash this makes
 * ("a2,a,a" -> a2, a1, a2) as two columns of one name, whose values then
 * cannot be told apart; a frame cannot hold that, so it is an error naming
 * both columns. Sorting finds repeats in n log n (files with 10^5 columns
 * exist). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "csvparts.h"

typedef struct { const char *s; int j; } named;

static int by_name(const void *a, const void *b) {
  const named *x = a, *y = b;
  int c = strcmp(x->s, y->s);
  return c ? c : (x->j > y->j) - (x->j < y->j);
}

/* names (n) sorted with their positions into by (n), so equal names are
 * neighbours in column order. */
static void sort_names(named *by, char *const *names, int n) {
  for (int j = 0; j < n; j++) by[j] = (named){names[j], j};
  qsort(by, (size_t)n, sizeof *by, by_name);
}
int lunet_csv_names(const char *path, char *const *raw, int n, int header, char **names) {
  named *by = lunet_malloc((size_t)(n ? n : 1) * sizeof *by);
  if (!by) return -1;
  if (header) sort_names(by, raw, n);
  for (int k = 0; k < n; k++) {
    int j = header ? by[k].j : k;
    const char *base = header ? raw[j] : "";
    int dup = header && base[0] && ((k > 0 && strcmp(by[k - 1].s, base) == 0) ||
                                    (k + 1 < n && strcmp(by[k + 1].s, base) == 0));
    char *name = lunet_malloc(strlen(base) + 24);
    if (!name) { free(by); return -1; }
    if (!base[0]) sprintf(name, "_c%d", j);
    else if (dup) sprintf(name, "%s%d", base, j);
    else strcpy(name, base);
    names[j] = name;
  }
  sort_names(by, names, n);
  for (int k = 1; k < n; k++) {
    if (strcmp(by[k - 1].s, by[k].s) != 0) continue;
    int a = by[k - 1].j, b = by[k].j;
    free(by);
    return lunet_fail("%s: columns %d and %d would both be named '%s' (header fields '%s' and '%s'; "
                      "Spark numbers repeated and empty names by position); rename them in the header",
                      path, a + 1, b + 1, names[a], raw[a], raw[b]);
  }
  free(by);
  return 0;
}
