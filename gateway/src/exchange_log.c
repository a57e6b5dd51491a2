/*
 * exchange_log.c - append-only, hash-chained JSON Lines log with an RFC
 * 6962 Merkle tree, signed checkpoints and segments (DESIGN 8; contract in
 * exchange_log.h).
 *
 * Format, chain, checkpoints, segments and the torn-line policy are
 * described for auditors in docs/exchange-log.md; keep the two in step.
 */
#include "exchange_log.h"
#include "audit_keys.h"
#include "clock.h"
#include "diag.h"
#include "digest.h"
#include "exchange_log_internal.h"
#include "fsutil.h"
#include "gw_alloc.h"
#include "merkle.h"
#include "signed_note.h"
#include "text.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The streaming buffer starts small and grows to hold the longest line. */
#define XLOG_BUF_START ((size_t)64 << 10)
#define XLOG_BUF_MAX (XLOG_MAX_LINE_BYTES + ((size_t)256 << 10))
#define XLOG_REASON_SIZE 1024
#define XLOG_PATH_MAX 4096
#define XLOG_DAY_SIZE 11 /* "YYYY-MM-DD" */
/* Only lines with this text early on can be checkpoints; the rest are
 * hashed without being parsed, which keeps opening a big log fast. */
#define XLOG_CHECKPOINT_MARK "\"event\":\"checkpoint\""
#define XLOG_MARK_WINDOW 256

static const char XLOG_ZERO_HASH[GW_SHA256_HEX_SIZE] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct gw_xlog {
  pthread_mutex_t lock;
  int fd;      /* active file, O_WRONLY|O_APPEND: all appends */
  int read_fd; /* active file, O_RDONLY: streaming; -1 if not regular */
  int lock_fd; /* "<path>.lock"; -1 if not regular */
  int regular; /* a regular file (not e.g. a character device) */
  dev_t dev;   /* identity of the active file we hold */
  ino_t ino;
  char *path;
  char *origin;
  char *checkpoint_file;
  uint64_t checkpoint_every;
  int64_t checkpoint_interval_s;
  uint64_t rotate_bytes;
  int rotate_daily;
  int no_sync;
  int rotate_failed; /* a rename failed: keep one file until restart */
  struct gw_note_signer *signer; /* NULL: unsigned checkpoints */
  struct gw_merkle *tree;        /* over every record, all segments */
  unsigned segments;             /* closed segments <path>.000001.. */
  uint64_t next_seq;
  char prev[GW_SHA256_HEX_SIZE];
  off_t size;                /* bytes of the active file taken into the state */
  uint64_t after_checkpoint; /* seq after the newest checkpoint record */
  time_t checkpoint_time;    /* when it was written (or the open time) */
  char last_day[XLOG_DAY_SIZE]; /* UTC day of the active file's last
                                   record; "" when it is empty */
  int dirty; /* this handle appended since its last checkpoint */
  /* The last complete line streamed, to continue the chain from. */
  char *last_line;
  size_t last_len, last_cap;
  int last_in_active;
  /* Non-empty: appends are refused with this message (torn or damaged
   * tail, or a failed write we could not roll back). */
  char refusal[XLOG_REASON_SIZE];
};

/* Lets every public function write errors without NULL checks. */
struct err_sink {
  char *buf;
  size_t size;
  char scratch[8];
};

static void err_sink_init(struct err_sink *sink, char *err, size_t err_size) {
  if (err && err_size > 0) {
    sink->buf = err;
    sink->size = err_size;
  } else {
    sink->buf = sink->scratch;
    sink->size = sizeof sink->scratch;
  }
  sink->buf[0] = '\0';
}

/* ---- small I/O helpers (shared through exchange_log_internal.h) ------- */

ssize_t xlog_pread_all(int fd, void *buf, size_t len, off_t offset) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, (char *)buf + done, len - done, offset + (off_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0)
      break;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

int xlog_write_all(int fd, const char *buf, size_t len, size_t *written) {
  *written = 0;
  while (*written < len) {
    ssize_t n = write(fd, buf + *written, len - *written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0) {
      errno = EIO;
      return -1;
    }
    *written += (size_t)n;
  }
  return 0;
}

int xlog_flock(int fd, int operation) {
  while (flock(fd, operation) != 0) {
    if (errno != EINTR)
      return -1;
  }
  return 0;
}

static void unlock_file(int fd) {
  (void)flock(fd, LOCK_UN);
}

int xlog_lock_path(const char *path, char *out, size_t out_size) {
  return text_format(out, out_size, "%s.lock", path);
}

int xlog_segment_path(const char *path, unsigned n, char *out,
                      size_t out_size) {
  return text_format(out, out_size, "%s.%06u", path, n);
}

unsigned xlog_segment_count(const char *path) {
  char seg[XLOG_PATH_MAX];
  struct stat st;
  unsigned n = 0;
  while (xlog_segment_path(path, n + 1, seg, sizeof seg) == 0 &&
         stat(seg, &st) == 0)
    n++;
  return n;
}

/* A new or renamed file only survives a crash once its directory entry is
 * on disk too. */
int xlog_sync_dir_of(const char *path, char *err, size_t err_size) {
  char *dir = gw_strdup(path);
  char *slash;
  int dfd = -1;
  int rc = -1;
  if (!dir) {
    (void)text_format(err, err_size, "out of memory opening %s", path);
    goto out;
  }
  slash = strrchr(dir, '/');
  if (!slash)
    (void)text_copy(dir, strlen(dir) + 1, ".");
  else if (slash == dir)
    slash[1] = '\0';
  else
    *slash = '\0';
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) != 0) {
    (void)text_format(err, err_size, "cannot sync directory %s: %s", dir,
                      strerror(errno));
    goto out;
  }
  rc = 0;
out:
  if (dfd >= 0)
    close(dfd);
  gw_free(dir);
  return rc;
}

static void refuse(struct gw_xlog *log, const char *why) {
  if (!log->refusal[0])
    (void)text_copy(log->refusal, sizeof log->refusal, why);
}

static int records_since_checkpoint(const struct gw_xlog *log) {
  return log->next_seq > log->after_checkpoint;
}

/* ---- streaming the log into the state --------------------------------- */

/* Keeps a copy of the newest complete line: the chain continues from its
 * hash, and its seq and time are read once streaming is done. */
static int remember_line(struct gw_xlog *log, const char *line, size_t len,
                         int in_active) {
  if (len + 1 > log->last_cap) {
    size_t cap = len + 1 > 1024 ? len + 1 : 1024;
    char *grown = gw_realloc(log->last_line, cap);
    if (!grown)
      return -1;
    log->last_line = grown;
    log->last_cap = cap;
  }
  memcpy(log->last_line, line, len);
  log->last_line[len] = '\0';
  log->last_len = len;
  log->last_in_active = in_active;
  return 0;
}

/* A checkpoint written by any process: the next one is due counting from
 * it. Lines that only mention the word are parsed and ignored. */
static void note_checkpoint_line(struct gw_xlog *log, const char *line,
                                 size_t len, uint64_t seq) {
  json_t *obj = json_loadb(line, len, 0, NULL);
  const char *event = json_string_value(json_object_get(obj, "event"));
  const char *when = json_string_value(json_object_get(obj, "time"));
  time_t t;
  if (event && strcmp(event, XLOG_EVENT_CHECKPOINT) == 0) {
    log->after_checkpoint = seq + 1;
    if (when && clock_parse_rfc3339(when, &t) == 0)
      log->checkpoint_time = t;
  }
  json_decref(obj);
}

/* 1 when needle (NUL-terminated) occurs in hay[0, len). */
static int contains(const char *hay, size_t len, const char *needle) {
  size_t n = strlen(needle);
  const char *p = hay;
  while (len >= n && (p = memchr(hay, needle[0], len - n + 1)) != NULL) {
    if (memcmp(p, needle, n) == 0)
      return 1;
    len -= (size_t)(p - hay) + 1;
    hay = p + 1;
  }
  return 0;
}

static int take_line(struct gw_xlog *log, const char *line, size_t len,
                     int in_active, struct err_sink *e) {
  size_t window = len < XLOG_MARK_WINDOW ? len : XLOG_MARK_WINDOW;
  uint64_t seq = merkle_size(log->tree);
  if (merkle_append(log->tree, line, len) != 0) {
    (void)text_format(e->buf, e->size, "cannot hash the exchange log %s",
                      log->path);
    return -1;
  }
  if (contains(line, window, XLOG_CHECKPOINT_MARK))
    note_checkpoint_line(log, line, len, seq);
  if (remember_line(log, line, len, in_active) != 0) {
    (void)text_format(e->buf, e->size, "out of memory reading %s", log->path);
    return -1;
  }
  return 0;
}

/* Streams the complete lines of fd[from, to) into the tree. *end gets the
 * offset after the last complete line; bytes after it have no newline. */
static int stream_lines(struct gw_xlog *log, int fd, const char *name,
                        off_t from, off_t to, int in_active, off_t *end,
                        struct err_sink *e) {
  size_t cap = XLOG_BUF_START;
  char *buf = gw_malloc(cap);
  size_t have = 0;
  off_t pos = from; /* file offset of buf[0] */
  int rc = -1;
  *end = from;
  if (!buf) {
    (void)text_format(e->buf, e->size, "out of memory reading %s", name);
    goto out;
  }
  while (pos + (off_t)have < to) {
    size_t want, start = 0;
    ssize_t got;
    char *nl;
    if (have == cap) { /* a line longer than the buffer: grow it */
      size_t bigger = cap * 2 < XLOG_BUF_MAX ? cap * 2 : XLOG_BUF_MAX;
      char *grown = bigger > cap ? gw_realloc(buf, bigger) : NULL;
      if (!grown) {
        (void)text_format(e->buf, e->size, "out of memory reading %s", name);
        goto out;
      }
      buf = grown;
      cap = bigger;
    }
    want = cap - have;
    if ((off_t)want > to - pos - (off_t)have)
      want = (size_t)(to - pos - (off_t)have);
    got = xlog_pread_all(fd, buf + have, want, pos + (off_t)have);
    if (got <= 0) {
      (void)text_format(e->buf, e->size, "cannot read %s: %s", name,
                        got < 0 ? strerror(errno) : "file shrank");
      goto out;
    }
    have += (size_t)got;
    while ((nl = memchr(buf + start, '\n', have - start)) != NULL) {
      size_t len = (size_t)(nl - (buf + start));
      if (take_line(log, buf + start, len, in_active, e) != 0)
        goto out;
      start += len + 1;
    }
    if (have - start > XLOG_MAX_LINE_BYTES) {
      (void)text_format(e->buf, e->size,
                        "%s: the line at byte %lld is longer than %zu bytes;"
                        " run `gateway audit verify`",
                        name, (long long)(pos + (off_t)start),
                        XLOG_MAX_LINE_BYTES);
      goto out;
    }
    memmove(buf, buf + start, have - start);
    pos += (off_t)start;
    have -= start;
    *end = pos;
  }
  rc = 0;
out:
  gw_free(buf);
  return rc;
}

/* The chain continues from the newest line: its hash becomes prev, and
 * its seq must agree with the number of lines, or the file was damaged. */
static int adopt_last_line(struct gw_xlog *log, struct err_sink *e) {
  json_t *obj = NULL;
  json_t *seq;
  const char *when;
  uint64_t lines = merkle_size(log->tree);
  char reason[XLOG_REASON_SIZE];
  log->next_seq = lines;
  log->last_day[0] = '\0';
  if (lines == 0) {
    (void)text_copy(log->prev, sizeof log->prev, XLOG_ZERO_HASH);
    return 0;
  }
  if (sha256_hex(log->last_line, log->last_len, log->prev) != 0) {
    (void)text_format(e->buf, e->size, "cannot hash the last record of %s",
                      log->path);
    return -1;
  }
  obj = json_loadb(log->last_line, log->last_len, 0, NULL);
  seq = json_object_get(obj, "seq");
  when = json_string_value(json_object_get(obj, "time"));
  if (!json_is_integer(seq) || json_integer_value(seq) < 0) {
    (void)text_format(reason, sizeof reason,
                      "exchange log %s ends in a damaged record (record %llu"
                      " is not a JSON object with a \"seq\"); run `gateway"
                      " audit verify` and follow docs/exchange-log.md",
                      log->path, (unsigned long long)lines);
    refuse(log, reason);
  } else if ((uint64_t)json_integer_value(seq) != lines - 1) {
    (void)text_format(reason, sizeof reason,
                      "exchange log %s is damaged: its last record has seq"
                      " %lld but the log (%u closed segments and the active"
                      " file) holds %llu records, so a segment is missing or"
                      " records were removed; run `gateway audit verify` and"
                      " follow docs/exchange-log.md",
                      log->path, (long long)json_integer_value(seq),
                      log->segments, (unsigned long long)lines);
    refuse(log, reason);
  }
  if (log->last_in_active && when && strlen(when) >= XLOG_DAY_SIZE - 1)
    (void)text_format(log->last_day, sizeof log->last_day, "%.10s", when);
  json_decref(obj);
  return 0;
}

static void refuse_torn(struct gw_xlog *log, const char *name, off_t end,
                        off_t size) {
  char reason[XLOG_REASON_SIZE];
  (void)text_format(reason, sizeof reason,
                    "exchange log %s ends in an incomplete record (torn write"
                    " at byte %lld, %lld bytes without a newline): an"
                    " interrupted append; run `gateway audit verify"
                    " --seal-torn` and follow docs/exchange-log.md",
                    name, (long long)end, (long long)(size - end));
  refuse(log, reason);
}

/* Streams a closed segment (path n) completely. */
static int stream_segment(struct gw_xlog *log, unsigned n, struct err_sink *e) {
  char seg[XLOG_PATH_MAX];
  char reason[XLOG_REASON_SIZE];
  struct stat st;
  off_t end = 0;
  int fd = -1;
  int rc = -1;
  if (xlog_segment_path(log->path, n, seg, sizeof seg) != 0) {
    (void)text_format(e->buf, e->size, "exchange log path %s is too long",
                      log->path);
    goto out;
  }
  fd = open(seg, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) != 0) {
    (void)text_format(e->buf, e->size,
                      "cannot open exchange log segment %s:"
                      " %s",
                      seg, strerror(errno));
    goto out;
  }
  if (stream_lines(log, fd, seg, 0, st.st_size, 0, &end, e) != 0)
    goto out;
  if (end != st.st_size) {
    (void)text_format(reason, sizeof reason,
                      "exchange log segment %s ends inside a record (byte"
                      " %lld); closed segments never do: run `gateway audit"
                      " verify` and treat it as an incident",
                      seg, (long long)end);
    refuse(log, reason);
  }
  rc = 0;
out:
  if (fd >= 0)
    close(fd);
  return rc;
}

/* Streams the active file from log->size to its current end; *grew says
 * whether there was anything new. */
static int stream_active(struct gw_xlog *log, int *grew, struct err_sink *e) {
  struct stat st;
  off_t end = log->size;
  *grew = 0;
  if (fstat(log->read_fd, &st) != 0) {
    (void)text_format(e->buf, e->size, "cannot stat exchange log %s: %s",
                      log->path, strerror(errno));
    return -1;
  }
  if (st.st_size < log->size) {
    char reason[XLOG_REASON_SIZE];
    (void)text_format(reason, sizeof reason,
                      "exchange log %s shrank from %lld to %lld bytes while"
                      " open; run `gateway audit verify` and follow"
                      " docs/exchange-log.md",
                      log->path, (long long)log->size, (long long)st.st_size);
    refuse(log, reason);
    return 0;
  }
  *grew = st.st_size > log->size;
  if (!*grew)
    return 0;
  if (stream_lines(log, log->read_fd, log->path, log->size, st.st_size, 1, &end,
                   e) != 0)
    return -1;
  log->size = end;
  if (end != st.st_size)
    refuse_torn(log, log->path, end, st.st_size);
  return 0;
}

/* ---- the active file ----------------------------------------------------- */

static void close_active(struct gw_xlog *log) {
  if (log->fd >= 0)
    close(log->fd);
  if (log->read_fd >= 0)
    close(log->read_fd);
  log->fd = -1;
  log->read_fd = -1;
}

/* Opens (creating) "<path>" for appending and reading; both descriptors
 * must be the same file. */
static int open_active(struct gw_xlog *log, struct err_sink *e) {
  struct stat wst, rst;
  log->fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log->fd < 0 || fstat(log->fd, &wst) != 0) {
    (void)text_format(e->buf, e->size, "cannot open exchange log %s: %s",
                      log->path, strerror(errno));
    return -1;
  }
  log->regular = S_ISREG(wst.st_mode);
  if (!log->regular)
    return 0;
  log->read_fd = open(log->path, O_RDONLY | O_CLOEXEC);
  if (log->read_fd < 0 || fstat(log->read_fd, &rst) != 0) {
    (void)text_format(e->buf, e->size, "cannot open %s for reading: %s",
                      log->path, strerror(errno));
    return -1;
  }
  if (rst.st_dev != wst.st_dev || rst.st_ino != wst.st_ino) {
    (void)text_format(e->buf, e->size,
                      "exchange log %s was replaced while being opened",
                      log->path);
    return -1;
  }
  log->dev = wst.st_dev;
  log->ino = wst.st_ino;
  log->size = 0;
  return 0;
}

/* Everything from the first segment on, into a fresh state. */
static int rebuild_from_disk(struct gw_xlog *log, struct err_sink *e) {
  int grew = 0;
  merkle_reset(log->tree);
  log->after_checkpoint = 0;
  log->checkpoint_time = time(NULL);
  log->size = 0;
  log->last_len = 0;
  log->segments = xlog_segment_count(log->path);
  for (unsigned n = 1; n <= log->segments; n++) {
    if (stream_segment(log, n, e) != 0)
      return -1;
  }
  if (stream_active(log, &grew, e) != 0)
    return -1;
  return adopt_last_line(log, e);
}

/* Another process closed our active file as a segment: take the rest of
 * it, any later segments and the new active file. */
static int follow_rotation(struct gw_xlog *log, struct err_sink *e) {
  char seg[XLOG_PATH_MAX];
  struct stat st, old;
  off_t end = log->size;
  unsigned n = log->segments + 1;
  int grew = 0;
  if (fstat(log->read_fd, &old) != 0 ||
      xlog_segment_path(log->path, n, seg, sizeof seg) != 0 ||
      stat(seg, &st) != 0 || st.st_ino != log->ino || st.st_dev != log->dev) {
    /* Not the rename we expected: start over from the first segment. */
    close_active(log);
    return open_active(log, e) == 0 ? rebuild_from_disk(log, e) : -1;
  }
  if (old.st_size > log->size && stream_lines(log, log->read_fd, seg, log->size,
                                              old.st_size, 0, &end, e) != 0)
    return -1;
  log->segments = n;
  while (xlog_segment_path(log->path, log->segments + 1, seg, sizeof seg) ==
             0 &&
         stat(seg, &st) == 0) {
    if (stream_segment(log, log->segments + 1, e) != 0)
      return -1;
    log->segments++;
  }
  close_active(log);
  if (open_active(log, e) != 0 || stream_active(log, &grew, e) != 0)
    return -1;
  return adopt_last_line(log, e);
}

/* Brings seq, prev and the tree up to what is on disk now. Called with the
 * lock file held. */
static int sync_with_disk(struct gw_xlog *log, struct err_sink *e) {
  struct stat st;
  int grew = 0;
  if (!log->regular)
    return 0;
  if (stat(log->path, &st) != 0 || st.st_ino != log->ino ||
      st.st_dev != log->dev)
    return follow_rotation(log, e);
  if (stream_active(log, &grew, e) != 0)
    return -1;
  /* Only lines another process appended move the chain on; our own
   * appends already did. */
  return grew ? adopt_last_line(log, e) : 0;
}

/* ---- open / close ----------------------------------------------------- */

static int copy_options(struct gw_xlog *log, const struct gw_xlog_options *o,
                        struct err_sink *e) {
  char why[512];
  log->origin = gw_strdup(o && o->origin ? o->origin : XLOG_DEFAULT_ORIGIN);
  log->checkpoint_file =
      o && o->checkpoint_file ? gw_strdup(o->checkpoint_file) : NULL;
  if (!log->origin || (o && o->checkpoint_file && !log->checkpoint_file)) {
    (void)text_format(e->buf, e->size, "out of memory opening %s", log->path);
    return -1;
  }
  log->checkpoint_every = o && o->checkpoint_every
                              ? o->checkpoint_every
                              : XLOG_DEFAULT_CHECKPOINT_EVERY;
  log->checkpoint_interval_s = o && o->checkpoint_interval_s > 0
                                   ? o->checkpoint_interval_s
                                   : XLOG_DEFAULT_CHECKPOINT_INTERVAL_S;
  log->rotate_bytes = o ? o->rotate_bytes : 0;
  log->rotate_daily = o ? o->rotate_daily : 0;
  log->no_sync = o ? o->no_sync : 0;
  if (!note_name_valid(log->origin, strlen(log->origin))) {
    (void)text_format(e->buf, e->size,
                      "audit.origin '%s' cannot name a key: it must be"
                      " non-empty, without white space or '+'",
                      log->origin);
    return -1;
  }
  if (o && o->signing_key &&
      audit_signer_load(o->signing_key, log->origin, &log->signer, why,
                        sizeof why) != 0) {
    (void)text_copy(e->buf, e->size, why);
    return -1;
  }
  return 0;
}

static void free_log(struct gw_xlog *log) {
  if (!log)
    return;
  close_active(log);
  if (log->lock_fd >= 0)
    close(log->lock_fd);
  note_signer_free(log->signer);
  merkle_free(log->tree);
  gw_free(log->last_line);
  gw_free(log->origin);
  gw_free(log->checkpoint_file);
  gw_free(log->path);
  gw_free(log);
}

/* A path that exists and is no regular file (a device such as /dev/full)
 * is written to as a stream: no lock file, no tree, no checkpoints. */
static int is_special_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

static int open_lock_file(struct gw_xlog *log, struct err_sink *e) {
  char lock_path[XLOG_PATH_MAX];
  if (xlog_lock_path(log->path, lock_path, sizeof lock_path) != 0) {
    (void)text_format(e->buf, e->size, "exchange log path %s is too long",
                      log->path);
    return -1;
  }
  log->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (log->lock_fd < 0) {
    (void)text_format(e->buf, e->size, "cannot open the lock file %s: %s",
                      lock_path, strerror(errno));
    return -1;
  }
  return 0;
}

int xlog_open_with(const char *path, const struct gw_xlog_options *opts,
                   struct gw_xlog **out, char *err, size_t err_size) {
  struct err_sink e;
  struct gw_xlog *log = NULL;
  int locked = 0;
  int mutex_ready = 0;
  int rc = -1;
  err_sink_init(&e, err, err_size);
  if (!path || !*path || !out) {
    (void)text_copy(e.buf, e.size, "xlog_open: no path given");
    goto out;
  }
  *out = NULL;
  log = gw_calloc(1, sizeof *log);
  if (!log) {
    (void)text_format(e.buf, e.size, "out of memory opening %s", path);
    goto out;
  }
  log->fd = log->read_fd = log->lock_fd = -1;
  (void)text_copy(log->prev, sizeof log->prev, XLOG_ZERO_HASH);
  if (!(log->path = gw_strdup(path)) || !(log->tree = merkle_new())) {
    (void)text_format(e.buf, e.size, "out of memory opening %s", path);
    goto out;
  }
  if (copy_options(log, opts, &e) != 0)
    goto out;
  if (fs_mkdirs_parent(path, 0750, e.buf, e.size) != 0)
    goto out;
  if (!is_special_file(path)) {
    if (open_lock_file(log, &e) != 0)
      goto out;
    /* Another process may be half-way through an append or a rotation. */
    if (xlog_flock(log->lock_fd, LOCK_EX) != 0) {
      (void)text_format(e.buf, e.size, "cannot lock %s: %s", path,
                        strerror(errno));
      goto out;
    }
    locked = 1;
  }
  if (open_active(log, &e) != 0)
    goto out;
  if (log->regular) {
    if (rebuild_from_disk(log, &e) != 0)
      goto out;
    if (log->size == 0 && xlog_sync_dir_of(path, e.buf, e.size) != 0)
      goto out;
  }
  if (pthread_mutex_init(&log->lock, NULL) != 0) {
    (void)text_format(e.buf, e.size, "cannot create a mutex for %s", path);
    goto out;
  }
  mutex_ready = 1;
  /* Opening succeeds on a torn tail so `audit verify` and the operator
   * can see it; the warning is handed back and appends stay refused. */
  (void)text_copy(e.buf, e.size, log->refusal);
  *out = log;
  rc = 0;
out:
  if (locked)
    unlock_file(log->lock_fd);
  if (rc != 0) {
    if (mutex_ready)
      pthread_mutex_destroy(&log->lock);
    free_log(log);
  }
  return rc;
}

int xlog_open(const char *path, struct gw_xlog **out, char *err,
              size_t err_size) {
  return xlog_open_with(path, NULL, out, err, err_size);
}

uint64_t xlog_next_seq(const struct gw_xlog *log) {
  /* The mutex is not part of the log's logical state. */
  pthread_mutex_t *lock = (pthread_mutex_t *)&log->lock;
  uint64_t seq;
  pthread_mutex_lock(lock);
  seq = log->next_seq;
  pthread_mutex_unlock(lock);
  return seq;
}

unsigned xlog_segments(const struct gw_xlog *log) {
  pthread_mutex_t *lock = (pthread_mutex_t *)&log->lock;
  unsigned n;
  pthread_mutex_lock(lock);
  n = log->segments;
  pthread_mutex_unlock(lock);
  return n;
}

/* ---- building and writing one line ------------------------------------ */

static int check_caller_record(const json_t *record, int owned,
                               struct err_sink *e) {
  static const char *const reserved[] = {"seq", "time", "prev"};
  static const char *const own_events[] = {XLOG_EVENT_CHECKPOINT,
                                           XLOG_EVENT_TORN_TAIL};
  const char *event;
  if (!json_is_object(record)) {
    (void)text_copy(e->buf, e->size,
                    "exchange log record must be a JSON object");
    return -1;
  }
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
    if (json_object_get(record, reserved[i])) {
      (void)text_format(e->buf, e->size,
                        "exchange log record must not set \"%s\"; the log"
                        " assigns it",
                        reserved[i]);
      return -1;
    }
  }
  event = json_string_value(json_object_get(record, "event"));
  for (size_t i = 0; !owned && event && i < 2; i++) {
    if (strcmp(event, own_events[i]) == 0) {
      (void)text_format(e->buf, e->size,
                        "exchange log event \"%s\" is written by the log"
                        " itself",
                        event);
      return -1;
    }
  }
  return 0;
}

/* The new line's object: seq, time, prev first, then the caller's fields
 * in their insertion order. */
static json_t *build_line_object(struct gw_xlog *log, const json_t *record,
                                 const char *now) {
  /* jansson's iterator API takes a non-const object but does not change
   * it; the caller's record is only referenced, never modified. */
  json_t *src = (json_t *)record;
  json_t *obj = json_object();
  if (!obj)
    goto fail;
  if (json_object_set_new(obj, "seq",
                          json_integer((json_int_t)log->next_seq)) ||
      json_object_set_new(obj, "time", json_string(now)) ||
      json_object_set_new(obj, "prev", json_string(log->prev)))
    goto fail;
  for (void *it = json_object_iter(src); it;
       it = json_object_iter_next(src, it)) {
    if (json_object_set(obj, json_object_iter_key(it),
                        json_object_iter_value(it)) != 0)
      goto fail;
  }
  return obj;
fail:
  json_decref(obj);
  return NULL;
}

/* Serialises obj as one line plus '\n' into a gw_malloc'ed buffer. */
static char *serialise_line(const json_t *obj, size_t *line_len) {
  const size_t flags = JSON_COMPACT | JSON_ENSURE_ASCII;
  size_t need = json_dumpb(obj, NULL, 0, flags);
  char *buf;
  if (need == 0 || need > XLOG_MAX_LINE_BYTES)
    return NULL;
  buf = gw_malloc(need + 1);
  if (!buf)
    return NULL;
  if (json_dumpb(obj, buf, need, flags) != need ||
      memchr(buf, '\n', need) != NULL) {
    gw_free(buf);
    return NULL;
  }
  buf[need] = '\n';
  *line_len = need;
  return buf;
}

/* The record as its line (with "\n"), numbered next; NULL with err. */
static char *make_line(struct gw_xlog *log, const json_t *record,
                       const char *now, size_t *line_len, struct err_sink *e) {
  json_t *obj = build_line_object(log, record, now);
  char *line = obj ? serialise_line(obj, line_len) : NULL;
  json_decref(obj);
  if (!line)
    (void)text_format(e->buf, e->size,
                      "cannot serialise exchange log record %llu for %s (out"
                      " of memory or larger than %zu bytes)",
                      (unsigned long long)log->next_seq, log->path,
                      XLOG_MAX_LINE_BYTES);
  return line;
}

/* A failed append must not leave half a record behind: it would look like
 * a torn write and block every later append. */
static void roll_back(struct gw_xlog *log, off_t size_before, size_t written,
                      int sync_failed) {
  char reason[XLOG_REASON_SIZE];
  int truncated = 0;
  if (written == 0 && !sync_failed)
    return;
  if (log->regular && ftruncate(log->fd, size_before) == 0)
    truncated = 1;
  if (truncated && !sync_failed)
    return;
  /* After a failed fsync the kernel may already have dropped the dirty
   * pages, so earlier records are not known to be durable either. */
  (void)text_format(reason, sizeof reason,
                    "exchange log %s is unusable after a failed %s%s; restart"
                    " the gateway, then run `gateway audit verify`",
                    log->path, sync_failed ? "fsync" : "write",
                    truncated ? "" : " that could not be rolled back");
  refuse(log, reason);
}

/* Writes line (line_len bytes plus its "\n") and moves the state on. */
static int write_line(struct gw_xlog *log, const char *line, size_t line_len,
                      const char *now, struct err_sink *e) {
  char hash[GW_SHA256_HEX_SIZE];
  size_t written = 0;
  if (sha256_hex(line, line_len, hash) != 0) {
    (void)text_format(e->buf, e->size, "cannot hash exchange log record for %s",
                      log->path);
    return -1;
  }
  if (xlog_write_all(log->fd, line, line_len + 1, &written) != 0) {
    int saved = errno;
    roll_back(log, log->size, written, 0);
    (void)text_format(
        e->buf, e->size, "cannot write record %llu to exchange log %s: %s",
        (unsigned long long)log->next_seq, log->path, strerror(saved));
    return -1;
  }
  if (!log->no_sync && fdatasync(log->fd) != 0) {
    int saved = errno;
    roll_back(log, log->size, written, 1);
    (void)text_format(
        e->buf, e->size, "cannot sync record %llu to exchange log %s: %s",
        (unsigned long long)log->next_seq, log->path, strerror(saved));
    return -1;
  }
  /* The record is on disk now; a tree that missed it would sign a wrong
   * root, so a hashing failure stops all later appends instead. */
  if (log->regular && (merkle_append(log->tree, line, line_len) != 0 ||
                       remember_line(log, line, line_len, 1) != 0))
    refuse(log, "exchange log: cannot take a record into the Merkle tree"
                " (out of memory?); restart the gateway");
  log->next_seq++;
  (void)text_copy(log->prev, sizeof log->prev, hash);
  if (log->regular)
    log->size += (off_t)written;
  (void)text_format(log->last_day, sizeof log->last_day, "%.10s", now);
  return 0;
}

/* ---- checkpoints -------------------------------------------------------- */

/* Appends the note to the checkpoint file, one note after another with a
 * blank line between them (xlog_note_file.c). */
static int append_note_to_file(struct gw_xlog *log, const char *note,
                               size_t note_len, struct err_sink *e) {
  if (!log->checkpoint_file)
    return 0;
  return xlog_note_file_append(log->checkpoint_file, note, note_len,
                               log->signer != NULL, log->no_sync, e->buf,
                               e->size);
}

/* The signed (or, without a key, unsigned) note for the records so far. */
static int make_note(struct gw_xlog *log, char **note, size_t *note_len,
                     unsigned char root[GW_MERKLE_HASH_SIZE],
                     struct err_sink *e) {
  char body[NOTE_NAME_MAX + 96];
  *note = NULL;
  if (merkle_root(log->tree, root) != 0 ||
      note_checkpoint_format(log->origin, merkle_size(log->tree), root, body,
                             sizeof body) != 0) {
    (void)text_format(e->buf, e->size, "cannot compute the checkpoint of %s",
                      log->path);
    return -1;
  }
  if (log->signer) {
    if (note_sign(log->signer, body, strlen(body), note, note_len) != 0) {
      (void)text_format(e->buf, e->size, "cannot sign the checkpoint of %s",
                        log->path);
      return -1;
    }
    return 0;
  }
  *note = gw_strdup(body);
  *note_len = strlen(body);
  if (!*note) {
    (void)text_format(e->buf, e->size, "out of memory writing a checkpoint");
    return -1;
  }
  return 0;
}

static json_t *
checkpoint_record(struct gw_xlog *log, const char *note,
                  const unsigned char root[GW_MERKLE_HASH_SIZE]) {
  char root64[64];
  char key_id[9];
  json_t *rec = NULL;
  if (note_b64_encode(root, GW_MERKLE_HASH_SIZE, root64, sizeof root64) != 0)
    return NULL;
  rec = json_object();
  if (!rec ||
      json_object_set_new(rec, "event", json_string(XLOG_EVENT_CHECKPOINT)) ||
      json_object_set_new(rec, "size",
                          json_integer((json_int_t)merkle_size(log->tree))) ||
      json_object_set_new(rec, "root", json_string(root64)) ||
      json_object_set_new(rec, "origin", json_string(log->origin)))
    goto fail;
  if (log->signer) {
    (void)text_format(key_id, sizeof key_id, "%08x",
                      (unsigned)note_signer_key_id(log->signer));
    if (json_object_set_new(rec, "key_id", json_string(key_id)))
      goto fail;
  }
  if (json_object_set_new(rec, "note", json_string(note)))
    goto fail;
  return rec;
fail:
  json_decref(rec);
  return NULL;
}

/* Writes a checkpoint record for all records so far, then its note to the
 * checkpoint file. Called with both locks held and the state in sync. */
static int write_checkpoint(struct gw_xlog *log, struct err_sink *e) {
  unsigned char root[GW_MERKLE_HASH_SIZE];
  char now[40];
  char *note = NULL;
  size_t note_len = 0, line_len = 0;
  char *line = NULL;
  json_t *rec = NULL;
  int rc = -1;
  if (make_note(log, &note, &note_len, root, e) != 0)
    goto out;
  rec = checkpoint_record(log, note, root);
  if (!rec || clock_now_rfc3339(now, sizeof now) != 0) {
    (void)text_format(e->buf, e->size, "cannot build the checkpoint of %s",
                      log->path);
    goto out;
  }
  line = make_line(log, rec, now, &line_len, e);
  if (!line || write_line(log, line, line_len, now, e) != 0)
    goto out;
  log->after_checkpoint = log->next_seq;
  log->checkpoint_time = time(NULL);
  log->dirty = 0;
  /* The note vouches only for records that are already on disk, so the
   * file may lag the log after a crash but never runs ahead of it. */
  if (append_note_to_file(log, note, note_len, e) != 0)
    goto out;
  rc = 0;
out:
  gw_free(line);
  json_decref(rec);
  gw_free(note);
  return rc;
}

static int checkpoint_due(const struct gw_xlog *log) {
  uint64_t since = log->next_seq - log->after_checkpoint;
  if (!log->regular || since == 0 || log->refusal[0])
    return 0;
  return since >= log->checkpoint_every ||
         time(NULL) - log->checkpoint_time >= log->checkpoint_interval_s;
}

/* ---- segments -------------------------------------------------------- */

static int rotation_due(const struct gw_xlog *log, size_t line_len,
                        const char *now) {
  if (!log->regular || log->rotate_failed || log->size == 0)
    return 0;
  if (log->rotate_bytes &&
      (uint64_t)log->size + line_len + 1 > log->rotate_bytes)
    return 1;
  return log->rotate_daily && log->last_day[0] &&
         strncmp(now, log->last_day, XLOG_DAY_SIZE - 1) != 0;
}

/* Closes the active file with a checkpoint and renames it to the next
 * segment; the chain and the tree go on in a new, empty active file. */
static int rotate(struct gw_xlog *log, struct err_sink *e) {
  char seg[XLOG_PATH_MAX];
  char why[XLOG_REASON_SIZE];
  if (records_since_checkpoint(log) && write_checkpoint(log, e) != 0)
    return -1;
  if (fsync(log->fd) != 0) {
    (void)text_format(e->buf, e->size, "cannot sync exchange log %s: %s",
                      log->path, strerror(errno));
    return -1;
  }
  if (xlog_segment_path(log->path, log->segments + 1, seg, sizeof seg) != 0 ||
      rename(log->path, seg) != 0) {
    /* Rotation is housekeeping: the exchange goes on in one file. */
    diag(GW_LOG_WARN,
         "exchange log %s: cannot start a new segment (%s); writing on in"
         " one file until the gateway restarts",
         log->path, strerror(errno));
    log->rotate_failed = 1;
    return 0;
  }
  log->segments++;
  close_active(log);
  if (xlog_sync_dir_of(log->path, why, sizeof why) != 0 ||
      open_active(log, e) != 0 ||
      xlog_sync_dir_of(log->path, why, sizeof why) != 0) {
    if (!e->buf[0])
      (void)text_copy(e->buf, e->size, why);
    refuse(log, e->buf);
    return -1;
  }
  log->last_day[0] = '\0';
  return 0;
}

/* ---- append ----------------------------------------------------------- */

static int append_locked(struct gw_xlog *log, const json_t *record,
                         struct err_sink *e) {
  char now[40];
  char *line = NULL;
  size_t line_len = 0;
  int rc = -1;
  if (sync_with_disk(log, e) != 0)
    goto out;
  if (log->refusal[0]) {
    (void)text_copy(e->buf, e->size, log->refusal);
    goto out;
  }
  if (clock_now_rfc3339(now, sizeof now) != 0) {
    (void)text_copy(e->buf, e->size, "cannot read the clock");
    goto out;
  }
  line = make_line(log, record, now, &line_len, e);
  if (!line)
    goto out;
  if (rotation_due(log, line_len, now)) {
    gw_free(line);
    line = NULL;
    if (rotate(log, e) != 0)
      goto out;
    line = make_line(log, record, now, &line_len, e); /* new seq and prev */
    if (!line)
      goto out;
  }
  if (write_line(log, line, line_len, now, e) != 0)
    goto out;
  log->dirty = 1;
  rc = 0;
  if (checkpoint_due(log)) {
    struct err_sink cp;
    char why[XLOG_REASON_SIZE];
    err_sink_init(&cp, why, sizeof why);
    if (write_checkpoint(log, &cp) != 0)
      diag(GW_LOG_WARN, "exchange log checkpoint: %s", why);
  }
out:
  gw_free(line);
  return rc;
}

/* Runs fn with the mutex and (for a regular file) the lock file held. */
static int with_locks(struct gw_xlog *log,
                      int (*fn)(struct gw_xlog *, const json_t *,
                                struct err_sink *),
                      const json_t *record, struct err_sink *e) {
  int rc = -1;
  pthread_mutex_lock(&log->lock);
  /* flock also serialises against other processes sharing this log. */
  if (log->lock_fd >= 0 && xlog_flock(log->lock_fd, LOCK_EX) != 0) {
    (void)text_format(e->buf, e->size, "cannot lock exchange log %s: %s",
                      log->path, strerror(errno));
    goto out;
  }
  rc = fn(log, record, e);
  if (log->lock_fd >= 0)
    unlock_file(log->lock_fd);
out:
  pthread_mutex_unlock(&log->lock);
  return rc;
}

static int append_checked(struct gw_xlog *log, const json_t *record, int owned,
                          char *err, size_t err_size) {
  struct err_sink e;
  err_sink_init(&e, err, err_size);
  if (!log) {
    (void)text_copy(e.buf, e.size, "xlog_append: no exchange log open");
    return -1;
  }
  if (check_caller_record(record, owned, &e) != 0)
    return -1;
  return with_locks(log, append_locked, record, &e);
}

int xlog_append(struct gw_xlog *log, const json_t *record, char *err,
                size_t err_size) {
  return append_checked(log, record, 0, err, err_size);
}

int xlog_append_owned(struct gw_xlog *log, const json_t *record, char *err,
                      size_t err_size) {
  return append_checked(log, record, 1, err, err_size);
}

static int checkpoint_locked(struct gw_xlog *log, const json_t *unused,
                             struct err_sink *e) {
  (void)unused;
  if (!log->regular)
    return 0;
  if (sync_with_disk(log, e) != 0)
    return -1;
  if (log->refusal[0]) {
    (void)text_copy(e->buf, e->size, log->refusal);
    return -1;
  }
  if (!records_since_checkpoint(log)) {
    log->dirty = 0;
    return 0;
  }
  return write_checkpoint(log, e);
}

int xlog_checkpoint(struct gw_xlog *log, char *err, size_t err_size) {
  struct err_sink e;
  err_sink_init(&e, err, err_size);
  if (!log) {
    (void)text_copy(e.buf, e.size, "xlog_checkpoint: no exchange log open");
    return -1;
  }
  return with_locks(log, checkpoint_locked, NULL, &e);
}

void xlog_close(struct gw_xlog *log) {
  char why[XLOG_REASON_SIZE];
  if (!log)
    return;
  if (log->dirty && log->regular && !log->refusal[0] &&
      xlog_checkpoint(log, why, sizeof why) != 0)
    diag(GW_LOG_WARN, "exchange log %s: no closing checkpoint: %s", log->path,
         why);
  pthread_mutex_destroy(&log->lock);
  free_log(log);
}
