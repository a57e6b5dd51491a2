/*
 * xlog_line.c - a strict JSON syntax check of one log line that keeps the
 * top-level members the verifier needs (see xlog_line.h).
 *
 * Recursive descent over the bytes with a depth limit; strings are
 * checked (control characters, escapes, surrogate pairs, UTF-8) but never
 * copied. Acceptance matches jansson's decoder (json_loadb with
 * JSON_REJECT_DUPLICATES for the members read here): no NUL escapes, no
 * lone surrogates, numbers as RFC 8259 writes them.
 */
#include "xlog_line.h"
#include <string.h>

#define SCAN_MAX_DEPTH 512

struct scan {
  const unsigned char *p;
  const unsigned char *end;
  int depth;
};

struct span {
  const char *s;
  size_t len;
  int escaped;
};

static void skip_ws(struct scan *s) {
  while (s->p < s->end &&
         (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static int hex4(const unsigned char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return -1;
    v = v << 4 | d;
  }
  *out = v;
  return 0;
}

/* "\uXXXX" (and its low surrogate) at s->p, just after the backslash-u. */
static int scan_unicode_escape(struct scan *s) {
  unsigned cp, low;
  if (s->end - s->p < 4 || hex4(s->p, &cp) != 0 || cp == 0)
    return -1;
  s->p += 4;
  if (cp >= 0xdc00 && cp <= 0xdfff)
    return -1;
  if (cp < 0xd800 || cp > 0xdbff)
    return 0;
  if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
      hex4(s->p + 2, &low) != 0 || low < 0xdc00 || low > 0xdfff)
    return -1;
  s->p += 6;
  return 0;
}

/* One UTF-8 sequence of 2-4 bytes at s->p (shortest form, no surrogates,
 * at most U+10FFFF). */
static int scan_utf8(struct scan *s) {
  const unsigned char *p = s->p;
  size_t n;
  unsigned cp;
  if (p[0] >= 0xc2 && p[0] <= 0xdf) {
    n = 2;
    cp = p[0] & 0x1f;
  } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
    n = 3;
    cp = p[0] & 0x0f;
  } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
    n = 4;
    cp = p[0] & 0x07;
  } else {
    return -1;
  }
  if ((size_t)(s->end - p) < n)
    return -1;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return -1;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return -1;
  s->p += n;
  return 0;
}

/* A string at s->p (on its opening quote); *out spans its raw contents. */
static int scan_string(struct scan *s, struct span *out) {
  const unsigned char *start;
  out->escaped = 0;
  s->p++;
  start = s->p;
  while (s->p < s->end) {
    unsigned char c = *s->p;
    if (c == '"') {
      out->s = (const char *)start;
      out->len = (size_t)(s->p - start);
      s->p++;
      return 0;
    }
    if (c < 0x20)
      return -1;
    if (c == '\\') {
      out->escaped = 1;
      if (++s->p >= s->end)
        return -1;
      c = *s->p++;
      if (c == 'u') {
        if (scan_unicode_escape(s) != 0)
          return -1;
      } else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
        return -1;
      }
      continue;
    }
    if (c < 0x80) {
      s->p++;
      continue;
    }
    if (scan_utf8(s) != 0)
      return -1;
  }
  return -1;
}

static int scan_digits(struct scan *s) {
  const unsigned char *start = s->p;
  while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
    s->p++;
  return s->p > start ? 0 : -1;
}

/* A number; *is_uint says whether it is a plain non-negative integer. */
static int scan_number(struct scan *s, int *is_uint) {
  *is_uint = 1;
  if (*s->p == '-') {
    *is_uint = 0;
    s->p++;
  }
  if (s->p >= s->end)
    return -1;
  if (*s->p == '0')
    s->p++;
  else if (scan_digits(s) != 0)
    return -1;
  if (s->p < s->end && *s->p == '.') {
    *is_uint = 0;
    s->p++;
    if (scan_digits(s) != 0)
      return -1;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    *is_uint = 0;
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
      s->p++;
    if (scan_digits(s) != 0)
      return -1;
  }
  return 0;
}

static int scan_literal(struct scan *s, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
    return -1;
  s->p += n;
  return 0;
}

static int scan_value(struct scan *s);

static int scan_array(struct scan *s) {
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == ']') {
    s->p++;
    return 0;
  }
  for (;;) {
    if (scan_value(s) != 0)
      return -1;
    skip_ws(s);
    if (s->p >= s->end)
      return -1;
    if (*s->p == ']') {
      s->p++;
      return 0;
    }
    if (*s->p++ != ',')
      return -1;
    skip_ws(s);
  }
}

/* Called for each member of an object with the value's first byte at
 * s->p; scans the value. ctx is NULL below the top level. */
typedef int (*member_fn)(struct scan *s, const struct span *name, void *ctx);

static int scan_object(struct scan *s, member_fn fn, void *ctx) {
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == '}') {
    s->p++;
    return 0;
  }
  for (;;) {
    struct span name;
    if (s->p >= s->end || *s->p != '"' || scan_string(s, &name) != 0)
      return -1;
    skip_ws(s);
    if (s->p >= s->end || *s->p++ != ':')
      return -1;
    skip_ws(s);
    if (s->p >= s->end)
      return -1;
    if ((fn ? fn(s, &name, ctx) : scan_value(s)) != 0)
      return -1;
    skip_ws(s);
    if (s->p >= s->end)
      return -1;
    if (*s->p == '}') {
      s->p++;
      return 0;
    }
    if (*s->p++ != ',')
      return -1;
    skip_ws(s);
  }
}

static int scan_value(struct scan *s) {
  int is_uint, rc;
  struct span str;
  if (s->p >= s->end)
    return -1;
  switch (*s->p) {
  case '{':
  case '[':
    if (++s->depth > SCAN_MAX_DEPTH)
      return -1;
    rc = *s->p == '{' ? scan_object(s, NULL, NULL) : scan_array(s);
    s->depth--;
    return rc;
  case '"':
    return scan_string(s, &str);
  case 't':
    return scan_literal(s, "true");
  case 'f':
    return scan_literal(s, "false");
  case 'n':
    return scan_literal(s, "null");
  default:
    if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
      return scan_number(s, &is_uint);
    return -1;
  }
}

static int name_is(const struct span *name, const char *word) {
  return !name->escaped && name->len == strlen(word) &&
         memcmp(name->s, word, name->len) == 0;
}

/* seq: digits only, and within int64 as jansson's integers are. */
static int read_seq(struct scan *s, struct xlog_line *out) {
  const unsigned char *start = s->p;
  int is_uint;
  uint64_t v = 0;
  if (scan_number(s, &is_uint) != 0)
    return -1;
  if (s->p - start == 2 && memcmp(start, "-0", 2) == 0) {
    is_uint = 1; /* jansson reads -0 as the integer 0 */
    start++;
  }
  if (!is_uint)
    return 0;
  for (const unsigned char *p = start; p < s->p; p++) {
    if (v > (UINT64_C(0x7fffffffffffffff) - (uint64_t)(*p - '0')) / 10)
      return -1; /* jansson refuses too big integers */
    v = v * 10 + (uint64_t)(*p - '0');
  }
  out->has_seq = 1;
  out->seq = v;
  return 0;
}

static int top_member(struct scan *s, const struct span *name, void *ctx) {
  struct xlog_line *out = ctx;
  struct span str;
  int is_seq = name_is(name, "seq"), is_time = name_is(name, "time");
  int is_prev = name_is(name, "prev"), is_event = name_is(name, "event");
  if (name->escaped)
    out->needs_full_parse = 1; /* it could spell one of the four */
  if ((is_seq && out->has_seq) || (is_time && out->has_time) ||
      (is_prev && out->prev) || (is_event && out->event))
    return -1; /* duplicate member */
  if (is_seq && (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
    return read_seq(s, out);
  if ((is_time || is_prev || is_event) && *s->p == '"') {
    if (scan_string(s, &str) != 0)
      return -1;
    if (str.escaped && (is_prev || is_event))
      out->needs_full_parse = 1;
    if (is_time)
      out->has_time = 1;
    if (is_prev) {
      out->prev = str.s;
      out->prev_len = str.len;
    }
    if (is_event) {
      out->event = str.s;
      out->event_len = str.len;
    }
    return 0;
  }
  if (is_seq || is_time || is_prev || is_event)
    out->needs_full_parse = 1; /* present with another type */
  return scan_value(s);
}

int xlog_line_scan(const char *line, size_t len, struct xlog_line *out) {
  struct scan s = {(const unsigned char *)line,
                   (const unsigned char *)line + len, 1};
  memset(out, 0, sizeof *out);
  skip_ws(&s);
  if (s.p >= s.end || *s.p != '{')
    return -1;
  if (scan_object(&s, top_member, out) != 0)
    return -1;
  skip_ws(&s);
  return s.p == s.end ? 0 : -1;
}
