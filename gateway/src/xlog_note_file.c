/*
 * xlog_note_file.c - appending checkpoint notes to the off-site checkpoint
 * file (xlog_note_file_append in exchange_log_internal.h).
 *
 * Every complete note in the file ends in a blank line, and a signed one
 * has its signature line just before it. A writer killed in the middle of
 * an append can leave part of a note: Linux stops a write() to a regular
 * file at a page boundary when a fatal signal is pending, so a note that
 * straddles one is cut there. Appending the next note straight after such
 * a remnant would run the two together, and the verifier would then read
 * the remnant as a forged or malformed checkpoint. The remnant never was
 * a checkpoint (the log's own checkpoint record, written first, still
 * holds the whole note), so it is cut off before the next append; the
 * verifier, for its part, skips an incomplete last note with a warning.
 */
#include "diag.h"
#include "exchange_log_internal.h"
#include "fsutil.h"
#include "signed_note.h"
#include "text.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* A note is a few hundred bytes: a complete one ends within this much of
 * the end of the file, or the file holds something other than notes. */
#define NOTE_TAIL_MAX 8192

/* Does tail[0, end) end a complete note? */
static int ends_note(const char *tail, size_t end, int signed_notes) {
  size_t line_start;
  size_t prefix = strlen(NOTE_SIG_PREFIX);
  if (end < 2 || tail[end - 1] != '\n' || tail[end - 2] != '\n')
    return 0;
  if (!signed_notes)
    return 1;
  /* The line before the blank one must be a signature: otherwise this is
   * the blank line between a note's text and its signatures. */
  line_start = end - 2;
  while (line_start > 0 && tail[line_start - 1] != '\n')
    line_start--;
  return end - 2 - line_start >= prefix &&
         memcmp(tail + line_start, NOTE_SIG_PREFIX, prefix) == 0;
}

/* Where the last complete note of the file ends (0: none in an
 * otherwise empty-enough file), or -1 when the tail is not made of notes. */
static off_t last_note_end(int fd, off_t size, int signed_notes, char *err,
                           size_t err_size) {
  char tail[NOTE_TAIL_MAX];
  size_t len = size > NOTE_TAIL_MAX ? NOTE_TAIL_MAX : (size_t)size;
  off_t base = size - (off_t)len;
  size_t end;
  if (xlog_pread_all(fd, tail, len, base) != (ssize_t)len) {
    (void)text_format(err, err_size, "cannot read the end of the file: %s",
                      strerror(errno));
    return -1;
  }
  for (end = len; end > 0; end--) {
    if (ends_note(tail, end, signed_notes))
      return base + (off_t)end;
  }
  if (base == 0)
    return 0;
  (void)text_format(err, err_size,
                    "its last %zu bytes hold no complete checkpoint note:"
                    " not a checkpoint file?",
                    len);
  return -1;
}

/* Cuts an incomplete note left by a killed writer (see the top). */
static int drop_torn_note(int fd, const char *file, int signed_notes, char *err,
                          size_t err_size) {
  struct stat st;
  off_t keep;
  char why[256] = "";
  if (fstat(fd, &st) != 0) {
    (void)text_format(err, err_size, "cannot stat %s: %s", file,
                      strerror(errno));
    return -1;
  }
  if (st.st_size == 0)
    return 0;
  keep = last_note_end(fd, st.st_size, signed_notes, why, sizeof why);
  if (keep < 0) {
    (void)text_format(err, err_size, "%s: %s", file, why);
    return -1;
  }
  if (keep == st.st_size)
    return 0;
  if (ftruncate(fd, keep) != 0) {
    (void)text_format(err, err_size,
                      "cannot cut the incomplete checkpoint at the end of"
                      " %s: %s",
                      file, strerror(errno));
    return -1;
  }
  diag(GW_LOG_WARN,
       "%s: removed %lld bytes of a checkpoint note whose writer was"
       " interrupted (the log's own checkpoint record holds it whole)",
       file, (long long)(st.st_size - keep));
  return 0;
}

/* One write for the note and its blank line (a kill between two writes
 * would leave a note without its separator), and no allocation, so an
 * out-of-memory process still writes its checkpoint. */
static int write_note(int fd, const char *note, size_t note_len) {
  struct iovec iov[2] = {{(void *)note, note_len}, {(void *)"\n", 1}};
  size_t written = 0;
  ssize_t n;
  do
    n = writev(fd, iov, 2);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  if ((size_t)n >= note_len + 1)
    return 0;
  /* a short write: the rest one part after the other */
  if ((size_t)n < note_len &&
      xlog_write_all(fd, note + n, note_len - (size_t)n, &written) != 0)
    return -1;
  return xlog_write_all(fd, "\n", 1, &written);
}

int xlog_note_file_append(const char *file, const char *note, size_t note_len,
                          int signed_notes, int no_sync, char *err,
                          size_t err_size) {
  struct stat st;
  int created, fd = -1, rc = -1;
  if (fs_mkdirs_parent(file, 0750, err, err_size) != 0)
    return -1;
  created = stat(file, &st) != 0;
  fd = open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    (void)text_format(err, err_size, "cannot append the checkpoint to %s: %s",
                      file, strerror(errno));
    goto out;
  }
  if (drop_torn_note(fd, file, signed_notes, err, err_size) != 0)
    goto out;
  if (write_note(fd, note, note_len) != 0 || (!no_sync && fsync(fd) != 0)) {
    (void)text_format(err, err_size, "cannot append the checkpoint to %s: %s",
                      file, strerror(errno));
    goto out;
  }
  if (created && xlog_sync_dir_of(file, err, err_size) != 0)
    goto out;
  rc = 0;
out:
  if (fd >= 0)
    close(fd);
  return rc;
}
