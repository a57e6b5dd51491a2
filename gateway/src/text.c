#include "text.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int text_copy(char *dst, size_t size, const char *src) {
  size_t len;
  if (!dst || size == 0)
    return -1;
  if (!src)
    src = "";
  len = strlen(src);
  if (len >= size) {
    memcpy(dst, src, size - 1);
    dst[size - 1] = '\0';
    return -1;
  }
  memcpy(dst, src, len + 1);
  return 0;
}

int text_append(char *dst, size_t size, const char *src) {
  size_t used;
  if (!dst || size == 0)
    return -1;
  used = strnlen(dst, size);
  if (used == size)
    return -1;
  return text_copy(dst + used, size - used, src);
}

int text_format(char *dst, size_t size, const char *fmt, ...) {
  va_list ap;
  int n;
  if (!dst || size == 0)
    return -1;
  va_start(ap, fmt);
  n = vsnprintf(dst, size, fmt, ap);
  va_end(ap);
  return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int text_copy_trimmed(char *dst, size_t size, const char *src) {
  const char *end;
  size_t len;
  if (!dst || size == 0)
    return -1;
  if (!src)
    src = "";
  while (*src && isspace((unsigned char)*src))
    src++;
  end = src + strlen(src);
  while (end > src && isspace((unsigned char)end[-1]))
    end--;
  len = (size_t)(end - src);
  if (len >= size) {
    dst[0] = '\0';
    return -1;
  }
  memcpy(dst, src, len);
  dst[len] = '\0';
  return 0;
}

const char *text_trim_span(const char *s, size_t *len) {
  const char *end;
  while (*s && isspace((unsigned char)*s))
    s++;
  end = s + strlen(s);
  while (end > s && isspace((unsigned char)end[-1]))
    end--;
  *len = (size_t)(end - s);
  return s;
}

int text_parse_int64(const char *s, int64_t *out) {
  char *end = NULL;
  long long v;
  if (!s || !*s || isspace((unsigned char)*s))
    return -1;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno != 0 || !end || *end != '\0')
    return -1;
  *out = (int64_t)v;
  return 0;
}

int text_parse_uint64(const char *s, uint64_t *out) {
  char *end = NULL;
  unsigned long long v;
  if (!s || !*s || !isdigit((unsigned char)*s))
    return -1;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0 || !end || *end != '\0')
    return -1;
  *out = (uint64_t)v;
  return 0;
}

void text_hex(const unsigned char *bytes, size_t len, char *out) {
  static const char digits[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < len; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
  out[2 * len] = '\0';
}

int text_ends_with(const char *s, const char *suffix) {
  size_t ls, lx;
  if (!s || !suffix)
    return 0;
  ls = strlen(s);
  lx = strlen(suffix);
  return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}
