/*
 * number.c - decimal numbers as Dutch and English sources write them.
 *
 * Rules (documented in docs/catalogue.md as well):
 *  - surrounding ASCII white space is ignored; an optional leading '+'/'-';
 *  - then only digits, '.' and ',' - no exponent, no hex, no "nan"/"inf":
 *    the sources in scope write plain decimals, and anything else is a
 *    damaged cell that must not slip through as a number;
 *  - one kind of separator, once: it is the decimal separator. So "1,5" is
 *    1.5 and "1.234" is 1.234 (not 1234): a lone '.' is far more often a
 *    decimal point (JSON, English) than a Dutch thousands dot, and guessing
 *    "thousands" would silently scale a figure by 1000;
 *  - one kind of separator, several times: thousands grouping ("1.234.567");
 *  - both kinds: the last one is the decimal separator and the other must
 *    group thousands in front of it ("1.234,5", "1,234.5");
 *  - grouping must be exact (1-3 digits, then groups of 3), and digits are
 *    required on both sides of a decimal separator (".5" and "5." are
 *    refused).
 * The cleaned text is converted with strtod in the C locale: the gateway
 * never calls setlocale, so '.' is always the radix character.
 */
#include "number.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Longer inputs are not numbers any source in scope writes. */
#define NUMBER_TEXT_MAX 128

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* Checks that [s, s+len) is digits with thousands separator sep in valid
 * positions, and appends the digits to *dst. */
static int take_grouped(const char *s, size_t len, char sep, char **dst) {
  size_t i, run = 0, groups = 0;
  for (i = 0; i < len; i++) {
    if (s[i] == sep) {
      if (run == 0 || (groups == 0 && run > 3) || (groups > 0 && run != 3))
        return -1;
      groups++;
      run = 0;
    } else if (is_digit(s[i])) {
      *(*dst)++ = s[i];
      run++;
    } else {
      return -1;
    }
  }
  if (run == 0 || (groups > 0 && run != 3))
    return -1;
  return 0;
}

static int take_digits(const char *s, size_t len, char **dst) {
  size_t i;
  if (len == 0)
    return -1;
  for (i = 0; i < len; i++) {
    if (!is_digit(s[i]))
      return -1;
    *(*dst)++ = s[i];
  }
  return 0;
}

static size_t count_char(const char *s, size_t len, char c) {
  size_t i, n = 0;
  for (i = 0; i < len; i++)
    n += s[i] == c;
  return n;
}

/* Writes sign, digits and at most one '.' into clean (NUL-terminated). */
static int clean_number(const char *s, size_t len, char *clean) {
  char *dst = clean;
  size_t dots, commas;
  const char *radix;
  char group_sep;

  if (len > 0 && (*s == '+' || *s == '-')) {
    if (*s == '-')
      *dst++ = '-';
    s++;
    len--;
  }
  dots = count_char(s, len, '.');
  commas = count_char(s, len, ',');
  if (dots == 0 && commas == 0) {
    radix = NULL;
    group_sep = 0;
  } else if (dots == 0 || commas == 0) {
    char sep = dots ? '.' : ',';
    if (dots + commas > 1) { /* repeated: thousands grouping only */
      if (take_grouped(s, len, sep, &dst) != 0)
        return -1;
      *dst = '\0';
      return 0;
    }
    radix = memchr(s, sep, len);
    group_sep = 0;
  } else {
    const char *last_dot = s, *last_comma = s;
    size_t i;
    for (i = 0; i < len; i++) {
      if (s[i] == '.')
        last_dot = s + i;
      else if (s[i] == ',')
        last_comma = s + i;
    }
    radix = last_dot > last_comma ? last_dot : last_comma;
    group_sep = *radix == '.' ? ',' : '.';
    if (count_char(s, len, *radix) != 1)
      return -1;
  }

  if (!radix) {
    if (take_digits(s, len, &dst) != 0)
      return -1;
    *dst = '\0';
    return 0;
  }
  if (group_sep) {
    if (take_grouped(s, (size_t)(radix - s), group_sep, &dst) != 0)
      return -1;
  } else if (take_digits(s, (size_t)(radix - s), &dst) != 0) {
    return -1;
  }
  *dst++ = '.';
  if (take_digits(radix + 1, len - (size_t)(radix - s) - 1, &dst) != 0)
    return -1;
  *dst = '\0';
  return 0;
}

int number_parse(const char *text, double *out) {
  const char *start, *end;
  char clean[NUMBER_TEXT_MAX + 1];
  char *parse_end = NULL;
  size_t len;
  double value;

  if (!text || !out)
    return -1;
  start = text;
  while (is_space(*start))
    start++;
  end = start + strlen(start);
  while (end > start && is_space(end[-1]))
    end--;
  len = (size_t)(end - start);
  /* The cleaned copy is never longer than the input. */
  if (len == 0 || len > NUMBER_TEXT_MAX)
    return -1;
  if (clean_number(start, len, clean) != 0)
    return -1;
  errno = 0;
  value = strtod(clean, &parse_end);
  if (errno == ERANGE && !isfinite(value))
    return -1;
  if (parse_end == clean || *parse_end != '\0' || !isfinite(value))
    return -1;
  *out = value;
  return 0;
}
