/*
 * test_signed_note.c - C2SP signed notes, Ed25519 keys, checkpoint bodies
 * and the audit key helpers. The PeterNeumann key and note are the
 * reference vectors of golang.org/x/mod/sumdb/note (note_test.go):
 * Ed25519 signatures are deterministic, so signing must reproduce them
 * byte for byte.
 */
#include "audit_keys.h"
#include "gw_alloc.h"
#include "signed_note.h"
#include "test_support.h"
#include "text.h"
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define GO_VKEY                                                                \
  "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
/* The base64 part of "PRIVATE+KEY+PeterNeumann+c74f20a3+..." (0x01||seed) */
#define GO_SKEY_B64 "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define GO_TEXT                                                                \
  "If you think cryptography is the answer to your problem,\n"                 \
  "then you don't know what your problem is.\n"
#define GO_SIG                                                                 \
  "\xe2\x80\x94 PeterNeumann "                                                 \
  "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUg"                         \
  "YN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define GO_NOTE GO_TEXT "\n" GO_SIG

static struct gw_note_verifier *go_verifier(void) {
  struct gw_note_verifier *v = NULL;
  char err[256];
  cr_assert_eq(
      note_verifier_parse(GO_VKEY, strlen(GO_VKEY), &v, err, sizeof err), 0,
      "%s", err);
  return v;
}

static struct gw_note_signer *go_signer(void) {
  unsigned char typed[40];
  size_t len = 0;
  struct gw_note_signer *s = NULL;
  char err[256];
  cr_assert_eq(note_b64_decode(GO_SKEY_B64, strlen(GO_SKEY_B64), typed,
                               sizeof typed, &len),
               0);
  cr_assert_eq(len, 33);
  cr_assert_eq(typed[0], 1);
  cr_assert_eq(note_signer_new("PeterNeumann", typed + 1, &s, err, sizeof err),
               0, "%s", err);
  return s;
}

static enum note_status open_with(const char *msg, struct gw_note_verifier *v,
                                  struct note_opened *o) {
  struct gw_note_verifier *keys[1] = {v};
  (void)note_open(msg, strlen(msg), keys, v ? 1 : 0, o);
  return o->status;
}

/* ---- base64 ----------------------------------------------------------- */

Test(base64, rfc4648_vectors_round_trip) {
  const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char *coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                         "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; i++) {
    char out[16];
    unsigned char back[16];
    size_t n = 99;
    cr_assert_eq(note_b64_encode((const unsigned char *)plain[i],
                                 strlen(plain[i]), out, sizeof out),
                 0);
    cr_assert_str_eq(out, coded[i]);
    cr_assert_eq(
        note_b64_decode(coded[i], strlen(coded[i]), back, sizeof back, &n), 0);
    cr_assert_eq(n, strlen(plain[i]));
    cr_assert_eq(memcmp(back, plain[i], n), 0);
  }
}

Test(base64, strict_decoding) {
  const char *bad[] = {"Zg=",    "Zg",   "Zh==",     "Zm9=", "Z===",
                       "Zm9v\n", "Zm 9", "Zg==Zg==", "Zm-v", "=Zm9"};
  unsigned char out[16];
  size_t n;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(note_b64_decode(bad[i], strlen(bad[i]), out, sizeof out, &n),
                 -1, "accepted '%s'", bad[i]);
  cr_assert_eq(note_b64_decode("Zm9vYmFy", 8, out, 5, &n), -1, "overflow");
  cr_assert_eq(note_b64_encode((const unsigned char *)"foo", 3, (char *)out, 4),
               -1);
}

/* ---- keys -------------------------------------------------------------- */

Test(keys, key_id_is_sha256_of_name_newline_type_key) {
  unsigned char pub[32], md[32], buf[64];
  unsigned int md_len = 0;
  uint32_t id = 0;
  for (int i = 0; i < 32; i++)
    pub[i] = (unsigned char)(i * 7 + 1);
  memcpy(buf, "origin", 6);
  buf[6] = 0x0a;
  buf[7] = 0x01;
  memcpy(buf + 8, pub, 32);
  cr_assert_eq(EVP_Digest(buf, 40, md, &md_len, EVP_sha256(), NULL), 1);
  cr_assert_eq(note_key_id("origin", pub, &id), 0);
  cr_assert_eq(id, (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
                       (uint32_t)md[2] << 8 | md[3]);
}

Test(keys, go_reference_verifier_key_parses_and_formats_back) {
  struct gw_note_verifier *v = go_verifier();
  struct gw_note_signer *s = go_signer();
  char vkey[NOTE_VKEY_MAX];
  cr_assert_str_eq(note_verifier_name(v), "PeterNeumann");
  cr_assert_eq(note_verifier_key_id(v), 0xc74f20a3u);
  cr_assert_eq(note_signer_key_id(s), 0xc74f20a3u);
  cr_assert_eq(note_signer_vkey(s, vkey, sizeof vkey), 0);
  cr_assert_str_eq(vkey, GO_VKEY);
  note_signer_free(s);
  note_verifier_free(v);
}

Test(keys, mangled_verifier_keys_are_refused) {
  const char *bad[] = {
      "",
      "PeterNeumann",
      "PeterNeumann+c74f20a3",
      "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
      "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==",
      "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct gw_note_verifier *v = NULL;
    char err[256] = "";
    cr_assert_eq(
        note_verifier_parse(bad[i], strlen(bad[i]), &v, err, sizeof err), -1,
        "accepted '%s'", bad[i]);
    cr_assert_null(v);
    cr_assert(err[0], "no message for '%s'", bad[i]);
  }
}

Test(keys, names) {
  cr_assert(note_name_valid("gemeente.example/gateway/audit", 30));
  cr_assert(note_name_valid("na\xc3\xafve", 6));
  cr_assert_not(note_name_valid("", 0));
  cr_assert_not(note_name_valid("a+b", 3));
  cr_assert_not(note_name_valid("a b", 3));
  cr_assert_not(note_name_valid("a\tb", 3));
  cr_assert_not(note_name_valid("a\xc2\xa0"
                                "b",
                                4)); /* no-break space */
  cr_assert_not(note_name_valid("a\xff", 2));
}

/* ---- signing and opening ------------------------------------------------- */

Test(note, signing_reproduces_the_go_reference_note) {
  struct gw_note_signer *s = go_signer();
  char *note = NULL;
  size_t len = 0;
  cr_assert_eq(note_sign(s, GO_TEXT, strlen(GO_TEXT), &note, &len), 0);
  cr_assert_eq(len, strlen(note));
  cr_assert_str_eq(note, GO_NOTE);
  gw_free(note);
  note_signer_free(s);
}

Test(note, go_reference_note_verifies) {
  struct gw_note_verifier *v = go_verifier();
  struct note_opened o;
  cr_assert_eq(open_with(GO_NOTE, v, &o), NOTE_VERIFIED, "%s", o.why);
  cr_assert_eq(o.text_len, strlen(GO_TEXT));
  cr_assert_str_eq(o.key_name, "PeterNeumann");
  cr_assert_eq(o.key_id, 0xc74f20a3u);
  cr_assert_eq(o.verified, 1);
  note_verifier_free(v);
}

Test(note, changed_text_is_forged) {
  struct gw_note_verifier *v = go_verifier();
  struct note_opened o;
  char *msg = strdup(GO_NOTE);
  msg[3] = 'Y';
  cr_assert_eq(open_with(msg, v, &o), NOTE_FORGED);
  cr_assert_str_eq(o.key_name, "PeterNeumann");
  free(msg);
  note_verifier_free(v);
}

Test(note, unknown_key_only_is_untrusted_and_ignored_next_to_a_known_one) {
  struct gw_note_verifier *v = go_verifier();
  struct note_opened o;
  const char *other_sig =
      "\xe2\x80\x94 other.example/log AAAAAAECAwQFBgcICQ==\n";
  char msg[1024];
  cr_assert_eq(open_with(GO_TEXT "\n"
                                 "\xe2\x80\x94 other.example/log "
                                 "AAAAAAECAwQFBgcICQ==\n",
                         v, &o),
               NOTE_UNTRUSTED);
  cr_assert_str_eq(o.key_name, "other.example/log");
  cr_assert_eq(o.key_id, 0);
  cr_assert_eq(
      text_format(msg, sizeof msg, "%s\n%s%s", GO_TEXT, other_sig, GO_SIG), 0);
  cr_assert_eq(open_with(msg, v, &o), NOTE_VERIFIED, "%s", o.why);
  cr_assert_eq(o.signatures, 2);
  /* without any known key the reference note is untrusted too */
  cr_assert_eq(open_with(GO_NOTE, NULL, &o), NOTE_UNTRUSTED);
  note_verifier_free(v);
}

Test(note, same_name_other_key_id_is_untrusted_not_forged) {
  struct gw_note_verifier *v = go_verifier();
  struct note_opened o;
  char *msg = strdup(GO_NOTE);
  char *sig = strstr(msg, "x08g");
  sig[0] = 'y'; /* changes the 4-byte key id */
  cr_assert_eq(open_with(msg, v, &o), NOTE_UNTRUSTED);
  free(msg);
  note_verifier_free(v);
}

Test(note, malformed_notes) {
  struct gw_note_verifier *v = go_verifier();
  const char *bad[] = {
      "",
      GO_TEXT "\n",                            /* blank line, no signature */
      GO_TEXT "\n" GO_SIG "extra\n",           /* not a signature line */
      GO_TEXT "\n- PeterNeumann x08go=\n",     /* hyphen, not em dash */
      GO_TEXT "\n\xe2\x80\x94 PeterNeumann\n", /* no signature */
      GO_TEXT "\n\xe2\x80\x94 PeterNeumann AAAA\n",      /* < 5 bytes */
      GO_TEXT "\n\xe2\x80\x94 PeterNeumann !!!!\n",      /* not base64 */
      GO_TEXT "\n\xe2\x80\x94 Peter+Neumann x08go/ZJ\n", /* bad name */
      "\n\n" GO_SIG,                                     /* empty text */
      "text\x01\n\n" GO_SIG,                             /* control char */
      "text\xff\n\n" GO_SIG,                             /* not UTF-8 */
      GO_TEXT "\n" GO_SIG "\n" GO_SIG, /* two blank lines: text with a gap */
      "no newline at the end"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct note_opened o;
    cr_assert_eq(open_with(bad[i], v, &o), NOTE_MALFORMED, "case %zu", i);
    cr_assert(o.why[0], "case %zu has no reason", i);
  }
  note_verifier_free(v);
}

Test(note, more_than_100_signatures_are_malformed) {
  struct gw_note_verifier *v = go_verifier();
  struct note_opened o;
  size_t cap = strlen(GO_TEXT) + 2 + 101 * strlen(GO_SIG) + 1;
  char *msg = malloc(cap);
  cr_assert_eq(text_format(msg, cap, "%s\n", GO_TEXT), 0);
  for (int i = 0; i < 101; i++)
    cr_assert_eq(text_append(msg, cap, GO_SIG), 0);
  cr_assert_eq(open_with(msg, v, &o), NOTE_MALFORMED);
  free(msg);
  note_verifier_free(v);
}

Test(note, unsigned_text_is_recognised) {
  struct note_opened o;
  cr_assert_eq(open_with("origin\n5\nAAAA\n", NULL, &o), NOTE_UNSIGNED);
  cr_assert_eq(o.text_len, strlen("origin\n5\nAAAA\n"));
}

Test(note, sign_refuses_invalid_text) {
  struct gw_note_signer *s = go_signer();
  const char *bad[] = {"", "no newline", "a\n\nb\n", "\nx\n", "a\x02\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *note = (char *)"untouched";
    size_t len = 0;
    cr_assert_eq(note_sign(s, bad[i], strlen(bad[i]), &note, &len), -1,
                 "case %zu", i);
    cr_assert_null(note);
  }
  note_signer_free(s);
}

/* ---- checkpoint bodies --------------------------------------------------- */

Test(checkpoint, format_and_parse_round_trip) {
  unsigned char root[32];
  struct note_checkpoint cp;
  char body[256], why[160];
  for (int i = 0; i < 32; i++)
    root[i] = (unsigned char)(255 - i);
  cr_assert_eq(note_checkpoint_format("gemeente.example/gateway/audit", 1234,
                                      root, body, sizeof body),
               0);
  cr_assert_str_eq(body, "gemeente.example/gateway/audit\n1234\n"
                         "//79/Pv6+fj39vX08/Lx8O/u7ezr6uno5+bl5OPi4eA=\n");
  cr_assert_eq(note_checkpoint_parse(body, strlen(body), &cp, why, sizeof why),
               0, "%s", why);
  cr_assert_str_eq(cp.origin, "gemeente.example/gateway/audit");
  cr_assert_eq(cp.size, 1234);
  cr_assert_eq(memcmp(cp.root, root, 32), 0);
}

Test(checkpoint, extension_lines_are_allowed) {
  struct note_checkpoint cp;
  char why[160];
  const char *body = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
                     "extension line\n";
  cr_assert_eq(note_checkpoint_parse(body, strlen(body), &cp, why, sizeof why),
               0, "%s", why);
  cr_assert_eq(cp.size, 0);
}

Test(checkpoint, bad_bodies) {
  const char *bad[] = {
      "o\n12\n",                                                /* no root */
      "\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",   /* no origin */
      "o\n012\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", /* leading 0 */
      "o\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
      "o\n1 \n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
      "o\n99999999999999999999\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
      "o\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF==\n", /* 31 bytes */
      "o\n12\nAAAA\n",
      "o\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}; /* no "\n" */
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct note_checkpoint cp;
    char why[160] = "";
    cr_assert_eq(
        note_checkpoint_parse(bad[i], strlen(bad[i]), &cp, why, sizeof why), -1,
        "case %zu", i);
    cr_assert(why[0]);
  }
}

/* found by fuzz_signed_note: a NUL in the origin line cut it short */
Test(checkpoint, control_characters_are_refused) {
  const char body[] =
      "orig\0in\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
  struct note_checkpoint cp;
  char why[160] = "";
  cr_assert_eq(
      note_checkpoint_parse(body, sizeof body - 1, &cp, why, sizeof why), -1);
  cr_assert(strstr(why, "control characters") != NULL, "%s", why);
}

Test(checkpoint, signed_checkpoint_round_trip_with_a_fresh_key) {
  char hex[AUDIT_SEED_HEX_SIZE], err[256];
  struct gw_note_signer *s = NULL;
  struct gw_note_verifier *v = NULL;
  struct note_opened o;
  unsigned char root[32] = {1, 2, 3};
  char body[256];
  char *note = NULL;
  size_t len;
  cr_assert_eq(audit_seed_generate(hex), 0);
  cr_assert_eq(strlen(hex), 64);
  cr_assert_eq(audit_signer_load(hex, "indicator-gateway/exchange-log", &s, err,
                                 sizeof err),
               0, "%s", err);
  cr_assert_eq(note_verifier_from_signer(s, &v), 0);
  cr_assert_eq(note_checkpoint_format("indicator-gateway/exchange-log", 7, root,
                                      body, sizeof body),
               0);
  cr_assert_eq(note_sign(s, body, strlen(body), &note, &len), 0);
  cr_assert_eq(open_with(note, v, &o), NOTE_VERIFIED, "%s", o.why);
  cr_assert_eq(o.text_len, strlen(body));
  gw_free(note);
  note_verifier_free(v);
  note_signer_free(s);
}

/* ---- audit keys --------------------------------------------------------- */

Test(audit_keys, seed_must_be_64_hex_digits_and_is_never_echoed) {
  unsigned char seed[32];
  char err[256];
  const char *good =
      "  0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789\n";
  const char *bad[] = {
      NULL, "", "hunter2-secret-value",
      "0123456789abcdef0123456789abcdef0123456789abcdef01234567"
      "8",
      "g123456789abcdef0123456789abcdef0123456789abcdef01234567"
      "89"};
  cr_assert_eq(audit_seed_parse(good, seed, err, sizeof err), 0, "%s", err);
  cr_assert_eq(seed[0], 0x01);
  cr_assert_eq(seed[31], 0x89);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_eq(audit_seed_parse(bad[i], seed, err, sizeof err), -1);
    cr_assert(strstr(err, "audit.signing_key") != NULL, "%s", err);
    cr_assert(strstr(err, "64 hex") != NULL, "%s", err);
    if (bad[i] && bad[i][0])
      cr_assert_null(strstr(err, bad[i]), "the key is echoed: %s", err);
  }
  cr_assert_null(strstr(err, "g123"));
}

Test(audit_keys, keyring_reads_files_and_skips_duplicates) {
  const char *dir = ts_mkdtemp();
  char path[512], bad[512], err[512];
  struct audit_keyring ring = {0};
  cr_assert_not_null(dir);
  cr_assert_eq(text_format(path, sizeof path, "%s/v.key", dir), 0);
  cr_assert_eq(text_format(bad, sizeof bad, "%s/bad.key", dir), 0);
  cr_assert_eq(ts_write_file(path, GO_VKEY "\n"), 0);
  cr_assert_eq(ts_write_file(bad, "not a key\n"), 0);
  cr_assert_eq(audit_keyring_add_file(&ring, path, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(audit_keyring_add_file(&ring, path, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(ring.count, 1);
  cr_assert_eq(audit_keyring_add_file(&ring, bad, err, sizeof err), -1);
  cr_assert(strstr(err, "bad.key") != NULL, "%s", err);
  cr_assert_eq(audit_keyring_add_file(&ring, "/nonexistent/k", err, sizeof err),
               -1);
  cr_assert(strstr(err, "/nonexistent/k") != NULL, "%s", err);
  audit_keyring_free(&ring);
  ts_rm_rf(dir);
}
