/* Decimal number parsing for the CSV reader. Most CSV numbers have at most 15
 * significant digits and a small exponent: those are m * 10^e with both m and
 * 10^|e| exact doubles, so one IEEE multiply or divide is correctly rounded
 * (Clinger's fast path). Everything else goes to strtod after the syntax has
 * been validated here (strtod alone would accept hex, leading spaces, ...). */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#include "csvio.h"

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int parse_special(const char *p, size_t len, int neg, double *out) {
  if (len == 3 && strncasecmp(p, "nan", 3) == 0) { *out = NAN; return 1; }
  if ((len == 3 && strncasecmp(p, "inf", 3) == 0) || (len == 8 && strncasecmp(p, "infinity", 8) == 0)) {
    *out = neg ? -INFINITY : INFINITY;
    return 1;
  }
  return 0;
}

#define IS_DIGIT(c) ((unsigned)((c) - '0') < 10u)

int lunet_parse_number(const char *s, size_t len, double *out, int *is_int) {
  const char *p = s, *end = s + len;
  int neg = 0;
  *is_int = 0;
  if (p < end && (*p == '+' || *p == '-')) { neg = *p == '-'; p++; }
  if (p < end && !IS_DIGIT(*p) && *p != '.')
    return parse_special(p, (size_t)(end - p), neg, out);
  uint64_t m = 0;
  int sig = 0, digits = 0, exp10 = 0, dot = 0, expo = 0;
  for (; p < end && IS_DIGIT(*p); p++, digits++) {
    if (m == 0 && *p == '0') continue;
    if (++sig <= 19) m = m * 10 + (uint64_t)(*p - '0');
    else exp10++;
  }
  if (p < end && *p == '.') {
    dot = 1;
    for (p++; p < end && IS_DIGIT(*p); p++, digits++) {
      if (m == 0 && *p == '0') { exp10--; continue; }
      if (++sig <= 19) { m = m * 10 + (uint64_t)(*p - '0'); exp10--; }
    }
  }
  if (digits == 0) return 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    expo = 1;
    p++;
    int eneg = 0, e = 0, ed = 0;
    if (p < end && (*p == '+' || *p == '-')) { eneg = *p == '-'; p++; }
    for (; p < end && IS_DIGIT(*p); p++, ed++)
      if (e < 100000) e = e * 10 + (*p - '0');
    if (ed == 0) return 0;
    exp10 += eneg ? -e : e;
  }
  if (p != end) return 0;
  /* integral and exact in a double: no dot, no exponent, |m| <= 2^53 (m holds
   * up to 19 digits exactly; 16-digit ids such as 1000000000000000 qualify) */
  *is_int = !dot && !expo && sig <= 19 && m <= (UINT64_C(1) << 53);
  if (m == 0) { *out = neg ? -0.0 : 0.0; return 1; }
  if (sig <= 15 && exp10 >= -22 && exp10 <= 22) {
    double v = (double)m;
    v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
    *out = neg ? -v : v;
    return 1;
  }
  *out = strtod(s, NULL); /* s is NUL-terminated at len and validated above */
  return 1;
}
