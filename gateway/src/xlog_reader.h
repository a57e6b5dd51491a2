/*
 * xlog_reader.h - reading the exchange log back, line by line, across all
 * of its segments (docs/exchange-log.md).
 *
 * A log at PATH is the rotated segments PATH.000001, PATH.000002, ... (six
 * digits, oldest first; a segment archived away leaves a gap, which the
 * reader skips) followed by the active file PATH. The reader hands out
 * every line in that order with where it came from, and parses nothing:
 * the raw bytes are what the hash chain covers and what `audit show
 * --format jsonl` prints, and a caller that filters on a few fields need
 * not build a JSON tree for every record (see xlog_field.h for reading one
 * member lazily).
 *
 * Memory is bounded whatever the size of the log: one buffer of
 * XLOG_READER_BUFFER bytes. A record is at most XLOG_RECORD_MAX bytes; a
 * longer line is reported (XLOG_LINE_TOO_LONG) and skipped, never loaded.
 * The last line of a segment without a newline (a torn write after a
 * crash) is reported as XLOG_LINE_TORN, not as a record.
 *
 * Ownership: the reader owns everything it hands out. A gw_xlog_line and
 * the bytes and segment path it points to stay valid until the next
 * xlog_reader_next() or xlog_reader_close(); copy what must live longer.
 * Not thread-safe: one reader per thread.
 */
#ifndef GW_XLOG_READER_H
#define GW_XLOG_READER_H
#include <stddef.h>
#include <stdint.h>

#define XLOG_RECORD_MAX (1024u * 1024u)           /* bytes, without '\n' */
#define XLOG_READER_BUFFER (2u * XLOG_RECORD_MAX) /* the reader's memory */
#define XLOG_SEGMENT_DIGITS 6

struct gw_xlog_reader;

typedef enum gw_xlog_line_kind {
  XLOG_LINE_RECORD = 0, /* a complete line ending in '\n' */
  XLOG_LINE_TORN,       /* the segment's last bytes, without '\n' */
  XLOG_LINE_TOO_LONG    /* longer than XLOG_RECORD_MAX: text is "" */
} gw_xlog_line_kind;

struct gw_xlog_line {
  gw_xlog_line_kind kind;
  const char *text; /* the line's bytes without '\n', NUL-terminated (a
                       NUL inside the line is possible: use len) */
  size_t len;
  uint64_t disk_len;    /* bytes on disk without '\n' (also when too long) */
  const char *segment;  /* path of the file the line is in */
  size_t segment_index; /* 0-based position among the segments read */
  uint64_t line_no;     /* 1-based within the segment */
  uint64_t offset;      /* byte offset of the line within the segment */
  int has_seq;          /* the line starts with {"seq":N */
  uint64_t seq;         /* N when has_seq */
};

/* Finds the segments of the log at path. Fails when there is neither an
 * active file nor a rotated segment. 0, or -1 with a message in err. */
int xlog_reader_open(const char *path, struct gw_xlog_reader **out, char *err,
                     size_t err_size);
void xlog_reader_close(struct gw_xlog_reader *r); /* NULL is fine */

/* The next line: 1 and *line filled, 0 at the end of the log, or -1 with
 * err naming the segment when reading failed. */
int xlog_reader_next(struct gw_xlog_reader *r, struct gw_xlog_line *line,
                     char *err, size_t err_size);

/* The segments found by xlog_reader_open(), oldest first (the active file
 * last when it exists). Valid until xlog_reader_close(). */
size_t xlog_reader_segment_count(const struct gw_xlog_reader *r);
const char *xlog_reader_segment(const struct gw_xlog_reader *r, size_t i);

/* The N of a line starting with {"seq":N (what the log writes first).
 * 0, or -1 when the line does not start that way. */
int xlog_line_seq(const char *text, size_t len, uint64_t *seq);

#endif
