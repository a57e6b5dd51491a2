/*
 * audit_keys.c - signing key, trusted verifier keys and log options from
 * the audit configuration (see audit_keys.h).
 */
#include "audit_keys.h"
#include "config.h"
#include "exchange_log.h"
#include "gw_alloc.h"
#include "text.h"
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

/* A verifier key is one short line; anything much longer is not one. */
#define VKEY_FILE_MAX 1024

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int audit_seed_parse(const char *key_text, unsigned char seed[NOTE_SEED_SIZE],
                     char *err, size_t err_size) {
  size_t len = 0;
  const char *hex = key_text ? text_trim_span(key_text, &len) : NULL;
  if (!hex || len != 2 * NOTE_SEED_SIZE) {
    (void)text_format(err, err_size,
                      "audit.signing_key must be 64 hex digits (a 32-byte"
                      " Ed25519 seed, see docs/operations.md), but it has %zu"
                      " characters",
                      len);
    return -1;
  }
  for (size_t i = 0; i < NOTE_SEED_SIZE; i++) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      OPENSSL_cleanse(seed, NOTE_SEED_SIZE);
      (void)text_copy(err, err_size,
                      "audit.signing_key must be 64 hex digits (a 32-byte"
                      " Ed25519 seed, see docs/operations.md), but it holds"
                      " other characters");
      return -1;
    }
    seed[i] = (unsigned char)(hi << 4 | lo);
  }
  return 0;
}

int audit_signer_load(const char *key_text, const char *origin,
                      struct gw_note_signer **out, char *err, size_t err_size) {
  unsigned char seed[NOTE_SEED_SIZE];
  char why[256];
  int rc = -1;
  *out = NULL;
  if (audit_seed_parse(key_text, seed, err, err_size) != 0)
    goto out;
  if (note_signer_new(origin, seed, out, why, sizeof why) != 0) {
    (void)text_format(err, err_size, "audit.signing_key / audit.origin: %s",
                      why);
    goto out;
  }
  rc = 0;
out:
  OPENSSL_cleanse(seed, sizeof seed);
  return rc;
}

int audit_seed_generate(char hex[AUDIT_SEED_HEX_SIZE]) {
  unsigned char seed[NOTE_SEED_SIZE];
  int rc = -1;
  if (RAND_priv_bytes(seed, (int)sizeof seed) == 1) {
    text_hex(seed, sizeof seed, hex);
    rc = 0;
  }
  OPENSSL_cleanse(seed, sizeof seed);
  return rc;
}

int audit_keyring_add(struct audit_keyring *ring, struct gw_note_verifier *v) {
  struct gw_note_verifier **grown;
  if (!v)
    return -1;
  for (size_t i = 0; i < ring->count; i++) {
    if (note_verifier_key_id(ring->keys[i]) == note_verifier_key_id(v) &&
        strcmp(note_verifier_name(ring->keys[i]), note_verifier_name(v)) == 0) {
      note_verifier_free(v);
      return 0;
    }
  }
  grown = gw_realloc(ring->keys, (ring->count + 1) * sizeof *grown);
  if (!grown) {
    note_verifier_free(v);
    return -1;
  }
  ring->keys = grown;
  ring->keys[ring->count++] = v;
  return 0;
}

/* The file's contents (at most VKEY_FILE_MAX bytes) into buf. 0 or -1. */
static int read_small_file(const char *path, char *buf, size_t size,
                           size_t *len, char *err, size_t err_size) {
  FILE *f = fopen(path, "rb");
  int rc = -1;
  if (!f) {
    (void)text_format(err, err_size, "cannot read verifier key %s: %s", path,
                      strerror(errno));
    return -1;
  }
  *len = fread(buf, 1, size, f);
  if (ferror(f)) {
    (void)text_format(err, err_size, "cannot read verifier key %s", path);
    goto out;
  }
  if (*len == size) {
    (void)text_format(err, err_size,
                      "%s is not a verifier key (longer than %zu bytes)", path,
                      size - 1);
    goto out;
  }
  buf[*len] = '\0';
  rc = 0;
out:
  fclose(f);
  return rc;
}

int audit_keyring_add_file(struct audit_keyring *ring, const char *path,
                           char *err, size_t err_size) {
  char buf[VKEY_FILE_MAX + 1];
  char why[256];
  size_t len = 0, key_len = 0;
  const char *key;
  struct gw_note_verifier *v = NULL;
  if (read_small_file(path, buf, sizeof buf, &len, err, err_size) != 0)
    return -1;
  if (memchr(buf, '\0', len)) {
    (void)text_format(err, err_size, "%s is not a verifier key", path);
    return -1;
  }
  key = text_trim_span(buf, &key_len);
  if (note_verifier_parse(key, key_len, &v, why, sizeof why) != 0) {
    (void)text_format(err, err_size, "%s: %s", path, why);
    return -1;
  }
  if (audit_keyring_add(ring, v) != 0) {
    (void)text_format(err, err_size, "out of memory adding the key in %s",
                      path);
    return -1;
  }
  return 0;
}

int audit_keyring_add_config(struct audit_keyring *ring,
                             const struct gw_config *cfg, char *err,
                             size_t err_size) {
  struct gw_note_signer *signer = NULL;
  struct gw_note_verifier *v = NULL;
  int rc = -1;
  if (cfg->audit_signing_key) {
    if (audit_signer_load(cfg->audit_signing_key, cfg->audit.origin, &signer,
                          err, err_size) != 0)
      goto out;
    if (note_verifier_from_signer(signer, &v) != 0 ||
        audit_keyring_add(ring, v) != 0) {
      (void)text_copy(err, err_size,
                      "cannot derive the verifier key of"
                      " audit.signing_key");
      goto out;
    }
  }
  for (size_t i = 0; cfg->audit.verify_keys && cfg->audit.verify_keys[i]; i++) {
    if (audit_keyring_add_file(ring, cfg->audit.verify_keys[i], err,
                               err_size) != 0)
      goto out;
  }
  rc = 0;
out:
  note_signer_free(signer);
  return rc;
}

void audit_keyring_free(struct audit_keyring *ring) {
  for (size_t i = 0; i < ring->count; i++)
    note_verifier_free(ring->keys[i]);
  gw_free(ring->keys);
  ring->keys = NULL;
  ring->count = 0;
}

void audit_xlog_options(const struct gw_config *cfg,
                        struct gw_xlog_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->origin = cfg->audit.origin;
  opts->checkpoint_file = cfg->audit.checkpoint_file;
  opts->checkpoint_every = cfg->audit.checkpoint_every > 0
                               ? (uint64_t)cfg->audit.checkpoint_every
                               : 0;
  opts->checkpoint_interval_s = cfg->audit.checkpoint_interval_s;
  opts->rotate_bytes =
      cfg->audit.rotate_bytes > 0 ? (uint64_t)cfg->audit.rotate_bytes : 0;
  opts->rotate_daily = cfg->audit.rotate_daily;
  opts->signing_key = cfg->audit_signing_key;
}
