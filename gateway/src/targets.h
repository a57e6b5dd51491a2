/*
 * targets.h - the municipality's targets ("begroot") per indicator,
 * breakdown member and year, and what it declares about its own werkelijk
 * figures (e.g. "N.v.t." for a year before the indicator was in the
 * begroting). Configuration, not data: ops/targets/diemen.json ships the
 * Programmabegroting 2023 values. Format (docs/monitor.md,
 * schemas/targets.schema.json):
 *
 *   {"municipality": "GM0384",
 *    "targets":   [{"indicator": "bijstand_per_10k", "breakdown": {},
 *                   "year": "2022", "value": 400},
 *                  {"indicator": "...", "year": "2023", "marker": "NB"}],
 *    "werkelijk": [{"indicator": "stadspas_houders", "year": "2020",
 *                   "marker": "N.v.t.", "reason": "..."}]}
 *
 * The targets object owns every string it returns until targets_free().
 */
#ifndef GW_TARGETS_H
#define GW_TARGETS_H
#include <stddef.h>
#include "catalogue.h"

struct gw_targets;

struct gw_target {
  const char *indicator;                 /* catalogue id */
  const struct gw_breakdown_item *items; /* member, sorted by dimension */
  size_t count;
  const char *year; /* "2022" */
  int has_value;
  double value;
  const char *marker; /* "NB", "n.n.b.", "N.v.t." or "-", else NULL */
  const char *note;   /* "note" (targets) or "reason" (werkelijk), or NULL */
  int line;           /* line of the entry in the file */
};

/* Load and validate. With cat non-NULL every indicator must exist there
 * and every breakdown must be one of its members ({} for a single-row
 * indicator). Errors name the file, line and field:
 *   "diemen.json:14: targets[3].year: expected a year such as \"2023\"" */
int targets_load(const char *path, const struct gw_catalogue *cat,
                 struct gw_targets **out, char *err, size_t err_size);
void targets_free(struct gw_targets *t);

const char *targets_path(const struct gw_targets *t);
const char *targets_municipality(const struct gw_targets *t);
size_t targets_count(const struct gw_targets *t);
const struct gw_target *targets_at(const struct gw_targets *t, size_t i);

/* The begroot entry for (indicator, member, year), or NULL. */
const struct gw_target *targets_find(const struct gw_targets *t,
                                     const char *indicator,
                                     const struct gw_breakdown_item *items,
                                     size_t count, const char *year);
/* The declared werkelijk marker for (indicator, member, year), or NULL. */
const struct gw_target *
targets_find_werkelijk(const struct gw_targets *t, const char *indicator,
                       const struct gw_breakdown_item *items, size_t count,
                       const char *year);

/* 1 when two sorted breakdowns are equal. */
int breakdown_items_equal(const struct gw_breakdown_item *a, size_t na,
                          const struct gw_breakdown_item *b, size_t nb);

#endif
