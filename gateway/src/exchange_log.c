/*
 * exchange_log.c - append-only, hash-chained JSON Lines log (DESIGN 8).
 *
 * Format, chain and the torn-line policy are described for auditors in
 * docs/exchange-log.md; keep the two in step.
 */
#include "exchange_log.h"
#include "fsutil.h"
#include "digest.h"
#include "gw_alloc.h"
#include "text.h"
#include <ctype.h>
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

/* Records are small (a few hundred bytes); anything near this is a bug or
 * a damaged file, and refusing it keeps memory bounded. */
#define XLOG_MAX_LINE_BYTES ((size_t)1 << 20)
#define XLOG_TAIL_CHUNK 4096
#define XLOG_REASON_SIZE 1024

static const char XLOG_ZERO_HASH[GW_SHA256_HEX_SIZE] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct gw_xlog {
  pthread_mutex_t lock;
  int fd;      /* O_WRONLY|O_APPEND: all appends */
  int read_fd; /* O_RDONLY: tail re-reads; -1 for non-regular files */
  int regular; /* a regular file (not e.g. a character device) */
  char *path;
  uint64_t next_seq;
  char prev[GW_SHA256_HEX_SIZE];
  off_t size; /* file size after our last successful append */
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

/* ---- small I/O helpers ------------------------------------------------ */

static ssize_t pread_full(int fd, void *buf, size_t len, off_t offset) {
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

/* Writes everything or fails; *written says how much reached the file so a
 * caller can tell whether a partial record needs rolling back. */
static int write_full(int fd, const char *buf, size_t len, size_t *written) {
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

static int lock_file(int fd) {
  while (flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR)
      return -1;
  }
  return 0;
}

static void unlock_file(int fd) {
  (void)flock(fd, LOCK_UN);
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path, struct err_sink *e) {
  return fs_mkdirs_parent(path, 0750, e->buf, e->size);
}

/* A newly created log only survives a crash once its directory entry is on
 * disk too. */
static int sync_parent_dir(const char *path, struct err_sink *e) {
  char *dir = gw_strdup(path);
  char *slash;
  int dfd = -1;
  int rc = -1;
  if (!dir) {
    (void)text_format(e->buf, e->size, "out of memory opening %s", path);
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
    (void)text_format(e->buf, e->size, "cannot sync directory %s: %s", dir,
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

/* ---- reading the tail ------------------------------------------------ */

/* Offset just after the last '\n' before end, or 0 when there is none.
 * Reads backwards in small chunks so a big log is never read whole. */
static int find_line_start(int fd, off_t end, off_t *start) {
  char chunk[XLOG_TAIL_CHUNK];
  off_t pos = end;
  while (pos > 0) {
    size_t want = pos < (off_t)sizeof chunk ? (size_t)pos : sizeof chunk;
    off_t from = pos - (off_t)want;
    if (pread_full(fd, chunk, want, from) != (ssize_t)want)
      return -1;
    for (size_t i = want; i > 0; i--) {
      if (chunk[i - 1] == '\n') {
        *start = from + (off_t)i;
        return 0;
      }
    }
    if ((size_t)(end - from) > XLOG_MAX_LINE_BYTES) {
      errno = EFBIG;
      return -1;
    }
    pos = from;
  }
  *start = 0;
  return 0;
}

static void refuse(struct gw_xlog *log, const char *why) {
  (void)text_copy(log->refusal, sizeof log->refusal, why);
}

/* Parses the last complete line [start, end) (end excludes the '\n') and
 * takes its seq and hash as the chain state. A line that is no valid
 * record leaves the log refusing appends rather than failing open, so the
 * operator gets the same guidance as for a torn line. */
static int adopt_last_line(struct gw_xlog *log, off_t start, off_t end,
                           struct err_sink *e) {
  size_t len = (size_t)(end - start);
  char *line = NULL;
  json_t *obj = NULL;
  json_t *seq;
  char reason[XLOG_REASON_SIZE];
  int rc = -1;
  if (len > XLOG_MAX_LINE_BYTES) {
    (void)text_format(e->buf, e->size,
                      "exchange log %s: last record at byte %lld is %zu bytes,"
                      " more than the %zu allowed",
                      log->path, (long long)start, len, XLOG_MAX_LINE_BYTES);
    goto out;
  }
  line = gw_malloc(len + 1);
  if (!line) {
    (void)text_format(e->buf, e->size, "out of memory reading %s", log->path);
    goto out;
  }
  if (pread_full(log->read_fd, line, len, start) != (ssize_t)len) {
    (void)text_format(e->buf, e->size, "cannot read the last record of %s: %s",
                      log->path, strerror(errno));
    goto out;
  }
  if (sha256_hex(line, len, log->prev) != 0) {
    (void)text_format(e->buf, e->size, "cannot hash the last record of %s",
                      log->path);
    goto out;
  }
  obj = json_loadb(line, len, 0, NULL);
  seq = json_is_object(obj) ? json_object_get(obj, "seq") : NULL;
  if (!json_is_integer(seq) || json_integer_value(seq) < 0) {
    (void)text_format(reason, sizeof reason,
                      "exchange log %s ends in a damaged record (byte %lld is"
                      " not a JSON object with a \"seq\"); run `gateway audit"
                      " verify` and follow docs/exchange-log.md",
                      log->path, (long long)start);
    refuse(log, reason);
    rc = 0;
    goto out;
  }
  log->next_seq = (uint64_t)json_integer_value(seq) + 1;
  rc = 0;
out:
  json_decref(obj);
  gw_free(line);
  return rc;
}

/* Sets seq, prev and size from the file's current tail (size bytes). */
static int read_tail(struct gw_xlog *log, off_t size, struct err_sink *e) {
  char last = '\0';
  off_t end = size; /* one past the '\n' of the last complete line */
  off_t start;
  char reason[XLOG_REASON_SIZE];
  log->next_seq = 0;
  (void)text_copy(log->prev, sizeof log->prev, XLOG_ZERO_HASH);
  log->size = size;
  if (size == 0)
    return 0;
  if (pread_full(log->read_fd, &last, 1, size - 1) != 1)
    goto io_error;
  if (last != '\n') {
    if (find_line_start(log->read_fd, size, &end) != 0)
      goto io_error;
    (void)text_format(reason, sizeof reason,
                      "exchange log %s ends in an incomplete record (torn"
                      " write at byte %lld); run `gateway audit verify` and"
                      " follow docs/exchange-log.md",
                      log->path, (long long)end);
    refuse(log, reason);
    if (end == 0)
      return 0;
  }
  if (find_line_start(log->read_fd, end - 1, &start) != 0)
    goto io_error;
  return adopt_last_line(log, start, end - 1, e);
io_error:
  (void)text_format(e->buf, e->size, "cannot read the end of %s: %s", log->path,
                    strerror(errno));
  return -1;
}

/* ---- open / close ----------------------------------------------------- */

static int open_read_side(struct gw_xlog *log, const struct stat *wst,
                          struct err_sink *e) {
  struct stat rst;
  log->read_fd = open(log->path, O_RDONLY | O_CLOEXEC);
  if (log->read_fd < 0 || fstat(log->read_fd, &rst) != 0) {
    (void)text_format(e->buf, e->size, "cannot open %s for reading: %s",
                      log->path, strerror(errno));
    return -1;
  }
  if (rst.st_dev != wst->st_dev || rst.st_ino != wst->st_ino) {
    (void)text_format(e->buf, e->size,
                      "exchange log %s was replaced while being opened",
                      log->path);
    return -1;
  }
  return 0;
}

int xlog_open(const char *path, struct gw_xlog **out, char *err,
              size_t err_size) {
  struct err_sink e;
  struct gw_xlog *log = NULL;
  struct stat st;
  int locked_fd = -1;
  int rc = -1;
  err_sink_init(&e, err, err_size);
  if (!path || !*path || !out) {
    (void)text_copy(e.buf, e.size, "xlog_open: no path given");
    goto out;
  }
  *out = NULL;
  log = gw_calloc(1, sizeof *log);
  if (!log || !(log->path = gw_strdup(path))) {
    (void)text_format(e.buf, e.size, "out of memory opening %s", path);
    goto out;
  }
  log->fd = -1;
  log->read_fd = -1;
  if (make_parent_dirs(path, &e) != 0)
    goto out;
  log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log->fd < 0 || fstat(log->fd, &st) != 0) {
    (void)text_format(e.buf, e.size, "cannot open exchange log %s: %s", path,
                      strerror(errno));
    goto out;
  }
  log->regular = S_ISREG(st.st_mode);
  (void)text_copy(log->prev, sizeof log->prev, XLOG_ZERO_HASH);
  if (log->regular) {
    if (open_read_side(log, &st, &e) != 0)
      goto out;
    /* Another process may be half-way through an append. */
    if (lock_file(log->fd) != 0) {
      (void)text_format(e.buf, e.size, "cannot lock %s: %s", path,
                        strerror(errno));
      goto out;
    }
    locked_fd = log->fd;
    if (fstat(log->fd, &st) != 0) {
      (void)text_format(e.buf, e.size, "cannot stat %s: %s", path,
                        strerror(errno));
      goto out;
    }
    if (read_tail(log, st.st_size, &e) != 0)
      goto out;
    if (st.st_size == 0 && sync_parent_dir(path, &e) != 0)
      goto out;
  }
  if (pthread_mutex_init(&log->lock, NULL) != 0) {
    (void)text_format(e.buf, e.size, "cannot create a mutex for %s", path);
    goto out;
  }
  /* Opening succeeds on a torn tail so `audit verify` and the operator
   * can see it; the warning is handed back and appends stay refused. */
  (void)text_copy(e.buf, e.size, log->refusal);
  *out = log;
  log = NULL;
  rc = 0;
out:
  if (locked_fd >= 0)
    unlock_file(locked_fd);
  if (log) {
    if (log->fd >= 0)
      close(log->fd);
    if (log->read_fd >= 0)
      close(log->read_fd);
    gw_free(log->path);
    gw_free(log);
  }
  return rc;
}

void xlog_close(struct gw_xlog *log) {
  if (!log)
    return;
  pthread_mutex_destroy(&log->lock);
  close(log->fd);
  if (log->read_fd >= 0)
    close(log->read_fd);
  gw_free(log->path);
  gw_free(log);
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

/* ---- append ----------------------------------------------------------- */

static int format_now(char *buf, size_t size) {
  struct timespec ts;
  struct tm tm;
  char secs[32];
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm))
    return -1;
  if (strftime(secs, sizeof secs, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    return -1;
  return text_format(buf, size, "%s.%03ldZ", secs, ts.tv_nsec / 1000000L);
}

static int check_caller_record(const json_t *record, struct err_sink *e) {
  static const char *const reserved[] = {"seq", "time", "prev"};
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
  return 0;
}

/* The new line's object: seq, time, prev first, then the caller's fields
 * in their insertion order. */
static json_t *build_line_object(struct gw_xlog *log, const json_t *record) {
  /* jansson's iterator API takes a non-const object but does not change
   * it; the caller's record is only referenced, never modified. */
  json_t *src = (json_t *)record;
  json_t *obj = json_object();
  char now[40];
  if (!obj || format_now(now, sizeof now) != 0)
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

/* Another process appended since our last write: continue its chain. */
static int catch_up_with_file(struct gw_xlog *log, struct err_sink *e) {
  struct stat st;
  if (!log->regular)
    return 0;
  if (fstat(log->fd, &st) != 0) {
    (void)text_format(e->buf, e->size, "cannot stat exchange log %s: %s",
                      log->path, strerror(errno));
    return -1;
  }
  if (st.st_size == log->size)
    return 0;
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
  return read_tail(log, st.st_size, e);
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

static int append_locked(struct gw_xlog *log, const json_t *record,
                         struct err_sink *e) {
  json_t *obj = NULL;
  char *line = NULL;
  size_t line_len = 0;
  size_t written = 0;
  char hash[GW_SHA256_HEX_SIZE];
  int rc = -1;
  if (catch_up_with_file(log, e) != 0)
    goto out;
  if (log->refusal[0]) {
    (void)text_copy(e->buf, e->size, log->refusal);
    goto out;
  }
  obj = build_line_object(log, record);
  line = obj ? serialise_line(obj, &line_len) : NULL;
  if (!line) {
    (void)text_format(e->buf, e->size,
                      "cannot serialise exchange log record %llu for %s (out"
                      " of memory or larger than %zu bytes)",
                      (unsigned long long)log->next_seq, log->path,
                      XLOG_MAX_LINE_BYTES);
    goto out;
  }
  if (sha256_hex(line, line_len, hash) != 0) {
    (void)text_format(e->buf, e->size, "cannot hash exchange log record for %s",
                      log->path);
    goto out;
  }
  if (write_full(log->fd, line, line_len + 1, &written) != 0) {
    int saved = errno;
    roll_back(log, log->size, written, 0);
    (void)text_format(
        e->buf, e->size, "cannot write record %llu to exchange log %s: %s",
        (unsigned long long)log->next_seq, log->path, strerror(saved));
    goto out;
  }
  if (fdatasync(log->fd) != 0) {
    int saved = errno;
    roll_back(log, log->size, written, 1);
    (void)text_format(
        e->buf, e->size, "cannot sync record %llu to exchange log %s: %s",
        (unsigned long long)log->next_seq, log->path, strerror(saved));
    goto out;
  }
  log->next_seq++;
  (void)text_copy(log->prev, sizeof log->prev, hash);
  if (log->regular)
    log->size += (off_t)written;
  rc = 0;
out:
  gw_free(line);
  json_decref(obj);
  return rc;
}

int xlog_append(struct gw_xlog *log, const json_t *record, char *err,
                size_t err_size) {
  struct err_sink e;
  int rc = -1;
  err_sink_init(&e, err, err_size);
  if (!log) {
    (void)text_copy(e.buf, e.size, "xlog_append: no exchange log open");
    return -1;
  }
  if (check_caller_record(record, &e) != 0)
    return -1;
  pthread_mutex_lock(&log->lock);
  /* flock also serialises against other processes sharing this log. */
  if (log->regular && lock_file(log->fd) != 0) {
    (void)text_format(e.buf, e.size, "cannot lock exchange log %s: %s",
                      log->path, strerror(errno));
    goto out;
  }
  rc = append_locked(log, record, &e);
  if (log->regular)
    unlock_file(log->fd);
out:
  pthread_mutex_unlock(&log->lock);
  return rc;
}

/* ---- verify ----------------------------------------------------------- */

/* Checks one complete line (no '\n'); line_no is 1-based. */
static int verify_line(const char *line, size_t len, uint64_t line_no,
                       uint64_t expected_seq, const char *expected_prev,
                       struct err_sink *e) {
  json_t *obj = json_loadb(line, len, 0, NULL);
  json_t *seq = json_is_object(obj) ? json_object_get(obj, "seq") : NULL;
  json_t *prev = json_is_object(obj) ? json_object_get(obj, "prev") : NULL;
  int rc = -1;
  if (!json_is_object(obj)) {
    (void)text_format(e->buf, e->size, "line %llu is not a JSON object",
                      (unsigned long long)line_no);
    goto out;
  }
  if (!json_is_integer(seq) || json_integer_value(seq) < 0) {
    (void)text_format(e->buf, e->size,
                      "line %llu has no \"seq\" (a non-negative integer)",
                      (unsigned long long)line_no);
    goto out;
  }
  if ((uint64_t)json_integer_value(seq) != expected_seq) {
    (void)text_format(e->buf, e->size,
                      "seq gap or reorder: expected %llu, found %lld at line"
                      " %llu",
                      (unsigned long long)expected_seq,
                      (long long)json_integer_value(seq),
                      (unsigned long long)line_no);
    goto out;
  }
  if (!json_is_string(json_object_get(obj, "time"))) {
    (void)text_format(e->buf, e->size, "line %llu has no \"time\" string",
                      (unsigned long long)line_no);
    goto out;
  }
  if (!json_is_string(prev) ||
      strcmp(json_string_value(prev), expected_prev) != 0) {
    if (line_no == 1)
      (void)text_format(e->buf, e->size,
                        "prev mismatch at line 1: the first record must have"
                        " prev = 64 zeros (records before it were removed?)");
    else
      (void)text_format(
          e->buf, e->size,
          "prev mismatch at line %llu: it does not match the"
          " SHA-256 of line %llu, so line %llu was changed or a"
          " record before line %llu was removed or reordered",
          (unsigned long long)line_no, (unsigned long long)(line_no - 1),
          (unsigned long long)(line_no - 1), (unsigned long long)line_no);
    goto out;
  }
  rc = 0;
out:
  json_decref(obj);
  return rc;
}

int xlog_verify_file(const char *path, uint64_t *records, char *err,
                     size_t err_size) {
  struct err_sink e;
  FILE *f = NULL;
  int fd = -1;
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  uint64_t count = 0;
  char prev[GW_SHA256_HEX_SIZE];
  char located[XLOG_REASON_SIZE];
  int rc = -1;
  err_sink_init(&e, err, err_size);
  if (records)
    *records = 0;
  (void)text_copy(prev, sizeof prev, XLOG_ZERO_HASH);
  fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0 || !(f = fdopen(fd, "r"))) {
    (void)text_format(e.buf, e.size, "cannot open exchange log %s: %s",
                      path ? path : "(null)", strerror(errno));
    goto out;
  }
  fd = -1; /* owned by f now */
  errno = 0;
  while ((got = getline(&line, &cap, f)) > 0) {
    size_t len = (size_t)got;
    if (line[len - 1] != '\n') {
      (void)text_format(e.buf, e.size,
                        "file ends without a newline: torn last record at"
                        " line %llu",
                        (unsigned long long)(count + 1));
      goto located_error;
    }
    len--;
    if (verify_line(line, len, count + 1, count, prev, &e) != 0)
      goto located_error;
    if (sha256_hex(line, len, prev) != 0) {
      (void)text_format(e.buf, e.size, "cannot hash line %llu",
                        (unsigned long long)(count + 1));
      goto out;
    }
    count++;
    errno = 0;
  }
  if (ferror(f)) {
    (void)text_format(e.buf, e.size, "cannot read exchange log %s: %s", path,
                      strerror(errno ? errno : EIO));
    goto out;
  }
  rc = 0;
  goto out;
located_error:
  (void)text_copy(located, sizeof located, e.buf);
  (void)text_format(e.buf, e.size, "%s: %s", path, located);
out:
  if (records)
    *records = count;
  free(line); /* getline allocates with malloc */
  if (f)
    fclose(f);
  if (fd >= 0)
    close(fd);
  return rc;
}

/* ---- URL redaction ---------------------------------------------------- */

static const char REDACTED[] = "REDACTED";

struct bounded_out {
  char *buf;
  size_t size;
  size_t len;
  int overflow;
};

static void put(struct bounded_out *o, const char *s, size_t n) {
  if (o->overflow || n >= o->size - o->len) {
    o->overflow = 1;
    return;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static int contains_ci(const char *s, size_t len, const char *word) {
  size_t wlen = strlen(word);
  for (size_t i = 0; i + wlen <= len; i++) {
    size_t j = 0;
    while (j < wlen &&
           tolower((unsigned char)s[i + j]) == (unsigned char)word[j])
      j++;
    if (j == wlen)
      return 1;
  }
  return 0;
}

static int sensitive_param_name(const char *name, size_t len) {
  static const char *const words[] = {"key",    "token", "secret", "password",
                                      "passwd", "sig",   "auth"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    if (contains_ci(name, len, words[i]))
      return 1;
  }
  return 0;
}

/* Copies name=value&name=value..., replacing sensitive values. */
static void put_params(struct bounded_out *o, const char *s, size_t len) {
  size_t pos = 0;
  while (pos < len) {
    const char *param = s + pos;
    const char *amp = memchr(param, '&', len - pos);
    size_t plen = amp ? (size_t)(amp - param) : len - pos;
    const char *eq = memchr(param, '=', plen);
    if (eq && sensitive_param_name(param, (size_t)(eq - param))) {
      put(o, param, (size_t)(eq - param) + 1);
      put(o, REDACTED, sizeof REDACTED - 1);
    } else {
      put(o, param, plen);
    }
    pos += plen;
    if (amp) {
      put(o, "&", 1);
      pos++;
    }
  }
}

static void put_structurally_redacted(struct bounded_out *o, const char *url) {
  size_t before_path = strcspn(url, "/?#");
  const char *scheme_end = strstr(url, "://");
  const char *rest = url;
  const char *query;
  const char *fragment;
  /* Userinfo only exists in an authority, i.e. after "scheme://". */
  if (scheme_end && (size_t)(scheme_end - url) <= before_path) {
    const char *auth = scheme_end + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth_len; i++) {
      if (auth[i] == '@')
        at = auth + i;
    }
    put(o, url, (size_t)(auth - url));
    if (at) {
      put(o, REDACTED, sizeof REDACTED - 1);
      rest = at;
    } else {
      rest = auth;
    }
  }
  fragment = strchr(rest, '#');
  query = strchr(rest, '?');
  if (query && fragment && query > fragment)
    query = NULL;
  if (!fragment)
    fragment = rest + strlen(rest);
  if (!query)
    query = fragment;
  put(o, rest, (size_t)(query - rest));
  if (*query == '?') {
    put(o, "?", 1);
    put_params(o, query + 1, (size_t)(fragment - query - 1));
  }
  /* Fragments can carry tokens too (OAuth implicit flow). */
  if (*fragment == '#') {
    put(o, "#", 1);
    put_params(o, fragment + 1, strlen(fragment + 1));
  }
}

/* Length of the longest secret (>= 4 chars) starting at s, or 0. */
static size_t secret_at(const char *s, const char *const *secrets) {
  size_t best = 0;
  for (size_t i = 0; secrets[i]; i++) {
    size_t n = strlen(secrets[i]);
    if (n >= 4 && n > best && strncmp(s, secrets[i], n) == 0)
      best = n;
  }
  return best;
}

static void put_without_secrets(struct bounded_out *o, const char *s,
                                const char *const *secrets) {
  while (*s) {
    size_t n = secret_at(s, secrets);
    if (n > 0) {
      put(o, REDACTED, sizeof REDACTED - 1);
      s += n;
    } else {
      put(o, s, 1);
      s++;
    }
  }
}

int xlog_redact_url(const char *url, const char *const *secrets, char *out,
                    size_t out_size) {
  struct bounded_out o = {out, out_size, 0, 0};
  char *structural = NULL;
  int rc = -1;
  if (!out || out_size == 0)
    return -1;
  out[0] = '\0';
  if (!url)
    goto out;
  put_structurally_redacted(&o, url);
  if (o.overflow)
    goto out;
  if (secrets) {
    structural = gw_strdup(out);
    if (!structural)
      goto out;
    o.len = 0;
    out[0] = '\0';
    put_without_secrets(&o, structural, secrets);
    if (o.overflow)
      goto out;
  }
  rc = 0;
out:
  /* Never hand back a cut-off URL: the cut may sit inside a secret. */
  if (rc != 0)
    out[0] = '\0';
  gw_free(structural);
  return rc;
}
