/*
 * fuzz_signed_note - libFuzzer harness for what `gateway audit verify`
 * reads from checkpoints: C2SP signed notes (note_open), checkpoint bodies
 * (note_checkpoint_parse), verifier keys (note_verifier_parse), base64,
 * and the allocation-free JSON scanner every log line goes through
 * (xlog_line_scan), compared with jansson.
 *
 * The whole input is each of these in turn. Known keys: the Go reference
 * key (PeterNeumann, whose seed is public) and a second one, so inputs
 * derived from the seeds reach the signature checks. Invariants (trap on
 * violation):
 *  - note_open fills a status; text_len <= size; VERIFIED and UNSIGNED
 *    return 0 and nothing else does; VERIFIED has a key name and at least
 *    one verified signature; MALFORMED has a reason;
 *  - the text of a VERIFIED or UNSIGNED note, signed again with the
 *    reference key, opens as VERIFIED with the same text length;
 *  - a parsed checkpoint formats back to the first three lines of the text;
 *  - base64 that decodes encodes back to the same characters;
 *  - a parsed verifier key has a valid name and the key id of its key;
 *  - the scanner accepts every object jansson accepts (nesting up to 512,
 *    no duplicate members, no NUL bytes), with the same seq.
 * Seeds: tests/fuzz/corpus/signed_note (notes, checkpoint bodies, keys
 * and log lines from a real signed log, and broken variants).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "gw_alloc.h"
#include "signed_note.h"
#include "xlog_line.h"

#define GO_VKEY                                                                \
  "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define GO_SEED_B64 "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
/* the test seed 9d61b19d... of test_exchange_log.c */
#define OTHER_VKEY                                                             \
  "indicator-gateway/exchange-log+e745e50c+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa" \
  "8CGmj3B1Ea"

static struct gw_note_verifier *keys[2];
static size_t key_count;
static struct gw_note_signer *signer;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  unsigned char typed[40];
  size_t len = 0;
  char err[256];
  (void)argc;
  (void)argv;
  if (note_verifier_parse(GO_VKEY, strlen(GO_VKEY), &keys[0], err,
                          sizeof err) != 0 ||
      note_b64_decode(GO_SEED_B64, strlen(GO_SEED_B64), typed, sizeof typed,
                      &len) != 0 ||
      len != 33 ||
      note_signer_new("PeterNeumann", typed + 1, &signer, err, sizeof err) != 0)
    abort();
  if (note_verifier_parse(OTHER_VKEY, strlen(OTHER_VKEY), &keys[1], err,
                          sizeof err) != 0)
    abort();
  key_count = 2;
  return 0;
}

static void check_note(const char *msg, size_t size) {
  struct note_opened o;
  int rc = note_open(msg, size, keys, key_count, &o);
  int ok = o.status == NOTE_VERIFIED || o.status == NOTE_UNSIGNED;
  char *again = NULL;
  size_t again_len = 0;
  struct note_opened o2;
  if ((rc == 0) != ok || o.text_len > size ||
      !fuzz_terminated(o.key_name, sizeof o.key_name) ||
      !fuzz_terminated(o.why, sizeof o.why))
    __builtin_trap();
  if (o.status == NOTE_VERIFIED && (o.verified == 0 || !o.key_name[0]))
    __builtin_trap();
  if (o.status == NOTE_MALFORMED && !o.why[0])
    __builtin_trap();
  if (!ok)
    return;
  if (note_sign(signer, msg, o.text_len, &again, &again_len) != 0)
    __builtin_trap(); /* an accepted text is always signable */
  if (note_open(again, again_len, keys, key_count, &o2) != 0 ||
      o2.status != NOTE_VERIFIED || o2.text_len != o.text_len)
    __builtin_trap();
  gw_free(again);
}

static void check_checkpoint(const char *text, size_t size) {
  struct note_checkpoint cp;
  char why[160], body[NOTE_NAME_MAX + 96];
  if (note_checkpoint_parse(text, size, &cp, why, sizeof why) != 0) {
    if (!why[0] || !fuzz_terminated(why, sizeof why))
      __builtin_trap();
    return;
  }
  if (note_checkpoint_format(cp.origin, cp.size, cp.root, body, sizeof body) !=
          0 ||
      strlen(body) > size || memcmp(body, text, strlen(body)) != 0)
    __builtin_trap();
}

static void check_base64(const char *text, size_t size) {
  unsigned char raw[512];
  char back[700];
  size_t n = 0;
  if (size > 600 || note_b64_decode(text, size, raw, sizeof raw, &n) != 0)
    return;
  if (note_b64_encode(raw, n, back, sizeof back) != 0 || strlen(back) != size ||
      memcmp(back, text, size) != 0)
    __builtin_trap();
}

static void check_vkey(const char *text, size_t size) {
  struct gw_note_verifier *v = NULL;
  char err[256];
  if (note_verifier_parse(text, size, &v, err, sizeof err) != 0) {
    if (v || !err[0] || !fuzz_terminated(err, sizeof err))
      __builtin_trap();
    return;
  }
  if (!note_name_valid(note_verifier_name(v), strlen(note_verifier_name(v))))
    __builtin_trap();
  note_verifier_free(v);
}

static void check_scanner(const char *line, size_t size) {
  struct xlog_line l;
  json_error_t jerr;
  json_t *strict = json_loadb(line, size, JSON_REJECT_DUPLICATES, &jerr);
  json_t *seq;
  int scan_ok = xlog_line_scan(line, size, &l) == 0;
  /* with JSON_REJECT_DUPLICATES jansson refuses any duplicate member; it
   * also lets a NUL byte after a number pass, which the scanner (rightly)
   * does not, so inputs with NUL bytes are not compared */
  if (!json_is_object(strict) || memchr(line, '\0', size)) {
    json_decref(strict);
    return;
  }
  /* jansson accepts deeper nesting than the scanner's 512 levels */
  if (!scan_ok) {
    size_t depth = 0, max = 0;
    for (size_t i = 0; i < size; i++) {
      if (line[i] == '[' || line[i] == '{')
        max = ++depth > max ? depth : max;
      else if ((line[i] == ']' || line[i] == '}') && depth > 0)
        depth--;
    }
    /* brackets inside strings count too, so this may skip a few */
    if (max <= 512)
      __builtin_trap(); /* jansson's object refused by the scanner */
  }
  seq = json_object_get(strict, "seq");
  if (scan_ok && !l.needs_full_parse && json_is_integer(seq) &&
      json_integer_value(seq) >= 0 &&
      (!l.has_seq || l.seq != (uint64_t)json_integer_value(seq)))
    __builtin_trap();
  json_decref(strict);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  check_note(text, size);
  check_checkpoint(text, size);
  check_base64(text, size);
  check_vkey(text, size);
  check_scanner(text, size);
  return 0;
}
