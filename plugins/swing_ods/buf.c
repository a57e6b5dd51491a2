/*
 * buf.c - growable strings for the URLs the plugin builds, OData key
 * literals, and the origin check for nextLinks.
 */
#include "swing_ods.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int buf_reserve(struct swing_buf *buf, size_t extra) {
  size_t need;
  size_t cap;
  char *grown;

  if (extra > SIZE_MAX - buf->len - 1)
    return -1;
  need = buf->len + extra + 1;
  if (need <= buf->cap)
    return 0;
  cap = buf->cap ? buf->cap : 128;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  grown = realloc(buf->data, cap);
  if (!grown)
    return -1;
  buf->data = grown;
  buf->cap = cap;
  return 0;
}

static int buf_append_len(struct swing_buf *buf, const char *text, size_t len) {
  if (buf_reserve(buf, len) != 0)
    return -1;
  memcpy(buf->data + buf->len, text, len);
  buf->len += len;
  buf->data[buf->len] = '\0';
  return 0;
}

int swing_buf_append(struct swing_buf *buf, const char *text) {
  return buf_append_len(buf, text, strlen(text));
}

int swing_buf_printf(struct swing_buf *buf, const char *fmt, ...) {
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

static int is_unreserved(unsigned char c) {
  return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int swing_buf_append_key(struct swing_buf *buf, const char *key) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *p;

  for (p = (const unsigned char *)key; *p; p++) {
    char escaped[6];
    size_t n = 0;
    if (is_unreserved(*p)) {
      if (buf_append_len(buf, (const char *)p, 1) != 0)
        return -1;
      continue;
    }
    /* OData escapes a quote inside a string literal by doubling it. */
    escaped[n++] = '%';
    escaped[n++] = hex[*p >> 4];
    escaped[n++] = hex[*p & 0xF];
    if (*p == '\'') {
      escaped[n++] = '%';
      escaped[n++] = hex[*p >> 4];
      escaped[n++] = hex[*p & 0xF];
    }
    if (buf_append_len(buf, escaped, n) != 0)
      return -1;
  }
  return 0;
}

void swing_buf_reset(struct swing_buf *buf) {
  buf->len = 0;
  if (buf->data)
    buf->data[0] = '\0';
}

void swing_buf_free(struct swing_buf *buf) {
  free(buf->data);
  buf->data = NULL;
  buf->len = buf->cap = 0;
}

/* Length of "scheme://authority" of an http(s) URL, 0 otherwise. */
static size_t origin_length(const char *url, size_t *authority_at) {
  size_t scheme_len;

  if (strncasecmp(url, "https://", 8) == 0)
    scheme_len = 8;
  else if (strncasecmp(url, "http://", 7) == 0)
    scheme_len = 7;
  else
    return 0;
  if (url[scheme_len] == '\0' || url[scheme_len] == '/')
    return 0;
  if (authority_at)
    *authority_at = scheme_len;
  return scheme_len + strcspn(url + scheme_len, "/?#");
}

int swing_same_origin(const char *a, const char *b) {
  size_t la = origin_length(a, NULL);
  size_t lb = origin_length(b, NULL);

  return la != 0 && la == lb && strncasecmp(a, b, la) == 0;
}

void swing_url_host(const char *url, char *out, size_t size) {
  size_t at = 0;
  size_t end = origin_length(url, &at);

  if (size == 0)
    return;
  out[0] = '\0';
  if (end == 0)
    return;
  snprintf(out, size, "%.*s", (int)(end - at), url + at);
}
