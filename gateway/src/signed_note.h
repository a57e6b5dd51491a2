/*
 * signed_note.h - C2SP signed notes with Ed25519 keys, and the checkpoint
 * body they carry (C2SP signed-note.md and tlog-checkpoint.md; facts in
 * shared/reference/standards.md 3.3; used by the exchange log's
 * checkpoints, docs/exchange-log.md).
 *
 * A note is UTF-8 text ending in "\n", a blank line, then signature lines
 * "\u2014 <key name> base64(4-byte key id || 64-byte signature)\n". The
 * signature covers the text including its final newline. The key id is
 * the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
 * Verifier key strings are "<name>+<8 hex key id>+<base64(0x01 || key)>".
 *
 * Unsigned notes (the text alone, no blank line) are recognised as such:
 * the exchange log writes them when no signing key is configured.
 *
 * Signers and verifiers are opaque and owned by the caller (free with
 * their _free function); they hold OpenSSL keys and are safe to use from
 * one thread at a time.
 */
#ifndef GW_SIGNED_NOTE_H
#define GW_SIGNED_NOTE_H
#include <stddef.h>
#include <stdint.h>

#define NOTE_SEED_SIZE 32   /* Ed25519 private key seed */
#define NOTE_PUBKEY_SIZE 32 /* Ed25519 public key */
#define NOTE_SIG_SIZE 64
#define NOTE_KEY_TYPE_ED25519 0x01
#define NOTE_NAME_MAX 255       /* longest key name / origin accepted */
#define NOTE_MAX_SIGNATURES 100 /* more is a malformed note */
#define NOTE_VKEY_MAX (NOTE_NAME_MAX + 64)
#define NOTE_HASH_SIZE 32 /* checkpoint root hash */
/* "\u2014 " in UTF-8: every signature line starts with it. */
#define NOTE_SIG_PREFIX "\xe2\x80\x94 "

/* ---- base64 (RFC 4648, standard alphabet, padded) ---------------------- */

/* Encodes n bytes into out (needs 4 * ceil(n / 3) + 1). 0 or -1. */
int note_b64_encode(const unsigned char *in, size_t n, char *out,
                    size_t out_size);
/* Strict decode of exactly len characters (padding required, no white
 * space); *out_len gets the byte count. 0 or -1. */
int note_b64_decode(const char *in, size_t len, unsigned char *out,
                    size_t out_size, size_t *out_len);

/* ---- keys ------------------------------------------------------------- */

/* 1 when name is a valid key name: non-empty UTF-8, at most NOTE_NAME_MAX
 * bytes, no white space, no '+'. */
int note_name_valid(const char *name, size_t len);
/* The key id of an Ed25519 key. 0 or -1. */
int note_key_id(const char *name, const unsigned char pub[NOTE_PUBKEY_SIZE],
                uint32_t *id);

struct gw_note_signer;
struct gw_note_verifier;

/* A signer from a 32-byte Ed25519 seed. 0 or -1 with a message in err
 * (which never contains the seed). */
int note_signer_new(const char *name, const unsigned char seed[NOTE_SEED_SIZE],
                    struct gw_note_signer **out, char *err, size_t err_size);
void note_signer_free(struct gw_note_signer *signer);
const char *note_signer_name(const struct gw_note_signer *signer);
uint32_t note_signer_key_id(const struct gw_note_signer *signer);
/* The verifier key string of the signer's public key. 0 or -1. */
int note_signer_vkey(const struct gw_note_signer *signer, char *out,
                     size_t out_size);
/* Signs text (valid note text: UTF-8, ends in "\n", no blank line) and
 * returns the whole note in *note (gw_malloc'ed, NUL-terminated; free
 * with gw_free). 0 or -1. */
int note_sign(const struct gw_note_signer *signer, const char *text, size_t len,
              char **note, size_t *note_len);

/* Parses a verifier key string. 0 or -1 with a message in err. */
int note_verifier_parse(const char *vkey, size_t len,
                        struct gw_note_verifier **out, char *err,
                        size_t err_size);
/* The verifier that matches a signer. 0 or -1. */
int note_verifier_from_signer(const struct gw_note_signer *signer,
                              struct gw_note_verifier **out);
void note_verifier_free(struct gw_note_verifier *verifier);
const char *note_verifier_name(const struct gw_note_verifier *verifier);
uint32_t note_verifier_key_id(const struct gw_note_verifier *verifier);

/* ---- opening a note ---------------------------------------------------- */

enum note_status {
  NOTE_VERIFIED,  /* at least one known key verified it, none failed */
  NOTE_UNSIGNED,  /* well-formed text without a signature block */
  NOTE_UNTRUSTED, /* signed, but by no key the caller knows */
  NOTE_FORGED,    /* a known key's signature does not verify */
  NOTE_MALFORMED  /* not a note */
};

struct note_opened {
  enum note_status status;
  size_t text_len; /* the text is msg[0, text_len), including its "\n" */
  /* VERIFIED: the first key that verified; FORGED: the key whose
   * signature failed; UNTRUSTED: the first unknown signature. */
  char key_name[NOTE_NAME_MAX + 1];
  uint32_t key_id;
  unsigned verified;   /* signatures by known keys that verified */
  unsigned signatures; /* signature lines */
  char why[160];       /* MALFORMED: what is wrong */
};

/* Opens msg[0, len) against the known verifiers (keys may be NULL when
 * key_count is 0). Unknown keys are ignored, as C2SP requires; a note no
 * known key verifies is UNTRUSTED. Always fills *out; returns 0 for
 * VERIFIED and UNSIGNED, -1 otherwise. */
int note_open(const char *msg, size_t len, struct gw_note_verifier *const *keys,
              size_t key_count, struct note_opened *out);

/* ---- checkpoint body (C2SP tlog-checkpoint) ------------------------------ */

struct note_checkpoint {
  char origin[NOTE_NAME_MAX + 1];
  uint64_t size;
  unsigned char root[NOTE_HASH_SIZE];
};

/* "<origin>\n<size>\n<base64 root>\n" into out. 0 or -1. */
int note_checkpoint_format(const char *origin, uint64_t size,
                           const unsigned char root[NOTE_HASH_SIZE], char *out,
                           size_t out_size);
/* Parses a checkpoint body (a note's text): origin, decimal size without
 * leading zeros, base64 of a 32-byte root; extension lines after that
 * are allowed and ignored. 0 or -1 with the reason in why. */
int note_checkpoint_parse(const char *text, size_t len,
                          struct note_checkpoint *out, char *why,
                          size_t why_size);

#endif
