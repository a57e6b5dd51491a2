/*
 * test_small_cells.c - small-cell suppression: which cells a rule hides,
 * what a hidden cell looks like, and what is never touched.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "small_cells.h"

static struct gw_observation cell(double value, gw_component component) {
  struct gw_observation o;
  memset(&o, 0, sizeof o);
  o.indicator[0] = 'x';
  o.component = component;
  o.has_value = 1;
  o.value = value;
  o.status = GW_STATUS_FINAL;
  o.has_ci_low = o.has_ci_high = 1;
  o.ci_low = value - 1;
  o.ci_high = value + 1;
  return o;
}

struct count_case {
  double value;
  int suppressed;
};

Test(small_cells, counts_below_the_minimum) {
  static const struct count_case cases[] = {{0, 0}, {1, 1}, {3, 1},  {4.5, 1},
                                            {5, 0}, {6, 0}, {-2, 0}, {1000, 0}};
  struct gw_small_cell_rules r = {.min_count = 5, .min_denominator = 0};
  char rule[GW_SMALL_CELL_RULE_MAX];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct gw_observation o = cell(cases[i].value, GW_COMPONENT_VALUE);
    int rc = small_cells_apply(&r, "count", &o, rule, sizeof rule);
    cr_expect_eq(rc, cases[i].suppressed, "value %g", cases[i].value);
    if (rc) {
      cr_expect_eq(o.status, GW_STATUS_SUPPRESSED);
      cr_expect_eq(o.has_value, 0);
      cr_expect_eq(o.value, 0.0);
      cr_expect_eq(o.has_ci_low, 0);
      cr_expect_eq(o.has_ci_high, 0);
    } else {
      cr_expect_eq(o.status, GW_STATUS_FINAL);
      cr_expect_eq(o.has_value, 1);
      cr_expect_eq(o.value, cases[i].value);
      cr_expect_eq(o.has_ci_low, 1);
      cr_expect_str_eq(rule, "");
    }
  }
}

Test(small_cells, rule_text_names_count_and_threshold) {
  struct gw_small_cell_rules r = {.min_count = 5};
  struct gw_observation o = cell(3, GW_COMPONENT_VALUE);
  char rule[GW_SMALL_CELL_RULE_MAX];
  cr_assert_eq(small_cells_apply(&r, "count", &o, rule, sizeof rule), 1);
  cr_expect_str_eq(rule, "count 3 < 5 (privacy.min_count)");
}

Test(small_cells, off_by_default_and_only_for_counts) {
  struct gw_small_cell_rules off = {0};
  struct gw_small_cell_rules on = {.min_count = 10};
  char rule[GW_SMALL_CELL_RULE_MAX];
  struct gw_observation o = cell(2, GW_COMPONENT_VALUE);
  cr_expect_eq(small_cells_apply(&off, "count", &o, rule, sizeof rule), 0);
  cr_expect_eq(small_cells_apply(&on, "percent", &o, rule, sizeof rule), 0);
  cr_expect_eq(small_cells_apply(&on, "per_10000", &o, rule, sizeof rule), 0);
  cr_expect_eq(small_cells_apply(NULL, "count", &o, rule, sizeof rule), 0);
  cr_expect_eq(o.has_value, 1);
}

Test(small_cells, bounds_missing_and_suppressed_cells_are_left_alone) {
  struct gw_small_cell_rules r = {.min_count = 10};
  char rule[GW_SMALL_CELL_RULE_MAX];
  struct gw_observation bound = cell(2, GW_COMPONENT_CI_LOW);
  struct gw_observation missing = cell(2, GW_COMPONENT_VALUE);
  struct gw_observation hidden = cell(2, GW_COMPONENT_VALUE);
  struct gw_observation nan = cell(NAN, GW_COMPONENT_VALUE);
  missing.has_value = 0;
  missing.status = GW_STATUS_MISSING;
  hidden.status = GW_STATUS_SUPPRESSED;
  cr_expect_eq(small_cells_apply(&r, "count", &bound, rule, sizeof rule), 0);
  cr_expect_eq(small_cells_apply(&r, "count", &missing, rule, sizeof rule), 0);
  cr_expect_eq(missing.status, GW_STATUS_MISSING, "never re-labelled");
  cr_expect_eq(small_cells_apply(&r, "count", &hidden, rule, sizeof rule), 0);
  cr_expect_eq(small_cells_apply(&r, "count", &nan, rule, sizeof rule), 0);
}

Test(small_cells, percentages_with_a_small_denominator) {
  struct gw_small_cell_rules r = {.min_count = 5, .min_denominator = 50};
  char rule[GW_SMALL_CELL_RULE_MAX];
  struct gw_observation o = cell(12.5, GW_COMPONENT_VALUE);
  cr_expect_eq(small_cells_apply_with_denominator(&r, "percent", 50, &o, rule,
                                                  sizeof rule),
               0);
  cr_expect_eq(small_cells_apply_with_denominator(&r, "percent", NAN, &o, rule,
                                                  sizeof rule),
               0, "an unknown denominator is not a small one");
  cr_expect_eq(small_cells_apply(&r, "percent", &o, rule, sizeof rule), 0,
               "no denominator, no rule");
  cr_expect_eq(
      small_cells_apply_with_denominator(&r, "count", 8, &o, rule, sizeof rule),
      0, "the denominator rule is for percentages");
  cr_assert_eq(small_cells_apply_with_denominator(&r, "percent", 40, &o, rule,
                                                  sizeof rule),
               1);
  cr_expect_eq(o.status, GW_STATUS_SUPPRESSED);
  cr_expect_eq(o.has_value, 0);
  cr_expect_eq(o.has_ci_low, 0);
  cr_expect_str_eq(rule, "percentage with denominator 40 < 50 "
                         "(min_denominator)");
}

Test(small_cells, denominator_call_still_applies_the_count_rule) {
  struct gw_small_cell_rules r = {.min_count = 5, .min_denominator = 50};
  char rule[GW_SMALL_CELL_RULE_MAX];
  struct gw_observation o = cell(2, GW_COMPONENT_VALUE);
  cr_expect_eq(small_cells_apply_with_denominator(&r, "count", 1000, &o, rule,
                                                  sizeof rule),
               1);
  cr_expect_str_eq(rule, "count 2 < 5 (privacy.min_count)");
}
