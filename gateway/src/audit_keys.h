/*
 * audit_keys.h - the "audit" section of the configuration as the exchange
 * log and `gateway audit` use it: the checkpoint signing key (64 hex
 * digits, the 32-byte Ed25519 seed; docs/operations.md), the verifier keys
 * an auditor trusts, and the options the log is opened with.
 *
 * Key material is never copied into messages. Seeds are wiped from
 * temporary buffers after use.
 */
#ifndef GW_AUDIT_KEYS_H
#define GW_AUDIT_KEYS_H
#include "signed_note.h"
#include <stddef.h>

struct gw_config;
struct gw_xlog_options;

#define AUDIT_SEED_HEX_SIZE 65 /* 64 hex digits and a NUL */

/* The seed in key_text: exactly 64 hex digits, surrounding white space
 * (a trailing newline in a key file) ignored. 0, or -1 with an error that
 * names audit.signing_key but never repeats the text. */
int audit_seed_parse(const char *key_text, unsigned char seed[NOTE_SEED_SIZE],
                     char *err, size_t err_size);
/* A signer named origin from key_text (as audit_seed_parse). 0 or -1. */
int audit_signer_load(const char *key_text, const char *origin,
                      struct gw_note_signer **out, char *err, size_t err_size);
/* A fresh random seed as 64 lower-case hex digits. 0 or -1. */
int audit_seed_generate(char hex[AUDIT_SEED_HEX_SIZE]);

/* Trusted verifier keys; owns the verifiers. Zero-initialise, then add. */
struct audit_keyring {
  struct gw_note_verifier **keys;
  size_t count;
};

/* Takes ownership of v (freed on failure, or when the keyring already
 * holds the same name and key id). 0 or -1. */
int audit_keyring_add(struct audit_keyring *ring, struct gw_note_verifier *v);
/* Reads a verifier key file (one "<name>+<id>+<key>" line, as `gateway
 * audit key --output` writes). 0 or -1 with err naming the file. */
int audit_keyring_add_file(struct audit_keyring *ring, const char *path,
                           char *err, size_t err_size);
/* The configured signing key's own verifier (when one is configured) and
 * every audit.verify_keys file. 0 or -1 with err. */
int audit_keyring_add_config(struct audit_keyring *ring,
                             const struct gw_config *cfg, char *err,
                             size_t err_size);
void audit_keyring_free(struct audit_keyring *ring);

/* The log options of cfg (pointers into cfg, valid while it lives). */
void audit_xlog_options(const struct gw_config *cfg,
                        struct gw_xlog_options *opts);

#endif
