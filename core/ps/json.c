/* Strict recursive-descent JSON parser with a depth limit (see json.h). */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct {
  const char *s;
  size_t len, pos;
  const lunet_json_handlers_t *h;
  void *ud;
  char *scratch;
} parser;

#define FAIL(p, what) lunet_fail("json: offset %zu: %s", (p)->pos, what)

static void skip_ws(parser *p) {
  while (p->pos < p->len) {
    char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

int lunet_utf8_valid(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < len) {
    unsigned c = s[i];
    if (c < 0x80) { i++; continue; }
    int n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
    else return 0;
    for (int k = 1; k <= n; k++) {
      if (i + (size_t)k >= len || (s[i + k] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    i += (size_t)n + 1;
  }
  return 1;
}

static int hex4(parser *p, uint32_t *out) {
  if (p->pos + 4 > p->len) return FAIL(p, "truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p->s[p->pos++];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return FAIL(p, "bad hex digit in \\u escape");
  }
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, uint32_t cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Parses a string at p->pos (on the opening quote) into scratch. An escape
 * never produces more bytes than it consumes, so scratch of len bytes suffices. */
static int parse_string(parser *p, size_t *out_len) {
  p->pos++;
  size_t n = 0;
  for (;;) {
    if (p->pos >= p->len) return FAIL(p, "unterminated string");
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '"') break;
    if (c < 0x20) return FAIL(p, "control character in string");
    if (c != '\\') { p->scratch[n++] = (char)c; p->pos++; continue; }
    p->pos++;
    if (p->pos >= p->len) return FAIL(p, "unterminated escape");
    char e = p->s[p->pos++];
    switch (e) {
    case '"': p->scratch[n++] = '"'; break;
    case '\\': p->scratch[n++] = '\\'; break;
    case '/': p->scratch[n++] = '/'; break;
    case 'b': p->scratch[n++] = '\b'; break;
    case 'f': p->scratch[n++] = '\f'; break;
    case 'n': p->scratch[n++] = '\n'; break;
    case 'r': p->scratch[n++] = '\r'; break;
    case 't': p->scratch[n++] = '\t'; break;
    case 'u': {
      uint32_t cp;
      if (hex4(p, &cp) < 0) return -1;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        uint32_t lo;
        if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
          return FAIL(p, "lone high surrogate");
        p->pos += 2;
        if (hex4(p, &lo) < 0) return -1;
        if (lo < 0xDC00 || lo > 0xDFFF) return FAIL(p, "bad low surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return FAIL(p, "lone low surrogate");
      }
      n += put_utf8(p->scratch + n, cp);
      break;
    }
    default: return FAIL(p, "unknown escape");
    }
  }
  p->pos++;
  if (!lunet_utf8_valid(p->scratch, n)) return FAIL(p, "string is not valid UTF-8");
  *out_len = n;
  return 0;
}

static int parse_number(parser *p) {
  size_t start = p->pos;
  int is_int = 1;
  if (p->s[p->pos] == '-') p->pos++;
  if (p->pos >= p->len) return FAIL(p, "truncated number");
  if (p->s[p->pos] == '0') p->pos++;
  else if (p->s[p->pos] >= '1' && p->s[p->pos] <= '9')
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
  else return FAIL(p, "bad number");
  if (p->pos < p->len && p->s[p->pos] == '.') {
    is_int = 0;
    p->pos++;
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') return FAIL(p, "bad fraction");
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
  }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
    is_int = 0;
    p->pos++;
    if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') return FAIL(p, "bad exponent");
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
  }
  /* strtod needs a NUL-terminated copy; long ones (many digits) go to the heap */
  char small[64], *buf = small;
  size_t n = p->pos - start;
  if (n >= sizeof small && !(buf = lunet_malloc(n + 1))) return -1;
  memcpy(buf, p->s + start, n);
  buf[n] = '\0';
  double v = strtod(buf, NULL);
  long long i = 0;
  if (is_int && isfinite(v)) {
    errno = 0;
    i = strtoll(buf, NULL, 10);
    if (errno == ERANGE) is_int = 0; /* beyond 64 bits: keep it a float */
  }
  if (buf != small) free(buf);
  if (!isfinite(v)) return FAIL(p, "number out of range");
  return p->h->number(p->ud, v, is_int, i);
}

static int parse_value(parser *p, int depth);

static int expect_literal(parser *p, const char *lit) {
  size_t n = strlen(lit);
  if (p->pos + n > p->len || memcmp(p->s + p->pos, lit, n) != 0) return FAIL(p, "unexpected token");
  p->pos += n;
  return 0;
}

static int parse_container(parser *p, int depth, int object) {
  if (depth >= LUNET_JSON_MAX_DEPTH) return FAIL(p, "nesting too deep");
  p->pos++;
  if ((object ? p->h->begin_object(p->ud) : p->h->begin_array(p->ud)) < 0) return -1;
  skip_ws(p);
  char close = object ? '}' : ']';
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    return object ? p->h->end_object(p->ud) : p->h->end_array(p->ud);
  }
  for (;;) {
    skip_ws(p);
    if (object) {
      size_t klen;
      if (p->pos >= p->len || p->s[p->pos] != '"') return FAIL(p, "expected a string key");
      if (parse_string(p, &klen) < 0 || p->h->key(p->ud, p->scratch, klen) < 0) return -1;
      skip_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') return FAIL(p, "expected ':'");
      p->pos++;
    }
    if (parse_value(p, depth + 1) < 0) return -1;
    skip_ws(p);
    if (p->pos >= p->len) return FAIL(p, object ? "unterminated object" : "unterminated array");
    char c = p->s[p->pos++];
    if (c == close) return object ? p->h->end_object(p->ud) : p->h->end_array(p->ud);
    if (c != ',') { p->pos--; return FAIL(p, object ? "expected ',' or '}'" : "expected ',' or ']'"); }
  }
}

static int parse_value(parser *p, int depth) {
  skip_ws(p);
  if (p->pos >= p->len) return FAIL(p, "unexpected end of input");
  char c = p->s[p->pos];
  size_t n;
  switch (c) {
  case '{': return parse_container(p, depth, 1);
  case '[': return parse_container(p, depth, 0);
  case '"': return parse_string(p, &n) < 0 ? -1 : p->h->string(p->ud, p->scratch, n);
  case 't': return expect_literal(p, "true") < 0 ? -1 : p->h->boolean(p->ud, 1);
  case 'f': return expect_literal(p, "false") < 0 ? -1 : p->h->boolean(p->ud, 0);
  case 'n': return expect_literal(p, "null") < 0 ? -1 : p->h->null_value(p->ud);
  default:
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p);
    return FAIL(p, "unexpected character");
  }
}

int lunet_json_parse(const char *text, size_t len, const lunet_json_handlers_t *h, void *ud, char *scratch) {
  parser p = {text, len, 0, h, ud, scratch};
  if (parse_value(&p, 0) < 0) return -1;
  skip_ws(&p);
  if (p.pos != p.len) return FAIL(&p, "trailing characters after the value");
  return 0;
}
