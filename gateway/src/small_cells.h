/*
 * small_cells.h - the gateway's own small-cell safety net (DESIGN 10,
 * standards.md 7.2), applied to each observation before it is stored and
 * exported. A rule that fires turns the cell into an explicit SUPPRESSED
 * cell without a value; the caller logs the rule text. The gateway never
 * un-suppresses, and never derives a suppressed cell from other cells.
 *
 * Thresholds are configuration agreed with the data owner (there is no
 * confirmed official CBS/GGD threshold, standards.md 7.1); 0 turns a rule
 * off, which is the default.
 */
#ifndef GW_SMALL_CELLS_H
#define GW_SMALL_CELLS_H
#include <stddef.h>
#include <stdint.h>
#include "observation.h"

#define GW_SMALL_CELL_RULE_MAX 128

struct gw_small_cell_rules {
  /* Unit "count": a value with 0 < value < min_count is suppressed. Zero
   * is kept: "nobody" discloses nothing about a person (zeros are not
   * sensitive in the usual frequency rule, standards.md 7.1). 0 = off. */
  int64_t min_count;
  /* Unit "percent": a percentage whose denominator (the number of persons
   * it is a share of) is below min_denominator is suppressed. Applies only
   * when the source delivers the denominator (see
   * small_cells_apply_with_denominator); today no source does. 0 = off. */
  int64_t min_denominator;
};

/* Applies the rules to one observation of the given unit. Returns 1 when
 * the cell was suppressed (status SUPPRESSED, has_value 0, confidence
 * bounds dropped, rule = e.g. "count 3 < 5 (privacy.min_count)"), else 0
 * (obs untouched, rule = ""). Only value components are judged; a cell
 * that is already suppressed or has no value is left alone. */
int small_cells_apply(const struct gw_small_cell_rules *r, const char *unit,
                      struct gw_observation *obs, char *rule, size_t rule_size);

/* The same with the cell's denominator, for sources that deliver one. */
int small_cells_apply_with_denominator(const struct gw_small_cell_rules *r,
                                       const char *unit, double denominator,
                                       struct gw_observation *obs, char *rule,
                                       size_t rule_size);

#endif
