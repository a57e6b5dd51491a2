/*
 * fuzz_audit_record - libFuzzer harness for what `gateway audit show` and
 * `audit trace` do with bytes from the exchange log and the command line:
 * the time arguments (audit_filter.c), the member scanner and string
 * decoder (xlog_field.c), the filter and the text line (audit_text.c).
 *
 * Input layout: the first line (up to '\n', at most 64 bytes) is a TIME
 * argument, the rest one record line. Invariants (trap on violation):
 *  - a TIME accepted as --from and as --to gives to - from of one day for
 *    a date and 1 ms for a stamp; a refused one leaves a message naming
 *    the option;
 *  - xlog_fields() never reports a span outside the line; when jansson
 *    parses the line as an object (without duplicate keys or NUL bytes,
 *    which jansson skips and the scanner refuses) no deeper than the
 *    scanner's limit, the scanner accepts it too, finds every member
 *    of a line without escapes, and every string member it finds decodes
 *    to exactly jansson's string;
 *  - audit_filter_match() with the line's own source and event as filter
 *    values matches the line, when they are written without escapes (as
 *    the gateway writes printable ASCII);
 *  - a text line is terminated, ends in one '\n' and carries no control
 *    character.
 * Seeds: tests/fuzz/corpus/audit_record.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit_filter.h"
#include "audit_text.h"
#include "fuzz_support.h"
#include "xlog_field.h"

#define TIME_MAX 64
#define DAY_MS (86400LL * 1000)

static void check_time(const char *text) {
  int64_t from = 0, to = 0;
  char err[256] = "";
  int ok_from = audit_time_bound(text, 0, &from, err, sizeof err) == 0;
  if (!ok_from && strstr(err, "--from") == NULL)
    __builtin_trap();
  if (audit_time_bound(text, 1, &to, err, sizeof err) != 0) {
    if (ok_from || strstr(err, "--to") == NULL)
      __builtin_trap();
    return;
  }
  if (!ok_from || to - from != (strlen(text) == 10 ? DAY_MS : 1))
    __builtin_trap();
}

static int depth_of(const json_t *v) {
  int deepest = 0;
  if (json_is_object(v)) {
    const char *k;
    json_t *m;
    json_object_foreach((json_t *)v, k, m) {
      int d = depth_of(m);
      if (d > deepest)
        deepest = d;
    }
    return deepest + 1;
  }
  if (json_is_array(v)) {
    size_t i;
    json_t *m;
    json_array_foreach(v, i, m) {
      int d = depth_of(m);
      if (d > deepest)
        deepest = d;
    }
    return deepest + 1;
  }
  return 0;
}

/* Scanner against jansson on every top-level string member. */
static void check_fields(const char *line, size_t len) {
  json_t *doc = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
  int escapes = memchr(line, '\\', len) != NULL;
  const char *key;
  json_t *value;
  if (!json_is_object(doc) || depth_of(doc) >= XLOG_FIELD_DEPTH_MAX ||
      memchr(line, '\0', len) != NULL) {
    json_decref(doc);
    return;
  }
  json_object_foreach(doc, key, value) {
    const char *keys[1] = {key};
    struct gw_xlog_span span;
    char out[512];
    if (xlog_fields(line, len, keys, 1, &span) != 0)
      __builtin_trap(); /* jansson accepted the line */
    if (!span.p) {
      if (!escapes)
        __builtin_trap(); /* a plainly written member was missed */
      continue;           /* the key was written with escapes */
    }
    if (span.p < line || span.p + span.len > line + len)
      __builtin_trap();
    if (json_is_string(value)) {
      const char *s = json_string_value(value);
      size_t n = json_string_length(value);
      if (n == strlen(s) && n < sizeof out) { /* no NUL inside */
        if (xlog_span_string(span, out, sizeof out) != 0 || strcmp(out, s))
          __builtin_trap();
        if (!xlog_span_equals(span, s))
          __builtin_trap();
      }
    }
  }
  json_decref(doc);
}

static void check_filter(const char *line, size_t len) {
  static const char *const keys[] = {"source", "event", "time"};
  struct gw_xlog_span v[3];
  char source[AUDIT_FILTER_VALUE_MAX], event[AUDIT_FILTER_VALUE_MAX];
  char err[256];
  struct audit_filter f;
  if (xlog_fields(line, len, keys, 3, v) != 0 || !v[0].p || !v[1].p ||
      memchr(v[0].p, '\\', v[0].len) || memchr(v[1].p, '\\', v[1].len) ||
      xlog_span_string(v[0], source, sizeof source) != 0 || !source[0] ||
      xlog_span_string(v[1], event, sizeof event) != 0 || !event[0])
    return;
  audit_filter_init(&f);
  if (audit_filter_add(&f, AUDIT_SOURCE, source, err, sizeof err) == 0 &&
      audit_filter_add(&f, AUDIT_EVENT, event, err, sizeof err) == 0 &&
      audit_filter_match(&f, line, len) != AUDIT_MATCH_YES)
    __builtin_trap();
  audit_filter_free(&f);
}

static void check_text(const char *line, size_t len) {
  static char out[AUDIT_TEXT_LINE_MAX];
  size_t n;
  if (audit_text_record(line, len, out, sizeof out) != 0)
    return;
  n = strnlen(out, sizeof out);
  if (n == 0 || n >= sizeof out || out[n - 1] != '\n')
    __builtin_trap();
  for (size_t i = 0; i + 1 < n; i++)
    if ((unsigned char)out[i] < 0x20 || out[i] == 0x7F)
      __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *nl = memchr(data, '\n', size < TIME_MAX ? size : TIME_MAX);
  char time_arg[TIME_MAX + 1];
  size_t tlen = nl ? (size_t)(nl - (const char *)data) : 0;
  const char *line;
  size_t len;
  char *copy;

  memcpy(time_arg, data, tlen);
  time_arg[tlen] = '\0';
  if (strlen(time_arg) == tlen)
    check_time(time_arg);

  line = nl ? nl + 1 : (const char *)data;
  len = size - (size_t)(line - (const char *)data);
  /* An exact-size copy: reading past the line is caught by ASan. */
  copy = malloc(len ? len : 1);
  if (!copy)
    return 0;
  memcpy(copy, line, len);
  check_fields(copy, len);
  check_filter(copy, len);
  check_text(copy, len);
  {
    struct audit_filter any;
    audit_filter_init(&any);
    any.from_ms = 0;
    (void)audit_filter_match(&any, copy, len);
    audit_filter_free(&any);
  }
  free(copy);
  return 0;
}
