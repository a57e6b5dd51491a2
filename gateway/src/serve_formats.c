/*
 * serve_formats.c - content negotiation and error bodies (see
 * serve_formats.h).
 */
#include "serve_formats.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw_alloc.h"
#include "text.h"

#define ACCEPT_ITEMS_MAX 64
#define MEDIA_MAX 128

struct format_def {
  const char *name;
  const char *media_type;      /* sent as Content-Type */
  const char *const accept[3]; /* media types that select it */
};

/* Order = preference when the client does not care (Accept: * / *). */
static const struct format_def formats[SERVE_FMT_COUNT] = {
    [SERVE_FMT_JSON] = {"json", "application/json", {"application/json"}},
    [SERVE_FMT_XML] = {"xml",
                       "application/xml; charset=utf-8",
                       {"application/xml", "text/xml"}},
    [SERVE_FMT_CSV] = {"csv", "text/csv; charset=utf-8", {"text/csv"}},
    [SERVE_FMT_SDMX] = {"sdmx",
                        "application/vnd.sdmx.data+json; version=2.0.0",
                        {"application/vnd.sdmx.data+json"}},
    [SERVE_FMT_HTML] = {"html", "text/html; charset=utf-8", {"text/html"}},
    [SERVE_FMT_TEXT] = {"text", "text/plain; charset=utf-8", {"text/plain"}},
};

const char *serve_format_name(serve_format f) {
  return (unsigned)f < SERVE_FMT_COUNT ? formats[f].name : "json";
}

const char *serve_format_media_type(serve_format f) {
  return (unsigned)f < SERVE_FMT_COUNT ? formats[f].media_type
                                       : "application/json";
}

static void offered_list(unsigned offered, char *out, size_t size) {
  out[0] = '\0';
  for (int f = 0; f < SERVE_FMT_COUNT; f++) {
    if (!(offered & SERVE_OFFER(f)))
      continue;
    if (out[0])
      (void)text_append(out, size, ", ");
    (void)text_append(out, size, formats[f].name);
  }
}

static int first_offered(unsigned offered) {
  for (int f = 0; f < SERVE_FMT_COUNT; f++)
    if (offered & SERVE_OFFER(f))
      return f;
  return SERVE_FMT_JSON;
}

/* ---- Accept ------------------------------------------------------------- */

/* One media range of an Accept header. type is lower-case: "text/csv",
 * "text/" followed by '*', or the full wildcard. */
struct range {
  char type[MEDIA_MAX];
  int q; /* weight in thousandths, 0..1000 */
};

/* "0.5" -> 500; -1 when not a qvalue. */
static int parse_q(const char *s, size_t len) {
  int q = 0, scale = 1000;
  size_t i = 0;
  if (len == 0 || (s[0] != '0' && s[0] != '1'))
    return -1;
  q = (s[0] - '0') * 1000;
  i = 1;
  if (i < len && s[i] == '.') {
    for (i = 2; i < len && i < 5; i++) {
      if (s[i] < '0' || s[i] > '9')
        return -1;
      scale /= 10;
      q += (s[i] - '0') * scale;
    }
  }
  return i == len && q <= 1000 ? q : -1;
}

/* The ranges of an Accept header, in order; items that do not parse are
 * left out. */
static size_t parse_accept(const char *accept, struct range *out, size_t max) {
  size_t n = 0;
  const char *at = accept;
  while (*at && n < max) {
    const char *end = strchr(at, ','), *semi, *p;
    size_t len, tlen;
    struct range r = {"", 1000};
    if (!end)
      end = at + strlen(at);
    while (at < end && (*at == ' ' || *at == '\t'))
      at++;
    semi = memchr(at, ';', (size_t)(end - at));
    tlen = (size_t)((semi ? semi : end) - at);
    while (tlen > 0 && (at[tlen - 1] == ' ' || at[tlen - 1] == '\t'))
      tlen--;
    if (tlen > 0 && tlen < sizeof r.type && memchr(at, '/', tlen)) {
      for (size_t i = 0; i < tlen; i++)
        r.type[i] = (char)((at[i] >= 'A' && at[i] <= 'Z') ? at[i] + 32 : at[i]);
      r.type[tlen] = '\0';
      for (p = semi; p && p < end;
           p = memchr(p + 1, ';', (size_t)(end - p - 1))) {
        const char *v = p + 1;
        const char *next = memchr(v, ';', (size_t)(end - v));
        while (v < end && (*v == ' ' || *v == '\t'))
          v++;
        len = (size_t)((next ? next : end) - v);
        while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
          len--;
        if (len >= 2 && (v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
          r.q = parse_q(v + 2, len - 2);
        if (!next)
          break;
      }
      if (r.q >= 0)
        out[n++] = r;
    }
    at = *end ? end + 1 : end;
  }
  return n;
}

/* How specifically range matches format f: 3 exact, 2 type/ *, 1 * / *,
 * 0 not at all. */
static int match_level(const struct range *r, int f) {
  size_t tl;
  if (strcmp(r->type, "*/*") == 0)
    return 1;
  for (int i = 0; i < 3 && formats[f].accept[i]; i++) {
    const char *m = formats[f].accept[i];
    if (strcmp(r->type, m) == 0)
      return 3;
    tl = strlen(r->type);
    if (tl >= 2 && strcmp(r->type + tl - 2, "/*") == 0 &&
        strncmp(r->type, m, tl - 1) == 0)
      return 2;
  }
  return 0;
}

/* Per offered format: the q of its most specific matching range (RFC 9110
 * 12.5.1), then the highest q wins; ties go to the range that came first,
 * then to our preference order. */
static int pick_from_accept(const char *accept, unsigned offered) {
  struct range ranges[ACCEPT_ITEMS_MAX];
  size_t n = parse_accept(accept, ranges, ACCEPT_ITEMS_MAX);
  int best = -1, best_q = 0;
  size_t best_pos = SIZE_MAX;
  if (n == 0)
    return first_offered(offered);
  for (int f = 0; f < SERVE_FMT_COUNT; f++) {
    int level = 0, q = 0;
    size_t pos = SIZE_MAX;
    if (!(offered & SERVE_OFFER(f)))
      continue;
    for (size_t i = 0; i < n; i++) {
      int l = match_level(&ranges[i], f);
      if (l > level) {
        level = l;
        q = ranges[i].q;
        pos = i;
      }
    }
    if (level > 0 && q > 0 && (q > best_q || (q == best_q && pos < best_pos))) {
      best = f;
      best_q = q;
      best_pos = pos;
    }
  }
  return best;
}

int serve_negotiate(const char *format_param, const char *accept,
                    unsigned offered, serve_format *out, int *status, char *err,
                    size_t err_size) {
  char list[128];
  int f;
  offered_list(offered, list, sizeof list);
  if (format_param) {
    for (f = 0; f < SERVE_FMT_COUNT; f++)
      if (strcasecmp(format_param, formats[f].name) == 0)
        break;
    if (f == SERVE_FMT_COUNT && strcasecmp(format_param, "sdmx-json") == 0)
      f = SERVE_FMT_SDMX;
    if (f == SERVE_FMT_COUNT || !(offered & SERVE_OFFER(f))) {
      *status = 400;
      (void)text_format(err, err_size,
                        "parameter 'format': '%.40s' is not offered here; use "
                        "one of %s",
                        format_param, list);
      return -1;
    }
    *out = (serve_format)f;
    return 0;
  }
  f = accept && *accept ? pick_from_accept(accept, offered)
                        : first_offered(offered);
  if (f < 0) {
    *status = 406;
    (void)text_format(err, err_size,
                      "none of the media types in Accept is offered here; "
                      "offered: %s (or use ?format=)",
                      list);
    return -1;
  }
  *out = (serve_format)f;
  return 0;
}

/* ---- error bodies ----------------------------------------------------------
 */

/* A message quoting a client's bytes may not be UTF-8: jansson refuses
 * that, so such a message goes out with '?' for every non-ASCII byte. */
static json_t *error_doc(int status, const char *message) {
  json_t *doc = json_pack("{s:{s:i, s:s}}", "error", "status", status,
                          "message", message);
  char ascii[1024];
  size_t i;
  if (doc)
    return doc;
  for (i = 0; message[i] && i + 1 < sizeof ascii; i++)
    ascii[i] = (unsigned char)message[i] < 0x80 ? message[i] : '?';
  ascii[i] = '\0';
  return json_pack("{s:{s:i, s:s}}", "error", "status", status, "message",
                   ascii);
}

char *serve_error_json(int status, const char *message, size_t *len) {
  json_t *doc = error_doc(status, message);
  char *text = NULL, *copy = NULL;
  size_t n;
  if (!doc)
    return NULL;
  text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  if (!text)
    return NULL;
  n = strlen(text);
  copy = gw_malloc(n + 2);
  if (copy) {
    memcpy(copy, text, n);
    copy[n] = '\n';
    copy[n + 1] = '\0';
    *len = n + 1;
  }
  free(text); /* from jansson: libc, not gw_alloc */
  return copy;
}
