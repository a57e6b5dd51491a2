/*
 * small_cells.c - small-cell suppression before export (see
 * small_cells.h).
 */
#include "small_cells.h"

#include <math.h>
#include <string.h>

#include "text.h"

static void suppress(struct gw_observation *obs) {
  obs->status = GW_STATUS_SUPPRESSED;
  obs->has_value = 0;
  obs->value = 0.0;
  /* bounds around a hidden value would narrow it down again */
  obs->has_ci_low = 0;
  obs->has_ci_high = 0;
  obs->ci_low = 0.0;
  obs->ci_high = 0.0;
}

static int judgeable(const struct gw_small_cell_rules *r, const char *unit,
                     const struct gw_observation *obs) {
  return r && unit && obs && obs->component == GW_COMPONENT_VALUE &&
         obs->has_value && isfinite(obs->value) &&
         obs->status != GW_STATUS_SUPPRESSED;
}

static int count_rule(const struct gw_small_cell_rules *r, const char *unit,
                      struct gw_observation *obs, char *rule,
                      size_t rule_size) {
  if (r->min_count <= 0 || strcmp(unit, "count") != 0 || obs->value <= 0.0 ||
      obs->value >= (double)r->min_count)
    return 0;
  text_format(rule, rule_size, "count %.15g < %lld (privacy.min_count)",
              obs->value, (long long)r->min_count);
  suppress(obs);
  return 1;
}

static int denominator_rule(const struct gw_small_cell_rules *r,
                            const char *unit, double denominator,
                            struct gw_observation *obs, char *rule,
                            size_t rule_size) {
  if (r->min_denominator <= 0 || strcmp(unit, "percent") != 0 ||
      !isfinite(denominator) || denominator < 0.0 ||
      denominator >= (double)r->min_denominator)
    return 0;
  text_format(rule, rule_size,
              "percentage with denominator %.15g < %lld (min_denominator)",
              denominator, (long long)r->min_denominator);
  suppress(obs);
  return 1;
}

int small_cells_apply(const struct gw_small_cell_rules *r, const char *unit,
                      struct gw_observation *obs, char *rule,
                      size_t rule_size) {
  if (rule_size > 0)
    rule[0] = '\0';
  if (!judgeable(r, unit, obs))
    return 0;
  return count_rule(r, unit, obs, rule, rule_size);
}

int small_cells_apply_with_denominator(const struct gw_small_cell_rules *r,
                                       const char *unit, double denominator,
                                       struct gw_observation *obs, char *rule,
                                       size_t rule_size) {
  if (rule_size > 0)
    rule[0] = '\0';
  if (!judgeable(r, unit, obs))
    return 0;
  if (count_rule(r, unit, obs, rule, rule_size))
    return 1;
  return denominator_rule(r, unit, denominator, obs, rule, rule_size);
}
