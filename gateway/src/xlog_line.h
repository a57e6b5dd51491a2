/*
 * xlog_line.h - a fast, allocation-free reader for one exchange-log line:
 * checks that it is one well-formed JSON object (RFC 8259: UTF-8, escapes,
 * numbers, nesting) and picks out the members the verifier needs.
 *
 * The verifier runs this on every line; parsing each line into a jansson
 * tree made verifying a million records take several seconds longer. Only
 * lines it cannot take apart cheaply (a member name or a needed value
 * with escapes) are flagged for the verifier to parse with jansson.
 */
#ifndef GW_XLOG_LINE_H
#define GW_XLOG_LINE_H
#include <stddef.h>
#include <stdint.h>

struct xlog_line {
  int has_seq; /* "seq" is an integer 0..INT64_MAX */
  uint64_t seq;
  int has_time;     /* "time" is a string */
  const char *prev; /* "prev" string contents (in the line), or NULL */
  size_t prev_len;
  const char *event; /* "event" string contents, or NULL */
  size_t event_len;
  int needs_full_parse; /* escapes where the fields above are read */
};

/* 0 when line[0, len) is exactly one JSON object (white space around it
 * allowed) whose top-level "seq", "time", "prev" and "event" each occur at
 * most once; fills *out. -1 otherwise. */
int xlog_line_scan(const char *line, size_t len, struct xlog_line *out);

#endif
