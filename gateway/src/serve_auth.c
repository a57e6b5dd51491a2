/*
 * serve_auth.c - the feed server's client allow-list and token file (see
 * serve_auth.h).
 *
 * Every certificate entry and every token line becomes one serve_client
 * with its own indicator list; entries with the same name share a rate
 * bucket. Matching a certificate is a plain comparison (the TLS layer has
 * verified the chain); matching a token hashes it once and compares the
 * hash with every line without stopping early.
 */
#include "serve_auth.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "gw_alloc.h"
#include "json_locate.h"
#include "text.h"

#define AUTH_FILE_MAX (4 * 1024 * 1024)
#define RATE_MAX 100000
#define BURST_MAX 1000000

enum match_kind { MATCH_CERT_SHA256, MATCH_SUBJECT, MATCH_OIN };

struct cert_entry {
  enum match_kind kind;
  char *value; /* fingerprint in lower-case hex, subject or OIN */
  size_t client;
};

struct token_entry {
  char hash[GW_SHA256_HEX_SIZE]; /* lower-case hex */
  size_t client;
};

struct serve_auth {
  struct serve_client *clients;
  size_t client_count, client_cap;
  struct cert_entry *certs;
  size_t cert_count, cert_cap;
  struct token_entry *tokens;
  size_t token_count, token_cap;
  size_t *bucket_first; /* per bucket: index of its first client */
  size_t bucket_count;
};

/* ---- small helpers ------------------------------------------------------ */

int serve_equal_ct(const void *a, const void *b, size_t len) {
  return CRYPTO_memcmp(a, b, len) == 0;
}

static int grow(void **items, size_t *cap, size_t count, size_t size) {
  size_t want;
  void *more;
  if (count < *cap)
    return 0;
  want = *cap ? *cap * 2 : 8;
  more = gw_realloc(*items, want * size);
  if (!more)
    return -1;
  *items = more;
  *cap = want;
  return 0;
}

/* [a-z0-9][a-z0-9_.-]*: the name appears in logs and metrics labels. */
static int name_valid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n >= SERVE_CLIENT_NAME_MAX ||
      !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
          *s == '.' || *s == '-'))
      return 0;
  return 1;
}

/* "AB:CD:..." (openssl x509 -fingerprint) or plain hex, any case, to 64
 * lower-case hex digits. 0 or -1. */
static int normalise_sha256(const char *in, char out[GW_SHA256_HEX_SIZE]) {
  size_t w = 0;
  for (; *in; in++) {
    char c = *in;
    if (c == ':')
      continue;
    if (c >= 'A' && c <= 'F')
      c = (char)(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) ||
        w >= GW_SHA256_HEX_SIZE - 1)
      return -1;
    out[w++] = c;
  }
  out[w] = '\0';
  return w == GW_SHA256_HEX_SIZE - 1 ? 0 : -1;
}

static void free_list(char **list) {
  if (!list)
    return;
  for (size_t i = 0; list[i]; i++)
    gw_free(list[i]);
  gw_free(list);
}

/* Shares the bucket of an earlier entry with the same name. */
static int add_client(struct serve_auth *a, const char *name, char **indicators,
                      long rate, long burst, size_t *index) {
  struct serve_client *c;
  size_t b;
  if (grow((void **)&a->clients, &a->client_cap, a->client_count,
           sizeof *a->clients) != 0)
    return -1;
  c = &a->clients[a->client_count];
  memset(c, 0, sizeof *c);
  if (text_copy(c->name, sizeof c->name, name) != 0)
    return -1;
  c->indicators = indicators;
  c->rate_per_second = rate;
  c->burst = burst;
  for (b = 0; b < a->bucket_count; b++)
    if (strcmp(a->clients[a->bucket_first[b]].name, name) == 0)
      break;
  if (b == a->bucket_count) {
    size_t *more =
        gw_realloc(a->bucket_first, (a->bucket_count + 1) * sizeof *more);
    if (!more)
      return -1;
    a->bucket_first = more;
    a->bucket_first[a->bucket_count++] = a->client_count;
  }
  c->bucket = b;
  *index = a->client_count++;
  return 0;
}

static int indicator_known(const struct gw_catalogue *cat, const char *id) {
  return !cat || catalogue_find(cat, id) != NULL;
}

/* ---- the client allow-list (JSON) ---------------------------------------- */

struct json_ctx {
  const char *label, *text;
  char *err;
  size_t err_size;
};

static int json_fail(const struct json_ctx *j, const char *pointer,
                     const char *what, const char *detail) {
  int line = pointer ? json_locate_line(j->text, strlen(j->text), pointer) : 0;
  if (line > 0)
    (void)text_format(j->err, j->err_size, "%s:%d: %s%s", j->label, line, what,
                      detail);
  else
    (void)text_format(j->err, j->err_size, "%s: %s%s", j->label, what, detail);
  return -1;
}

/* "*" or an array of catalogue ids; *out NULL for "*". */
static int json_indicators(const struct json_ctx *j, const json_t *v,
                           const char *pointer, const struct gw_catalogue *cat,
                           char ***out) {
  char **list;
  size_t i, n;
  *out = NULL;
  if (json_is_string(v) && strcmp(json_string_value(v), "*") == 0)
    return 0;
  if (!json_is_array(v))
    return json_fail(j, pointer,
                     "\"indicators\" must be \"*\" or an array of indicator "
                     "ids",
                     "");
  n = json_array_size(v);
  list = gw_calloc(n + 1, sizeof *list);
  if (!list)
    return json_fail(j, NULL, "out of memory", "");
  for (i = 0; i < n; i++) {
    const char *id = json_string_value(json_array_get(v, i));
    if (!id || !indicator_known(cat, id)) {
      free_list(list);
      return json_fail(j, pointer, "unknown indicator in \"indicators\": ",
                       id ? id : "(not a string)");
    }
    if (!(list[i] = gw_strdup(id))) {
      free_list(list);
      return json_fail(j, NULL, "out of memory", "");
    }
  }
  *out = list;
  return 0;
}

static int json_rate(const struct json_ctx *j, const json_t *entry,
                     const char *pointer, long *rate, long *burst) {
  const json_t *rl = json_object_get(entry, "rate_limit");
  const json_t *r, *b;
  *rate = *burst = -1;
  if (!rl)
    return 0;
  r = json_object_get(rl, "requests_per_second");
  b = json_object_get(rl, "burst");
  if (!json_is_object(rl) || json_object_size(rl) > (size_t)(!!r + !!b) ||
      (r && (!json_is_integer(r) || json_integer_value(r) < 0 ||
             json_integer_value(r) > RATE_MAX)) ||
      (b && (!json_is_integer(b) || json_integer_value(b) < 1 ||
             json_integer_value(b) > BURST_MAX)))
    return json_fail(j, pointer,
                     "\"rate_limit\" must be {\"requests_per_second\": 0.., "
                     "\"burst\": 1..}",
                     "");
  if (r)
    *rate = (long)json_integer_value(r);
  if (b)
    *burst = (long)json_integer_value(b);
  return 0;
}

/* The one matching key of an entry: exactly one of cert_sha256, subject,
 * oin. */
static int json_match(const struct json_ctx *j, const json_t *entry,
                      const char *pointer, enum match_kind *kind,
                      char **value) {
  static const char *const keys[] = {"cert_sha256", "subject", "oin"};
  const char *found = NULL;
  char sha[GW_SHA256_HEX_SIZE];
  int which = -1;
  for (int k = 0; k < 3; k++) {
    const json_t *v = json_object_get(entry, keys[k]);
    if (!v)
      continue;
    if (which >= 0 || !json_is_string(v) || !json_string_value(v)[0])
      return json_fail(j, pointer,
                       "a client needs exactly one of \"cert_sha256\", "
                       "\"subject\" or \"oin\" (a non-empty string)",
                       "");
    which = k;
    found = json_string_value(v);
  }
  if (which < 0)
    return json_fail(j, pointer,
                     "a client needs one of \"cert_sha256\", \"subject\" or "
                     "\"oin\"",
                     "");
  *kind = (enum match_kind)which;
  if (*kind == MATCH_CERT_SHA256) {
    if (normalise_sha256(found, sha) != 0)
      return json_fail(
          j, pointer,
          "\"cert_sha256\" is not 64 hex digits (colons allowed): ", found);
    found = sha;
  }
  *value = gw_strdup(found);
  return *value ? 0 : json_fail(j, NULL, "out of memory", "");
}

static int json_entry(struct serve_auth *a, const struct json_ctx *j,
                      const json_t *entry, size_t i,
                      const struct gw_catalogue *cat) {
  static const char *const known[] = {"name",    "cert_sha256", "subject",
                                      "oin",     "indicators",  "rate_limit",
                                      "comment", NULL};
  char pointer[64];
  const char *name, *key;
  const json_t *value;
  char **indicators = NULL;
  char *match = NULL;
  enum match_kind kind;
  long rate, burst;
  size_t index;
  (void)text_format(pointer, sizeof pointer, "/clients/%zu", i);
  if (!json_is_object(entry))
    return json_fail(j, pointer, "each client must be an object", "");
  json_object_foreach((json_t *)entry, key, value) {
    size_t k;
    for (k = 0; known[k] && strcmp(known[k], key) != 0; k++)
      ;
    if (!known[k])
      return json_fail(j, pointer, "unknown key in a client: ", key);
  }
  name = json_string_value(json_object_get(entry, "name"));
  if (!name || !name_valid(name))
    return json_fail(j, pointer,
                     "a client needs a \"name\" of lower-case letters, digits, "
                     "'_', '.' or '-' (at most 63)",
                     "");
  if (!json_object_get(entry, "indicators"))
    return json_fail(j, pointer,
                     "a client needs \"indicators\" (\"*\" or a list)", "");
  if (json_rate(j, entry, pointer, &rate, &burst) != 0 ||
      json_match(j, entry, pointer, &kind, &match) != 0)
    return -1;
  if (json_indicators(j, json_object_get(entry, "indicators"), pointer, cat,
                      &indicators) != 0 ||
      grow((void **)&a->certs, &a->cert_cap, a->cert_count, sizeof *a->certs) !=
          0 ||
      add_client(a, name, indicators, rate, burst, &index) != 0) {
    free_list(indicators);
    gw_free(match);
    return j->err[0] ? -1 : json_fail(j, NULL, "out of memory", "");
  }
  a->certs[a->cert_count++] = (struct cert_entry){kind, match, index};
  return 0;
}

static int parse_clients(struct serve_auth *a, const char *text,
                         const char *label, const struct gw_catalogue *cat,
                         char *err, size_t err_size) {
  struct json_ctx j = {label, text, err, err_size};
  json_error_t jerr;
  json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
  const json_t *list;
  int rc = -1;
  err[0] = '\0';
  if (!root) {
    (void)text_format(err, err_size, "%s:%d: %s", label, jerr.line, jerr.text);
    return -1;
  }
  list = json_object_get(root, "clients");
  if (!json_is_object(root) || json_object_size(root) != 1 ||
      !json_is_array(list)) {
    json_fail(&j, NULL,
              "expected {\"clients\": [...]} and nothing else at the top", "");
    goto out;
  }
  for (size_t i = 0; i < json_array_size(list); i++)
    if (json_entry(a, &j, json_array_get(list, i), i, cat) != 0)
      goto out;
  rc = 0;
out:
  json_decref(root);
  return rc;
}

/* ---- the token file ----------------------------------------------------- */

static char *next_word(char **at) {
  char *start = *at, *end;
  while (*start == ' ' || *start == '\t')
    start++;
  if (!*start)
    return NULL;
  end = start;
  while (*end && *end != ' ' && *end != '\t')
    end++;
  if (*end)
    *end++ = '\0';
  *at = end;
  return start;
}

static int token_indicators(const char *spec, const struct gw_catalogue *cat,
                            char ***out, const char **bad) {
  char *copy, *item, *comma;
  char **list = NULL;
  size_t n = 1, i = 0;
  *out = NULL;
  *bad = NULL;
  if (strcmp(spec, "*") == 0)
    return 0;
  for (const char *s = spec; *s; s++)
    n += *s == ',';
  copy = gw_strdup(spec);
  list = gw_calloc(n + 1, sizeof *list);
  if (!copy || !list)
    goto fail;
  for (item = copy; item; item = comma ? comma + 1 : NULL) {
    comma = strchr(item, ',');
    if (comma)
      *comma = '\0';
    if (!item[0] || !indicator_known(cat, item)) {
      *bad = spec;
      goto fail;
    }
    if (!(list[i++] = gw_strdup(item)))
      goto fail;
  }
  gw_free(copy);
  *out = list;
  return 0;
fail:
  gw_free(copy);
  free_list(list);
  return -1;
}

static int token_line(struct serve_auth *a, char *line, const char *label,
                      int number, const struct gw_catalogue *cat, char *err,
                      size_t err_size) {
  char *at = line, *hash, *name, *spec;
  char sha[GW_SHA256_HEX_SIZE];
  char **indicators = NULL;
  const char *bad;
  size_t index;
  hash = next_word(&at);
  if (!hash || hash[0] == '#')
    return 0;
  name = next_word(&at);
  spec = next_word(&at);
  if (!name || !spec || next_word(&at)) {
    (void)text_format(err, err_size,
                      "%s:%d: expected 'SHA256 CLIENT INDICATORS' (three "
                      "fields separated by spaces)",
                      label, number);
    return -1;
  }
  if (normalise_sha256(hash, sha) != 0) {
    (void)text_format(err, err_size,
                      "%s:%d: the first field must be the SHA-256 of the token "
                      "(64 hex digits), never the token itself",
                      label, number);
    return -1;
  }
  if (!name_valid(name)) {
    (void)text_format(err, err_size,
                      "%s:%d: client name '%.63s' must be lower-case letters, "
                      "digits, '_', '.' or '-'",
                      label, number, name);
    return -1;
  }
  if (token_indicators(spec, cat, &indicators, &bad) != 0) {
    (void)text_format(
        err, err_size,
        bad ? "%s:%d: indicators must be '*' or a comma-separated "
              "list of catalogue ids"
            : "%s:%d: out of memory",
        label, number);
    return -1;
  }
  if (grow((void **)&a->tokens, &a->token_cap, a->token_count,
           sizeof *a->tokens) != 0 ||
      add_client(a, name, indicators, -1, -1, &index) != 0) {
    free_list(indicators);
    (void)text_format(err, err_size, "%s:%d: out of memory", label, number);
    return -1;
  }
  memcpy(a->tokens[a->token_count].hash, sha, sizeof sha);
  a->tokens[a->token_count++].client = index;
  return 0;
}

static int parse_tokens(struct serve_auth *a, const char *text,
                        const char *label, const struct gw_catalogue *cat,
                        char *err, size_t err_size) {
  char *copy = gw_strdup(text), *line, *nl;
  int number = 0, rc = 0;
  if (!copy) {
    (void)text_format(err, err_size, "%s: out of memory", label);
    return -1;
  }
  for (line = copy; line && rc == 0; line = nl ? nl + 1 : NULL) {
    nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    if (nl && nl > line && nl[-1] == '\r')
      nl[-1] = '\0';
    number++;
    rc = token_line(a, line, label, number, cat, err, err_size);
  }
  gw_free(copy);
  return rc;
}

/* ---- loading ------------------------------------------------------------- */

void serve_auth_free(struct serve_auth *a) {
  if (!a)
    return;
  for (size_t i = 0; i < a->client_count; i++)
    free_list(a->clients[i].indicators);
  for (size_t i = 0; i < a->cert_count; i++)
    gw_free(a->certs[i].value);
  gw_free(a->clients);
  gw_free(a->certs);
  gw_free(a->tokens);
  gw_free(a->bucket_first);
  gw_free(a);
}

int serve_auth_from_text(const char *clients_json, const char *clients_label,
                         const char *tokens_text, const char *tokens_label,
                         const struct gw_catalogue *cat,
                         struct serve_auth **out, char *err, size_t err_size) {
  struct serve_auth *a = gw_calloc(1, sizeof *a);
  *out = NULL;
  if (!a) {
    (void)text_copy(err, err_size, "out of memory loading the clients");
    return -1;
  }
  if ((clients_json &&
       parse_clients(a, clients_json, clients_label ? clients_label : "clients",
                     cat, err, err_size) != 0) ||
      (tokens_text &&
       parse_tokens(a, tokens_text, tokens_label ? tokens_label : "tokens", cat,
                    err, err_size) != 0)) {
    serve_auth_free(a);
    return -1;
  }
  *out = a;
  return 0;
}

static int read_text(const char *path, char **text, char *err,
                     size_t err_size) {
  FILE *f = fopen(path, "rb");
  struct stat st;
  size_t got;
  *text = NULL;
  if (!f) {
    (void)text_format(err, err_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  if (fstat(fileno(f), &st) != 0 || st.st_size > AUTH_FILE_MAX) {
    (void)text_format(err, err_size, "%s: unreadable or larger than 4 MiB",
                      path);
    fclose(f);
    return -1;
  }
  *text = gw_malloc((size_t)st.st_size + 1);
  if (!*text) {
    (void)text_format(err, err_size, "%s: out of memory", path);
    fclose(f);
    return -1;
  }
  got = fread(*text, 1, (size_t)st.st_size, f);
  fclose(f);
  (*text)[got] = '\0';
  if (got != (size_t)st.st_size || memchr(*text, '\0', got)) {
    (void)text_format(err, err_size, "%s: could not be read as text", path);
    gw_free(*text);
    *text = NULL;
    return -1;
  }
  return 0;
}

int serve_auth_load(const char *clients_path, const char *tokens_path,
                    const struct gw_catalogue *cat, struct serve_auth **out,
                    char *err, size_t err_size) {
  char *clients = NULL, *tokens = NULL;
  int rc = -1;
  *out = NULL;
  if ((clients_path && read_text(clients_path, &clients, err, err_size) != 0) ||
      (tokens_path && read_text(tokens_path, &tokens, err, err_size) != 0))
    goto out;
  rc = serve_auth_from_text(clients, clients_path, tokens, tokens_path, cat,
                            out, err, err_size);
out:
  gw_free(clients);
  gw_free(tokens);
  return rc;
}

/* ---- lookups ---------------------------------------------------------------
 */

size_t serve_auth_client_count(const struct serve_auth *a) {
  return a ? a->cert_count : 0;
}

size_t serve_auth_token_count(const struct serve_auth *a) {
  return a ? a->token_count : 0;
}

size_t serve_auth_bucket_count(const struct serve_auth *a) {
  return a ? a->bucket_count : 0;
}

const struct serve_client *serve_auth_bucket_client(const struct serve_auth *a,
                                                    size_t i) {
  return a && i < a->bucket_count ? &a->clients[a->bucket_first[i]] : NULL;
}

const struct serve_client *serve_auth_by_cert(const struct serve_auth *a,
                                              const struct gw_tls_identity *id,
                                              const char **how) {
  static const char *const names[] = {"cert_sha256", "subject", "oin"};
  const struct cert_entry *best = NULL;
  if (!a || !id->has_cert)
    return NULL;
  for (size_t i = 0; i < a->cert_count; i++) {
    const struct cert_entry *e = &a->certs[i];
    const char *have = e->kind == MATCH_CERT_SHA256 ? id->cert_sha256
                       : e->kind == MATCH_SUBJECT   ? id->subject
                                                    : id->oin;
    if (!have[0] || strcmp(have, e->value) != 0)
      continue;
    if (!best || e->kind < best->kind)
      best = e;
  }
  if (!best)
    return NULL;
  if (how)
    *how = names[best->kind];
  return &a->clients[best->client];
}

const struct serve_client *serve_auth_by_token(const struct serve_auth *a,
                                               const char *token) {
  char hash[GW_SHA256_HEX_SIZE];
  const struct serve_client *found = NULL;
  size_t len;
  if (!a || !token)
    return NULL;
  len = strlen(token);
  if (len == 0 || len > SERVE_TOKEN_MAX || sha256_hex(token, len, hash) != 0)
    return NULL;
  /* Every line is compared, whatever matched before: the time taken does
   * not depend on where (or whether) the token is. */
  for (size_t i = 0; i < a->token_count; i++) {
    int equal = serve_equal_ct(hash, a->tokens[i].hash, GW_SHA256_HEX_SIZE - 1);
    if (equal && !found)
      found = &a->clients[a->tokens[i].client];
  }
  return found;
}

int serve_client_reads_all(const struct serve_client *c) {
  return c && !c->indicators;
}

int serve_client_may_read(const struct serve_client *c, const char *indicator) {
  if (!c)
    return 0;
  if (!c->indicators)
    return 1;
  for (size_t i = 0; c->indicators[i]; i++)
    if (strcmp(c->indicators[i], indicator) == 0)
      return 1;
  return 0;
}
