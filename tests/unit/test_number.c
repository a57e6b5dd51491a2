/*
 * test_number.c - Dutch and English decimal numbers (number.h).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "number.h"
#include "test_support.h"

struct number_case {
  const char *text;
  double expected;
};

static const struct number_case good[] = {
    {"0", 0.0},
    {"7", 7.0},
    {" 7 ", 7.0},
    {"\t42\n", 42.0},
    {"312,4", 312.4},
    {"312.4", 312.4},
    {"68,6", 68.6},
    {"-0,5", -0.5},
    {"+3,25", 3.25},
    {"-12", -12.0},
    {"1.234,5", 1234.5},
    {"1,234.5", 1234.5},
    {"1.234.567,89", 1234567.89},
    {"1,234,567.89", 1234567.89},
    {"-1.234,5", -1234.5},
    {"1.234.567", 1234567.0},
    {"1,234,567", 1234567.0},
    {"12.345.678", 12345678.0},
    /* a single separator is always the decimal one (documented choice) */
    {"1.234", 1.234},
    {"1,234", 1.234},
    {"0,000001", 0.000001},
    {"007", 7.0},
    {"10,81", 10.81},
};

static const char *const bad[] = {
    "",
    "   ",
    "-",
    "+",
    "abc",
    "12abc",
    "12 34",
    "- 5",
    "+-5",
    "--5",
    "1e5",
    "1E-3",
    "0x1A",
    "0X10",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    ".5",
    ",5",
    "5.",
    "5,",
    "1..2",
    "1,,2",
    "1.2.3,4.5",
    "1,2.3",      /* grouping before the decimal point must be 3 digits */
    "1.23,4",     /* likewise */
    "1234.567,8", /* first group longer than 3 */
    "1.234.56",   /* last group not 3 digits */
    "1.234,5,6",  /* decimal comma twice */
    "1,234.5.6",  /* decimal point twice */
    "1,234.5,6",
    "12.34.56",
    ".",
    ",",
    "NB",
    "n.n.b.",
    "N.v.t.",
    "x",
    "*",
    "70&",
    "8 / 75",
    ("1\xc2\xa0"
     "234"), /* no-break space as a thousands separator */
};

Test(number, good_values) {
  size_t i;
  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    double v = -999.0;
    cr_expect_eq(number_parse(good[i].text, &v), 0, "case \"%s\" rejected",
                 good[i].text);
    cr_expect_float_eq(v, good[i].expected, 1e-9 * (1 + fabs(good[i].expected)),
                       "case \"%s\": %.17g, expected %.17g", good[i].text, v,
                       good[i].expected);
  }
}

Test(number, bad_values_leave_output_alone) {
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double v = 123.0;
    cr_expect_eq(number_parse(bad[i], &v), -1, "\"%s\" was accepted as %g",
                 bad[i], v);
    cr_expect_eq(v, 123.0, "\"%s\" changed the output", bad[i]);
  }
}

Test(number, negative_zero_and_sign) {
  double v = 1.0;
  cr_assert_eq(number_parse("-0", &v), 0);
  cr_expect_eq(v, 0.0);
  cr_assert_eq(number_parse("-0,25", &v), 0);
  cr_expect_float_eq(v, -0.25, 1e-12);
}

Test(number, overflow_and_length) {
  /* DBL_MAX needs 309 digits, more than the 128-character text limit, so
   * an overflowing number is refused by the limit; strtod's ERANGE check
   * stays as a second line of defence. */
  char digits[400];
  double v = 5.0;
  memset(digits, '9', sizeof digits - 1);
  digits[sizeof digits - 1] = '\0';
  cr_expect_eq(number_parse(digits, &v), -1);
  cr_expect_eq(v, 5.0);
  /* the longest accepted text: 128 characters */
  memset(digits, '1', 128);
  digits[128] = '\0';
  cr_expect_eq(number_parse(digits, &v), 0);
  cr_expect_gt(v, 1e127);
  digits[128] = '1';
  digits[129] = '\0';
  cr_expect_eq(number_parse(digits, &v), -1);
}

Test(number, null_arguments) {
  double v;
  cr_expect_eq(number_parse(NULL, &v), -1);
  cr_expect_eq(number_parse("1", NULL), -1);
}
