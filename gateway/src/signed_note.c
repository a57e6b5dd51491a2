/*
 * signed_note.c - C2SP signed notes, Ed25519 keys and checkpoint bodies
 * (see signed_note.h). Parsing follows golang.org/x/mod/sumdb/note, the
 * reference implementation: the signature block starts after the LAST
 * blank line, unknown keys are skipped, a failing known key rejects the
 * note.
 */
#include "signed_note.h"
#include "gw_alloc.h"
#include "text.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

struct gw_note_signer {
  char *name;
  EVP_PKEY *key;
  unsigned char pub[NOTE_PUBKEY_SIZE];
  uint32_t id;
};

struct gw_note_verifier {
  char *name;
  EVP_PKEY *key;
  uint32_t id;
};

/* ---- base64 ------------------------------------------------------------ */

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int note_b64_encode(const unsigned char *in, size_t n, char *out,
                    size_t out_size) {
  size_t o = 0;
  if (n > (SIZE_MAX - 1) / 4 * 3 - 3 || out_size < (n + 2) / 3 * 4 + 1)
    return -1;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n)
      v |= in[i + 2];
    out[o++] = B64[(v >> 18) & 63];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? B64[v & 63] : '=';
  }
  out[o] = '\0';
  return 0;
}

static int b64_value(char c) {
  const char *p = c ? strchr(B64, c) : NULL;
  return p ? (int)(p - B64) : -1;
}

int note_b64_decode(const char *in, size_t len, unsigned char *out,
                    size_t out_size, size_t *out_len) {
  size_t o = 0;
  if (len % 4 != 0)
    return -1;
  for (size_t i = 0; i < len; i += 4) {
    int last = i + 4 == len;
    int pad = (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=');
    int a = b64_value(in[i]), b = b64_value(in[i + 1]);
    int c = pad >= 2 ? 0 : b64_value(in[i + 2]);
    int d = pad >= 1 ? 0 : b64_value(in[i + 3]);
    uint32_t v;
    if (a < 0 || b < 0 || c < 0 || d < 0 || (pad && !last))
      return -1;
    v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
    /* Canonical only: the bits padding drops must be zero, so every byte
     * string has exactly one encoding (a signature cannot be varied). */
    if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
      return -1;
    if (o + 3 - (size_t)pad > out_size)
      return -1;
    out[o++] = (unsigned char)(v >> 16);
    if (pad < 2)
      out[o++] = (unsigned char)(v >> 8);
    if (pad < 1)
      out[o++] = (unsigned char)v;
  }
  *out_len = o;
  return 0;
}

/* ---- UTF-8 and names -------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes) and its code
 * point, or 0 when invalid (overlong, surrogate, beyond U+10FFFF). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp) {
  size_t len;
  uint32_t v;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  if ((s[0] & 0xe0) == 0xc0) {
    len = 2;
    v = s[0] & 0x1f;
  } else if ((s[0] & 0xf0) == 0xe0) {
    len = 3;
    v = s[0] & 0x0f;
  } else if ((s[0] & 0xf8) == 0xf0) {
    len = 4;
    v = s[0] & 0x07;
  } else {
    return 0;
  }
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    v = v << 6 | (s[i] & 0x3f);
  }
  if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) ||
      (len == 4 && v < 0x10000) || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
    return 0;
  *cp = v;
  return len;
}

/* Unicode White_Space, as Go's unicode.IsSpace. */
static int is_unicode_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

int note_name_valid(const char *name, size_t len) {
  const unsigned char *s = (const unsigned char *)name;
  size_t i = 0;
  if (!name || len == 0 || len > NOTE_NAME_MAX)
    return 0;
  while (i < len) {
    uint32_t cp;
    size_t n = utf8_next(s + i, len - i, &cp);
    if (n == 0 || cp == '+' || cp < 0x20 || cp == 0x7f || is_unicode_space(cp))
      return 0;
    i += n;
  }
  return 1;
}

/* Note text: valid UTF-8 without control characters other than "\n". */
static int text_chars_valid(const char *text, size_t len) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  while (i < len) {
    uint32_t cp;
    size_t n = utf8_next(s + i, len - i, &cp);
    if (n == 0 || (cp < 0x20 && cp != '\n'))
      return 0;
    i += n;
  }
  return 1;
}

/* ---- keys ------------------------------------------------------------- */

int note_key_id(const char *name, const unsigned char pub[NOTE_PUBKEY_SIZE],
                uint32_t *id) {
  static const unsigned char sep_type[2] = {'\n', NOTE_KEY_TYPE_ED25519};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = -1;
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
      EVP_DigestUpdate(ctx, name, strlen(name)) != 1 ||
      EVP_DigestUpdate(ctx, sep_type, sizeof sep_type) != 1 ||
      EVP_DigestUpdate(ctx, pub, NOTE_PUBKEY_SIZE) != 1 ||
      EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len < 4)
    goto out;
  *id = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 |
        md[3];
  rc = 0;
out:
  EVP_MD_CTX_free(ctx);
  return rc;
}

int note_signer_new(const char *name, const unsigned char seed[NOTE_SEED_SIZE],
                    struct gw_note_signer **out, char *err, size_t err_size) {
  struct gw_note_signer *s = NULL;
  size_t pub_len = NOTE_PUBKEY_SIZE;
  int rc = -1;
  *out = NULL;
  if (!name || !note_name_valid(name, strlen(name))) {
    (void)text_format(err, err_size,
                      "key name '%s' is not valid (non-empty, no white space,"
                      " no '+')",
                      name ? name : "");
    goto out;
  }
  s = gw_calloc(1, sizeof *s);
  if (!s || !(s->name = gw_strdup(name))) {
    (void)text_copy(err, err_size, "out of memory loading the signing key");
    goto out;
  }
  s->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
                                        NOTE_SEED_SIZE);
  if (!s->key || EVP_PKEY_get_raw_public_key(s->key, s->pub, &pub_len) != 1 ||
      pub_len != NOTE_PUBKEY_SIZE || note_key_id(name, s->pub, &s->id) != 0) {
    (void)text_copy(
        err, err_size,
        "cannot make an Ed25519 key from the signing key (OpenSSL)");
    goto out;
  }
  *out = s;
  s = NULL;
  rc = 0;
out:
  note_signer_free(s);
  return rc;
}

void note_signer_free(struct gw_note_signer *signer) {
  if (!signer)
    return;
  EVP_PKEY_free(signer->key);
  gw_free(signer->name);
  gw_free(signer);
}

const char *note_signer_name(const struct gw_note_signer *signer) {
  return signer->name;
}

uint32_t note_signer_key_id(const struct gw_note_signer *signer) {
  return signer->id;
}

static int format_vkey(const char *name, uint32_t id,
                       const unsigned char pub[NOTE_PUBKEY_SIZE], char *out,
                       size_t out_size) {
  unsigned char typed[1 + NOTE_PUBKEY_SIZE];
  char b64[64];
  typed[0] = NOTE_KEY_TYPE_ED25519;
  memcpy(typed + 1, pub, NOTE_PUBKEY_SIZE);
  if (note_b64_encode(typed, sizeof typed, b64, sizeof b64) != 0)
    return -1;
  return text_format(out, out_size, "%s+%08x+%s", name, (unsigned)id, b64);
}

int note_signer_vkey(const struct gw_note_signer *signer, char *out,
                     size_t out_size) {
  return format_vkey(signer->name, signer->id, signer->pub, out, out_size);
}

static int ed25519_sign(EVP_PKEY *key, const char *msg, size_t len,
                        unsigned char sig[NOTE_SIG_SIZE]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  size_t sig_len = NOTE_SIG_SIZE;
  int rc = -1;
  /* Ed25519 hashes internally: no digest is passed (PureEdDSA). */
  if (ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
      EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)msg, len) ==
          1 &&
      sig_len == NOTE_SIG_SIZE)
    rc = 0;
  EVP_MD_CTX_free(ctx);
  return rc;
}

static int ed25519_verify(EVP_PKEY *key, const char *msg, size_t len,
                          const unsigned char *sig, size_t sig_len) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = 0;
  if (ctx && sig_len == NOTE_SIG_SIZE &&
      EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
      EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)msg, len) == 1)
    ok = 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

static int note_text_valid(const char *text, size_t len) {
  if (len == 0 || text[len - 1] != '\n' || !text_chars_valid(text, len))
    return 0;
  /* A blank line would be read as the start of the signature block. */
  if (text[0] == '\n')
    return 0;
  for (size_t i = 1; i < len; i++) {
    if (text[i] == '\n' && text[i - 1] == '\n')
      return 0;
  }
  return 1;
}

int note_sign(const struct gw_note_signer *signer, const char *text, size_t len,
              char **note, size_t *note_len) {
  unsigned char blob[4 + NOTE_SIG_SIZE];
  char b64[(sizeof blob + 2) / 3 * 4 + 1];
  size_t name_len, total;
  char *buf = NULL;
  int rc = -1;
  *note = NULL;
  if (!note_text_valid(text, len))
    goto out;
  blob[0] = (unsigned char)(signer->id >> 24);
  blob[1] = (unsigned char)(signer->id >> 16);
  blob[2] = (unsigned char)(signer->id >> 8);
  blob[3] = (unsigned char)signer->id;
  if (ed25519_sign(signer->key, text, len, blob + 4) != 0 ||
      note_b64_encode(blob, sizeof blob, b64, sizeof b64) != 0)
    goto out;
  name_len = strlen(signer->name);
  /* text, blank line, prefix, name, space, base64, newline */
  total = len + 1 + strlen(NOTE_SIG_PREFIX) + name_len + 1 + strlen(b64) + 1;
  buf = gw_malloc(total + 1);
  if (!buf)
    goto out;
  memcpy(buf, text, len);
  if (text_format(buf + len, total + 1 - len, "\n" NOTE_SIG_PREFIX "%s %s\n",
                  signer->name, b64) != 0)
    goto out;
  *note = buf;
  *note_len = total;
  buf = NULL;
  rc = 0;
out:
  gw_free(buf);
  return rc;
}

int note_verifier_parse(const char *vkey, size_t len,
                        struct gw_note_verifier **out, char *err,
                        size_t err_size) {
  struct gw_note_verifier *v = NULL;
  const char *plus1 = memchr(vkey, '+', len);
  const char *plus2 =
      plus1 ? memchr(plus1 + 1, '+', len - (size_t)(plus1 + 1 - vkey)) : NULL;
  unsigned char typed[1 + NOTE_PUBKEY_SIZE + 1];
  size_t typed_len = 0;
  char hex[9];
  uint64_t claimed;
  int rc = -1;
  *out = NULL;
  if (!plus1 || !plus2 || !note_name_valid(vkey, (size_t)(plus1 - vkey))) {
    (void)text_copy(err, err_size,
                    "not a verifier key (expected <name>+<8 hex>+<base64>)");
    goto out;
  }
  if (plus2 - plus1 - 1 != 8) {
    (void)text_copy(err, err_size,
                    "verifier key: the key id must be 8 hex digits");
    goto out;
  }
  memcpy(hex, plus1 + 1, 8);
  hex[8] = '\0';
  for (int i = 0; i < 8; i++) {
    if (!strchr("0123456789abcdef", hex[i])) {
      (void)text_copy(err, err_size,
                      "verifier key: the key id must be 8 lower-case hex"
                      " digits");
      goto out;
    }
  }
  if (note_b64_decode(plus2 + 1, len - (size_t)(plus2 + 1 - vkey), typed,
                      sizeof typed, &typed_len) != 0 ||
      typed_len != 1 + NOTE_PUBKEY_SIZE || typed[0] != NOTE_KEY_TYPE_ED25519) {
    (void)text_copy(err, err_size,
                    "verifier key: the key is not base64 of 0x01 and a 32-byte"
                    " Ed25519 public key");
    goto out;
  }
  v = gw_calloc(1, sizeof *v);
  if (!v || !(v->name = gw_strndup(vkey, (size_t)(plus1 - vkey)))) {
    (void)text_copy(err, err_size, "out of memory reading a verifier key");
    goto out;
  }
  claimed = strtoull(hex, NULL, 16);
  if (note_key_id(v->name, typed + 1, &v->id) != 0 || v->id != claimed) {
    (void)text_format(err, err_size,
                      "verifier key: key id %s does not match the key and"
                      " name (expected %08x)",
                      hex, (unsigned)v->id);
    goto out;
  }
  v->key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, typed + 1,
                                       NOTE_PUBKEY_SIZE);
  if (!v->key) {
    (void)text_copy(err, err_size, "verifier key: not an Ed25519 public key");
    goto out;
  }
  *out = v;
  v = NULL;
  rc = 0;
out:
  note_verifier_free(v);
  return rc;
}

int note_verifier_from_signer(const struct gw_note_signer *signer,
                              struct gw_note_verifier **out) {
  char vkey[NOTE_VKEY_MAX];
  char err[16];
  *out = NULL;
  if (note_signer_vkey(signer, vkey, sizeof vkey) != 0)
    return -1;
  return note_verifier_parse(vkey, strlen(vkey), out, err, sizeof err);
}

void note_verifier_free(struct gw_note_verifier *verifier) {
  if (!verifier)
    return;
  EVP_PKEY_free(verifier->key);
  gw_free(verifier->name);
  gw_free(verifier);
}

const char *note_verifier_name(const struct gw_note_verifier *verifier) {
  return verifier->name;
}

uint32_t note_verifier_key_id(const struct gw_note_verifier *verifier) {
  return verifier->id;
}

/* ---- opening ---------------------------------------------------------- */

static void opened_reset(struct note_opened *out) {
  memset(out, 0, sizeof *out);
  out->status = NOTE_MALFORMED;
}

static int malformed(struct note_opened *out, const char *why) {
  out->status = NOTE_MALFORMED;
  (void)text_copy(out->why, sizeof out->why, why);
  return -1;
}

static struct gw_note_verifier *find_key(struct gw_note_verifier *const *keys,
                                         size_t key_count, const char *name,
                                         size_t name_len, uint32_t id) {
  for (size_t i = 0; i < key_count; i++) {
    const char *kn = keys[i]->name;
    if (keys[i]->id == id && strlen(kn) == name_len &&
        memcmp(kn, name, name_len) == 0)
      return keys[i];
  }
  return NULL;
}

static void remember_key(struct note_opened *out, const char *name,
                         size_t name_len, uint32_t id) {
  size_t n = name_len < NOTE_NAME_MAX ? name_len : NOTE_NAME_MAX;
  memcpy(out->key_name, name, n);
  out->key_name[n] = '\0';
  out->key_id = id;
}

/* One signature line (without prefix and "\n"). 0, or -1 when the note
 * is rejected (malformed or forged). */
static int check_signature_line(const char *msg, size_t text_len,
                                const char *line, size_t len,
                                struct gw_note_verifier *const *keys,
                                size_t key_count, int *have_unknown,
                                struct note_opened *out) {
  const char *space = memchr(line, ' ', len);
  /* Other key types may have longer signatures; C2SP only asks for the
   * 4-byte id plus at least one byte. Anything beyond 1 KiB is refused. */
  unsigned char blob[4 + 1024];
  size_t blob_len = 0, name_len;
  struct gw_note_verifier *key;
  uint32_t id;
  if (!space)
    return malformed(out, "a signature line has no space after the key name");
  name_len = (size_t)(space - line);
  if (!note_name_valid(line, name_len))
    return malformed(out, "a signature line has an invalid key name");
  if (note_b64_decode(space + 1, len - name_len - 1, blob, sizeof blob,
                      &blob_len) != 0)
    return malformed(out, "a signature is not valid base64");
  if (blob_len < 5)
    return malformed(out, "a signature is shorter than 5 bytes");
  id = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 |
       (uint32_t)blob[2] << 8 | blob[3];
  key = find_key(keys, key_count, line, name_len, id);
  if (!key) {
    if (!*have_unknown && out->verified == 0)
      remember_key(out, line, name_len, id);
    *have_unknown = 1;
    return 0;
  }
  if (blob_len != 4 + NOTE_SIG_SIZE ||
      !ed25519_verify(key->key, msg, text_len, blob + 4, blob_len - 4)) {
    remember_key(out, line, name_len, id);
    out->status = NOTE_FORGED;
    return -1;
  }
  if (out->verified == 0)
    remember_key(out, line, name_len, id);
  out->verified++;
  return 0;
}

/* Position of the last "\n\n" in msg, or -1. */
static long last_blank_line(const char *msg, size_t len) {
  for (size_t i = len; i >= 2; i--) {
    if (msg[i - 1] == '\n' && msg[i - 2] == '\n')
      return (long)(i - 2);
  }
  return -1;
}

int note_open(const char *msg, size_t len, struct gw_note_verifier *const *keys,
              size_t key_count, struct note_opened *out) {
  long split;
  size_t pos;
  int have_unknown = 0;
  opened_reset(out);
  if (!msg || len == 0 || msg[len - 1] != '\n')
    return malformed(out, "a note must end in a newline");
  if (!text_chars_valid(msg, len))
    return malformed(out, "a note must be UTF-8 without control characters");
  split = last_blank_line(msg, len);
  if (split < 0) {
    out->text_len = len;
    if (!note_text_valid(msg, len))
      return malformed(out, "the note text is not valid");
    out->status = NOTE_UNSIGNED;
    return 0;
  }
  out->text_len = (size_t)split + 1;
  if (!note_text_valid(msg, out->text_len))
    return malformed(out, "the note text is empty or has a blank line");
  pos = (size_t)split + 2;
  if (pos >= len)
    return malformed(out, "a blank line is not followed by signatures");
  while (pos < len) {
    const char *line = msg + pos;
    const char *nl = memchr(line, '\n', len - pos);
    size_t line_len = (size_t)(nl - line); /* msg ends in "\n" */
    size_t prefix = strlen(NOTE_SIG_PREFIX);
    if (line_len < prefix || memcmp(line, NOTE_SIG_PREFIX, prefix) != 0)
      return malformed(out, "a signature line does not start with an em dash");
    if (++out->signatures > NOTE_MAX_SIGNATURES)
      return malformed(out, "more than 100 signatures");
    if (check_signature_line(msg, out->text_len, line + prefix,
                             line_len - prefix, keys, key_count, &have_unknown,
                             out) != 0)
      return -1;
    pos += line_len + 1;
  }
  if (out->verified == 0) {
    out->status = NOTE_UNTRUSTED;
    return -1;
  }
  out->status = NOTE_VERIFIED;
  return 0;
}

/* ---- checkpoint body --------------------------------------------------- */

int note_checkpoint_format(const char *origin, uint64_t size,
                           const unsigned char root[NOTE_HASH_SIZE], char *out,
                           size_t out_size) {
  char b64[(NOTE_HASH_SIZE + 2) / 3 * 4 + 1];
  if (!origin || !*origin || strchr(origin, '\n') ||
      strlen(origin) > NOTE_NAME_MAX ||
      note_b64_encode(root, NOTE_HASH_SIZE, b64, sizeof b64) != 0)
    return -1;
  return text_format(out, out_size, "%s\n%llu\n%s\n", origin,
                     (unsigned long long)size, b64);
}

/* The next line of text[*pos, len) (without "\n"), or NULL at the end. */
static const char *next_line(const char *text, size_t len, size_t *pos,
                             size_t *line_len) {
  const char *line = text + *pos;
  const char *nl;
  if (*pos >= len)
    return NULL;
  nl = memchr(line, '\n', len - *pos);
  *line_len = nl ? (size_t)(nl - line) : len - *pos;
  *pos += *line_len + 1;
  return line;
}

static int parse_size(const char *s, size_t len, uint64_t *out) {
  char digits[24];
  if (len == 0 || len >= sizeof digits || (len > 1 && s[0] == '0'))
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
  }
  memcpy(digits, s, len);
  digits[len] = '\0';
  return text_parse_uint64(digits, out);
}

int note_checkpoint_parse(const char *text, size_t len,
                          struct note_checkpoint *out, char *why,
                          size_t why_size) {
  size_t pos = 0, origin_len = 0, size_len = 0, root_len = 0, root_bytes = 0;
  const char *origin = next_line(text, len, &pos, &origin_len);
  const char *size = next_line(text, len, &pos, &size_len);
  const char *root = next_line(text, len, &pos, &root_len);
  memset(out, 0, sizeof *out);
  if (!text_chars_valid(text, len)) {
    (void)text_copy(why, why_size,
                    "a checkpoint must be UTF-8 text without"
                    " control characters");
    return -1;
  }
  if (!origin || !size || !root || len == 0 || text[len - 1] != '\n') {
    (void)text_copy(why, why_size,
                    "a checkpoint needs origin, size and root lines");
    return -1;
  }
  if (origin_len == 0 || origin_len > NOTE_NAME_MAX) {
    (void)text_copy(why, why_size,
                    "the checkpoint origin line is empty or"
                    " too long");
    return -1;
  }
  if (parse_size(size, size_len, &out->size) != 0) {
    (void)text_copy(why, why_size,
                    "the checkpoint size is not a decimal number");
    return -1;
  }
  if (note_b64_decode(root, root_len, out->root, sizeof out->root,
                      &root_bytes) != 0 ||
      root_bytes != NOTE_HASH_SIZE) {
    (void)text_copy(why, why_size,
                    "the checkpoint root is not base64 of 32 bytes");
    return -1;
  }
  memcpy(out->origin, origin, origin_len);
  out->origin[origin_len] = '\0';
  return 0;
}
