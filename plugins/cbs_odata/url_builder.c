/*
 * url_builder.c - growable strings, percent-encoding and origin checks for
 * the URLs the plugin builds and the nextLinks it follows.
 */
#include "cbs_odata.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int buf_reserve(struct cbs_buf *buf, size_t extra) {
  size_t need;
  size_t cap;
  char *grown;

  if (extra > SIZE_MAX - buf->len - 1)
    return -1;
  need = buf->len + extra + 1;
  if (need <= buf->cap)
    return 0;
  cap = buf->cap ? buf->cap : 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  grown = realloc(buf->data, cap);
  if (!grown)
    return -1;
  buf->data = grown;
  buf->cap = cap;
  return 0;
}

int cbs_buf_append_len(struct cbs_buf *buf, const char *text, size_t len) {
  if (buf_reserve(buf, len) != 0)
    return -1;
  memcpy(buf->data + buf->len, text, len);
  buf->len += len;
  buf->data[buf->len] = '\0';
  return 0;
}

int cbs_buf_append(struct cbs_buf *buf, const char *text) {
  return cbs_buf_append_len(buf, text, strlen(text));
}

static int is_unreserved(unsigned char c) {
  return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int cbs_buf_append_encoded(struct cbs_buf *buf, const char *text) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *p;

  for (p = (const unsigned char *)text; *p; p++) {
    char escaped[3];
    if (is_unreserved(*p)) {
      if (cbs_buf_append_len(buf, (const char *)p, 1) != 0)
        return -1;
      continue;
    }
    escaped[0] = '%';
    escaped[1] = hex[*p >> 4];
    escaped[2] = hex[*p & 0xF];
    if (cbs_buf_append_len(buf, escaped, 3) != 0)
      return -1;
  }
  return 0;
}

int cbs_buf_printf(struct cbs_buf *buf, const char *fmt, ...) {
  va_list ap;
  int needed;
  int rc = -1;

  va_start(ap, fmt);
  needed = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (needed < 0 || buf_reserve(buf, (size_t)needed) != 0)
    return -1;
  va_start(ap, fmt);
  if (vsnprintf(buf->data + buf->len, (size_t)needed + 1, fmt, ap) == needed) {
    buf->len += (size_t)needed;
    rc = 0;
  }
  va_end(ap);
  return rc;
}

void cbs_buf_reset(struct cbs_buf *buf) {
  buf->len = 0;
  if (buf->data)
    buf->data[0] = '\0';
}

void cbs_buf_free(struct cbs_buf *buf) {
  free(buf->data);
  buf->data = NULL;
  buf->len = buf->cap = 0;
}

/* Length of "scheme://authority" for http(s) URLs, 0 otherwise. */
static size_t origin_length(const char *url) {
  const char *authority;
  size_t scheme_len;

  if (strncasecmp(url, "https://", 8) == 0)
    scheme_len = 8;
  else if (strncasecmp(url, "http://", 7) == 0)
    scheme_len = 7;
  else
    return 0;
  authority = url + scheme_len;
  if (*authority == '\0' || *authority == '/')
    return 0;
  return scheme_len + strcspn(authority, "/?#");
}

int cbs_same_origin(const char *a, const char *b) {
  size_t la = origin_length(a);
  size_t lb = origin_length(b);

  return la != 0 && la == lb && strncasecmp(a, b, la) == 0;
}

char *cbs_last_path_segment(const char *url) {
  size_t end = strcspn(url, "?#");
  size_t start;
  char *out;

  while (end > 0 && url[end - 1] == '/')
    end--;
  start = end;
  while (start > 0 && url[start - 1] != '/')
    start--;
  if (start == end)
    return NULL;
  out = malloc(end - start + 1);
  if (!out)
    return NULL;
  memcpy(out, url + start, end - start);
  out[end - start] = '\0';
  return out;
}

int cbs_contains_ci(const char *haystack, const char *needle) {
  size_t n = strlen(needle);

  for (; *haystack; haystack++)
    if (strncasecmp(haystack, needle, n) == 0)
      return 1;
  return n == 0;
}
