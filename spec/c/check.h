/* The C tests' tiny harness: CHECK prints file:line on failure and counts it;
 * a test's main returns CHECK_RESULT() (non-zero if anything failed). */
#ifndef LUNET_SPEC_CHECK_H
#define LUNET_SPEC_CHECK_H

#include <math.h>
#include <stdio.h>

static int failures;
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)
#define CHECK_NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))

#endif
