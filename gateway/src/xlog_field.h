/*
 * xlog_field.h - the top-level members of one raw exchange-log record,
 * found without building a JSON tree.
 *
 * `audit show` and `audit trace` look at a handful of members of records
 * that are mostly not wanted; parsing each line with jansson would cost
 * more than reading it. xlog_fields() walks the line once, checks that it
 * is one well-formed JSON object (structure, strings and escapes; numbers
 * and literals only loosely), and returns where the requested members'
 * values are. A caller that needs the whole record parses it with jansson.
 *
 * Keys are compared as written (the log writes plain ASCII keys). With a
 * duplicate key the last one wins, as in jansson. Nesting deeper than
 * XLOG_FIELD_DEPTH_MAX is refused.
 *
 * Ownership: spans point into the caller's text; nothing is allocated.
 */
#ifndef GW_XLOG_FIELD_H
#define GW_XLOG_FIELD_H
#include <stddef.h>
#include <stdint.h>

#define XLOG_FIELD_DEPTH_MAX 32

/* The raw JSON text of one value, e.g. "\"fetch\"", "200", "null",
 * "{...}". p is NULL when the member is absent. */
struct gw_xlog_span {
  const char *p;
  size_t len;
};

/* values[i] gets the value of member keys[i] (n at most 64). 0, or -1
 * when text[0, len) is not a JSON object (values then undefined). */
int xlog_fields(const char *text, size_t len, const char *const *keys, size_t n,
                struct gw_xlog_span *values);

/* 1 when the span is a JSON string / the literal null. */
int xlog_span_is_string(struct gw_xlog_span v);
int xlog_span_is_null(struct gw_xlog_span v);

/* Decodes a JSON string value into UTF-8 in out (escapes resolved; \u0000
 * and lone surrogates become U+FFFD so the result is a C string). 0; 1
 * when it did not fit (out holds as much as fits, cut at a character
 * boundary); -1 when the span is absent or not a valid string (out ""). */
int xlog_span_string(struct gw_xlog_span v, char *out, size_t out_size);

/* 1 when the span is a JSON string equal to s (decoded), else 0. */
int xlog_span_equals(struct gw_xlog_span v, const char *s);

/* A JSON integer; 0, or -1 when absent, not an integer or out of range. */
int xlog_span_int64(struct gw_xlog_span v, int64_t *out);

#endif
