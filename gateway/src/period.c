/*
 * period.c - StatLine period codes to the common form (DESIGN 4, source
 * formats 2.4).
 *
 * StatLine writes periods as yyyyXXnn: JJ00 year, KWnn quarter, MMnn month,
 * W1nn week (the week number is the last two digits, as read by public
 * CBS clients). Codes we cannot read with certainty (X0 week parts, G4
 * multi-year codes, daily ids, out-of-range numbers such as KW05 or MM13)
 * are kept verbatim as OPAQUE: "fixing" them would invent a period the
 * source never published.
 */
#include "period.h"

#include <string.h>

#include "text.h"

#define YEAR_DIGITS 4
#define MAX_ISO_WEEK 53

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int all_digits(const char *s, size_t len) {
  size_t i;
  for (i = 0; i < len; i++) {
    if (!is_digit(s[i]))
      return 0;
  }
  return 1;
}

/* Two decimal digits at s, or -1. */
static int two_digits(const char *s) {
  if (!is_digit(s[0]) || !is_digit(s[1]))
    return -1;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

static int is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}

/* Printable ASCII only: period codes are ASCII in every known source, and
 * a control or non-ASCII byte means a broken cell, not a new period. */
static int printable_ascii(const char *s, size_t len) {
  size_t i;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c > 0x7e)
      return 0;
  }
  return 1;
}

/* StatLine yyyyXXnn (8 characters, year already checked). */
static gw_period_kind classify_statline(const char *p, char *out,
                                        size_t out_size) {
  int n = two_digits(p + 6);
  if (n < 0)
    return GW_PERIOD_OPAQUE;
  if (memcmp(p + 4, "JJ", 2) == 0 && n == 0)
    return text_format(out, out_size, "%.4s", p) == 0 ? GW_PERIOD_YEAR
                                                      : GW_PERIOD_INVALID;
  if (memcmp(p + 4, "KW", 2) == 0 && n >= 1 && n <= 4)
    return text_format(out, out_size, "%.4s-Q%d", p, n) == 0
               ? GW_PERIOD_QUARTER
               : GW_PERIOD_INVALID;
  if (memcmp(p + 4, "MM", 2) == 0 && n >= 1 && n <= 12)
    return text_format(out, out_size, "%.4s-%02d", p, n) == 0
               ? GW_PERIOD_MONTH
               : GW_PERIOD_INVALID;
  /* W100 is CBS's "week 0" (the days before ISO week 1): no ISO name. */
  if (memcmp(p + 4, "W1", 2) == 0 && n >= 1 && n <= MAX_ISO_WEEK)
    return text_format(out, out_size, "%.4s-W%02d", p, n) == 0
               ? GW_PERIOD_WEEK
               : GW_PERIOD_INVALID;
  return GW_PERIOD_OPAQUE;
}

/* Already normal: yyyy, yyyy-Qn, yyyy-mm, yyyy-Wnn. */
static gw_period_kind classify_normal(const char *p, size_t len) {
  int n;
  if (len == YEAR_DIGITS)
    return GW_PERIOD_YEAR;
  if (p[4] != '-')
    return GW_PERIOD_OPAQUE;
  if (len == 7 && p[5] == 'Q' && p[6] >= '1' && p[6] <= '4')
    return GW_PERIOD_QUARTER;
  if (len == 7) {
    n = two_digits(p + 5);
    return n >= 1 && n <= 12 ? GW_PERIOD_MONTH : GW_PERIOD_OPAQUE;
  }
  if (len == 8 && p[5] == 'W') {
    n = two_digits(p + 6);
    return n >= 1 && n <= MAX_ISO_WEEK ? GW_PERIOD_WEEK : GW_PERIOD_OPAQUE;
  }
  return GW_PERIOD_OPAQUE;
}

gw_period_kind period_normalise(const char *raw, char *out, size_t out_size) {
  const char *start;
  size_t len;
  gw_period_kind kind;

  if (!out || out_size == 0)
    return GW_PERIOD_INVALID;
  out[0] = '\0';
  if (!raw)
    return GW_PERIOD_INVALID;
  start = text_trim_span(raw, &len);
  if (len == 0 || len >= out_size || !printable_ascii(start, len))
    return GW_PERIOD_INVALID;

  if (len == 8 && all_digits(start, YEAR_DIGITS) && is_upper(start[4])) {
    kind = classify_statline(start, out, out_size);
    if (kind == GW_PERIOD_INVALID)
      out[0] = '\0'; /* never leave a cut form behind */
    if (kind != GW_PERIOD_OPAQUE)
      return kind;
  } else if (len >= YEAR_DIGITS && all_digits(start, YEAR_DIGITS)) {
    kind = classify_normal(start, len);
  } else {
    kind = GW_PERIOD_OPAQUE;
  }
  /* Normal forms and opaque codes are both kept as given; len < out_size
   * was checked above, so this cannot truncate. */
  memcpy(out, start, len);
  out[len] = '\0';
  return kind;
}
