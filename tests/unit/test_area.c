/*
 * test_area.c - area code trimming and levels (area.h).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "area.h"
#include "test_support.h"

struct area_case {
  const char *raw;
  gw_area_level level;
  const char *expected;
};

static const struct area_case cases[] = {
    {"NL01", GW_AREA_COUNTRY, "NL01"},
    {"NL00", GW_AREA_COUNTRY, "NL00"},
    {"NL01  ", GW_AREA_COUNTRY, "NL01"},
    {"GM0384", GW_AREA_MUNICIPALITY, "GM0384"},
    {"GM0384    ", GW_AREA_MUNICIPALITY, "GM0384"},
    {"  GM0363", GW_AREA_MUNICIPALITY, "GM0363"},
    {"WK038401", GW_AREA_DISTRICT, "WK038401"},
    {"WK038400  ", GW_AREA_DISTRICT, "WK038400"},
    {"BU03840100", GW_AREA_NEIGHBOURHOOD, "BU03840100"},
    {"\tBU03840000\n", GW_AREA_NEIGHBOURHOOD, "BU03840000"},
    {"GG3406", GW_AREA_REGION, "GG3406"},
    {"PV27", GW_AREA_REGION, "PV27"},
    {"CR23", GW_AREA_REGION, "CR23"},
    {"LD03", GW_AREA_REGION, "LD03"},
    {"RE1234", GW_AREA_REGION, "RE1234"},
    {"AM123", GW_AREA_REGION, "AM123"},
    {"MRA", GW_AREA_REGION, "MRA"},
    {" MRA ", GW_AREA_REGION, "MRA"},
    /* damaged keys of a fixed level are not regions */
    {"GM038", GW_AREA_UNKNOWN, "GM038"},
    {"GM03840", GW_AREA_UNKNOWN, "GM03840"},
    {"WK0384", GW_AREA_UNKNOWN, "WK0384"},
    {"BU038401", GW_AREA_UNKNOWN, "BU038401"},
    {"GM038A", GW_AREA_UNKNOWN, "GM038A"},
    {"NL02", GW_AREA_UNKNOWN, "NL02"},
    {"NL", GW_AREA_UNKNOWN, "NL"},
    /* other shapes */
    {"gm0384", GW_AREA_UNKNOWN, "gm0384"},
    {"GG3", GW_AREA_UNKNOWN, "GG3"},
    {"GG1234567", GW_AREA_UNKNOWN, "GG1234567"},
    {"G1234", GW_AREA_UNKNOWN, "G1234"},
    {"Diemen", GW_AREA_UNKNOWN, "Diemen"},
    {"MRAX", GW_AREA_UNKNOWN, "MRAX"},
    {"GM 0384", GW_AREA_UNKNOWN, "GM 0384"},
    {"", GW_AREA_UNKNOWN, ""},
    {"    ", GW_AREA_UNKNOWN, ""},
};

Test(area, table) {
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[24];
    gw_area_level level = area_normalise(cases[i].raw, out, sizeof out);
    cr_expect_eq(level, cases[i].level, "case %zu \"%s\": level %d, want %d", i,
                 cases[i].raw, level, cases[i].level);
    cr_expect_str_eq(out, cases[i].expected, "case %zu \"%s\": got \"%s\"", i,
                     cases[i].raw, out);
  }
}

Test(area, too_long_is_unknown_and_empty) {
  char out[8];
  cr_expect_eq(area_normalise("BU03840100", out, sizeof out), GW_AREA_UNKNOWN);
  cr_expect_str_eq(out, "");
  cr_expect_eq(area_normalise("GM0384  ", out, sizeof out),
               GW_AREA_MUNICIPALITY);
  cr_expect_str_eq(out, "GM0384");
}

Test(area, null_arguments) {
  char out[8];
  cr_expect_eq(area_normalise(NULL, out, sizeof out), GW_AREA_UNKNOWN);
  cr_expect_str_eq(out, "");
  cr_expect_eq(area_normalise("GM0384", NULL, 8), GW_AREA_UNKNOWN);
}

Test(area, level_names_round_trip) {
  gw_area_level l;
  gw_area_level all[] = {GW_AREA_COUNTRY, GW_AREA_REGION, GW_AREA_MUNICIPALITY,
                         GW_AREA_DISTRICT, GW_AREA_NEIGHBOURHOOD};
  const char *names[] = {"country", "region", "municipality", "district",
                         "neighbourhood"};
  size_t i;
  for (i = 0; i < 5; i++) {
    cr_expect_str_eq(area_level_name(all[i]), names[i]);
    cr_expect_eq(area_level_from_name(names[i], &l), 0);
    cr_expect_eq(l, all[i]);
  }
  cr_expect_str_eq(area_level_name(GW_AREA_UNKNOWN), "unknown");
  cr_expect_str_eq(area_level_name((gw_area_level)42), "unknown");
  cr_expect_eq(area_level_from_name("unknown", &l), -1);
  cr_expect_eq(area_level_from_name("Municipality", &l), -1);
  cr_expect_eq(area_level_from_name(NULL, &l), -1);
}

Test(area, status_names_round_trip) {
  const char *names[] = {"final",      "provisional",   "revised",
                         "missing",    "not_yet_known", "not_applicable",
                         "suppressed", "impossible"};
  gw_status s;
  size_t i;
  for (i = 0; i < 8; i++) {
    cr_expect_str_eq(status_name((gw_status)(GW_STATUS_FINAL + i)), names[i]);
    cr_expect_eq(status_from_name(names[i], &s), 0);
    cr_expect_eq(s, (gw_status)(GW_STATUS_FINAL + i));
  }
  cr_expect_str_eq(status_name(GW_STATUS_UNSET), "unset");
  cr_expect_eq(status_from_name("unset", &s), -1);
  cr_expect_eq(status_from_name("FINAL", &s), -1);
  cr_expect_eq(status_from_name("", &s), -1);
  cr_expect_str_eq(status_name((gw_status)99), "invalid");
}
