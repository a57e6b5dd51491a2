/*
 * xlog_field.c - top-level members of a raw record line (contract in
 * xlog_field.h). A small recursive-descent walk with a depth limit; it
 * never allocates and never reads outside [text, text + len).
 */
#include "xlog_field.h"
#include "text.h"

#include <string.h>

#define FIELD_KEYS_MAX 64
#define INT_TEXT_MAX 24

struct cursor {
  const char *p, *end;
};

static void skip_ws(struct cursor *c) {
  while (c->p < c->end &&
         (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* Byte classes, looked up once per byte on the hot path: what ends a
 * plain run inside a string (the quote, the backslash and the control
 * characters, which RFC 8259 refuses there), and what a number or
 * true/false/null can consist of. */
#define S 1 /* BYTE_STRING_END */
#define N 2 /* BYTE_SCALAR */
static const unsigned char byte_class[256] = {
    [0] = S,   [1] = S,   [2] = S,   [3] = S,    [4] = S,   [5] = S,
    [6] = S,   [7] = S,   [8] = S,   [9] = S,    [10] = S,  [11] = S,
    [12] = S,  [13] = S,  [14] = S,  [15] = S,   [16] = S,  [17] = S,
    [18] = S,  [19] = S,  [20] = S,  [21] = S,   [22] = S,  [23] = S,
    [24] = S,  [25] = S,  [26] = S,  [27] = S,   [28] = S,  [29] = S,
    [30] = S,  [31] = S,  ['"'] = S, ['\\'] = S, ['+'] = N, ['-'] = N,
    ['.'] = N, ['0'] = N, ['1'] = N, ['2'] = N,  ['3'] = N, ['4'] = N,
    ['5'] = N, ['6'] = N, ['7'] = N, ['8'] = N,  ['9'] = N, ['e'] = N,
    ['E'] = N, ['t'] = N, ['r'] = N, ['u'] = N,  ['f'] = N, ['a'] = N,
    ['l'] = N, ['s'] = N, ['n'] = N};
#undef S
#undef N
#define BYTE_STRING_END 1
#define BYTE_SCALAR 2

static int string_special(unsigned char ch) {
  return byte_class[ch] & BYTE_STRING_END;
}

/* At a '"': moves past the closing quote. Escapes are checked for shape. */
static int skip_string(struct cursor *c) {
  const char *p = c->p + 1, *end = c->end;
  while (p < end) {
    unsigned char ch;
    while (p < end && !string_special((unsigned char)*p))
      p++;
    if (p >= end)
      break;
    ch = (unsigned char)*p++;
    if (ch == '"') {
      c->p = p;
      return 0;
    }
    if (ch != '\\' || p >= end)
      return -1;
    ch = (unsigned char)*p++;
    if (ch == 'u') {
      if (end - p < 4)
        return -1;
      for (int i = 0; i < 4; i++)
        if (hex_value(p[i]) < 0)
          return -1;
      p += 4;
    } else if (ch == '\0' || !strchr("\"\\/bfnrt", ch)) {
      return -1;
    }
  }
  return -1;
}

/* Numbers and true/false/null: the characters they can consist of. */
static int skip_scalar(struct cursor *c) {
  const char *start = c->p;
  while (c->p < c->end && (byte_class[(unsigned char)*c->p] & BYTE_SCALAR))
    c->p++;
  return c->p > start ? 0 : -1;
}

static int skip_value(struct cursor *c, int depth);

/* At '{' or '['. */
static int skip_container(struct cursor *c, int depth) {
  char close = *c->p == '{' ? '}' : ']';
  int is_object = close == '}';
  if (depth >= XLOG_FIELD_DEPTH_MAX)
    return -1;
  c->p++;
  skip_ws(c);
  if (c->p < c->end && *c->p == close) {
    c->p++;
    return 0;
  }
  for (;;) {
    skip_ws(c);
    if (is_object) {
      if (c->p >= c->end || *c->p != '"' || skip_string(c) != 0)
        return -1;
      skip_ws(c);
      if (c->p >= c->end || *c->p != ':')
        return -1;
      c->p++;
    }
    if (skip_value(c, depth + 1) != 0)
      return -1;
    skip_ws(c);
    if (c->p >= c->end)
      return -1;
    if (*c->p == close) {
      c->p++;
      return 0;
    }
    if (*c->p != ',')
      return -1;
    c->p++;
  }
}

static int skip_value(struct cursor *c, int depth) {
  skip_ws(c);
  if (c->p >= c->end)
    return -1;
  if (*c->p == '"')
    return skip_string(c);
  if (*c->p == '{' || *c->p == '[')
    return skip_container(c, depth);
  return skip_scalar(c);
}

static void match_key(const char *key, size_t key_len,
                      struct gw_xlog_span value, const char *const *keys,
                      const size_t *key_lens, size_t n,
                      struct gw_xlog_span *values) {
  for (size_t i = 0; i < n; i++) {
    if (key_lens[i] == key_len &&
        (key_len == 0 ||
         (keys[i][0] == key[0] && memcmp(keys[i], key, key_len) == 0)))
      values[i] = value; /* the last duplicate wins, as in jansson */
  }
}

int xlog_fields(const char *text, size_t len, const char *const *keys, size_t n,
                struct gw_xlog_span *values) {
  struct cursor c = {text, text + len};
  size_t key_lens[FIELD_KEYS_MAX];
  if (n > FIELD_KEYS_MAX)
    return -1;
  for (size_t i = 0; i < n; i++) {
    values[i] = (struct gw_xlog_span){NULL, 0};
    key_lens[i] = strlen(keys[i]);
  }
  skip_ws(&c);
  if (c.p >= c.end || *c.p != '{')
    return -1;
  c.p++;
  skip_ws(&c);
  if (c.p < c.end && *c.p == '}') {
    c.p++;
  } else {
    for (;;) {
      const char *key;
      struct gw_xlog_span value;
      skip_ws(&c);
      if (c.p >= c.end || *c.p != '"')
        return -1;
      key = c.p + 1;
      if (skip_string(&c) != 0)
        return -1;
      size_t key_len = (size_t)(c.p - 1 - key);
      skip_ws(&c);
      if (c.p >= c.end || *c.p != ':')
        return -1;
      c.p++;
      skip_ws(&c);
      value.p = c.p;
      if (skip_value(&c, 1) != 0)
        return -1;
      value.len = (size_t)(c.p - value.p);
      match_key(key, key_len, value, keys, key_lens, n, values);
      skip_ws(&c);
      if (c.p >= c.end)
        return -1;
      if (*c.p == '}') {
        c.p++;
        break;
      }
      if (*c.p != ',')
        return -1;
      c.p++;
    }
  }
  skip_ws(&c);
  return c.p == c.end ? 0 : -1;
}

int xlog_span_is_string(struct gw_xlog_span v) {
  return v.p && v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"';
}

int xlog_span_is_null(struct gw_xlog_span v) {
  return v.p && v.len == 4 && memcmp(v.p, "null", 4) == 0;
}

/* ---- string decoding --------------------------------------------------- */

struct out_buf {
  char *p;
  size_t size, len;
  int full;
};

/* Whole characters only: a cut never leaves half a UTF-8 sequence. */
static void put_bytes(struct out_buf *o, const char *s, size_t n) {
  if (o->full || o->len + n >= o->size) {
    o->full = 1;
    return;
  }
  memcpy(o->p + o->len, s, n);
  o->len += n;
  o->p[o->len] = '\0';
}

static void put_code_point(struct out_buf *o, unsigned long cp) {
  char b[4];
  if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
    cp = 0xFFFD;
  if (cp < 0x80) {
    b[0] = (char)cp;
    put_bytes(o, b, 1);
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3F));
    put_bytes(o, b, 2);
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    put_bytes(o, b, 3);
  } else {
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    put_bytes(o, b, 4);
  }
}

static unsigned long hex4(const char *p) {
  unsigned long v = 0;
  for (int i = 0; i < 4; i++)
    v = v * 16 + (unsigned long)hex_value(p[i]);
  return v;
}

/* At the 'u' of a \u escape with 4 hex digits checked to be there: one
 * code point, joining a surrogate pair when the low half follows. */
static unsigned long unicode_escape(const char **pp, const char *end) {
  const char *p = *pp;
  unsigned long cp = hex4(p + 1), lo;
  p += 5;
  if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' &&
      p[1] == 'u' && hex_value(p[2]) >= 0 && hex_value(p[3]) >= 0 &&
      hex_value(p[4]) >= 0 && hex_value(p[5]) >= 0) {
    lo = hex4(p + 2);
    if (lo >= 0xDC00 && lo <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      p += 6;
    }
  }
  *pp = p;
  return cp;
}

static char simple_escape(char ch) {
  switch (ch) {
  case 'b':
    return '\b';
  case 'f':
    return '\f';
  case 'n':
    return '\n';
  case 'r':
    return '\r';
  case 't':
    return '\t';
  default:
    return ch; /* '"', '\\', '/' */
  }
}

int xlog_span_string(struct gw_xlog_span v, char *out, size_t out_size) {
  struct out_buf o = {out, out_size, 0, 0};
  struct cursor check;
  const char *p, *end;
  if (!out || out_size == 0)
    return -1;
  out[0] = '\0';
  if (!xlog_span_is_string(v))
    return -1;
  /* Validated first, so decoding below can trust every escape. */
  check = (struct cursor){v.p, v.p + v.len};
  if (skip_string(&check) != 0 || check.p != check.end)
    return -1;
  p = v.p + 1;
  end = v.p + v.len - 1;
  while (p < end && !o.full) {
    if (*p != '\\') {
      const char *run = p;
      while (p < end && *p != '\\')
        p++;
      /* Cut plain runs at a character start, never inside UTF-8. */
      size_t n = (size_t)(p - run);
      if (o.len + n >= o.size) {
        size_t room = o.size - o.len - 1;
        while (room > 0 && ((unsigned char)run[room] & 0xC0) == 0x80)
          room--;
        put_bytes(&o, run, room);
        o.full = 1;
        break;
      }
      put_bytes(&o, run, n);
      continue;
    }
    p++;
    if (*p == 'u') {
      put_code_point(&o, unicode_escape(&p, end));
    } else {
      char ch = simple_escape(*p++);
      put_bytes(&o, &ch, 1);
    }
  }
  return o.full ? 1 : 0;
}

int xlog_span_equals(struct gw_xlog_span v, const char *s) {
  size_t n = strlen(s);
  char buf[1024];
  if (!xlog_span_is_string(v))
    return 0;
  /* Fast path: no escapes, so the raw bytes are the string. */
  if (memchr(v.p + 1, '\\', v.len - 2) == NULL)
    return v.len - 2 == n && memcmp(v.p + 1, s, n) == 0;
  if (n >= sizeof buf || xlog_span_string(v, buf, sizeof buf) != 0)
    return 0;
  return strcmp(buf, s) == 0;
}

int xlog_span_int64(struct gw_xlog_span v, int64_t *out) {
  char buf[INT_TEXT_MAX];
  if (!v.p || v.len == 0 || v.len >= sizeof buf)
    return -1;
  for (size_t i = 0; i < v.len; i++)
    if (!((v.p[i] >= '0' && v.p[i] <= '9') || (i == 0 && v.p[i] == '-')))
      return -1;
  memcpy(buf, v.p, v.len);
  buf[v.len] = '\0';
  return text_parse_int64(buf, out);
}
