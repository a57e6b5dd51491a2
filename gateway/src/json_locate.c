/*
 * json_locate.c - walk raw JSON text along a JSON pointer (see header).
 *
 * The scanner only has to be exact on well-formed input (the config was
 * already parsed by jansson); on anything unexpected it gives up and
 * returns 0, so a caller prints a message without a line rather than a
 * wrong one.
 */
#include "json_locate.h"
#include <stdint.h>
#include <string.h>

#define SEGMENT_MAX 1024
#define NESTING_MAX 512

struct scanner {
  const char *s;
  size_t len;
  size_t pos;
};

static void skip_ws(struct scanner *sc) {
  while (sc->pos < sc->len) {
    char c = sc->s[sc->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return;
    sc->pos++;
  }
}

static int at(const struct scanner *sc, char c) {
  return sc->pos < sc->len && sc->s[sc->pos] == c;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads the 4 hex digits after "\u" at sc->pos; advances past them. */
static long read_hex4(struct scanner *sc) {
  long v = 0;
  if (sc->len - sc->pos < 4)
    return -1;
  for (int i = 0; i < 4; i++) {
    int h = hex_value(sc->s[sc->pos + (size_t)i]);
    if (h < 0)
      return -1;
    v = v * 16 + h;
  }
  sc->pos += 4;
  return v;
}

static size_t utf8_encode(uint32_t cp, unsigned char out[4]) {
  if (cp < 0x80) {
    out[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (unsigned char)(0xC0 | (cp >> 6));
    out[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (unsigned char)(0xE0 | (cp >> 12));
    out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (unsigned char)(0xF0 | (cp >> 18));
  out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decodes one escape sequence (sc->pos just after the backslash) into
 * bytes. Returns the number of bytes, 0 on a malformed escape. */
static size_t decode_escape(struct scanner *sc, unsigned char out[4]) {
  char c;
  long cp;
  if (sc->pos >= sc->len)
    return 0;
  c = sc->s[sc->pos++];
  switch (c) {
  case '"':
  case '\\':
  case '/':
    out[0] = (unsigned char)c;
    return 1;
  case 'b':
    out[0] = '\b';
    return 1;
  case 'f':
    out[0] = '\f';
    return 1;
  case 'n':
    out[0] = '\n';
    return 1;
  case 'r':
    out[0] = '\r';
    return 1;
  case 't':
    out[0] = '\t';
    return 1;
  case 'u':
    break;
  default:
    return 0;
  }
  cp = read_hex4(sc);
  if (cp < 0)
    return 0;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    long low;
    if (sc->len - sc->pos < 2 || sc->s[sc->pos] != '\\' ||
        sc->s[sc->pos + 1] != 'u')
      return 0;
    sc->pos += 2;
    low = read_hex4(sc);
    if (low < 0xDC00 || low > 0xDFFF)
      return 0;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  return utf8_encode((uint32_t)cp, out);
}

/* At an opening quote: scans the string and compares its decoded content
 * with want[0..want_len). 1 equal, 0 different, -1 malformed. */
static int scan_string(struct scanner *sc, const char *want, size_t want_len) {
  size_t matched = 0;
  int equal = 1;
  if (!at(sc, '"'))
    return -1;
  sc->pos++;
  while (sc->pos < sc->len) {
    unsigned char bytes[4];
    size_t n;
    char c = sc->s[sc->pos++];
    if (c == '"')
      return equal && matched == want_len;
    if (c == '\\') {
      n = decode_escape(sc, bytes);
      if (n == 0)
        return -1;
    } else {
      bytes[0] = (unsigned char)c;
      n = 1;
    }
    for (size_t i = 0; i < n && equal; i++) {
      if (!want || matched >= want_len ||
          (unsigned char)want[matched] != bytes[i])
        equal = 0;
      else
        matched++;
    }
  }
  return -1;
}

/* Skips one value of any kind. 0 or -1. */
static int skip_value(struct scanner *sc) {
  int depth = 0;
  do {
    skip_ws(sc);
    if (sc->pos >= sc->len)
      return -1;
    char c = sc->s[sc->pos];
    if (c == '"') {
      if (scan_string(sc, NULL, 0) < 0)
        return -1;
    } else if (c == '{' || c == '[') {
      if (++depth > NESTING_MAX)
        return -1;
      sc->pos++;
    } else if (c == '}' || c == ']') {
      if (depth == 0)
        return -1;
      depth--;
      sc->pos++;
    } else if (c == ',' || c == ':') {
      if (depth == 0)
        return -1;
      sc->pos++;
    } else {
      /* number, true, false, null: up to the next delimiter */
      size_t start = sc->pos;
      while (sc->pos < sc->len && !strchr(",:]} \t\r\n\"{[", sc->s[sc->pos]))
        sc->pos++;
      if (sc->pos == start)
        return -1;
    }
  } while (depth > 0);
  return 0;
}

/* Decodes the next pointer segment (after a '/') into out; *p advances to
 * the next '/' or the end. Returns the segment length or -1. */
static long next_segment(const char **p, char *out, size_t size) {
  size_t n = 0;
  const char *s = *p;
  while (*s && *s != '/') {
    char c = *s++;
    if (c == '~') {
      if (*s == '0')
        c = '~';
      else if (*s == '1')
        c = '/';
      else
        return -1;
      s++;
    }
    if (n + 1 >= size)
      return -1;
    out[n++] = c;
  }
  out[n] = '\0';
  *p = s;
  return (long)n;
}

static int parse_index(const char *seg, size_t len, size_t *out) {
  size_t v = 0;
  if (len == 0 || (len > 1 && seg[0] == '0'))
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (seg[i] < '0' || seg[i] > '9' || v > (SIZE_MAX - 9) / 10)
      return -1;
    v = v * 10 + (size_t)(seg[i] - '0');
  }
  *out = v;
  return 0;
}

/* Positions sc at the value of member `key` of the object at sc->pos. */
static int enter_member(struct scanner *sc, const char *key, size_t key_len) {
  sc->pos++; /* '{' */
  skip_ws(sc);
  if (at(sc, '}'))
    return -1;
  for (;;) {
    int eq;
    skip_ws(sc);
    eq = scan_string(sc, key, key_len);
    if (eq < 0)
      return -1;
    skip_ws(sc);
    if (!at(sc, ':'))
      return -1;
    sc->pos++;
    skip_ws(sc);
    if (eq)
      return 0;
    if (skip_value(sc) < 0)
      return -1;
    skip_ws(sc);
    if (!at(sc, ','))
      return -1; /* '}' (not found) or malformed */
    sc->pos++;
  }
}

/* Positions sc at element `index` of the array at sc->pos. */
static int enter_element(struct scanner *sc, size_t index) {
  sc->pos++; /* '[' */
  skip_ws(sc);
  if (at(sc, ']'))
    return -1;
  for (size_t i = 0;; i++) {
    skip_ws(sc);
    if (i == index)
      return 0;
    if (skip_value(sc) < 0)
      return -1;
    skip_ws(sc);
    if (!at(sc, ','))
      return -1;
    sc->pos++;
  }
}

static int line_at(const char *text, size_t pos) {
  int line = 1;
  for (size_t i = 0; i < pos; i++)
    if (text[i] == '\n')
      line++;
  return line;
}

int json_locate_line(const char *text, size_t len, const char *pointer) {
  struct scanner sc = {text, len, 0};
  char segment[SEGMENT_MAX];
  const char *p = pointer;
  if (!text || !pointer || (*p && *p != '/'))
    return 0;
  skip_ws(&sc);
  while (*p == '/') {
    long seg_len;
    p++;
    seg_len = next_segment(&p, segment, sizeof segment);
    if (seg_len < 0 || sc.pos >= sc.len)
      return 0;
    if (at(&sc, '{')) {
      if (enter_member(&sc, segment, (size_t)seg_len) < 0)
        return 0;
    } else if (at(&sc, '[')) {
      size_t index;
      if (parse_index(segment, (size_t)seg_len, &index) < 0 ||
          enter_element(&sc, index) < 0)
        return 0;
    } else {
      return 0;
    }
  }
  if (sc.pos >= sc.len)
    return 0;
  return line_at(text, sc.pos);
}
