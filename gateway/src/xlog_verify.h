/*
 * xlog_verify.h - checking an exchange log from its first segment to its
 * last line: the hash chain, the sequence, every checkpoint (its root
 * against the recomputed Merkle tree, its signature against the trusted
 * keys, sizes that only grow) and, optionally, checkpoints held off the
 * machine. The messages are listed in docs/exchange-log.md.
 *
 * Streams: memory stays flat however long the log is (one line and the
 * tree's O(log n) state; a note file given with checkpoint_file is read
 * whole, it holds one short note per checkpoint).
 */
#ifndef GW_XLOG_VERIFY_H
#define GW_XLOG_VERIFY_H
#include "signed_note.h"
#include <stddef.h>
#include <stdint.h>

struct xlog_verify_options {
  struct gw_note_verifier *const *keys; /* trusted verifier keys */
  size_t key_count;
  /* Expected checkpoint origin, or NULL to accept the log's own. */
  const char *origin;
  /* C2SP notes held elsewhere (one or more, as the checkpoint file holds
   * them); every one must match the log. NULL: none. */
  const char *checkpoint_file;
  /* Check roots and sizes but not signatures (xlog_verify_file(), fuzzing
   * and tests without keys). Never set by `gateway audit verify`. */
  int skip_signatures;
};

/* What went wrong first; one distinct message per case. */
enum xlog_problem {
  XLOG_OK = 0,
  XLOG_IO,              /* a file could not be read */
  XLOG_NOT_RECORD,      /* a line is no JSON record (changed or damaged) */
  XLOG_CHANGED,         /* a record's bytes no longer match the next prev */
  XLOG_DELETED,         /* seq gap: records removed */
  XLOG_SWAPPED,         /* two records changed places */
  XLOG_REORDERED,       /* seq goes back: moved or duplicated records */
  XLOG_HEAD_MISSING,    /* the log does not start at seq 0 */
  XLOG_TORN,            /* the last line has no newline (crash) */
  XLOG_SEGMENT_DAMAGED, /* a closed segment ends inside a record */
  XLOG_CP_MALFORMED,    /* a checkpoint record or its note is not valid */
  XLOG_CP_FORGED,       /* a trusted key's signature does not verify */
  XLOG_CP_UNTRUSTED,    /* signed only by keys not trusted here */
  XLOG_CP_STRIPPED,     /* unsigned after signed ones */
  XLOG_CP_REPLAYED,     /* an older checkpoint after a newer one */
  XLOG_CP_SIZE,         /* size is not the number of records before it */
  XLOG_CP_ROOT,         /* root does not match the records before it */
  XLOG_CP_ORIGIN,       /* another log's checkpoint */
  XLOG_TRUNCATED,       /* the log ends before an off-site checkpoint */
  XLOG_REWRITTEN,       /* the log's first N records differ from one */
  XLOG_NOTE_BAD         /* an off-site note is forged/untrusted/malformed */
};

struct xlog_verify_report {
  enum xlog_problem problem;
  uint64_t records;            /* complete records read */
  unsigned files;              /* segments read, the active file included */
  uint64_t checkpoints;        /* checkpoint records verified */
  uint64_t signed_checkpoints; /* of which signed by a trusted key */
  int have_signed;
  uint64_t newest_signed_size;
  uint64_t notes_checked; /* notes from checkpoint_file matched */
  uint64_t newest_note_size;
  int unsigned_notes;  /* some checked notes carried no signature */
  uint64_t torn_bytes; /* XLOG_TORN: bytes after the last newline */
  uint64_t torn_line;  /* XLOG_TORN: 1-based line number in its file */
  char error[1536];    /* the first problem, naming file, line and seq */
  char warning[512];   /* e.g. unsigned checkpoints: what is not proven */
};

/* Verifies the log at path (<path>.000001 ... then <path>). 0 when
 * intact, -1 otherwise with rep->problem and rep->error set. rep is
 * always filled. */
int xlog_verify(const char *path, const struct xlog_verify_options *opts,
                struct xlog_verify_report *rep);

/* A short stable name of the problem for machine-readable output
 * ("changed", "deleted", "swapped", "truncated", "checkpoint_forged", ...). */
const char *xlog_problem_name(enum xlog_problem problem);

#endif
