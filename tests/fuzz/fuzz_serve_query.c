/*
 * fuzz_serve_query - libFuzzer harness for the feed server's query-string
 * parser and pagination cursor (serve_query.h): the bytes a client puts
 * after '?' reach serve_query_parse() before authentication-dependent
 * work, so they must never crash it or slip past its rules.
 *
 * Input layout: byte 0 picks the endpoint's parameter set (observations,
 * format only, monitor, none); the rest is the raw query string (cut at
 * the first NUL). Invariants (trap on violation):
 *  - a refusal leaves a non-empty one-line message and no storage;
 *  - an accepted query has limit in 1..10000, at most 64 values per list,
 *    NULL-terminated lists, no control byte in any value, only allowed
 *    parameters set, and a cursor that survives encode -> decode;
 *  - the same bytes fed to serve_cursor_decode() either fail or give a
 *    cursor that re-encodes to exactly those bytes (one encoding per
 *    cursor, so a client cannot make two spellings of one position).
 * Seeds: tests/fuzz/corpus/serve_query.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "serve_query.h"

#define INPUT_MAX (SERVE_QUERY_RAW_MAX + 64)

static const unsigned endpoint_params[] = {SERVE_P_OBSERVATIONS, SERVE_P_FORMAT,
                                           SERVE_P_FORMAT | SERVE_P_YEARS, 0};

static void check_value(const char *v) {
  if (!v)
    __builtin_trap();
  for (; *v; v++)
    if ((unsigned char)*v < 0x20 || *v == 0x7f)
      __builtin_trap();
}

static void check_list(const char *const *list, size_t count) {
  if (count > SERVE_LIST_MAX || list[count] != NULL)
    __builtin_trap();
  for (size_t i = 0; i < count; i++)
    check_value(list[i]);
}

static void check_cursor_round_trip(const struct serve_cursor *c) {
  char text[SERVE_CURSOR_MAX + 1];
  struct serve_cursor back;
  if (serve_cursor_encode(c, text, sizeof text) != 0 ||
      serve_cursor_decode(text, &back) != 0 ||
      memcmp(c, &back, sizeof back) != 0)
    __builtin_trap();
}

static void check_accepted(const struct serve_query *q, unsigned allowed) {
  if (q->limit < 1 || q->limit > SERVE_LIMIT_MAX)
    __builtin_trap();
  check_list(q->indicators, q->indicator_count);
  check_list(q->areas, q->area_count);
  check_list(q->sources, q->source_count);
  check_list(q->years, q->year_count);
  if (q->breakdown_count > SERVE_LIST_MAX)
    __builtin_trap();
  for (size_t i = 0; i < q->breakdown_count; i++) {
    check_value(q->breakdowns[i].dimension);
    check_value(q->breakdowns[i].member);
  }
  if (q->format)
    check_value(q->format);
  if ((q->indicator_count && !(allowed & SERVE_P_INDICATOR)) ||
      (q->year_count && !(allowed & SERVE_P_YEARS)) ||
      (q->has_cursor && !(allowed & SERVE_P_CURSOR)) ||
      (q->format && !(allowed & SERVE_P_FORMAT)))
    __builtin_trap();
  if (q->has_cursor)
    check_cursor_round_trip(&q->cursor);
}

/* A cursor has exactly one spelling: what decodes re-encodes to the same
 * text. */
static void check_cursor_text(const char *text) {
  struct serve_cursor c;
  char again[SERVE_CURSOR_MAX + 1];
  if (serve_cursor_decode(text, &c) != 0)
    return;
  if (serve_cursor_encode(&c, again, sizeof again) != 0 ||
      strcmp(again, text) != 0)
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char raw[INPUT_MAX + 1];
  struct serve_query q;
  char err[512];
  unsigned allowed;
  size_t len;
  if (size < 1)
    return 0;
  allowed = endpoint_params[data[0] % 4];
  len = size - 1 > INPUT_MAX ? INPUT_MAX : size - 1;
  memcpy(raw, data + 1, len);
  raw[len] = '\0';
  err[0] = '\0';
  if (serve_query_parse(raw, allowed, &q, err, sizeof err) == 0) {
    check_accepted(&q, allowed);
    serve_query_free(&q);
  } else {
    if (err[0] == '\0' || q.storage != NULL || strchr(err, '\n'))
      __builtin_trap();
  }
  check_cursor_text(raw);
  return 0;
}
