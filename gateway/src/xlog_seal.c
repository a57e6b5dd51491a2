/*
 * xlog_seal.c - the operator's way out of a torn last line
 * (xlog_seal_torn in exchange_log.h; policy in docs/exchange-log.md,
 * "Torn last line").
 *
 * A crash can leave the active file ending in part of a record. Those
 * bytes were never confirmed to the gateway, but they are evidence, so
 * they are moved to their own file, not deleted, and the log records
 * that it happened (a torn_tail record with their size and SHA-256) before
 * anything else is appended. Everything is fsync'ed in an order that
 * leaves the bytes somewhere after a crash at any point: copy first, then
 * cut, then the record.
 */
#include "digest.h"
#include "exchange_log.h"
#include "exchange_log_internal.h"
#include "gw_alloc.h"
#include "text.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEAL_PATH_MAX 4096
/* A torn line is part of one record, and records are at most 1 MiB. */
#define SEAL_MAX_TORN (XLOG_MAX_LINE_BYTES + 1)

/* Offset after the last '\n' before size (0 when there is none). */
static int last_newline_end(int fd, off_t size, off_t *end) {
  char chunk[4096];
  off_t pos = size;
  while (pos > 0) {
    size_t want = pos < (off_t)sizeof chunk ? (size_t)pos : sizeof chunk;
    off_t from = pos - (off_t)want;
    if (xlog_pread_all(fd, chunk, want, from) != (ssize_t)want)
      return -1;
    for (size_t i = want; i > 0; i--) {
      if (chunk[i - 1] == '\n') {
        *end = from + (off_t)i;
        return 0;
      }
    }
    if ((size_t)(size - from) > SEAL_MAX_TORN) {
      errno = EFBIG;
      return -1;
    }
    pos = from;
  }
  *end = 0;
  return 0;
}

/* "<path>.torn-YYYYMMDDTHHMMSSZ", with "-2", "-3"... if that exists. */
static int torn_file_name(const char *path, char *out, size_t out_size) {
  char stamp[32];
  struct stat st;
  time_t now = time(NULL);
  struct tm tm;
  if (!gmtime_r(&now, &tm) ||
      strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
    return -1;
  if (text_format(out, out_size, "%s.torn-%s", path, stamp) != 0)
    return -1;
  for (int n = 2; stat(out, &st) == 0; n++) {
    if (n > 100 ||
        text_format(out, out_size, "%s.torn-%s-%d", path, stamp, n) != 0)
      return -1;
  }
  return 0;
}

static int save_torn_bytes(const char *file, const char *bytes, size_t len,
                           char *err, size_t err_size) {
  size_t written = 0;
  int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  int rc = -1;
  if (fd < 0 || xlog_write_all(fd, bytes, len, &written) != 0 ||
      fsync(fd) != 0) {
    (void)text_format(err, err_size, "cannot save the torn bytes to %s: %s",
                      file, strerror(errno));
    goto out;
  }
  rc = xlog_sync_dir_of(file, err, err_size);
out:
  if (fd >= 0)
    close(fd);
  return rc;
}

/* Moves the torn bytes away under the writers' lock. 1 when moved, 0 when
 * nothing was torn, -1. */
static int move_torn_bytes(const char *path, char *moved_to,
                           size_t moved_to_size, uint64_t *bytes, off_t *offset,
                           char hash[GW_SHA256_HEX_SIZE], char *err,
                           size_t err_size) {
  char *torn = NULL;
  char lock_path[SEAL_PATH_MAX];
  struct stat st;
  off_t end = 0;
  size_t len;
  int lock_fd = -1, fd = -1;
  int rc = -1;
  if (xlog_lock_path(path, lock_path, sizeof lock_path) != 0) {
    (void)text_format(err, err_size, "path too long: %s", path);
    goto out;
  }
  lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  fd = open(path, O_RDWR | O_CLOEXEC);
  if (lock_fd < 0 || xlog_flock(lock_fd, LOCK_EX) != 0 || fd < 0 ||
      fstat(fd, &st) != 0 || last_newline_end(fd, st.st_size, &end) != 0) {
    (void)text_format(err, err_size, "cannot read the end of %s: %s", path,
                      strerror(errno));
    goto out;
  }
  if (end == st.st_size) {
    rc = 0;
    goto out;
  }
  len = (size_t)(st.st_size - end);
  torn = gw_malloc(len);
  if (!torn) {
    (void)text_format(err, err_size, "out of memory sealing %s", path);
    goto out;
  }
  if (xlog_pread_all(fd, torn, len, end) != (ssize_t)len ||
      sha256_hex(torn, len, hash) != 0) {
    (void)text_format(err, err_size, "cannot read the torn line of %s", path);
    goto out;
  }
  if (torn_file_name(path, moved_to, moved_to_size) != 0) {
    (void)text_format(err, err_size, "cannot name the torn-bytes file for %s",
                      path);
    goto out;
  }
  if (save_torn_bytes(moved_to, torn, len, err, err_size) != 0)
    goto out;
  if (ftruncate(fd, end) != 0 || fsync(fd) != 0) {
    (void)text_format(err, err_size,
                      "cannot cut %s back to byte %lld: %s (the torn bytes"
                      " are saved in %s)",
                      path, (long long)end, strerror(errno), moved_to);
    goto out;
  }
  *bytes = len;
  *offset = end;
  rc = 1;
out:
  gw_free(torn);
  if (fd >= 0)
    close(fd);
  if (lock_fd >= 0)
    close(lock_fd); /* releases the lock */
  return rc;
}

static int append_torn_record(const char *path,
                              const struct gw_xlog_options *opts,
                              uint64_t bytes, off_t offset, const char *hash,
                              const char *moved_to, char *err,
                              size_t err_size) {
  struct gw_xlog *log = NULL;
  json_t *rec = NULL;
  int rc = -1;
  if (xlog_open_with(path, opts, &log, err, err_size) != 0)
    goto out;
  if (err[0]) /* opened, but still refusing: other damage */
    goto out;
  rec = json_pack("{s:s, s:I, s:I, s:s, s:s}", "event", XLOG_EVENT_TORN_TAIL,
                  "bytes", (json_int_t)bytes, "offset", (json_int_t)offset,
                  "sha256", hash, "moved_to", moved_to);
  if (!rec) {
    (void)text_copy(err, err_size,
                    "out of memory building the torn_tail"
                    " record");
    goto out;
  }
  rc = xlog_append_owned(log, rec, err, err_size);
out:
  json_decref(rec);
  xlog_close(log);
  return rc;
}

int xlog_seal_torn(const char *path, const struct gw_xlog_options *opts,
                   char *moved_to, size_t moved_to_size, char *err,
                   size_t err_size) {
  char hash[GW_SHA256_HEX_SIZE];
  uint64_t bytes = 0;
  off_t offset = 0;
  int rc;
  err[0] = '\0';
  moved_to[0] = '\0';
  rc = move_torn_bytes(path, moved_to, moved_to_size, &bytes, &offset, hash,
                       err, err_size);
  if (rc != 1)
    return rc;
  if (append_torn_record(path, opts, bytes, offset, hash, moved_to, err,
                         err_size) != 0)
    return -1;
  return 1;
}
