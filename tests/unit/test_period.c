/*
 * test_period.c - StatLine period codes to the common form (period.h).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "period.h"
#include "test_support.h"

struct period_case {
  const char *raw;
  gw_period_kind kind;
  const char *expected; /* NULL: output must be empty */
};

static const struct period_case cases[] = {
    /* StatLine codes */
    {"2022JJ00", GW_PERIOD_YEAR, "2022"},
    {"1995JJ00", GW_PERIOD_YEAR, "1995"},
    {"2022KW01", GW_PERIOD_QUARTER, "2022-Q1"},
    {"2022KW04", GW_PERIOD_QUARTER, "2022-Q4"},
    {"2022MM01", GW_PERIOD_MONTH, "2022-01"},
    {"2022MM03", GW_PERIOD_MONTH, "2022-03"},
    {"2022MM12", GW_PERIOD_MONTH, "2022-12"},
    {"2022W105", GW_PERIOD_WEEK, "2022-W05"},
    {"2020W153", GW_PERIOD_WEEK, "2020-W53"},
    {"2022W101", GW_PERIOD_WEEK, "2022-W01"},
    /* already normal */
    {"2022", GW_PERIOD_YEAR, "2022"},
    {"2022-Q1", GW_PERIOD_QUARTER, "2022-Q1"},
    {"2022-Q4", GW_PERIOD_QUARTER, "2022-Q4"},
    {"2022-03", GW_PERIOD_MONTH, "2022-03"},
    {"2022-12", GW_PERIOD_MONTH, "2022-12"},
    {"2022-W05", GW_PERIOD_WEEK, "2022-W05"},
    {"2022-W53", GW_PERIOD_WEEK, "2022-W53"},
    /* white space is trimmed */
    {"  2022JJ00  ", GW_PERIOD_YEAR, "2022"},
    {"\t2022KW02\n", GW_PERIOD_QUARTER, "2022-Q2"},
    {" 2022-03 ", GW_PERIOD_MONTH, "2022-03"},
    {" 2017G400 ", GW_PERIOD_OPAQUE, "2017G400"},
    /* out of range: kept verbatim, never "fixed" */
    {"2022KW05", GW_PERIOD_OPAQUE, "2022KW05"},
    {"2022KW00", GW_PERIOD_OPAQUE, "2022KW00"},
    {"2022MM13", GW_PERIOD_OPAQUE, "2022MM13"},
    {"2022MM00", GW_PERIOD_OPAQUE, "2022MM00"},
    {"2022JJ01", GW_PERIOD_OPAQUE, "2022JJ01"},
    {"2022W100", GW_PERIOD_OPAQUE, "2022W100"},
    {"2022W154", GW_PERIOD_OPAQUE, "2022W154"},
    {"2022-Q5", GW_PERIOD_OPAQUE, "2022-Q5"},
    {"2022-Q0", GW_PERIOD_OPAQUE, "2022-Q0"},
    {"2022-13", GW_PERIOD_OPAQUE, "2022-13"},
    {"2022-00", GW_PERIOD_OPAQUE, "2022-00"},
    {"2022-W00", GW_PERIOD_OPAQUE, "2022-W00"},
    {"2022-W54", GW_PERIOD_OPAQUE, "2022-W54"},
    /* other codes seen in the wild */
    {"2017G400", GW_PERIOD_OPAQUE, "2017G400"},
    {"20060101", GW_PERIOD_OPAQUE, "20060101"},
    {"2020X000", GW_PERIOD_OPAQUE, "2020X000"},
    {"2022kw01", GW_PERIOD_OPAQUE, "2022kw01"},
    {"2022KWAB", GW_PERIOD_OPAQUE, "2022KWAB"},
    {"22JJ00", GW_PERIOD_OPAQUE, "22JJ00"},
    {"2022JJ000", GW_PERIOD_OPAQUE, "2022JJ000"},
    {"202", GW_PERIOD_OPAQUE, "202"},
    {"2022-", GW_PERIOD_OPAQUE, "2022-"},
    {"Q1 2022", GW_PERIOD_OPAQUE, "Q1 2022"},
    {"2019/2020", GW_PERIOD_OPAQUE, "2019/2020"},
    /* invalid */
    {"", GW_PERIOD_INVALID, NULL},
    {"   ", GW_PERIOD_INVALID, NULL},
    {"2022\x01JJ00", GW_PERIOD_INVALID, NULL},
    {"2022JJ00\x7f", GW_PERIOD_INVALID, NULL},
    {"2022\xc3\xa9", GW_PERIOD_INVALID, NULL},
    {"0123456789012345678901234567890123456789", GW_PERIOD_INVALID, NULL},
};

Test(period, table) {
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[32];
    gw_period_kind kind;
    memset(out, 'x', sizeof out);
    kind = period_normalise(cases[i].raw, out, sizeof out);
    cr_expect_eq(kind, cases[i].kind, "case %zu \"%s\": kind %d, expected %d",
                 i, cases[i].raw, kind, cases[i].kind);
    cr_expect_str_eq(out, cases[i].expected ? cases[i].expected : "",
                     "case %zu \"%s\": got \"%s\"", i, cases[i].raw, out);
  }
}

Test(period, null_and_tiny_buffers) {
  char out[8];
  cr_expect_eq(period_normalise(NULL, out, sizeof out), GW_PERIOD_INVALID);
  cr_expect_str_eq(out, "");
  cr_expect_eq(period_normalise("2022", NULL, 8), GW_PERIOD_INVALID);
  cr_expect_eq(period_normalise("2022", out, 0), GW_PERIOD_INVALID);
}

Test(period, output_size_is_respected) {
  char out[9];
  /* 31 characters is the longest code the observation field holds */
  char big[32];
  memset(big, 'A', 31);
  big[31] = '\0';
  cr_expect_eq(period_normalise("2022W105", out, sizeof out), GW_PERIOD_WEEK);
  cr_expect_str_eq(out, "2022-W05");
  cr_expect_eq(period_normalise("2022W105", out, 8), GW_PERIOD_INVALID);
  cr_expect_str_eq(out, "");
  cr_expect_eq(period_normalise("2022", out, 4), GW_PERIOD_INVALID);
  cr_expect_eq(period_normalise("2022", out, 5), GW_PERIOD_YEAR);
  {
    char field[32];
    cr_expect_eq(period_normalise(big, field, sizeof field), GW_PERIOD_OPAQUE);
    cr_expect_str_eq(field, big);
  }
}
