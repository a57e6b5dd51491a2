/*
 * fuzz_codes - libFuzzer harness for the small code parsers every row goes
 * through: period_normalise(), area_normalise() and number_parse().
 *
 * The input is split at NUL and newline bytes into strings; each string is
 * fed to all three parsers. Output buffers are heap blocks of exactly the
 * size passed (the full field size, and a tight size derived from the
 * string) so ASan sees any write past them. Invariants (trap on violation):
 *  - outputs are NUL-terminated inside the buffer; INVALID periods leave
 *    an empty output;
 *  - a recognised period has its documented shape (2022, 2022-Q1, 2022-03,
 *    2022-W05), and every period or area output normalises to itself;
 *  - a parsed number is finite, and a parsed unsigned number parses to its
 *    negation with a leading '-'.
 * Seeds: tests/fuzz/corpus/codes.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "area.h"
#include "fuzz_support.h"
#include "number.h"
#include "observation.h"
#include "period.h"

#define STRING_MAX 512 /* longer pieces are cut; the parsers cap far lower */

static char *alloc_out(size_t size) {
  char *out = malloc(size);
  if (!out)
    abort();
  memset(out, 'X', size); /* no accidental terminator */
  return out;
}

static int digits(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return 0;
  }
  return 1;
}

static int has_shape(gw_period_kind kind, const char *p) {
  size_t len = strlen(p);
  if (len < 4 || !digits(p, 4))
    return 0;
  switch (kind) {
  case GW_PERIOD_YEAR:
    return len == 4;
  case GW_PERIOD_QUARTER:
    return len == 7 && p[4] == '-' && p[5] == 'Q' && p[6] >= '1' && p[6] <= '4';
  case GW_PERIOD_MONTH:
    return len == 7 && p[4] == '-' && digits(p + 5, 2) &&
           strcmp(p + 5, "00") != 0 && strcmp(p + 5, "12") <= 0;
  case GW_PERIOD_WEEK:
    return len == 8 && p[4] == '-' && p[5] == 'W' && digits(p + 6, 2) &&
           strcmp(p + 6, "00") != 0 && strcmp(p + 6, "53") <= 0;
  default:
    return 0;
  }
}

static void check_period(const char *s, size_t out_size) {
  char *out = alloc_out(out_size);
  char again[GW_PERIOD_MAX];
  gw_period_kind kind = period_normalise(s, out, out_size);

  if (kind < GW_PERIOD_INVALID || kind > GW_PERIOD_WEEK ||
      !fuzz_terminated(out, out_size))
    __builtin_trap();
  if (kind == GW_PERIOD_INVALID) {
    if (out[0] != '\0') /* never a cut or half-written form */
      __builtin_trap();
  } else {
    if (out[0] == '\0')
      __builtin_trap();
    if (kind != GW_PERIOD_OPAQUE && !has_shape(kind, out))
      __builtin_trap();
    if (period_normalise(out, again, sizeof again) != kind ||
        strcmp(again, out) != 0)
      __builtin_trap(); /* idempotent */
  }
  free(out);
}

static void check_area(const char *s, size_t out_size) {
  char *out = alloc_out(out_size);
  char again[GW_AREA_MAX];
  gw_area_level level = area_normalise(s, out, out_size);

  if (level < GW_AREA_UNKNOWN || level > GW_AREA_NEIGHBOURHOOD ||
      !fuzz_terminated(out, out_size))
    __builtin_trap();
  if (level != GW_AREA_UNKNOWN) {
    if (out[0] == '\0')
      __builtin_trap();
    if (area_normalise(out, again, sizeof again) != level ||
        strcmp(again, out) != 0)
      __builtin_trap(); /* idempotent */
  }
  free(out);
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

static void check_number(const char *s) {
  char negated[STRING_MAX + 2];
  double value = 0.0, minus = 0.0;
  const char *start = s;

  if (number_parse(s, &value) != 0)
    return;
  if (!isfinite(value))
    __builtin_trap();
  while (is_space(*start))
    start++;
  if (*start < '0' || *start > '9')
    return;
  if (text_format(negated, sizeof negated, "-%s", start) != 0)
    abort();
  /* "-" + a number is a number unless it grew past the length cap */
  if (number_parse(negated, &minus) == 0 && minus != -value)
    __builtin_trap();
}

static void check_string(const char *s) {
  size_t tight = strlen(s) % 12 + 1;
  check_period(s, GW_PERIOD_MAX);
  check_period(s, tight);
  check_area(s, GW_AREA_MAX);
  check_area(s, tight);
  check_number(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char piece[STRING_MAX + 1];
  size_t start = 0, i;

  for (i = 0; i <= size; i++) {
    if (i < size && data[i] != '\0' && data[i] != '\n')
      continue;
    size_t n = i - start;
    if (n > STRING_MAX)
      n = STRING_MAX;
    memcpy(piece, data + start, n);
    piece[n] = '\0';
    check_string(piece);
    start = i + 1;
  }
  return 0;
}
