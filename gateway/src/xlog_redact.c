/*
 * xlog_redact.c - credentials out of URLs before they enter the exchange
 * log (xlog_redact_url in exchange_log.h; rules in docs/exchange-log.md,
 * "Redaction and personal data").
 */
#include "exchange_log.h"
#include "gw_alloc.h"
#include <ctype.h>
#include <string.h>

static const char REDACTED[] = "REDACTED";
/* Callers redact into buffers of a path's size (4096); a URL that fits is
 * copied on the stack while secrets are taken out. */
#define REDACT_STACK_COPY 4096

struct bounded_out {
  char *buf;
  size_t size;
  size_t len;
  int overflow;
};

static void put(struct bounded_out *o, const char *s, size_t n) {
  if (o->overflow || n >= o->size - o->len) {
    o->overflow = 1;
    return;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static int contains_ci(const char *s, size_t len, const char *word) {
  size_t wlen = strlen(word);
  for (size_t i = 0; i + wlen <= len; i++) {
    size_t j = 0;
    while (j < wlen &&
           tolower((unsigned char)s[i + j]) == (unsigned char)word[j])
      j++;
    if (j == wlen)
      return 1;
  }
  return 0;
}

static int sensitive_param_name(const char *name, size_t len) {
  static const char *const words[] = {"key",    "token", "secret", "password",
                                      "passwd", "sig",   "auth"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    if (contains_ci(name, len, words[i]))
      return 1;
  }
  return 0;
}

/* Copies name=value&name=value..., replacing sensitive values. */
static void put_params(struct bounded_out *o, const char *s, size_t len) {
  size_t pos = 0;
  while (pos < len) {
    const char *param = s + pos;
    const char *amp = memchr(param, '&', len - pos);
    size_t plen = amp ? (size_t)(amp - param) : len - pos;
    const char *eq = memchr(param, '=', plen);
    if (eq && sensitive_param_name(param, (size_t)(eq - param))) {
      put(o, param, (size_t)(eq - param) + 1);
      put(o, REDACTED, sizeof REDACTED - 1);
    } else {
      put(o, param, plen);
    }
    pos += plen;
    if (amp) {
      put(o, "&", 1);
      pos++;
    }
  }
}

static void put_structurally_redacted(struct bounded_out *o, const char *url) {
  size_t before_path = strcspn(url, "/?#");
  const char *scheme_end = strstr(url, "://");
  const char *rest = url;
  const char *query;
  const char *fragment;
  /* Userinfo only exists in an authority, i.e. after "scheme://". */
  if (scheme_end && (size_t)(scheme_end - url) <= before_path) {
    const char *auth = scheme_end + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth_len; i++) {
      if (auth[i] == '@')
        at = auth + i;
    }
    put(o, url, (size_t)(auth - url));
    if (at) {
      put(o, REDACTED, sizeof REDACTED - 1);
      rest = at;
    } else {
      rest = auth;
    }
  }
  fragment = strchr(rest, '#');
  query = strchr(rest, '?');
  if (query && fragment && query > fragment)
    query = NULL;
  if (!fragment)
    fragment = rest + strlen(rest);
  if (!query)
    query = fragment;
  put(o, rest, (size_t)(query - rest));
  if (*query == '?') {
    put(o, "?", 1);
    put_params(o, query + 1, (size_t)(fragment - query - 1));
  }
  /* Fragments can carry tokens too (OAuth implicit flow). */
  if (*fragment == '#') {
    put(o, "#", 1);
    put_params(o, fragment + 1, strlen(fragment + 1));
  }
}

/* Length of the longest secret (>= 4 chars) starting at s, or 0. */
static size_t secret_at(const char *s, const char *const *secrets) {
  size_t best = 0;
  for (size_t i = 0; secrets[i]; i++) {
    size_t n = strlen(secrets[i]);
    if (n >= 4 && n > best && strncmp(s, secrets[i], n) == 0)
      best = n;
  }
  return best;
}

static void put_without_secrets(struct bounded_out *o, const char *s,
                                const char *const *secrets) {
  while (*s) {
    size_t n = secret_at(s, secrets);
    if (n > 0) {
      put(o, REDACTED, sizeof REDACTED - 1);
      s += n;
    } else {
      put(o, s, 1);
      s++;
    }
  }
}

int xlog_redact_url(const char *url, const char *const *secrets, char *out,
                    size_t out_size) {
  struct bounded_out o = {out, out_size, 0, 0};
  char *structural = NULL;
  int rc = -1;
  if (!out || out_size == 0)
    return -1;
  out[0] = '\0';
  if (!url)
    goto out;
  put_structurally_redacted(&o, url);
  if (o.overflow)
    goto out;
  if (secrets) {
    /* The copy goes on the stack when it fits (every caller's buffer is at
     * most a path long), so redaction cannot fail for want of memory and
     * leave an exchange record without its URL. */
    char stack_copy[REDACT_STACK_COPY];
    const char *copy = stack_copy;
    size_t len = strlen(out) + 1;
    if (len <= sizeof stack_copy)
      memcpy(stack_copy, out, len);
    else if (!(copy = structural = gw_strdup(out)))
      goto out;
    o.len = 0;
    out[0] = '\0';
    put_without_secrets(&o, copy, secrets);
    if (o.overflow)
      goto out;
  }
  rc = 0;
out:
  /* Never hand back a cut-off URL: the cut may sit inside a secret. */
  if (rc != 0)
    out[0] = '\0';
  gw_free(structural);
  return rc;
}

/* Where a URL starts inside free text, or NULL. */
static const char *find_url(const char *s) {
  const char *http = strstr(s, "http://");
  const char *https = strstr(s, "https://");
  if (!http)
    return https;
  if (!https)
    return http;
  return http < https ? http : https;
}

/* Free text quotes URLs inside quotes, brackets or followed by a space. */
static size_t url_token_length(const char *s) {
  return strcspn(s, " \t\r\n\"'<>()[]{}");
}

int xlog_redact_text(const char *text, const char *const *secrets, char *out,
                     size_t out_size) {
  struct bounded_out o = {out, out_size, 0, 0};
  char url[REDACT_STACK_COPY], clean[REDACT_STACK_COPY];
  char staged[XLOG_REDACT_TEXT_MAX];
  struct bounded_out st = {staged, sizeof staged, 0, 0};
  const char *at;
  if (!out || out_size == 0)
    return -1;
  out[0] = staged[0] = '\0';
  if (!text)
    return -1;
  while ((at = find_url(text)) != NULL) {
    size_t n = url_token_length(at);
    put(&st, text, (size_t)(at - text));
    /* A URL too long to copy is dropped whole: a cut may hide a secret. */
    if (n < sizeof url) {
      memcpy(url, at, n);
      url[n] = '\0';
      if (xlog_redact_url(url, NULL, clean, sizeof clean) == 0)
        put(&st, clean, strlen(clean));
    } else {
      put(&st, REDACTED, sizeof REDACTED - 1);
    }
    text = at + n;
  }
  put(&st, text, strlen(text));
  /* Pieces that did not fit were left out whole, so what is staged never
   * holds part of a URL or a secret; the secrets go in one more pass. */
  if (secrets)
    put_without_secrets(&o, staged, secrets);
  else
    put(&o, staged, strlen(staged));
  return st.overflow || o.overflow ? -1 : 0;
}
