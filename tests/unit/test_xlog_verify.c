/*
 * test_xlog_verify.c - the exchange-log verifier: one distinct verdict per
 * kind of tampering (standards.md 3.5 point 8) on a signed log written by
 * the real writer, off-site checkpoint files, and the line scanner against
 * jansson.
 *
 * "Rechained" copies model a forger who edits records and then recomputes
 * every prev (the chain has no secret); only the signed checkpoints and an
 * off-site checkpoint file can catch those.
 */
#include "audit_keys.h"
#include "digest.h"
#include "exchange_log.h"
#include "gw_alloc.h"
#include "signed_note.h"
#include "test_support.h"
#include "text.h"
#include "xlog_line.h"
#include "xlog_verify.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_A                                                                 \
  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define SEED_B                                                                 \
  "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"

static const char *dir;
static struct gw_note_verifier *key_a, *key_b;

static struct gw_note_verifier *verifier_of(const char *seed) {
  struct gw_note_signer *s = NULL;
  struct gw_note_verifier *v = NULL;
  char err[256];
  cr_assert_eq(
      audit_signer_load(seed, XLOG_DEFAULT_ORIGIN, &s, err, sizeof err), 0,
      "%s", err);
  cr_assert_eq(note_verifier_from_signer(s, &v), 0);
  note_signer_free(s);
  return v;
}

static void setup(void) {
  dir = ts_mkdtemp();
  cr_assert_not_null(dir);
  dir = strdup(dir);
  key_a = verifier_of(SEED_A);
  key_b = verifier_of(SEED_B);
}

static void teardown(void) {
  note_verifier_free(key_a);
  note_verifier_free(key_b);
  if (dir) {
    ts_rm_rf(dir);
    free((void *)dir);
    dir = NULL;
  }
}

TestSuite(verify, .init = setup, .fini = teardown);
TestSuite(line_scan);

/* 14 fetch records, checkpoint_every 4, signed with key A: r0-3 cp4
 * r5-8 cp9 r10-13 cp14 r15-16 cp17; notes also in <path>.cp */
static const char *signed_log(const char *name, const char *seed) {
  const char *path = ts_path(dir, name);
  char cp[512];
  struct gw_xlog_options o = {.checkpoint_every = 4, .signing_key = seed};
  struct gw_xlog *log = NULL;
  char err[512];
  cr_assert_eq(text_format(cp, sizeof cp, "%s.cp", path), 0);
  o.checkpoint_file = cp;
  cr_assert_eq(xlog_open_with(path, &o, &log, err, sizeof err), 0, "%s", err);
  for (int i = 0; i < 14; i++) {
    json_t *r = json_pack("{s:s, s:s, s:i}", "event", "fetch", "source", "cbs",
                          "bytes", 1000 + i);
    cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
    json_decref(r);
  }
  xlog_close(log);
  return path;
}

static char *cp_file_of(const char *path) {
  static char cp[512];
  cr_assert_eq(text_format(cp, sizeof cp, "%s.cp", path), 0);
  return cp;
}

struct lines {
  char *l[64];
  size_t n;
};

static void read_lines(const char *path, struct lines *ls) {
  char *text = ts_read_file(path, NULL);
  char *p = text;
  cr_assert_not_null(text);
  ls->n = 0;
  while (*p) {
    char *nl = strchr(p, '\n');
    cr_assert_not_null(nl);
    cr_assert_lt(ls->n, 64);
    ls->l[ls->n++] = strndup(p, (size_t)(nl - p));
    p = nl + 1;
  }
  free(text);
}

static void write_lines(const char *path, struct lines *ls) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  for (size_t i = 0; i < ls->n; i++)
    fprintf(f, "%s\n", ls->l[i]);
  cr_assert_eq(fclose(f), 0);
}

static void free_lines(struct lines *ls) {
  for (size_t i = 0; i < ls->n; i++)
    free(ls->l[i]);
  ls->n = 0;
}

static void remove_line(struct lines *ls, size_t i) {
  free(ls->l[i]);
  memmove(&ls->l[i], &ls->l[i + 1], (ls->n - i - 1) * sizeof ls->l[0]);
  ls->n--;
}

/* Recomputes every prev from line `from` on, as a forger would. */
static void rechain(struct lines *ls, size_t from) {
  for (size_t i = from; i < ls->n; i++) {
    char *p = strstr(ls->l[i], "\"prev\":\"");
    char hash[GW_SHA256_HEX_SIZE];
    cr_assert_not_null(p);
    if (i == 0)
      memset(hash, '0', 64);
    else
      cr_assert_eq(sha256_hex(ls->l[i - 1], strlen(ls->l[i - 1]), hash), 0);
    memcpy(p + 8, hash, 64);
  }
}

/* Replaces the first occurrence of from by to in line i. */
static void edit_line(struct lines *ls, size_t i, const char *from,
                      const char *to) {
  char *p = strstr(ls->l[i], from);
  char *out;
  size_t need;
  cr_assert_not_null(p, "'%s' not in line %zu: %s", from, i, ls->l[i]);
  need = strlen(ls->l[i]) - strlen(from) + strlen(to) + 1;
  out = malloc(need);
  cr_assert_eq(text_format(out, need, "%.*s%s%s", (int)(p - ls->l[i]), ls->l[i],
                           to, p + strlen(from)),
               0);
  free(ls->l[i]);
  ls->l[i] = out;
}

static struct xlog_verify_report *run(const char *path, const char *cpfile,
                                      struct gw_note_verifier *key) {
  static struct xlog_verify_report rep;
  struct gw_note_verifier *keys[1] = {key};
  struct xlog_verify_options o = {
      .keys = keys, .key_count = key ? 1 : 0, .checkpoint_file = cpfile};
  (void)xlog_verify(path, &o, &rep);
  return &rep;
}

static void expect(const struct xlog_verify_report *rep,
                   enum xlog_problem problem, const char *text) {
  cr_assert_eq(rep->problem, problem, "expected %s, got %s: %s",
               xlog_problem_name(problem), xlog_problem_name(rep->problem),
               rep->error);
  cr_assert(strstr(rep->error, text) != NULL, "'%s' lacks '%s'", rep->error,
            text);
}

/* ---- the intact log ---------------------------------------------------- */

Test(verify, intact_signed_log_and_its_checkpoint_file) {
  const char *path = signed_log("x.log", SEED_A);
  struct xlog_verify_report *rep = run(path, cp_file_of(path), key_a);
  cr_assert_eq(rep->problem, XLOG_OK, "%s", rep->error);
  cr_assert_eq(rep->records, 18);
  cr_assert_eq(rep->files, 1);
  cr_assert_eq(rep->checkpoints, 4);
  cr_assert_eq(rep->signed_checkpoints, 4);
  cr_assert_eq(rep->newest_signed_size, 17);
  cr_assert_eq(rep->notes_checked, 4);
  cr_assert_eq(rep->newest_note_size, 17);
  cr_assert_str_empty(rep->warning);
}

/* ---- one distinct verdict per kind of tampering ------------------------ */

Test(verify, changed_byte) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  read_lines(path, &ls);
  edit_line(&ls, 6, "\"bytes\":1005", "\"bytes\":1006");
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_CHANGED, "record seq 6 at ");
  expect(run(path, NULL, key_a), XLOG_CHANGED,
         "x.log:7 was changed: its SHA-256 no longer matches the prev of seq"
         " 7 at ");
}

Test(verify, changed_byte_with_recomputed_chain) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  read_lines(path, &ls);
  edit_line(&ls, 6, "\"bytes\":1005", "\"bytes\":1006");
  rechain(&ls, 7);
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_CP_ROOT,
         "x.log:10 (seq 9): the 9 records before this checkpoint no longer"
         " have the root it signed");
}

Test(verify, deleted_record) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  read_lines(path, &ls);
  remove_line(&ls, 2);
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_DELETED, "record seq 2 was deleted: ");
}

Test(verify, deleted_records_renumbered_and_rechained) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  char from[32], to[32];
  read_lines(path, &ls);
  remove_line(&ls, 2);
  remove_line(&ls, 2);
  for (size_t i = 2; i < 8; i++) {
    snprintf(from, sizeof from, "{\"seq\":%zu,", i + 2);
    snprintf(to, sizeof to, "{\"seq\":%zu,", i);
    edit_line(&ls, i, from, to);
  }
  rechain(&ls, 2);
  write_lines(path, &ls);
  free_lines(&ls);
  /* the checkpoint once at seq 4 now sits at seq 2 and covers 4 */
  expect(run(path, NULL, key_a), XLOG_CP_SIZE,
         "x.log:3 (seq 2): the checkpoint is for 4 records, but 2 records"
         " precede it");
}

Test(verify, swapped_records) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  char *t;
  read_lines(path, &ls);
  t = ls.l[5];
  ls.l[5] = ls.l[6];
  ls.l[6] = t;
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_SWAPPED,
         "records seq 5 and 6 were swapped: seq 6 is at ");
}

Test(verify, reordered_records) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  char *t;
  read_lines(path, &ls);
  t = ls.l[2];
  ls.l[2] = ls.l[7];
  ls.l[7] = t;
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_REORDERED, "records were reordered");
}

Test(verify, truncated_tail_against_the_checkpoint_file) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  read_lines(path, &ls);
  ls.n -= 3; /* drop seq 15..17 */
  free(ls.l[ls.n]);
  free(ls.l[ls.n + 1]);
  free(ls.l[ls.n + 2]);
  write_lines(path, &ls);
  free_lines(&ls);
  /* the log alone cannot tell: its last checkpoint is still intact */
  cr_assert_eq(run(path, NULL, key_a)->problem, XLOG_OK);
  expect(run(path, cp_file_of(path), key_a), XLOG_TRUNCATED,
         "truncated: checkpoint 4 in ");
  expect(run(path, cp_file_of(path), key_a), XLOG_TRUNCATED,
         "vouches for 17 records, but the log ends after 15: records seq"
         " 15..16 were removed");
}

Test(verify, rewritten_log_against_the_checkpoint_file) {
  const char *path = signed_log("x.log", SEED_A);
  const char *other = ts_path(dir, "forged.log");
  struct gw_xlog *log = NULL;
  char err[256];
  /* a whole new log, unsigned (the forger has no key), as long as the
   * original */
  cr_assert_eq(xlog_open(other, &log, err, sizeof err), 0, "%s", err);
  for (int i = 0; i < 20; i++) {
    json_t *r = json_pack("{s:s, s:i}", "event", "fetch", "bytes", 7);
    cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
    json_decref(r);
  }
  xlog_close(log);
  cr_assert_eq(run(other, NULL, key_a)->problem, XLOG_OK);
  expect(run(other, cp_file_of(path), key_a), XLOG_REWRITTEN,
         "rewritten: the first 4 records of the log");
}

Test(verify, forged_checkpoint) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  read_lines(path, &ls);
  /* the note says 9 records; claim a different root */
  edit_line(&ls, 9, "\\n9\\n", "\\n9\\nX");
  rechain(&ls, 10);
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_CP_FORGED,
         "x.log:10 (seq 9): forged checkpoint: the signature by key"
         " 'indicator-gateway/exchange-log'");
}

Test(verify, replayed_old_checkpoint) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  char *old_cp, *tail, *head;
  read_lines(path, &ls);
  /* the checkpoint record at seq 14 gets the fields of the one at seq 4 */
  old_cp = strstr(ls.l[4], ",\"event\":\"checkpoint\"");
  tail = strstr(ls.l[14], ",\"event\":\"checkpoint\"");
  cr_assert_not_null(old_cp);
  cr_assert_not_null(tail);
  head = strndup(ls.l[14], (size_t)(tail - ls.l[14]));
  free(ls.l[14]);
  ls.l[14] = malloc(strlen(head) + strlen(old_cp) + 1);
  cr_assert_eq(text_format(ls.l[14], strlen(head) + strlen(old_cp) + 1, "%s%s",
                           head, old_cp),
               0);
  free(head);
  rechain(&ls, 15);
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_CP_REPLAYED,
         "x.log:15 (seq 14): replayed old checkpoint: it is for 4 records,"
         " but the checkpoint at seq 9 already covered 9");
}

Test(verify, wrong_key) {
  const char *path = signed_log("x.log", SEED_A);
  char id[16];
  cr_assert_eq(text_format(id, sizeof id, "(id %08x)",
                           (unsigned)note_verifier_key_id(key_a)),
               0);
  expect(run(path, NULL, key_b), XLOG_CP_UNTRUSTED,
         "x.log:5 (seq 4): checkpoint signed with key"
         " 'indicator-gateway/exchange-log'");
  expect(run(path, NULL, key_b), XLOG_CP_UNTRUSTED, id);
  expect(run(path, NULL, key_b), XLOG_CP_UNTRUSTED, "not trusted here");
  /* with no key at all the same */
  expect(run(path, NULL, NULL), XLOG_CP_UNTRUSTED, "audit.verify_keys");
}

Test(verify, key_rotation_needs_the_old_key) {
  const char *path = ts_path(dir, "x.log");
  struct gw_xlog_options o = {.checkpoint_every = 3, .signing_key = SEED_A};
  struct gw_note_verifier *both[2] = {key_b, key_a};
  struct xlog_verify_options vo = {.keys = both, .key_count = 2};
  struct xlog_verify_report rep;
  struct gw_xlog *log = NULL;
  char err[256];
  for (int round = 0; round < 2; round++) {
    cr_assert_eq(xlog_open_with(path, &o, &log, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 4; i++) {
      json_t *r = json_pack("{s:s}", "event", "fetch");
      cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
      json_decref(r);
    }
    xlog_close(log);
    o.signing_key = SEED_B; /* the key is rotated */
  }
  cr_assert_eq(xlog_verify(path, &vo, &rep), 0, "%s", rep.error);
  cr_assert_eq(rep.signed_checkpoints, rep.checkpoints);
  expect(run(path, NULL, key_b), XLOG_CP_UNTRUSTED, "not trusted here");
  expect(run(path, NULL, key_a), XLOG_CP_UNTRUSTED, "not trusted here");
}

Test(verify, stripped_signature) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  char *sig;
  read_lines(path, &ls);
  sig = strstr(ls.l[9], "\\n\\n\\u2014");
  cr_assert_not_null(sig);
  cr_assert_eq(text_copy(sig + 2, 3, "\"}"), 0); /* keep the body's \n */
  edit_line(&ls, 9, ",\"key_id\":\"", ",\"x\":\"");
  rechain(&ls, 10);
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_CP_STRIPPED,
         "x.log:10 (seq 9): unsigned checkpoint after signed ones");
}

Test(verify, head_cut_off) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  read_lines(path, &ls);
  remove_line(&ls, 0);
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_HEAD_MISSING,
         "x.log:1: the log starts at seq 1, not 0");
}

Test(verify, torn_last_line) {
  const char *path = signed_log("x.log", SEED_A);
  FILE *f = fopen(path, "a");
  struct xlog_verify_report *rep;
  fputs("{\"seq\":18,\"ti", f);
  fclose(f);
  rep = run(path, cp_file_of(path), key_a);
  expect(rep, XLOG_TORN,
         "torn last line 19 (13 bytes without a newline): an interrupted"
         " append; run `gateway audit verify --seal-torn`");
  cr_assert_eq(rep->records, 18);
  cr_assert_eq(rep->torn_bytes, 13);
}

Test(verify, checkpoint_of_another_origin) {
  const char *path = signed_log("x.log", SEED_A);
  struct gw_note_verifier *keys[1] = {key_a};
  struct xlog_verify_options o = {
      .keys = keys, .key_count = 1, .origin = "other.example/log"};
  struct xlog_verify_report rep;
  cr_assert_eq(xlog_verify(path, &o, &rep), -1);
  expect(&rep, XLOG_CP_ORIGIN,
         "checkpoint of another log: origin 'indicator-gateway/exchange-log',"
         " expected 'other.example/log'");
}

Test(verify, record_fields_must_match_the_note) {
  const char *path = signed_log("x.log", SEED_A);
  struct lines ls;
  read_lines(path, &ls);
  edit_line(&ls, 4, "\"size\":4,", "\"size\":5,");
  rechain(&ls, 5);
  write_lines(path, &ls);
  free_lines(&ls);
  expect(run(path, NULL, key_a), XLOG_CP_MALFORMED,
         "size, root or origin differ from its note");
}

/* ---- segments ------------------------------------------------------------ */

Test(verify, segments_are_one_log) {
  const char *path = ts_path(dir, "s.log");
  struct gw_xlog_options o = {
      .checkpoint_every = 5, .rotate_bytes = 600, .signing_key = SEED_A};
  struct gw_xlog *log = NULL;
  struct xlog_verify_report *rep;
  char err[256], seg[512];
  struct lines ls;
  cr_assert_eq(xlog_open_with(path, &o, &log, err, sizeof err), 0, "%s", err);
  for (int i = 0; i < 20; i++) {
    json_t *r = json_pack("{s:s, s:i}", "event", "fetch", "n", i);
    cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
    json_decref(r);
  }
  xlog_close(log);
  rep = run(path, NULL, key_a);
  cr_assert_eq(rep->problem, XLOG_OK, "%s", rep->error);
  cr_assert_geq(rep->files, 3);
  /* removing a whole middle segment is a seq gap */
  cr_assert_eq(xlog_segment_path(path, 2, seg, sizeof seg), 0);
  read_lines(seg, &ls);
  cr_assert_eq(ts_write_file(seg, ""), 0);
  expect(run(path, NULL, key_a), XLOG_DELETED, "s.log.000003:1 has seq");
  write_lines(seg, &ls);
  free_lines(&ls);
  cr_assert_eq(run(path, NULL, key_a)->problem, XLOG_OK);
}

/* ---- the off-site checkpoint file -------------------------------------- */

Test(verify, checkpoint_file_problems) {
  const char *path = signed_log("x.log", SEED_A);
  const char *cp = ts_path(dir, "offsite.cp");
  char *notes = ts_read_file(cp_file_of(path), NULL);
  char *sig, *copy;
  struct xlog_verify_report *rep;
  cr_assert_not_null(notes);
  /* a copy taken while a note was being written: ignored, with a warning */
  copy = malloc(strlen(notes) + 32);
  cr_assert_eq(text_format(copy, strlen(notes) + 32, "%s%s", notes,
                           "indicator-gateway/exch"),
               0);
  cr_assert_eq(ts_write_file(cp, copy), 0);
  rep = run(path, cp, key_a);
  cr_assert_eq(rep->problem, XLOG_OK, "%s", rep->error);
  cr_assert(strstr(rep->warning, "incomplete checkpoint") != NULL, "%s",
            rep->warning);
  /* a changed signature */
  cr_assert_eq(text_copy(copy, strlen(notes) + 32, notes), 0);
  sig = strstr(copy, "\xe2\x80\x94 indicator-gateway/exchange-log ");
  sig += strlen("\xe2\x80\x94 indicator-gateway/exchange-log ") + 10;
  *sig = *sig == 'A' ? 'B' : 'A'; /* still base64, past the key id */
  cr_assert_eq(ts_write_file(cp, copy), 0);
  expect(run(path, cp, key_a), XLOG_NOTE_BAD, "checkpoint 1 is forged");
  /* another key */
  cr_assert_eq(ts_write_file(cp, notes), 0);
  expect(run(path, cp, key_b), XLOG_NOTE_BAD,
         "checkpoint 1 is signed with key");
  /* nothing in it */
  cr_assert_eq(ts_write_file(cp, "\n"), 0);
  expect(run(path, cp, key_a), XLOG_NOTE_BAD, "holds no checkpoint");
  expect(run(path, ts_path(dir, "missing.cp"), key_a), XLOG_IO, "missing.cp");
  free(copy);
  free(notes);
}

/* Appends n more records with the options of signed_log() (a checkpoint
 * every 4 records, notes to <path>.cp). */
static void append_more(const char *path, const char *seed, int n) {
  struct gw_xlog_options o = {.checkpoint_every = 4, .signing_key = seed};
  struct gw_xlog *log = NULL;
  char err[512];
  o.checkpoint_file = cp_file_of(path);
  cr_assert_eq(xlog_open_with(path, &o, &log, err, sizeof err), 0, "%s", err);
  for (int i = 0; i < n; i++) {
    json_t *r = json_pack("{s:s, s:i}", "event", "fetch", "bytes", 2000 + i);
    cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
    json_decref(r);
  }
  xlog_close(log);
}

/* A writer killed in the middle of appending a note (a write cut at a page
 * boundary) leaves part of it; the next checkpoint must not run into it.
 * Cut once in the signature line and once right after the blank line
 * between a note's text and its signature, where the remnant also ends in
 * a blank line. */
static void torn_note_then_append(size_t (*cut_at)(const char *note)) {
  const char *path = signed_log("x.log", SEED_A);
  char *notes = ts_read_file(cp_file_of(path), NULL), *after, *torn;
  const char *last;
  size_t notes_len, cut;
  struct xlog_verify_report *rep;
  cr_assert_not_null(notes);
  notes_len = strlen(notes);
  /* the remnant: the start of a copy of the file's last note */
  last = notes;
  for (const char *p = strstr(notes, "\n\n\xe2\x80\x94"); p;
       p = strstr(p + 1, "\n\n\xe2\x80\x94")) {
    const char *next = strstr(p + 2, "\n\n");
    if (next && next[2] != '\0')
      last = next + 2;
  }
  cut = cut_at(last);
  torn = malloc(notes_len + cut + 1);
  cr_assert_not_null(torn);
  memcpy(torn, notes, notes_len);
  memcpy(torn + notes_len, last, cut);
  torn[notes_len + cut] = '\0';
  cr_assert_eq(ts_write_file(cp_file_of(path), torn), 0);
  append_more(path, SEED_A, 5);
  rep = run(path, cp_file_of(path), key_a);
  cr_assert_eq(rep->problem, XLOG_OK, "%s", rep->error);
  cr_assert_str_empty(rep->warning);
  cr_assert_eq(rep->notes_checked, 6, "%llu",
               (unsigned long long)rep->notes_checked);
  after = ts_read_file(cp_file_of(path), NULL);
  cr_assert_not_null(after);
  /* the old notes are untouched and the new ones follow them directly */
  cr_assert_eq(strncmp(after, notes, notes_len), 0);
  cr_assert_eq(
      strncmp(after + notes_len, "indicator-gateway/exchange-log\n", 31), 0,
      "%s", after + notes_len);
  free(after);
  free(torn);
  free(notes);
}

static size_t in_the_signature(const char *note) {
  const char *sig = strstr(note, "\xe2\x80\x94 ");
  cr_assert_not_null(sig);
  return (size_t)(sig - note) + 20;
}

static size_t before_the_signature(const char *note) {
  const char *blank = strstr(note, "\n\n");
  cr_assert_not_null(blank);
  return (size_t)(blank - note) + 2;
}

Test(verify, torn_note_cut_in_its_signature_is_removed_before_the_next) {
  torn_note_then_append(in_the_signature);
}

Test(verify, torn_note_cut_before_its_signature_is_removed_before_the_next) {
  torn_note_then_append(before_the_signature);
}

Test(verify, checkpoint_file_that_contradicts_itself) {
  const char *a = signed_log("a.log", SEED_A);
  const char *b = ts_path(dir, "b.log");
  struct gw_xlog_options o = {.checkpoint_every = 4, .signing_key = SEED_A};
  struct gw_xlog *log = NULL;
  char err[256], both[8192];
  char *na, *nb;
  char cpb[512];
  cr_assert_eq(text_format(cpb, sizeof cpb, "%s.cp", b), 0);
  o.checkpoint_file = cpb;
  cr_assert_eq(xlog_open_with(b, &o, &log, err, sizeof err), 0, "%s", err);
  for (int i = 0; i < 4; i++) {
    json_t *r = json_pack("{s:s, s:i}", "event", "other", "i", i);
    cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
    json_decref(r);
  }
  xlog_close(log);
  na = ts_read_file(cp_file_of(a), NULL);
  nb = ts_read_file(cpb, NULL);
  cr_assert_eq(text_format(both, sizeof both, "%s%s", na, nb), 0);
  cr_assert_eq(ts_write_file(cpb, both), 0);
  expect(run(a, cpb, key_a), XLOG_NOTE_BAD,
         "are both for 4 records but have different roots");
  free(na);
  free(nb);
}

Test(verify, problem_names_are_stable) {
  cr_assert_str_eq(xlog_problem_name(XLOG_OK), "none");
  cr_assert_str_eq(xlog_problem_name(XLOG_CHANGED), "changed");
  cr_assert_str_eq(xlog_problem_name(XLOG_TRUNCATED), "truncated");
  cr_assert_str_eq(xlog_problem_name(XLOG_CP_FORGED), "checkpoint_forged");
  cr_assert_str_eq(xlog_problem_name((enum xlog_problem)999), "unknown");
}

/* ---- the line scanner agrees with jansson ------------------------------- */

static void agrees(const char *line, size_t len) {
  struct xlog_line l;
  json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
  int jansson_ok = json_is_object(obj);
  int scan_ok = xlog_line_scan(line, len, &l) == 0;
  json_decref(obj);
  cr_assert_eq(scan_ok, jansson_ok, "scanner %s, jansson %s: '%.*s'",
               scan_ok ? "accepts" : "refuses",
               jansson_ok ? "accepts" : "refuses", (int)len, line);
}

Test(line_scan, agrees_with_jansson) {
  static const char *const cases[] = {
      "{}",
      " {} ",
      "{\"a\":1}",
      "[1]",
      "1",
      "\"x\"",
      "{\"a\":1,}",
      "{\"a\" 1}",
      "{\"a\":1}x",
      "{\"a\":01}",
      "{\"a\":-0}",
      "{\"a\":1.}",
      "{\"a\":.5}",
      "{\"a\":1e}",
      "{\"a\":1e+5}",
      "{\"a\":-1.5E-3}",
      "{\"a\":-}",
      "{\"a\":+1}",
      "{\"a\":tru}",
      "{\"a\":true,\"b\":false,\"c\":null}",
      "{\"a\":[1,[2,{\"b\":[]}]]}",
      "{\"a\":[1,]}",
      "{\"a\":\"\\u00e9\\n\\t\\\"\\\\\\/\\b\\f\\r\"}",
      "{\"a\":\"\\x\"}",
      "{\"a\":\"\\u12\"}",
      "{\"a\":\"\\u0000\"}",
      "{\"a\":\"\\ud83d\\ude00\"}",
      "{\"a\":\"\\ud83d\"}",
      "{\"a\":\"\\ude00\"}",
      "{\"a\":\"\\ud83dx\"}",
      "{\"a\":\"tab\there\"}",
      "{\"a\":\"caf\xc3\xa9\"}",
      "{\"a\":\"\xc0\x80\"}",
      "{\"a\":\"\xed\xa0\x80\"}",
      "{\"a\":\"\xf4\x90\x80\x80\"}",
      "{\"a\":\"\xe2\x82\"}",
      "{\"a\":\"\xff\"}",
      "{\"a\":\"\x7f\"}",
      "{\"seq\":1,\"seq\":2}",
      "{\"prev\":\"a\",\"prev\":\"a\"}",
      "{\"seq\":9223372036854775807}",
      "{\"seq\":9223372036854775808}",
      "{\"seq\":-1}",
      "{\"seq\":1.0,\"time\":\"t\"}",
      "{\"s\\u0065q\":1}",
      "{\"a\":1}\n",
      "{\"a\":\"unterminated}",
      "{",
      "",
      "{\"a\":{\"b\":{\"c\":{\"d\":[[[[[]]]]]}}}}",
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    agrees(cases[i], strlen(cases[i]));
  agrees("{\"a\":\"nul\0inside\"}", 17);
}

Test(line_scan, picks_the_members_the_verifier_needs) {
  struct xlog_line l;
  const char *line = "{\"seq\":42,\"time\":\"2026-01-01T00:00:00.000Z\","
                     "\"prev\":\"abc\",\"x\":{\"seq\":1,\"event\":\"no\"},"
                     "\"event\":\"checkpoint\"}";
  cr_assert_eq(xlog_line_scan(line, strlen(line), &l), 0);
  cr_assert(l.has_seq);
  cr_assert_eq(l.seq, 42);
  cr_assert(l.has_time);
  cr_assert_eq(l.prev_len, 3);
  cr_assert_eq(strncmp(l.prev, "abc", 3), 0);
  cr_assert_eq(l.event_len, 10);
  cr_assert_eq(strncmp(l.event, "checkpoint", 10), 0);
  cr_assert_not(l.needs_full_parse);
  line = "{\"s\\u0065q\":1,\"prev\":\"a\\u0062\"}";
  cr_assert_eq(xlog_line_scan(line, strlen(line), &l), 0);
  cr_assert(l.needs_full_parse);
  line = "{\"seq\":-0}"; /* found by fuzz_signed_note: jansson reads 0 */
  cr_assert_eq(xlog_line_scan(line, strlen(line), &l), 0);
  cr_assert(l.has_seq);
  cr_assert_eq(l.seq, 0);
  line = "{\"seq\":\"1\"}";
  cr_assert_eq(xlog_line_scan(line, strlen(line), &l), 0);
  cr_assert_not(l.has_seq);
}

Test(line_scan, deep_nesting_is_refused_not_a_crash) {
  size_t n = 100000;
  char *deep = malloc(2 * n + 16);
  size_t len = 0;
  struct xlog_line l;
  memcpy(deep, "{\"a\":", 5);
  len = 5;
  for (size_t i = 0; i < n; i++)
    deep[len++] = '[';
  for (size_t i = 0; i < n; i++)
    deep[len++] = ']';
  deep[len++] = '}';
  cr_assert_eq(xlog_line_scan(deep, len, &l), -1);
  free(deep);
}
