/*
 * xlog_verify.c - the exchange log's verifier (xlog_verify.h): one pass
 * over every segment, in order, with the chain, the sequence and the
 * Merkle tree carried across files.
 *
 * The first problem ends the pass; each kind has its own message (the
 * list is in docs/exchange-log.md). A record whose seq is ahead of the
 * expected one is only classified once the next line is read: if that
 * line has the missing seq the two were swapped, if it goes back records
 * were moved, otherwise records were deleted.
 */
#include "xlog_verify.h"
#include "exchange_log.h"
#include "digest.h"
#include "exchange_log_internal.h"
#include "gw_alloc.h"
#include "merkle.h"
#include "text.h"
#include "xlog_line.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The read buffer starts small and grows to hold the longest line. */
#define VERIFY_BUF_START ((size_t)64 << 10)
#define VERIFY_BUF_MAX (XLOG_MAX_LINE_BYTES + ((size_t)1 << 20))
#define VERIFY_PATH_MAX 4096
/* An off-site note file holds one short note per checkpoint; a million
 * checkpoints stay well below this. */
#define NOTE_FILE_MAX ((size_t)256 << 20)

/* One note from the off-site checkpoint file, to meet in the stream. */
struct ext_note {
  uint64_t size;
  unsigned char root[NOTE_HASH_SIZE];
  unsigned number; /* 1-based position in the file */
  int is_signed;
  char key_name[NOTE_NAME_MAX + 1];
};

struct verifier {
  const struct xlog_verify_options *opts;
  struct xlog_verify_report *rep;
  struct gw_merkle *tree;
  char prev_hex[GW_SHA256_HEX_SIZE]; /* hash of the previous line */
  char prev_where[VERIFY_PATH_MAX + 64];
  char where[VERIFY_PATH_MAX + 64]; /* "file:line" of the current line */
  const char *file;
  uint64_t line_no;
  /* a seq ahead of the expected one, classified at the next line */
  int pending;
  uint64_t pending_found;
  char pending_where[VERIFY_PATH_MAX + 64];
  /* checkpoints in the log */
  int have_checkpoint;
  uint64_t checkpoint_size;
  uint64_t checkpoint_seq;
  uint64_t unsigned_checkpoints;
  char origin[NOTE_NAME_MAX + 1]; /* expected or first seen */
  /* off-site notes, sorted by size */
  struct ext_note *notes;
  size_t note_count;
  size_t next_note;
};

static int fail(struct verifier *v, enum xlog_problem problem, const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));

static int fail(struct verifier *v, enum xlog_problem problem, const char *fmt,
                ...) {
  va_list ap;
  if (v->rep->problem != XLOG_OK)
    return -1;
  v->rep->problem = problem;
  va_start(ap, fmt);
  (void)vsnprintf(v->rep->error, sizeof v->rep->error, fmt, ap);
  va_end(ap);
  return -1;
}

static uint64_t expected_seq(const struct verifier *v) {
  return v->rep->records;
}

/* ---- checkpoints inside the log ----------------------------------------- */

struct checkpoint_fields {
  const char *root;
  const char *origin;
  const char *note;
  size_t note_len;
  json_int_t size;
};

static int read_checkpoint_fields(struct verifier *v, json_t *obj, uint64_t seq,
                                  struct checkpoint_fields *f) {
  json_t *size = json_object_get(obj, "size");
  json_t *note = json_object_get(obj, "note");
  f->root = json_string_value(json_object_get(obj, "root"));
  f->origin = json_string_value(json_object_get(obj, "origin"));
  f->note = json_string_value(note);
  f->note_len = json_string_length(note);
  f->size = json_integer_value(size);
  if (!json_is_integer(size) || f->size < 0 || !f->root || !f->origin ||
      !f->note)
    return fail(v, XLOG_CP_MALFORMED,
                "%s (seq %llu): checkpoint record without a valid \"size\","
                " \"root\", \"origin\" and \"note\": the record was changed"
                " or not written by the gateway",
                v->where, (unsigned long long)seq);
  return 0;
}

/* Signature verdict for a note in the log. */
static int check_note_signature(struct verifier *v, const struct note_opened *o,
                                uint64_t seq, int *is_signed) {
  *is_signed = 0;
  switch (o->status) {
  case NOTE_VERIFIED:
    *is_signed = 1;
    return 0;
  case NOTE_UNSIGNED:
    if (v->rep->have_signed)
      return fail(v, XLOG_CP_STRIPPED,
                  "%s (seq %llu): unsigned checkpoint after signed ones (the"
                  " newest signed one is for %llu records): its signature"
                  " was removed, or signing was switched off",
                  v->where, (unsigned long long)seq,
                  (unsigned long long)v->rep->newest_signed_size);
    v->unsigned_checkpoints++;
    return 0;
  case NOTE_FORGED:
    return fail(v, XLOG_CP_FORGED,
                "%s (seq %llu): forged checkpoint: the signature by key '%s'"
                " (id %08x) does not verify, so the checkpoint was changed or"
                " not signed with that key",
                v->where, (unsigned long long)seq, o->key_name,
                (unsigned)o->key_id);
  case NOTE_UNTRUSTED:
    if (v->opts->skip_signatures)
      return 0;
    return fail(v, XLOG_CP_UNTRUSTED,
                "%s (seq %llu): checkpoint signed with key '%s' (id %08x),"
                " which is not trusted here (wrong key): after a key"
                " rotation add the old verifier key to audit.verify_keys"
                " or pass it with --key FILE",
                v->where, (unsigned long long)seq, o->key_name,
                (unsigned)o->key_id);
  case NOTE_MALFORMED:
  default:
    return fail(v, XLOG_CP_MALFORMED,
                "%s (seq %llu): the checkpoint's note is malformed (%s)",
                v->where, (unsigned long long)seq, o->why);
  }
}

/* The origin every checkpoint must carry: the configured one, or the one
 * the log's first checkpoint names. */
static int check_origin(struct verifier *v, const char *origin,
                        const char *what) {
  if (!v->origin[0]) {
    (void)text_copy(v->origin, sizeof v->origin, origin);
    return 0;
  }
  if (strcmp(v->origin, origin) == 0)
    return 0;
  return fail(v, XLOG_CP_ORIGIN,
              "%s: checkpoint of another log: origin '%s', expected '%s'", what,
              origin, v->origin);
}

static int fields_match_body(const struct checkpoint_fields *f,
                             const struct note_checkpoint *body) {
  char root64[64];
  if (note_b64_encode(body->root, sizeof body->root, root64, sizeof root64) !=
      0)
    return 0;
  return (uint64_t)f->size == body->size && strcmp(f->root, root64) == 0 &&
         strcmp(f->origin, body->origin) == 0;
}

static int check_checkpoint(struct verifier *v, json_t *obj, uint64_t seq) {
  struct checkpoint_fields f;
  struct note_opened o;
  struct note_checkpoint body;
  unsigned char root[GW_MERKLE_HASH_SIZE];
  char why[160];
  int is_signed = 0;
  if (read_checkpoint_fields(v, obj, seq, &f) != 0)
    return -1;
  (void)note_open(f.note, f.note_len, v->opts->keys, v->opts->key_count, &o);
  if (check_note_signature(v, &o, seq, &is_signed) != 0)
    return -1;
  if (note_checkpoint_parse(f.note, o.text_len, &body, why, sizeof why) != 0)
    return fail(v, XLOG_CP_MALFORMED, "%s (seq %llu): checkpoint note: %s",
                v->where, (unsigned long long)seq, why);
  if (!fields_match_body(&f, &body))
    return fail(v, XLOG_CP_MALFORMED,
                "%s (seq %llu): the checkpoint record's size, root or origin"
                " differ from its note: the record was changed",
                v->where, (unsigned long long)seq);
  if (check_origin(v, body.origin, v->where) != 0)
    return -1;
  if (v->have_checkpoint && body.size <= v->checkpoint_size)
    return fail(v, XLOG_CP_REPLAYED,
                "%s (seq %llu): replayed old checkpoint: it is for %llu"
                " records, but the checkpoint at seq %llu already covered"
                " %llu; an earlier checkpoint was copied in",
                v->where, (unsigned long long)seq,
                (unsigned long long)body.size,
                (unsigned long long)v->checkpoint_seq,
                (unsigned long long)v->checkpoint_size);
  if (body.size != seq)
    return fail(v, XLOG_CP_SIZE,
                "%s (seq %llu): the checkpoint is for %llu records, but %llu"
                " records precede it; a checkpoint always covers exactly the"
                " records before it",
                v->where, (unsigned long long)seq,
                (unsigned long long)body.size, (unsigned long long)seq);
  if (merkle_root(v->tree, root) != 0)
    return fail(v, XLOG_IO, "cannot compute the Merkle root");
  if (memcmp(root, body.root, sizeof root) != 0)
    return fail(v, XLOG_CP_ROOT,
                "%s (seq %llu): the %llu records before this checkpoint no"
                " longer have the root it %s: records before seq %llu were"
                " changed, removed or reordered and the chain recomputed",
                v->where, (unsigned long long)seq,
                (unsigned long long)body.size,
                is_signed ? "signed" : "recorded", (unsigned long long)seq);
  v->have_checkpoint = 1;
  v->checkpoint_size = body.size;
  v->checkpoint_seq = seq;
  v->rep->checkpoints++;
  if (is_signed) {
    v->rep->signed_checkpoints++;
    v->rep->have_signed = 1;
    v->rep->newest_signed_size = body.size;
  }
  return 0;
}

/* ---- off-site notes ----------------------------------------------------- */

/* Notes whose size the tree has just reached must have its root. */
static int meet_notes(struct verifier *v) {
  unsigned char root[GW_MERKLE_HASH_SIZE];
  uint64_t size = merkle_size(v->tree);
  while (v->next_note < v->note_count && v->notes[v->next_note].size == size) {
    const struct ext_note *n = &v->notes[v->next_note];
    if (merkle_root(v->tree, root) != 0)
      return fail(v, XLOG_IO, "cannot compute the Merkle root");
    if (memcmp(root, n->root, sizeof root) != 0)
      return fail(v, XLOG_REWRITTEN,
                  "rewritten: the first %llu records of the log (up to %s)"
                  " are not the ones checkpoint %u in %s (%s) vouches for:"
                  " records before seq %llu were changed, removed or"
                  " reordered and the chain recomputed",
                  (unsigned long long)size, size ? v->prev_where : "its start",
                  n->number, v->opts->checkpoint_file,
                  n->is_signed ? "signed" : "unsigned",
                  (unsigned long long)size);
    v->rep->notes_checked++;
    v->rep->newest_note_size = size;
    if (!n->is_signed)
      v->rep->unsigned_notes = 1;
    v->next_note++;
  }
  return 0;
}

static int compare_notes(const void *a, const void *b) {
  const struct ext_note *x = a, *y = b;
  if (x->size != y->size)
    return x->size < y->size ? -1 : 1;
  return x->number < y->number ? -1 : (x->number > y->number);
}

/* Takes one note (msg[0, len)) from the off-site file. */
static int add_note(struct verifier *v, const char *msg, size_t len,
                    unsigned number) {
  const char *file = v->opts->checkpoint_file;
  struct note_opened o;
  struct note_checkpoint body;
  struct ext_note *grown, *n;
  char why[160];
  char what[VERIFY_PATH_MAX + 64];
  (void)note_open(msg, len, v->opts->keys, v->opts->key_count, &o);
  if (o.status == NOTE_MALFORMED)
    return fail(v, XLOG_NOTE_BAD, "%s: checkpoint %u is malformed (%s)", file,
                number, o.why);
  if (o.status == NOTE_FORGED)
    return fail(v, XLOG_NOTE_BAD,
                "%s: checkpoint %u is forged: the signature by key '%s' (id"
                " %08x) does not verify",
                file, number, o.key_name, (unsigned)o.key_id);
  if (o.status == NOTE_UNTRUSTED && !v->opts->skip_signatures)
    return fail(v, XLOG_NOTE_BAD,
                "%s: checkpoint %u is signed with key '%s' (id %08x), which"
                " is not trusted here (wrong key): pass its verifier key"
                " with --key FILE",
                file, number, o.key_name, (unsigned)o.key_id);
  if (note_checkpoint_parse(msg, o.text_len, &body, why, sizeof why) != 0)
    return fail(v, XLOG_NOTE_BAD, "%s: checkpoint %u: %s", file, number, why);
  (void)text_format(what, sizeof what, "%s: checkpoint %u", file, number);
  if (check_origin(v, body.origin, what) != 0)
    return -1;
  grown = gw_realloc(v->notes, (v->note_count + 1) * sizeof *grown);
  if (!grown)
    return fail(v, XLOG_IO, "out of memory reading %s", file);
  v->notes = grown;
  n = &v->notes[v->note_count++];
  memset(n, 0, sizeof *n);
  n->size = body.size;
  memcpy(n->root, body.root, sizeof n->root);
  n->number = number;
  n->is_signed = o.status == NOTE_VERIFIED;
  (void)text_copy(n->key_name, sizeof n->key_name, o.key_name);
  return 0;
}

static int starts_signature(const char *line, size_t len) {
  size_t p = strlen(NOTE_SIG_PREFIX);
  return len >= p && memcmp(line, NOTE_SIG_PREFIX, p) == 0;
}

/* Splits the file into notes: text lines, and for a signed note a blank
 * line and signature lines; notes are separated by a blank line. An
 * incomplete last note (a copy taken mid-write) is skipped with a
 * warning. */
static int split_notes(struct verifier *v, const char *text, size_t len) {
  size_t pos = 0, start = 0, end = 0;
  unsigned number = 0;
  int in_sigs = 0, in_text = 0;
  while (pos < len) {
    const char *line = text + pos;
    const char *nl = memchr(line, '\n', len - pos);
    size_t line_len;
    if (!nl) {
      (void)text_format(v->rep->warning, sizeof v->rep->warning,
                        "%s ends in an incomplete checkpoint (ignored)",
                        v->opts->checkpoint_file);
      break;
    }
    line_len = (size_t)(nl - line);
    if (line_len == 0) {
      int sigs_follow =
          pos + 1 < len && starts_signature(text + pos + 1, len - pos - 1);
      if (in_sigs || (in_text && !sigs_follow)) {
        /* the end of a note: signatures, or text without any */
        if (add_note(v, text + start, end - start, ++number) != 0)
          return -1;
        in_sigs = in_text = 0;
      } else if (in_text) {
        in_sigs = 1;
        in_text = 0;
      }
    } else if (in_sigs || in_text) {
      if (in_sigs && !starts_signature(line, line_len))
        return fail(v, XLOG_NOTE_BAD,
                    "%s: checkpoint %u has a line after its signatures that"
                    " is not a signature",
                    v->opts->checkpoint_file, number + 1);
      end = pos + line_len + 1;
    } else {
      start = pos;
      end = pos + line_len + 1;
      in_text = 1;
    }
    pos += line_len + 1;
  }
  if ((in_sigs || in_text) && pos >= len &&
      add_note(v, text + start, end - start, ++number) != 0)
    return -1;
  if (number == 0)
    return fail(v, XLOG_NOTE_BAD, "%s holds no checkpoint",
                v->opts->checkpoint_file);
  return 0;
}

/* Reads and checks the off-site notes; sorted by size for the stream. */
static int load_notes(struct verifier *v) {
  const char *file = v->opts->checkpoint_file;
  struct stat st;
  char *text = NULL;
  int fd = -1;
  int rc = -1;
  fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) != 0) {
    fail(v, XLOG_IO, "cannot open checkpoint file %s: %s", file,
         strerror(errno));
    goto out;
  }
  if ((uint64_t)st.st_size > NOTE_FILE_MAX) {
    fail(v, XLOG_NOTE_BAD,
         "%s is larger than %zu bytes: not a checkpoint"
         " file",
         file, NOTE_FILE_MAX);
    goto out;
  }
  text = gw_malloc((size_t)st.st_size + 1);
  if (!text ||
      xlog_pread_all(fd, text, (size_t)st.st_size, 0) != (ssize_t)st.st_size) {
    fail(v, XLOG_IO, "cannot read checkpoint file %s", file);
    goto out;
  }
  if (split_notes(v, text, (size_t)st.st_size) != 0)
    goto out;
  qsort(v->notes, v->note_count, sizeof *v->notes, compare_notes);
  for (size_t i = 1; i < v->note_count; i++) {
    if (v->notes[i].size == v->notes[i - 1].size &&
        memcmp(v->notes[i].root, v->notes[i - 1].root, NOTE_HASH_SIZE) != 0) {
      fail(v, XLOG_NOTE_BAD,
           "%s: checkpoints %u and %u are both for %llu records but have"
           " different roots: two versions of the log were signed",
           file, v->notes[i - 1].number, v->notes[i].number,
           (unsigned long long)v->notes[i].size);
      goto out;
    }
  }
  rc = 0;
out:
  gw_free(text);
  if (fd >= 0)
    close(fd);
  return rc;
}

/* ---- one line ------------------------------------------------------------ */

/* The members of one line the checks need. */
struct line_fields {
  int has_seq, has_time, has_prev, is_checkpoint;
  uint64_t seq;
  char prev[GW_SHA256_HEX_SIZE]; /* "" unless 64 characters long */
};

/* Rare lines with escapes in member names or in prev/event: jansson. */
static int read_fields_slowly(const char *line, size_t len,
                              struct line_fields *f) {
  json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
  json_t *seq = json_object_get(obj, "seq");
  json_t *prev = json_object_get(obj, "prev");
  const char *event = json_string_value(json_object_get(obj, "event"));
  int rc = -1;
  memset(f, 0, sizeof *f);
  if (!json_is_object(obj))
    goto out;
  f->has_seq = json_is_integer(seq) && json_integer_value(seq) >= 0;
  f->seq = f->has_seq ? (uint64_t)json_integer_value(seq) : 0;
  f->has_time = json_is_string(json_object_get(obj, "time"));
  f->has_prev = json_is_string(prev);
  if (f->has_prev && json_string_length(prev) == GW_SHA256_HEX_SIZE - 1)
    (void)text_copy(f->prev, sizeof f->prev, json_string_value(prev));
  f->is_checkpoint = event && strcmp(event, XLOG_EVENT_CHECKPOINT) == 0;
  rc = 0;
out:
  json_decref(obj);
  return rc;
}

/* 0 when the line is a JSON object (fields filled), -1 when it is not. */
static int read_fields(const char *line, size_t len, struct line_fields *f) {
  struct xlog_line l;
  if (xlog_line_scan(line, len, &l) != 0)
    return -1;
  if (l.needs_full_parse)
    return read_fields_slowly(line, len, f);
  memset(f, 0, sizeof *f);
  f->has_seq = l.has_seq;
  f->seq = l.seq;
  f->has_time = l.has_time;
  f->has_prev = l.prev != NULL;
  if (l.prev && l.prev_len == GW_SHA256_HEX_SIZE - 1) {
    memcpy(f->prev, l.prev, l.prev_len);
    f->prev[l.prev_len] = '\0';
  }
  f->is_checkpoint = l.event &&
                     l.event_len == sizeof XLOG_EVENT_CHECKPOINT - 1 &&
                     memcmp(l.event, XLOG_EVENT_CHECKPOINT, l.event_len) == 0;
  return 0;
}

/* seq of a line that follows a record ahead of the expected seq. */
static int classify_pending(struct verifier *v, const char *line, size_t len) {
  struct line_fields f;
  uint64_t want = expected_seq(v);
  uint64_t found = v->pending_found;
  int readable = line && read_fields(line, len, &f) == 0 && f.has_seq;
  int back = readable && f.seq == want;
  if (back && found == want + 1)
    return fail(v, XLOG_SWAPPED,
                "records seq %llu and %llu were swapped: seq %llu is at %s,"
                " before seq %llu at %s",
                (unsigned long long)want, (unsigned long long)found,
                (unsigned long long)found, v->pending_where,
                (unsigned long long)want, v->where);
  if (readable && f.seq < found)
    return fail(v, XLOG_REORDERED,
                "records were reordered: seq %llu at %s comes before seq %llu"
                " at %s",
                (unsigned long long)found, v->pending_where,
                (unsigned long long)f.seq, v->where);
  if (found == want + 1)
    return fail(v, XLOG_DELETED,
                "record seq %llu was deleted: %s has seq %llu where %llu was"
                " expected (seq gap)",
                (unsigned long long)want, v->pending_where,
                (unsigned long long)found, (unsigned long long)want);
  return fail(v, XLOG_DELETED,
              "records seq %llu..%llu were deleted: %s has seq %llu where"
              " %llu was expected (seq gap)",
              (unsigned long long)want, (unsigned long long)(found - 1),
              v->pending_where, (unsigned long long)found,
              (unsigned long long)want);
}

static int check_seq(struct verifier *v, uint64_t seq) {
  uint64_t want = expected_seq(v);
  if (seq == want)
    return 0;
  if (want == 0)
    return fail(v, XLOG_HEAD_MISSING,
                "%s: the log starts at seq %llu, not 0: its first records"
                " (the head) were removed",
                v->where, (unsigned long long)seq);
  if (seq > want) {
    /* deleted or swapped: the next line tells */
    v->pending = 1;
    v->pending_found = seq;
    (void)text_copy(v->pending_where, sizeof v->pending_where, v->where);
    return 1;
  }
  return fail(v, XLOG_REORDERED,
              "%s: seq %llu where %llu was expected: records were reordered"
              " or a record was duplicated",
              v->where, (unsigned long long)seq, (unsigned long long)want);
}

static int check_prev(struct verifier *v, const char *prev, uint64_t seq) {
  if (strcmp(prev, v->prev_hex) == 0)
    return 0;
  if (seq == 0)
    return fail(v, XLOG_HEAD_MISSING,
                "%s (seq 0): prev is not 64 zeros: this is not the start of"
                " the log",
                v->where);
  return fail(v, XLOG_CHANGED,
              "record seq %llu at %s was changed: its SHA-256 no longer"
              " matches the prev of seq %llu at %s (or records before seq"
              " %llu were removed and the rest renumbered)",
              (unsigned long long)(seq - 1), v->prev_where,
              (unsigned long long)seq, v->where, (unsigned long long)seq);
}

/* A checkpoint record is parsed fully; there is one per thousand or so. */
static int check_checkpoint_line(struct verifier *v, const char *line,
                                 size_t len, uint64_t seq) {
  json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
  int rc;
  if (!obj)
    return fail(v, XLOG_NOT_RECORD,
                "%s (seq %llu) is not a JSON object: the line was changed or"
                " damaged",
                v->where, (unsigned long long)seq);
  rc = check_checkpoint(v, obj, seq);
  json_decref(obj);
  return rc;
}

static int process_line(struct verifier *v, const char *line, size_t len) {
  unsigned char hash[GW_MERKLE_HASH_SIZE];
  struct line_fields f;
  int rc;
  if (v->pending)
    return classify_pending(v, line, len);
  if (read_fields(line, len, &f) != 0)
    return fail(v, XLOG_NOT_RECORD,
                "%s (expected seq %llu) is not a JSON object: the line was"
                " changed or damaged",
                v->where, (unsigned long long)expected_seq(v));
  if (!f.has_seq || !f.has_time || !f.has_prev)
    return fail(v, XLOG_NOT_RECORD,
                "%s (expected seq %llu) is not a log record (no integer"
                " \"seq\", \"time\" or \"prev\"): the line was changed or"
                " damaged",
                v->where, (unsigned long long)expected_seq(v));
  rc = check_seq(v, f.seq);
  if (rc != 0)
    return rc > 0 ? 0 : -1; /* pending: decided at the next line */
  if (check_prev(v, f.prev, f.seq) != 0)
    return -1;
  if (f.is_checkpoint && check_checkpoint_line(v, line, len, f.seq) != 0)
    return -1;
  if (merkle_sha256(v->tree, line, len, hash) != 0 ||
      merkle_append(v->tree, line, len) != 0)
    return fail(v, XLOG_IO, "cannot hash %s", v->where);
  text_hex(hash, sizeof hash, v->prev_hex);
  (void)text_copy(v->prev_where, sizeof v->prev_where, v->where);
  v->rep->records++;
  return meet_notes(v);
}

/* ---- files ----------------------------------------------------------- */

struct read_buf {
  char *data;
  size_t cap;
};

/* Doubles the buffer (up to VERIFY_BUF_MAX) when a line fills it. */
static int grow(struct verifier *v, struct read_buf *b) {
  size_t cap = b->cap * 2 < VERIFY_BUF_MAX ? b->cap * 2 : VERIFY_BUF_MAX;
  char *bigger = cap > b->cap ? gw_realloc(b->data, cap) : NULL;
  if (!bigger)
    return fail(v, XLOG_IO, "out of memory reading %s", v->file);
  b->data = bigger;
  b->cap = cap;
  return 0;
}

/* Streams fd[0, size) line by line; last says whether this is the active
 * file, whose unterminated tail is a torn line rather than damage. */
static int verify_file(struct verifier *v, int fd, const char *name, off_t size,
                       int last, struct read_buf *b) {
  size_t have = 0;
  off_t done = 0; /* bytes read into the buffer so far, in total */
  v->file = name;
  v->line_no = 0;
  while (done < size) {
    size_t start = 0;
    size_t want;
    ssize_t got;
    char *nl;
    if (have == b->cap && grow(v, b) != 0)
      return -1;
    want = b->cap - have;
    if ((off_t)want > size - done)
      want = (size_t)(size - done);
    got = read(fd, b->data + have, want);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return fail(v, XLOG_IO, "cannot read %s: %s", name,
                  got < 0 ? strerror(errno) : "it shrank while being read");
    have += (size_t)got;
    done += got;
    while ((nl = memchr(b->data + start, '\n', have - start)) != NULL) {
      size_t len = (size_t)(nl - (b->data + start));
      v->line_no++;
      (void)text_format(v->where, sizeof v->where, "%s:%llu", name,
                        (unsigned long long)v->line_no);
      if (process_line(v, b->data + start, len) != 0)
        return -1;
      start += len + 1;
    }
    if (have - start > XLOG_MAX_LINE_BYTES)
      return fail(v, XLOG_NOT_RECORD,
                  "%s:%llu is longer than %zu bytes: not a log record", name,
                  (unsigned long long)(v->line_no + 1), XLOG_MAX_LINE_BYTES);
    memmove(b->data, b->data + start, have - start);
    have -= start;
  }
  if (have == 0)
    return 0;
  if (!last)
    return fail(v, XLOG_SEGMENT_DAMAGED,
                "%s:%llu: the closed segment ends inside a record (%zu bytes"
                " without a newline); the gateway never leaves a segment"
                " like that: damage or tampering",
                name, (unsigned long long)(v->line_no + 1), have);
  v->rep->torn_bytes = have;
  v->rep->torn_line = v->line_no + 1;
  return 0;
}

static int verify_path(struct verifier *v, const char *path,
                       struct read_buf *b) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  int rc;
  if (fd < 0 || fstat(fd, &st) != 0) {
    rc = fail(v, XLOG_IO, "cannot open %s: %s", path, strerror(errno));
  } else {
    v->rep->files++;
    rc = verify_file(v, fd, path, st.st_size, 0, b);
  }
  if (fd >= 0)
    close(fd);
  return rc;
}

/* The active file as it is now, and how many segments precede it: taken
 * under the writers' lock (when there is one) so a live log is seen
 * between two appends and never half-way through a rotation. */
struct snapshot {
  unsigned segments;
  int fd; /* -1: no active file (a crash between rename and create) */
  off_t size;
};

static int take_snapshot(struct verifier *v, const char *path,
                         struct snapshot *s) {
  char lock_path[VERIFY_PATH_MAX];
  struct stat st;
  int lock_fd = -1;
  int rc = -1;
  s->fd = -1;
  s->size = 0;
  s->segments = 0;
  if (xlog_lock_path(path, lock_path, sizeof lock_path) != 0)
    return fail(v, XLOG_IO, "path too long: %s", path);
  lock_fd = open(lock_path, O_RDONLY | O_CLOEXEC);
  if (lock_fd >= 0 && xlog_flock(lock_fd, LOCK_SH) != 0) {
    close(lock_fd);
    lock_fd = -1;
  }
  s->segments = xlog_segment_count(path);
  s->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (s->fd >= 0 && fstat(s->fd, &st) == 0) {
    s->size = st.st_size;
    rc = 0;
  } else if (s->fd < 0 && errno == ENOENT && s->segments > 0) {
    rc = 0;
  } else {
    fail(v, XLOG_IO, "cannot open exchange log %s: %s", path, strerror(errno));
  }
  if (lock_fd >= 0)
    close(lock_fd); /* releases the shared lock */
  return rc;
}

/* What the end of the stream still has to say: a pending seq jump, notes
 * beyond the log's end, a torn last line. */
static int finish(struct verifier *v, const char *path) {
  if (v->pending)
    return classify_pending(v, NULL, 0);
  if (v->next_note < v->note_count) {
    const struct ext_note *n = &v->notes[v->note_count - 1];
    return fail(v, XLOG_TRUNCATED,
                "truncated: checkpoint %u in %s (%s%s) vouches for %llu"
                " records, but the log ends after %llu: records seq"
                " %llu..%llu were removed from its tail",
                n->number, v->opts->checkpoint_file,
                n->is_signed ? "signed by " : "unsigned",
                n->is_signed ? n->key_name : "", (unsigned long long)n->size,
                (unsigned long long)v->rep->records,
                (unsigned long long)v->rep->records,
                (unsigned long long)(n->size - 1));
  }
  if (v->rep->torn_bytes)
    return fail(v, XLOG_TORN,
                "%s: torn last line %llu (%llu bytes without a newline): an"
                " interrupted append; run `gateway audit verify --seal-torn`",
                path, (unsigned long long)v->rep->torn_line,
                (unsigned long long)v->rep->torn_bytes);
  return 0;
}

static void set_warning(struct verifier *v) {
  if (v->rep->warning[0])
    return;
  if (v->rep->checkpoints == 0)
    (void)text_copy(v->rep->warning, sizeof v->rep->warning,
                    "the log has no checkpoint: a cut-off tail or a"
                    " rewritten log cannot be detected without a signed"
                    " checkpoint held off-site");
  else if (!v->rep->have_signed)
    (void)text_copy(v->rep->warning, sizeof v->rep->warning,
                    "the checkpoints are unsigned (no audit.signing_key): a"
                    " cut-off tail or a rewritten log cannot be proven"
                    " without a signed checkpoint held off-site");
  else if (v->unsigned_checkpoints)
    (void)text_format(v->rep->warning, sizeof v->rep->warning,
                      "%llu checkpoints before the first signed one are"
                      " unsigned",
                      (unsigned long long)v->unsigned_checkpoints);
  else if (v->rep->unsigned_notes)
    (void)text_copy(v->rep->warning, sizeof v->rep->warning,
                    "some checkpoints in the checkpoint file are unsigned");
}

static int verify_all(struct verifier *v, const char *path) {
  char seg[VERIFY_PATH_MAX];
  struct snapshot s;
  struct read_buf b = {NULL, VERIFY_BUF_START};
  int rc = -1;
  if (take_snapshot(v, path, &s) != 0)
    return -1;
  if (v->opts->checkpoint_file && load_notes(v) != 0)
    goto out;
  b.data = gw_malloc(b.cap);
  if (!b.data) {
    fail(v, XLOG_IO, "out of memory verifying %s", path);
    goto out;
  }
  if (meet_notes(v) != 0) /* a note for the empty log */
    goto out;
  for (unsigned n = 1; n <= s.segments; n++) {
    if (xlog_segment_path(path, n, seg, sizeof seg) != 0 ||
        verify_path(v, seg, &b) != 0)
      goto out;
  }
  if (s.fd >= 0) {
    v->rep->files++;
    if (verify_file(v, s.fd, path, s.size, 1, &b) != 0)
      goto out;
  }
  rc = finish(v, path);
out:
  if (s.fd >= 0)
    close(s.fd);
  gw_free(b.data);
  return rc;
}

int xlog_verify(const char *path, const struct xlog_verify_options *opts,
                struct xlog_verify_report *rep) {
  static const struct xlog_verify_options none = {0};
  struct verifier v;
  int rc = -1;
  memset(rep, 0, sizeof *rep);
  memset(&v, 0, sizeof v);
  v.opts = opts ? opts : &none;
  v.rep = rep;
  memset(v.prev_hex, '0', GW_SHA256_HEX_SIZE - 1);
  if (v.opts->origin)
    (void)text_copy(v.origin, sizeof v.origin, v.opts->origin);
  if (!path || !*path) {
    fail(&v, XLOG_IO, "no exchange log given");
    goto out;
  }
  v.tree = merkle_new();
  if (!v.tree) {
    fail(&v, XLOG_IO, "out of memory verifying %s", path);
    goto out;
  }
  rc = verify_all(&v, path);
  if (rc == 0)
    set_warning(&v);
out:
  merkle_free(v.tree);
  gw_free(v.notes);
  return rc;
}

int xlog_verify_file(const char *path, uint64_t *records, char *err,
                     size_t err_size) {
  struct xlog_verify_options opts = {.skip_signatures = 1};
  struct xlog_verify_report *rep = gw_calloc(1, sizeof *rep);
  int rc = -1;
  if (records)
    *records = 0;
  if (!rep) {
    (void)text_copy(err, err_size, "out of memory verifying the log");
    return -1;
  }
  rc = xlog_verify(path, &opts, rep);
  if (records)
    *records = rep->records;
  if (err && err_size)
    (void)text_copy(err, err_size, rc == 0 ? "" : rep->error);
  gw_free(rep);
  return rc;
}

const char *xlog_problem_name(enum xlog_problem problem) {
  static const char *const names[] = {
      [XLOG_OK] = "none",
      [XLOG_IO] = "unreadable",
      [XLOG_NOT_RECORD] = "not_a_record",
      [XLOG_CHANGED] = "changed",
      [XLOG_DELETED] = "deleted",
      [XLOG_SWAPPED] = "swapped",
      [XLOG_REORDERED] = "reordered",
      [XLOG_HEAD_MISSING] = "head_missing",
      [XLOG_TORN] = "torn_tail",
      [XLOG_SEGMENT_DAMAGED] = "segment_damaged",
      [XLOG_CP_MALFORMED] = "checkpoint_malformed",
      [XLOG_CP_FORGED] = "checkpoint_forged",
      [XLOG_CP_UNTRUSTED] = "checkpoint_untrusted_key",
      [XLOG_CP_STRIPPED] = "checkpoint_unsigned",
      [XLOG_CP_REPLAYED] = "checkpoint_replayed",
      [XLOG_CP_SIZE] = "checkpoint_size",
      [XLOG_CP_ROOT] = "checkpoint_root",
      [XLOG_CP_ORIGIN] = "checkpoint_origin",
      [XLOG_TRUNCATED] = "truncated",
      [XLOG_REWRITTEN] = "rewritten",
      [XLOG_NOTE_BAD] = "checkpoint_file"};
  if ((size_t)problem >= sizeof names / sizeof names[0] || !names[problem])
    return "unknown";
  return names[problem];
}
