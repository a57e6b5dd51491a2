/*
 * xlog_reader.c - streaming reader over the exchange log's segments
 * (contract in xlog_reader.h).
 *
 * read(2) into one fixed buffer and memchr for the line ends: no stdio
 * buffer on top, no allocation per line. A line is handed out in place
 * (its '\n' replaced by a NUL), so a million records cost a million
 * memchr calls and nothing else.
 */
#include "xlog_reader.h"
#include "gw_alloc.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEQ_PREFIX "{\"seq\":"
#define SEQ_DIGITS_MAX 20

struct gw_xlog_reader {
  char **segments;
  size_t count;
  size_t current; /* the segment being read (== count at the end) */
  int fd;         /* -1 when no segment is open */
  int eof;        /* read() returned 0 for the open segment */
  char *buf;      /* XLOG_READER_BUFFER + 1 for a NUL after a torn line */
  size_t start;   /* first byte not yet handed out */
  size_t end;     /* bytes in buf */
  size_t scanned; /* [start, scanned) is known to hold no '\n' */
  uint64_t base;  /* segment offset of buf[0] */
  uint64_t line_no;
};

/* ---- segments --------------------------------------------------------- */

/* NNNNNN exactly: the rotation naming is fixed (docs/exchange-log.md). */
static int segment_number(const char *suffix, unsigned long *out) {
  unsigned long n = 0;
  size_t i;
  for (i = 0; i < XLOG_SEGMENT_DIGITS; i++) {
    if (suffix[i] < '0' || suffix[i] > '9')
      return -1;
    n = n * 10 + (unsigned long)(suffix[i] - '0');
  }
  if (suffix[i] != '\0' || n == 0)
    return -1;
  *out = n;
  return 0;
}

static int compare_numbers(const void *a, const void *b) {
  unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
  return x < y ? -1 : x > y;
}

static int add_segment(struct gw_xlog_reader *r, size_t *cap, char *path) {
  if (r->count == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8;
    char **grown = gw_realloc(r->segments, ncap * sizeof *grown);
    if (!grown)
      return -1;
    r->segments = grown;
    *cap = ncap;
  }
  r->segments[r->count++] = path;
  return 0;
}

/* The rotated segments' numbers, sorted. *numbers is NULL when none. */
static int list_rotated(const char *path, unsigned long **numbers, size_t *n,
                        char *err, size_t err_size) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t base_len = strlen(base), cap = 0;
  char *dir = NULL;
  DIR *d = NULL;
  struct dirent *e;
  int rc = -1;

  *numbers = NULL;
  *n = 0;
  dir = slash ? gw_strndup(path, (size_t)(slash - path) + (slash == path))
              : gw_strdup(".");
  if (!dir) {
    text_copy(err, err_size, "exchange log: out of memory");
    goto out;
  }
  d = opendir(dir);
  if (!d) {
    rc = errno == ENOENT ? 0 : -1; /* no directory: no segments */
    if (rc)
      text_format(err, err_size, "exchange log: cannot list %s: %s", dir,
                  strerror(errno));
    goto out;
  }
  while ((e = readdir(d)) != NULL) {
    unsigned long num;
    if (strncmp(e->d_name, base, base_len) != 0 || e->d_name[base_len] != '.' ||
        segment_number(e->d_name + base_len + 1, &num) != 0)
      continue;
    if (*n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      unsigned long *grown = gw_realloc(*numbers, ncap * sizeof *grown);
      if (!grown) {
        text_copy(err, err_size, "exchange log: out of memory");
        goto out;
      }
      *numbers = grown;
      cap = ncap;
    }
    (*numbers)[(*n)++] = num;
  }
  if (*n > 1)
    qsort(*numbers, *n, sizeof **numbers, compare_numbers);
  rc = 0;
out:
  if (d)
    closedir(d);
  gw_free(dir);
  if (rc != 0) {
    gw_free(*numbers);
    *numbers = NULL;
    *n = 0;
  }
  return rc;
}

static int find_segments(struct gw_xlog_reader *r, const char *path, char *err,
                         size_t err_size) {
  unsigned long *numbers = NULL;
  size_t n = 0, cap = 0, i;
  struct stat st;
  char *seg = NULL;
  int rc = -1;

  if (list_rotated(path, &numbers, &n, err, err_size) != 0)
    goto out;
  for (i = 0; i < n; i++) {
    size_t size = strlen(path) + 1 + XLOG_SEGMENT_DIGITS + 1;
    seg = gw_malloc(size);
    if (!seg || text_format(seg, size, "%s.%06lu", path, numbers[i]) != 0 ||
        add_segment(r, &cap, seg) != 0)
      goto oom;
    seg = NULL;
  }
  if (stat(path, &st) == 0) {
    seg = gw_strdup(path);
    if (!seg || add_segment(r, &cap, seg) != 0)
      goto oom;
    seg = NULL;
  } else if (errno != ENOENT) {
    text_format(err, err_size, "exchange log %s: %s", path, strerror(errno));
    goto out;
  }
  if (r->count == 0) {
    text_format(err, err_size,
                "no exchange log at %s (neither the file nor rotated "
                "segments %s.NNNNNN exist)",
                path, path);
    goto out;
  }
  rc = 0;
  goto out;
oom:
  text_copy(err, err_size, "exchange log: out of memory");
out:
  gw_free(seg);
  gw_free(numbers);
  return rc;
}

/* ---- reading ----------------------------------------------------------- */

int xlog_reader_open(const char *path, struct gw_xlog_reader **out, char *err,
                     size_t err_size) {
  struct gw_xlog_reader *r = NULL;
  int rc = -1;

  *out = NULL;
  if (!path || !*path) {
    text_copy(err, err_size, "exchange log: no path given");
    return -1;
  }
  r = gw_calloc(1, sizeof *r);
  if (!r) {
    text_copy(err, err_size, "exchange log: out of memory");
    return -1;
  }
  r->fd = -1;
  r->buf = gw_malloc(XLOG_READER_BUFFER + 1);
  if (!r->buf) {
    text_copy(err, err_size, "exchange log: out of memory");
    goto out;
  }
  if (find_segments(r, path, err, err_size) != 0)
    goto out;
  *out = r;
  r = NULL;
  rc = 0;
out:
  xlog_reader_close(r);
  return rc;
}

void xlog_reader_close(struct gw_xlog_reader *r) {
  size_t i;
  if (!r)
    return;
  if (r->fd >= 0)
    close(r->fd);
  for (i = 0; i < r->count; i++)
    gw_free(r->segments[i]);
  gw_free(r->segments);
  gw_free(r->buf);
  gw_free(r);
}

size_t xlog_reader_segment_count(const struct gw_xlog_reader *r) {
  return r->count;
}

const char *xlog_reader_segment(const struct gw_xlog_reader *r, size_t i) {
  return i < r->count ? r->segments[i] : NULL;
}

int xlog_line_seq(const char *text, size_t len, uint64_t *seq) {
  size_t plen = sizeof SEQ_PREFIX - 1, i;
  uint64_t n = 0;
  if (len <= plen || memcmp(text, SEQ_PREFIX, plen) != 0)
    return -1;
  for (i = plen; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
    unsigned digit = (unsigned)(text[i] - '0');
    if (i - plen >= SEQ_DIGITS_MAX || n > (UINT64_MAX - digit) / 10)
      return -1;
    n = n * 10 + digit;
  }
  if (i == plen || i == len || (text[i] != ',' && text[i] != '}') ||
      (text[plen] == '0' && i - plen > 1))
    return -1;
  *seq = n;
  return 0;
}

static int open_segment(struct gw_xlog_reader *r, char *err, size_t err_size) {
  const char *path = r->segments[r->current];
  r->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0) {
    text_format(err, err_size, "exchange log segment %s: %s", path,
                strerror(errno));
    return -1;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  (void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  r->eof = 0;
  r->start = r->end = r->scanned = 0;
  r->base = 0;
  r->line_no = 0;
  return 0;
}

static void close_segment(struct gw_xlog_reader *r) {
  close(r->fd);
  r->fd = -1;
  r->current++;
}

/* read() into buf[at, at + room); bytes read, 0 at the end, -1 on error. */
static ssize_t read_some(struct gw_xlog_reader *r, size_t at, size_t room,
                         char *err, size_t err_size) {
  ssize_t n;
  do
    n = read(r->fd, r->buf + at, room);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    text_format(err, err_size, "exchange log segment %s: %s",
                r->segments[r->current], strerror(errno));
  return n;
}

static void fill_line(struct gw_xlog_reader *r, struct gw_xlog_line *line,
                      gw_xlog_line_kind kind, size_t len, uint64_t disk_len,
                      uint64_t offset) {
  memset(line, 0, sizeof *line);
  line->kind = kind;
  line->text = kind == XLOG_LINE_TOO_LONG ? "" : r->buf + r->start;
  line->len = kind == XLOG_LINE_TOO_LONG ? 0 : len;
  line->disk_len = disk_len;
  line->segment = r->segments[r->current];
  line->segment_index = r->current;
  line->line_no = ++r->line_no;
  line->offset = offset;
  if (kind != XLOG_LINE_TOO_LONG &&
      xlog_line_seq(line->text, line->len, &line->seq) == 0)
    line->has_seq = 1;
}

/* The buffer is full and holds no '\n': read on to the end of the line
 * without keeping it, and leave what follows it in the buffer. */
static int skip_long_line(struct gw_xlog_reader *r, struct gw_xlog_line *line,
                          char *err, size_t err_size) {
  uint64_t offset = r->base + r->start, skipped = r->end - r->start;
  for (;;) {
    ssize_t n = read_some(r, 0, XLOG_READER_BUFFER, err, err_size);
    const char *nl;
    if (n < 0)
      return -1;
    if (n == 0) {
      r->eof = 1;
      r->start = r->end = r->scanned = 0;
      r->base = offset + skipped;
      fill_line(r, line, XLOG_LINE_TOO_LONG, 0, skipped, offset);
      return 1;
    }
    nl = memchr(r->buf, '\n', (size_t)n);
    if (nl) {
      size_t k = (size_t)(nl - r->buf);
      r->base = offset + skipped;
      skipped += k;
      r->start = k + 1;
      r->end = (size_t)n;
      r->scanned = r->start;
      fill_line(r, line, XLOG_LINE_TOO_LONG, 0, skipped, offset);
      return 1;
    }
    skipped += (uint64_t)n;
  }
}

int xlog_reader_next(struct gw_xlog_reader *r, struct gw_xlog_line *line,
                     char *err, size_t err_size) {
  for (;;) {
    char *nl;
    if (r->fd < 0) {
      if (r->current >= r->count)
        return 0;
      if (open_segment(r, err, err_size) != 0)
        return -1;
    }
    nl = memchr(r->buf + r->scanned, '\n', r->end - r->scanned);
    if (nl) {
      size_t len = (size_t)(nl - (r->buf + r->start));
      uint64_t offset = r->base + r->start;
      *nl = '\0';
      fill_line(r, line,
                len > XLOG_RECORD_MAX ? XLOG_LINE_TOO_LONG : XLOG_LINE_RECORD,
                len, len, offset);
      r->start = r->scanned = (size_t)(nl - r->buf) + 1;
      return 1;
    }
    r->scanned = r->end;
    if (r->eof) {
      if (r->end > r->start) { /* torn: the segment ends inside a line */
        size_t len = r->end - r->start;
        r->buf[r->end] = '\0';
        fill_line(r, line,
                  len > XLOG_RECORD_MAX ? XLOG_LINE_TOO_LONG : XLOG_LINE_TORN,
                  len, len, r->base + r->start);
        r->start = r->scanned = r->end;
        return 1;
      }
      close_segment(r);
      continue;
    }
    if (r->start > 0) { /* keep the partial line, make room after it */
      memmove(r->buf, r->buf + r->start, r->end - r->start);
      r->base += r->start;
      r->end -= r->start;
      r->scanned -= r->start;
      r->start = 0;
    }
    if (r->end == XLOG_READER_BUFFER)
      return skip_long_line(r, line, err, err_size);
    {
      ssize_t n =
          read_some(r, r->end, XLOG_READER_BUFFER - r->end, err, err_size);
      if (n < 0)
        return -1;
      if (n == 0)
        r->eof = 1;
      r->end += (size_t)n;
    }
  }
}
